"""The development outbox (/ansatt/varsler/utboks/): what the outbox provider "sent" instead
of letting it leave the machine, newest first, for the staff of the municipality."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from torget.alerts.models import OutboxMessage
from torget.conversations.views.common import _municipality, staff_required

PER_PAGE = 50


@staff_required
@never_cache
@require_safe
def outbox_list(request: HttpRequest) -> HttpResponse:
    """The municipality's outbox messages, newest first, 50 to a page."""
    messages = (
        OutboxMessage.objects.filter(delivery__alert__municipality=_municipality(request))
        .select_related("delivery__alert")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(messages, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "alerts/outbox.html", {"page_obj": page})

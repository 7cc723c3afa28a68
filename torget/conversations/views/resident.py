"""The resident's page of one conversation, with a follow-up form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from torget.conversations import forms, policies, selectors, services
from torget.conversations.views.common import (
    _municipality,
    _refuse,
    _user,
)
from torget.core.errors import TorgetError
from torget.organisation.policies import can_moderate_unit

# --- the resident's thread page -----------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One thread with the messages the viewer may read, and a form to write a follow-up."""
    municipality = _municipality(request)
    thread = selectors.thread_get_for_viewer(municipality=municipality, pk=pk, viewer=request.user)
    form = forms.ResidentMessageForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            try:
                message = services.message_add_resident(
                    thread=thread, actor=_user(request), body=form.cleaned_data["body"]
                )
            except (ValidationError, TorgetError, PermissionDenied) as exc:
                _refuse(form, "body", exc)
            else:
                messages.success(request, _("Your message has been sent."))
                return redirect(
                    f"{reverse('conversations:thread-detail', args=[thread.pk])}"
                    f"#melding-{message.pk}"
                )
        status = 422
    context = {
        "thread": thread,
        "thread_messages": selectors.message_list_for_page(thread=thread, viewer=request.user),
        "form": form,
        "may_write": policies.can_write_in_thread(request.user, thread),
        "can_moderate": can_moderate_unit(request.user, thread.unit),
        "is_thread_staff": policies.is_staff_for_thread(request.user, thread),
    }
    return render(request, "conversations/thread_detail.html", context, status=status)

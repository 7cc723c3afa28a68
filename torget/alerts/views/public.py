"""Public alert pages: the list, an alert's page with its map and messages, and CAP messages.

Thin: parse, call selectors, render. Only sent alerts are public; anything else is a 404.
The map only adds to the page: the area is also given in words (zone, streets or addresses),
and the page works without JavaScript.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from torget.alerts import cap, public_selectors
from torget.alerts.models import Alert, Topic
from torget.alerts.severity import severity_short_label


def _label(alert: Alert) -> Alert:
    alert.severity_label = severity_short_label(alert.severity)  # type: ignore[attr-defined]
    alert.topic_label = Topic(alert.topic).label  # type: ignore[attr-defined]
    return alert


@require_safe
def alert_list(request: HttpRequest) -> HttpResponse:
    """Current alerts (active, and those about to begin) first, then a page of past ones."""
    municipality = request.municipality  # type: ignore[attr-defined]
    now = timezone.now()
    current = public_selectors.alert_list_current(municipality=municipality, now=now)
    past = public_selectors.alert_page_past(
        municipality=municipality, page=request.GET.get("page"), now=now
    )
    for alert in [*current, *past.object_list]:
        _label(alert)
    return render(request, "alerts/alert_list.html", {"current": current, "past": past})


@require_safe
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An alert with its updates and all-clear, its area on a map and in words.

    The address of an update or all-clear leads to the alert's page, at that message."""
    municipality = request.municipality  # type: ignore[attr-defined]
    message = public_selectors.alert_message_get(municipality=municipality, pk=pk)
    if message.original_id is not None:
        return HttpResponseRedirect(public_selectors.alert_message_path(message))
    alert = _label(message)
    chain = [_label(m) for m in public_selectors.alert_chain(alert)]
    area = alert.area
    concerning = public_selectors.alerts_concerning_user(
        user=request.user, municipality=municipality, alert_pks=[alert.pk]
    )
    context = {
        "alert": alert,
        "messages_list": chain,
        "latest": chain[-1],
        "state": public_selectors.alert_state(alert),
        "area": area,
        "area_text": public_selectors.alert_area_text(alert),
        "concerns_you": alert.pk in concerning,
        "place": concerning.get(alert.pk, ""),
        "map_tiles_url": settings.TORGET_MAP_TILES_URL,
        "map_attribution": settings.TORGET_MAP_ATTRIBUTION,
    }
    return render(request, "alerts/alert_detail.html", context)


@require_safe
def alert_cap(request: HttpRequest, pk: int) -> HttpResponse:
    """The CAP 1.2 message of one sent alert, update or all-clear."""
    message = public_selectors.alert_message_get(
        municipality=request.municipality,  # type: ignore[attr-defined]
        pk=pk,
    )
    return HttpResponse(cap.cap_document(message), content_type=cap.CAP_CONTENT_TYPE)

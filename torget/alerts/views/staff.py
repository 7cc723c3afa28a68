"""The staff side of alerts (/ansatt/varsler/): the list, composing with a map, the preview
with the recipients each channel reaches, approval by a second person, updates and the
all-clear, and the live progress of the deliveries.

Thin: parse, call one service or selector, render. A form that fails keeps what was typed and
answers 422 with the errors beside the fields. Alerts of units the viewer may not send for are
"not found"; a staff member who may send for no unit at all is refused (403).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from torget.alerts import sms
from torget.alerts import staff_selectors as selectors
from torget.alerts.delivery import delivery_counts
from torget.alerts.forms import AlertForm, FollowUpForm
from torget.alerts.messages import AlertMessages, sms_text
from torget.alerts.models import Alert, Delivery, Medium
from torget.alerts.policies import can_approve_alert, can_manage_zones
from torget.alerts.selectors import alert_answer_threads
from torget.alerts.services import alerts as services
from torget.alerts.services.imports import can_import_alert_data
from torget.conversations.views.common import _municipality, _user, staff_required
from torget.organisation.models import Unit
from torget.organisation.selectors import unit_get_root

# How often static/js/alert_progress.js asks for the counts while deliveries go out.
PROGRESS_POLL_SECONDS = 2
# The statuses on the progress bar, in the order a delivery passes them.
PROGRESS_STATUSES = [
    Delivery.Status.QUEUED,
    Delivery.Status.CLAIMED,
    Delivery.Status.SENT,
    Delivery.Status.DELIVERED,
    Delivery.Status.FAILED,
]


def _alertable_units(request: HttpRequest) -> list[Unit]:
    units = selectors.unit_list_alertable(viewer=request.user, municipality=_municipality(request))
    if not units:
        raise PermissionDenied
    return units


def _alert(request: HttpRequest, pk: int) -> Alert:
    return selectors.alert_get_for_staff(
        viewer=request.user, municipality=_municipality(request), pk=pk
    )


def _map_context(request: HttpRequest) -> dict[str, Any]:
    """What the map script needs: tiles (none when not configured) and where to look."""
    municipality = _municipality(request)
    return {
        "map_tiles_url": getattr(settings, "TORGET_MAP_TILES_URL", ""),
        "map_tiles_attribution": getattr(settings, "TORGET_MAP_ATTRIBUTION", ""),
        "map_bounds": selectors.map_bounds(municipality=municipality),
        "map_texts": {
            "draw": _("Draw the area"),
            "start": _("Click on the map to place the first corner."),
            "cont": _("Click to place the next corner."),
            "end": _("Click the first corner to close the area."),
            "finish": _("Finish"),
            "finishTitle": _("Finish the area"),
            "undo": _("Delete the last corner"),
            "undoTitle": _("Delete the last corner you placed"),
            "cancel": _("Cancel"),
            "cancelTitle": _("Stop drawing"),
            "crossing": _("The edges of the area must not cross."),
            "drawn": _("The area is drawn: its corners are in the field below."),
            "zoomIn": _("Zoom in"),
            "zoomOut": _("Zoom out"),
            "edit": _("Move the corners"),
            "editDisabled": _("Nothing to change yet"),
            "remove": _("Delete the area"),
            "removeDisabled": _("Nothing to delete yet"),
            "save": _("Save"),
            "saveTitle": _("Keep the changes"),
            "clearAll": _("Delete all"),
            "editTip": _("Drag the corners to move them."),
            "editSubtip": _("Cancel undoes the changes."),
            "removeTip": _("Click the area to delete it."),
        },
    }


def _sms_length_url() -> str:
    """The live SMS counter's endpoint (built separately); empty while it is not there."""
    try:
        return reverse("alerts:staff-sms-length")
    except NoReverseMatch:
        return ""


def _sms_frame(*, unit: Unit | None, kind: str, alert: Alert | None) -> str:
    """The SMS as sent with stand-ins for the title, text and phone, so that the counter counts
    what the resident gets: the prefix, the link to the alert and how to answer included. The
    link uses the alert's number, or the next one's for a new alert (an estimate: the preview
    counts the real thing)."""
    stub = Alert(
        municipality=unit.municipality if unit else None,
        kind=kind,
        title="\x01title\x01",
        text="\x01text\x01",
        contact_phone="\x01phone\x01",
    )
    if alert is not None and alert.pk:
        stub.pk = alert.original_id or alert.pk
        stub.municipality = alert.municipality
    else:
        latest = Alert.objects.order_by("-pk").values_list("pk", flat=True).first()
        stub.pk = (latest or 0) + 1
    return sms_text(stub)


def _compose_context(
    request: HttpRequest, form: Any, *, alert: Alert | None, kind: str, unit: Unit | None
) -> dict[str, Any]:
    context = {
        "form": form,
        "alert": alert,
        "kind": kind,
        "sms_length_url": _sms_length_url(),
        "sms_frame": _sms_frame(unit=unit, kind=kind, alert=alert),
        "max_segments": sms.MAX_SEGMENTS,
    }
    context.update(_map_context(request))
    return context


def _initial_from(alert: Alert) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(alert, name) for name in services.DRAFT_FIELDS if hasattr(alert, name)
    }
    for name in ("onset", "expires"):
        if initial.get(name):
            initial[name] = timezone.localtime(initial[name])
    initial["unit"] = alert.unit_id
    initial["area_source"] = alert.area_source or Alert.AreaSource.DRAWN
    initial["area"] = json.dumps(alert.area) if alert.area_source == "drawn" and alert.area else ""
    initial["zone"] = alert.zone_id
    initial["area_addresses"] = alert.area_addresses
    return initial


# --- the list ---------------------------------------------------------------------------------


@staff_required
@never_cache
@require_safe
def alert_list(request: HttpRequest) -> HttpResponse:
    """Drafts, alerts waiting for approval, and sent alerts (paginated)."""
    _alertable_units(request)
    municipality = _municipality(request)
    lists = selectors.alert_lists_for_staff(
        viewer=request.user, municipality=municipality, page=request.GET.get("page")
    )
    user = _user(request)
    context = {
        "lists": lists,
        "approvable_ids": {a.pk for a in lists.waiting if can_approve_alert(user, a)},
        "may_manage_zones": can_manage_zones(user, unit_get_root(municipality=municipality)),
        "may_import": can_import_alert_data(user, municipality),
    }
    return render(request, "alerts/staff/alert_list.html", context)


# --- composing --------------------------------------------------------------------------------


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def alert_create(request: HttpRequest) -> HttpResponse:
    """Write a new alert. Saving makes a draft and leads to its preview."""
    units = _alertable_units(request)
    return _alert_form(request, units=units, alert=None)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def alert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft (or an alert waiting for approval: it becomes a draft again)."""
    alert = _alert(request, pk)
    if alert.status == Alert.Status.SENT:
        messages.error(request, _("This alert has been sent and can no longer be changed."))
        return redirect("alerts:staff-alert-detail", pk=alert.pk)
    if alert.original_id is not None:
        return _follow_up_form(request, original=alert.original, follow_up=alert)  # type: ignore[arg-type]
    return _alert_form(request, units=_alertable_units(request), alert=alert)


def _alert_form(request: HttpRequest, *, units: list[Unit], alert: Alert | None) -> HttpResponse:
    municipality = _municipality(request)
    zones = selectors.zone_list(municipality=municipality)
    initial = (
        _initial_from(alert)
        if alert
        else {"unit": units[0].pk, "area_source": Alert.AreaSource.DRAWN, "by_sms": True}
    )
    form = AlertForm(request.POST or None, units=units, zones=zones, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.alert_draft_save(
                    actor=_user(request),
                    unit=data["unit"],
                    data=form.service_data(),
                    area_source=data["area_source"],
                    area=data.get("area"),
                    zone=data.get("zone"),
                    area_addresses=data.get("area_addresses", ""),
                    alert=alert,
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(
                    request, _("The draft is saved. Check who it reaches before you send it.")
                )
                return redirect("alerts:staff-alert-detail", pk=saved.pk)
        status = 422
    unit = alert.unit if alert else units[0]
    context = _compose_context(request, form, alert=alert, kind=Alert.Kind.ALERT, unit=unit)
    context["zones"] = zones
    context["zone_areas"] = {str(z.pk): z.area for z in zones}
    return render(request, "alerts/staff/alert_form.html", context, status=status)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def alert_follow_up(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Write an update or the all-clear of a sent alert: the same recipients as it had."""
    original = _alert(request, pk)
    return _follow_up_form(request, original=original, follow_up=None, kind=kind)


def _follow_up_form(
    request: HttpRequest, *, original: Alert, follow_up: Alert | None, kind: str = ""
) -> HttpResponse:
    user = _user(request)
    if follow_up is None:
        try:
            follow_up = services.alert_follow_up_start(original=original, actor=user, kind=kind)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("alerts:staff-alert-detail", pk=original.pk)
    initial = _initial_from(follow_up)
    form = FollowUpForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.alert_follow_up_save(
                    follow_up=follow_up, actor=user, data=form.service_data()
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(
                    request, _("The draft is saved. Check who it reaches before you send it.")
                )
                return redirect("alerts:staff-alert-detail", pk=saved.pk)
        status = 422
    # The counter's frame uses the original: a follow-up's messages link to its page.
    context = _compose_context(
        request, form, alert=original, kind=follow_up.kind, unit=original.unit
    )
    context.update({"original": original, "follow_up": follow_up})
    return render(request, "alerts/staff/follow_up_form.html", context, status=status)


# --- one alert: preview, approval, progress ---------------------------------------------------


@staff_required
@never_cache
@require_safe
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft or waiting alert: the preview (who each channel reaches, the SMS exactly as
    sent, the e-mail) and the buttons to send, ask for approval, approve or send back. A sent
    alert: the progress of its deliveries, the failures and the follow-ups."""
    alert = _alert(request, pk)
    user = _user(request)
    context: dict[str, Any] = {
        "alert": alert,
        "follow_ups": selectors.follow_up_list(alert) if alert.original_id is None else [],
        "may_approve": can_approve_alert(user, alert),
        "approval_required": services.approval_required(alert),
    }
    if alert.status == Alert.Status.SENT:
        context.update(_progress(alert))
        context["failures"] = selectors.delivery_page_failed(
            alert=alert, page=request.GET.get("page")
        )
        context["poll_seconds"] = PROGRESS_POLL_SECONDS
        if alert.original_id is None:
            context["answers"] = alert_answer_threads(alert)
    else:
        context.update(_preview(alert))
    return render(request, "alerts/staff/alert_detail.html", context)


def _preview(alert: Alert) -> dict[str, Any]:
    text = sms_text(alert)
    email = AlertMessages(alert).outgoing(
        Delivery(pk=0, alert=alert, medium=Medium.EMAIL, destination="", language="")
    )
    return {
        "preview": selectors.alert_recipient_preview(alert),
        "sms_text": text,
        "sms_length": sms.sms_length(text),
        "max_segments": sms.MAX_SEGMENTS,
        "email_subject": email.subject,
        "email_body": email.body,
    }


def _progress(alert: Alert) -> dict[str, Any]:
    counts = delivery_counts(alert)
    total = sum(counts.values())
    open_ = sum(
        counts.get(s, 0)
        for s in (Delivery.Status.QUEUED, Delivery.Status.CLAIMED, Delivery.Status.SENT)
    )
    delivered = counts.get(Delivery.Status.DELIVERED, 0)
    failed = counts.get(Delivery.Status.FAILED, 0)
    if open_:
        summary = _("%(delivered)s of %(total)s delivered so far.") % {
            "delivered": delivered,
            "total": total,
        }
    elif failed:
        summary = _("Finished: %(delivered)s of %(total)s delivered, %(failed)s failed.") % {
            "delivered": delivered,
            "total": total,
            "failed": failed,
        }
    else:
        summary = _("Finished: all %(total)s delivered.") % {"total": total}
    return {
        "counts": [(s.value, s.label, counts.get(s.value, 0)) for s in PROGRESS_STATUSES],
        "counts_by_status": counts,
        "total": total,
        "delivered": delivered,
        "finished": open_ == 0,
        "summary": summary,
    }


@staff_required
@never_cache
@require_safe
def alert_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """What static/js/alert_progress.js polls: the deliveries' counts by status."""
    alert = _alert(request, pk)
    progress = _progress(alert)
    return JsonResponse(
        {
            "total": progress["total"],
            "delivered": progress["delivered"],
            "counts": progress["counts_by_status"],
            "finished": progress["finished"],
            "summary": progress["summary"],
        }
    )


@staff_required
@require_POST
def alert_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the draft now, or ask a second person to approve it when that is the rule."""
    alert = _alert(request, pk)
    try:
        result = services.alert_submit(alert=alert, actor=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if result.status == Alert.Status.SENT:
            messages.success(request, _("The alert is sent. Its deliveries are on their way."))
        else:
            messages.success(
                request, _("A second person who may send for the unit must now approve it.")
            )
    return redirect("alerts:staff-alert-detail", pk=alert.pk)


def _decide(request: HttpRequest, pk: int, decide: Any, done: str) -> HttpResponse:
    """Run a second person's decision on a waiting alert and go back to its page."""
    alert = _alert(request, pk)
    try:
        decide(alert=alert, actor=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("alerts:staff-alert-detail", pk=alert.pk)


@staff_required
@require_POST
def alert_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """A second person approves a waiting alert, which sends it."""
    return _decide(request, pk, services.alert_approve, _("Approved. The alert is sent."))


@staff_required
@require_POST
def alert_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """A second person sends a waiting alert back to be changed."""
    return _decide(request, pk, services.alert_reject, _("The alert is sent back as a draft."))


@staff_required
@require_POST
def alert_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Throw away a draft; back to the list."""
    alert = _alert(request, pk)
    try:
        services.alert_draft_delete(alert=alert, actor=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("alerts:staff-alert-detail", pk=alert.pk)
    messages.success(request, _("The draft “%(title)s” is deleted.") % {"title": alert.title})
    return redirect("alerts:staff-alert-list")

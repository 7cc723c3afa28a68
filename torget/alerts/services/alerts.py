"""Writing, approving and sending alerts, their updates and their all-clear.

Sending writes one Delivery row per recipient and medium in the same transaction that marks
the alert sent: once the alert says "sent", every message is a durable row that a delivery
worker will carry out (`torget.alerts.delivery`).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from torget.accounts.models import User
from torget.alerts import geo, sms, targeting
from torget.alerts.approval_tasks import notify_approval_wanted
from torget.alerts.messages import sms_text
from torget.alerts.models import Alert, AlertSettings, Delivery, Zone
from torget.alerts.policies import can_approve_alert, can_manage_zones, can_send_alert
from torget.organisation.models import Unit

DRAFT_FIELDS = (
    "topic",
    "severity",
    "title",
    "text",
    "by_sms",
    "by_email",
    "contact_phone",
    "contact_email",
    "contact_url",
    "onset",
    "expires",
)
BULK_BATCH = 2000


def _check_sender(actor: User, unit: Unit) -> None:
    if not can_send_alert(actor, unit):
        raise PermissionDenied(_("You may not send alerts for this unit."))


def _area_resolve(alert: Alert, *, area: str | dict[str, Any] | None, zone: Zone | None) -> None:
    """Set the alert's area from a drawing/text, a zone or its list of addresses."""
    if alert.original_id is not None:
        return
    if alert.area_source == Alert.AreaSource.ZONE:
        if zone is None or zone.municipality_id != alert.municipality_id:
            raise ValidationError({"zone": _("Choose a zone.")})
        alert.zone = zone
        alert.area = zone.area
    elif alert.area_source == Alert.AreaSource.ADDRESSES:
        try:
            alert.area = targeting.area_from_address_lines(
                municipality=alert.municipality, text=alert.area_addresses
            )
        except ValidationError as error:
            raise ValidationError({"area_addresses": error.messages}) from error
    else:
        alert.area_source = Alert.AreaSource.DRAWN
        try:
            alert.area = geo.area_parse(area or "")
        except ValidationError as error:
            raise ValidationError({"area": error.messages}) from error


def alert_check(alert: Alert) -> None:
    """Raise ValidationError (by field) for what would stop the alert being sent."""
    errors: dict[str, list[str]] = {}
    if not (alert.by_sms or alert.by_email):
        errors.setdefault("by_sms", []).append(_("Choose SMS, e-mail or both."))
    if alert.expires and alert.expires <= alert.onset:
        errors.setdefault("expires", []).append(_("The end must come after the start."))
    if alert.by_sms:
        length = sms.sms_length(sms_text(alert))
        if length.segments > sms.MAX_SEGMENTS:
            errors.setdefault("text", []).append(
                _("The SMS would be %(segments)s parts; at most %(max)s are allowed. Shorten it.")
                % {"segments": length.segments, "max": sms.MAX_SEGMENTS}
            )
    if alert.contact_phone:
        try:
            # A phone to call for more: a landline (the service centre) is as good as a mobile.
            alert.contact_phone = sms.phone_normalise(alert.contact_phone, sms=False)
        except ValidationError as error:
            errors.setdefault("contact_phone", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)


def alert_draft_save(
    *,
    actor: User,
    unit: Unit,
    data: dict[str, Any],
    area_source: str = Alert.AreaSource.DRAWN,
    area: str | dict[str, Any] | None = None,
    zone: Zone | None = None,
    area_addresses: str = "",
    alert: Alert | None = None,
) -> Alert:
    """Create or change a draft. `data` holds DRAFT_FIELDS; the area comes from `area`
    (GeoJSON or "lat, lon" lines), `zone` or `area_addresses` by `area_source`."""
    _check_sender(actor, unit)
    if alert is None:
        alert = Alert(municipality=unit.municipality, unit=unit, created_by=actor)
    elif alert.status == Alert.Status.SENT:
        raise ValidationError(_("This alert has been sent and can no longer be changed."))
    else:
        # Moving a draft to another unit needs the right to send for both.
        _check_sender(actor, alert.unit)
        if alert.original_id is not None:
            raise ValidationError(_("An update or all-clear keeps the area of its alert."))
        alert.unit = unit
    for name in DRAFT_FIELDS:
        if name in data:
            setattr(alert, name, data[name])
    if alert.onset is None:
        alert.onset = timezone.now()
    alert.area_source = area_source
    alert.area_addresses = area_addresses
    _area_resolve(alert, area=area, zone=zone)
    alert_check(alert)
    alert.status = Alert.Status.DRAFT
    alert.approved_by = None
    alert.save()
    return alert


def alert_follow_up_start(*, original: Alert, actor: User, kind: str) -> Alert:
    """An unsaved update or all-clear for `original`, prefilled from it."""
    _check_sender(actor, original.unit)
    if original.status != Alert.Status.SENT or original.original_id is not None:
        raise ValidationError(_("Only a sent alert can be updated or called off."))
    if original.ended_at is not None:
        raise ValidationError(_("This alert has already been called off."))
    if kind not in (Alert.Kind.UPDATE, Alert.Kind.CANCEL):
        raise ValidationError(_("Unknown kind of follow-up."))
    now = timezone.now()
    return Alert(
        municipality=original.municipality,
        unit=original.unit,
        original=original,
        kind=kind,
        topic=original.topic,
        severity=original.severity,
        title=original.title,
        text="",
        area=original.area,
        area_source=original.area_source,
        zone=original.zone,
        area_addresses=original.area_addresses,
        by_sms=original.by_sms,
        by_email=original.by_email,
        contact_phone=original.contact_phone,
        contact_email=original.contact_email,
        contact_url=original.contact_url,
        onset=now,
        # An all-clear has no end; an update keeps the original's end while it lies ahead.
        expires=original.expires
        if kind == Alert.Kind.UPDATE and original.expires and original.expires > now
        else None,
        created_by=actor,
    )


def alert_follow_up_save(*, follow_up: Alert, actor: User, data: dict[str, Any]) -> Alert:
    """Save an update or all-clear draft (its area and recipients are the original's)."""
    original = follow_up.original
    if original is None:
        raise ValidationError(_("Only a sent alert can be updated or called off."))
    _check_sender(actor, original.unit)
    if follow_up.status == Alert.Status.SENT:
        raise ValidationError(_("This alert has been sent and can no longer be changed."))
    for name in DRAFT_FIELDS:
        if name in data:
            setattr(follow_up, name, data[name])
    alert_check(follow_up)
    follow_up.status = Alert.Status.DRAFT
    follow_up.save()
    return follow_up


@transaction.atomic
def alert_draft_delete(*, alert: Alert, actor: User) -> None:
    """Throw away a draft (or an alert waiting for approval). A sent alert stays: it is a
    record of what residents were told. Raises PermissionDenied unless `actor` may send for
    the alert's unit."""
    _check_sender(actor, alert.unit)
    deleted, _rows = Alert.objects.filter(
        pk=alert.pk, status__in=[Alert.Status.DRAFT, Alert.Status.PENDING_APPROVAL]
    ).delete()
    if not deleted:
        raise ValidationError(_("This alert has been sent and can no longer be changed."))


def approval_required(alert: Alert) -> bool:
    settings = AlertSettings.objects.filter(municipality_id=alert.municipality_id).first()
    return bool(settings and settings.require_approval)


def alert_submit(*, alert: Alert, actor: User) -> Alert:
    """Send the alert, or ask a second person to approve it when the municipality says so
    (those who may approve it are told by e-mail after commit)."""
    _check_sender(actor, alert.unit)
    if approval_required(alert):
        with transaction.atomic():
            locked = Alert.objects.select_for_update().get(pk=alert.pk)
            if locked.status != Alert.Status.DRAFT:
                raise ValidationError(_("This alert is not a draft any more."))
            locked.status = Alert.Status.PENDING_APPROVAL
            locked.save(update_fields=["status"])
            alert_id = locked.pk
            transaction.on_commit(lambda: notify_approval_wanted.enqueue(alert_id))
        return locked
    return alert_send(alert=alert, actor=actor)


def alert_approve(*, alert: Alert, actor: User) -> Alert:
    """A second person approves a waiting alert, and it is sent."""
    if not can_approve_alert(actor, alert):
        raise PermissionDenied(_("A second person who may send for this unit must approve."))
    if alert.status != Alert.Status.PENDING_APPROVAL:
        raise ValidationError(_("This alert is not waiting for approval."))
    return alert_send(alert=alert, actor=actor, approved=True)


def alert_reject(*, alert: Alert, actor: User) -> Alert:
    """Send a waiting alert back to its author as a draft."""
    if not can_approve_alert(actor, alert):
        raise PermissionDenied(_("A second person who may send for this unit must approve."))
    changed = Alert.objects.filter(pk=alert.pk, status=Alert.Status.PENDING_APPROVAL).update(
        status=Alert.Status.DRAFT
    )
    alert.refresh_from_db()
    if not changed:
        raise ValidationError(_("This alert is not waiting for approval."))
    return alert


def alert_send(
    *, alert: Alert, actor: User, approved: bool = False, at: datetime.datetime | None = None
) -> Alert:
    """Mark the alert sent and write one delivery row per recipient and medium, at once."""
    _check_sender(actor, alert.unit)
    now = at or timezone.now()
    with transaction.atomic():
        locked = Alert.objects.select_for_update().select_related("municipality").get(pk=alert.pk)
        if locked.status == Alert.Status.SENT:
            raise ValidationError(_("This alert has already been sent."))
        if approval_required(locked) and not approved:
            raise ValidationError(_("This alert must be approved by a second person."))
        # Approval holds for what was approved: an alert sent back (or changed) meanwhile is
        # not waiting any more.
        if approved and locked.status != Alert.Status.PENDING_APPROVAL:
            raise ValidationError(_("This alert is not waiting for approval."))
        alert_check(locked)
        if locked.original_id is not None:
            original = Alert.objects.select_for_update().get(pk=locked.original_id)
            if original.ended_at is not None:
                raise ValidationError(_("This alert has already been called off."))
        recipients = targeting.recipients_for(locked)
        if not recipients:
            raise ValidationError(
                _("No one subscribes to this topic by the chosen media in this area.")
            )
        Delivery.objects.bulk_create(
            (
                Delivery(
                    alert_id=locked.pk,
                    medium=r.medium,
                    destination=r.destination,
                    subscription_id=r.subscription_id,
                    language=r.language,
                    next_attempt_at=now,
                )
                for r in recipients
            ),
            batch_size=BULK_BATCH,
        )
        locked.status = Alert.Status.SENT
        locked.sent_at = now
        locked.recipient_count = len(recipients)
        if approved:
            locked.approved_by = actor
        locked.save(update_fields=["status", "sent_at", "recipient_count", "approved_by"])
        if locked.kind == Alert.Kind.CANCEL and locked.original_id is not None:
            Alert.objects.filter(pk=locked.original_id).update(ended_at=now)
        municipality_id = locked.municipality_id
        transaction.on_commit(lambda: _published(municipality_id))
    return locked


def _published(municipality_id: int) -> None:
    """Let the banner and cached anonymous pages show the change."""
    try:
        from torget.alerts.context_processors import active_alerts_invalidate
    except ImportError:  # the public side is not installed yet
        return
    active_alerts_invalidate(municipality_id)


# --- predefined zones ---------------------------------------------------------------------


def _check_zone_keeper(actor: User, municipality_id: int) -> None:
    root = Unit.objects.get(municipality_id=municipality_id, parent__isnull=True)
    if not can_manage_zones(actor, root):
        raise PermissionDenied(_("Only the municipality's own communicators keep the zones."))


@transaction.atomic
def zone_create(
    *, actor: User, municipality_id: int, name: str, area: str | dict[str, Any]
) -> Zone:
    """A predefined zone every unit of the municipality may pick for an alert. `area` is
    GeoJSON or "lat, lon" lines, checked like an alert's. Raises PermissionDenied unless
    `actor` may send alerts for the municipality's root unit."""
    _check_zone_keeper(actor, municipality_id)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the zone a name.")})
    if Zone.objects.filter(municipality_id=municipality_id, name__iexact=name).exists():
        raise ValidationError({"name": _("A zone with this name exists already.")})
    try:
        checked = geo.area_parse(area)
    except ValidationError as error:
        raise ValidationError({"area": error.messages}) from error
    return Zone.objects.create(municipality_id=municipality_id, name=name, area=checked)


@transaction.atomic
def zone_delete(*, actor: User, zone: Zone) -> None:
    """Remove a zone. Alerts that used it keep their area (a copy), only the link goes."""
    _check_zone_keeper(actor, zone.municipality_id)
    zone.delete()

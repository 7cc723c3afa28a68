"""Reads for the staff side of alerts: which units a person may send for, which alerts they
see, who an alert would reach, how its delivery goes.

Visibility: a person sees the alerts of the units they may send for (their communicator and
unit-administrator roles, and every unit below them). Anything else is "not found".
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Max, Min, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from shapely.geometry import shape

from torget.accounts.models import User
from torget.alerts import targeting
from torget.alerts.models import ALL_TOPICS, Address, Alert, Delivery, Medium, Topic, Zone
from torget.alerts.policies import SENDER_ROLES
from torget.organisation.models import Municipality, Unit
from torget.organisation.selectors import unit_list_under_roles

AnyUser = User | AnonymousUser
ALERTS_PER_PAGE = 25
FAILURES_PER_PAGE = 50


def unit_list_alertable(*, viewer: AnyUser, municipality: Municipality) -> list[Unit]:
    """The units `viewer` may send alerts for, in tree order. Two queries."""
    return unit_list_under_roles(viewer=viewer, municipality=municipality, roles=SENDER_ROLES)


def _visible(viewer: AnyUser, municipality: Municipality) -> QuerySet[Alert]:
    units = unit_list_alertable(viewer=viewer, municipality=municipality)
    return Alert.objects.filter(
        municipality=municipality, unit_id__in=[u.pk for u in units]
    ).select_related("unit", "created_by", "approved_by", "zone", "original")


def alert_get_for_staff(*, viewer: AnyUser, municipality: Municipality, pk: int) -> Alert:
    """The alert `pk` if `viewer` may send for its unit; else Http404."""
    alert = _visible(viewer, municipality).filter(pk=pk).first()
    if alert is None:
        raise Http404("alert")
    return alert


@dataclasses.dataclass
class StaffAlertLists:
    drafts: list[Alert]
    waiting: list[Alert]
    sent: Page[Alert]


def alert_lists_for_staff(
    *, viewer: AnyUser, municipality: Municipality, page: Any = None
) -> StaffAlertLists:
    """Drafts and alerts waiting for approval (all of them: few), and sent alerts and
    follow-ups, newest first, a page at a time."""
    visible = _visible(viewer, municipality)
    drafts = list(visible.filter(status=Alert.Status.DRAFT).order_by("-created_at", "-pk")[:100])
    waiting = list(
        visible.filter(status=Alert.Status.PENDING_APPROVAL).order_by("created_at", "pk")[:100]
    )
    sent = visible.filter(status=Alert.Status.SENT).order_by("-sent_at", "-pk")
    return StaffAlertLists(
        drafts=drafts,
        waiting=waiting,
        sent=Paginator(sent, ALERTS_PER_PAGE).get_page(page),
    )


def follow_up_list(alert: Alert) -> list[Alert]:
    """The updates and the all-clear of `alert` (drafts too), oldest first."""
    return list(
        Alert.objects.filter(original=alert)
        .select_related("created_by")
        .order_by("created_at", "pk")
    )


@dataclasses.dataclass(frozen=True)
class RecipientPreview:
    """Who an alert would reach, by medium, and why no one when no one."""

    counts: dict[str, int]
    reason: str = ""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def rows(self) -> list[tuple[str, int]]:
        return [(str(label), self.counts.get(value, 0)) for value, label in Medium.choices]


def alert_recipient_preview(alert: Alert) -> RecipientPreview:
    """How many each chosen medium reaches now (one query, plus two when none, to say why)."""
    recipients = targeting.recipients_for(alert)
    counts = targeting.recipient_counts(recipients)
    media = targeting.alert_media(alert)
    counts = {medium: counts.get(medium, 0) for medium in media}
    if recipients:
        return RecipientPreview(counts)
    if not media:
        reason = _("Choose SMS, e-mail or both.")
    elif alert.original_id is not None:
        reason = _("The original alert reached no one by the chosen media.")
    elif not alert.area:
        reason = _("The alert has no area.")
    else:
        everyone = targeting.subscriptions_in_area(
            municipality=alert.municipality,
            area=alert.area,
            topic=ALL_TOPICS,
            media=list(Medium.values),
        )
        if not everyone:
            reason = _("No one has an active subscription in this area.")
        elif not any(r.medium in media for r in everyone):
            reason = _("People in this area subscribe, but not by the chosen media.")
        else:
            reason = _(
                "People in this area subscribe, but not to “%(topic)s”. Check the type of "
                "the alert."
            ) % {"topic": Topic(alert.topic).label}
    return RecipientPreview(counts, reason)


def delivery_page_failed(*, alert: Alert, page: Any = None) -> Page[Delivery]:
    """The failed deliveries of `alert` with their reasons, a page at a time."""
    rows = (
        Delivery.objects.filter(alert=alert, status=Delivery.Status.FAILED)
        .only("pk", "alert_id", "medium", "destination", "attempts", "error")
        .order_by("pk")
    )
    return Paginator(rows, FAILURES_PER_PAGE).get_page(page)


def zone_list(*, municipality: Municipality) -> list[Zone]:
    return list(Zone.objects.filter(municipality=municipality).order_by("name"))


def map_bounds(*, municipality: Municipality) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the municipality's zones, else around its address
    register, for placing a map before anything is drawn; None when it has neither. The
    register's extent is cached for an hour (it changes with an import, rarely)."""
    zones = zone_list(municipality=municipality)
    if zones:
        bounds = [shape(zone.area).bounds for zone in zones]
        return [
            [min(b[1] for b in bounds), min(b[0] for b in bounds)],
            [max(b[3] for b in bounds), max(b[2] for b in bounds)],
        ]
    key = f"alerts:address-bounds:{municipality.pk}"
    cached = cache.get(key)
    if cached is None:
        extent = Address.objects.filter(municipality=municipality).aggregate(
            south=Min("lat"), west=Min("lon"), north=Max("lat"), east=Max("lon")
        )
        cached = (
            [[extent["south"], extent["west"]], [extent["north"], extent["east"]]]
            if extent["south"] is not None
            else []
        )
        cache.set(key, cached, 3600)
    return cached or None

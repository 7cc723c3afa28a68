"""Reads for the public side of alerts: the alert list and page, the feeds, CAP, and the banner.

Only sent alerts are ever public; drafts and alerts waiting for approval are not found here.
An alert's "chain" is the original and its sent updates and all-clear, oldest first.

The banner's alerts are read on every page, so they are cached per municipality for
BANNER_CACHE_SECONDS; sending an alert, an update or an all-clear calls
`active_alerts_invalidate` after commit (see torget.alerts.services.alerts), which drops that
copy and the anonymous page cache's copies, so the banner shows at once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import shapely
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from torget.accounts.models import User
from torget.alerts import geo, targeting
from torget.alerts.models import Address, Alert, Subscription
from torget.organisation.models import Municipality

ALERTS_PER_PAGE = 20
# More alerts than this at once would be a flood the banner and the list cannot help with.
MAX_CURRENT = 20
FEED_ENTRIES = 50
BANNER_CACHE_SECONDS = 30
STREETS_CACHE_SECONDS = 3600
# Addresses read to name the streets of a drawn area; the register's largest towns fit.
MAX_ADDRESSES_READ = 200_000
STREETS_IN_SUMMARY = 10
# A resident's own places: more than this are not looked at for "this concerns you".
MAX_OWN_PLACES = 50


class State:
    """Where an alert is in its life, as the public sees it."""

    UPCOMING = "upcoming"
    ACTIVE = "active"
    EXPIRED = "expired"
    ENDED = "ended"


def alert_state(alert: Alert, now: datetime.datetime | None = None) -> str:
    """The public state of an original alert: called off (all clear), past its end, not yet
    begun, or active."""
    now = now or timezone.now()
    if alert.ended_at is not None:
        return State.ENDED
    if alert.expires is not None and alert.expires <= now:
        return State.EXPIRED
    if alert.onset > now:
        return State.UPCOMING
    return State.ACTIVE


def _sent() -> QuerySet[Alert]:
    return Alert.objects.filter(status=Alert.Status.SENT).select_related("unit", "municipality")


def _sent_originals(municipality: Municipality) -> QuerySet[Alert]:
    return _sent().filter(municipality=municipality, original__isnull=True)


def _with_state(alerts: list[Alert], now: datetime.datetime) -> list[Alert]:
    for alert in alerts:
        alert.public_state = alert_state(alert, now)  # type: ignore[attr-defined]
    return alerts


def alert_list_current(
    *, municipality: Municipality, now: datetime.datetime | None = None
) -> list[Alert]:
    """Sent alerts not called off and not past their end (also those whose start is ahead),
    newest first, at most MAX_CURRENT. Each carries `public_state`."""
    now = now or timezone.now()
    alerts = list(
        _sent_originals(municipality)
        .filter(ended_at__isnull=True)
        .filter(Q(expires__isnull=True) | Q(expires__gt=now))
        .order_by("-sent_at", "-pk")[:MAX_CURRENT]
    )
    return _with_state(alerts, now)


def alert_page_past(
    *, municipality: Municipality, page: int | str | None, now: datetime.datetime | None = None
) -> Page:
    """One page (ALERTS_PER_PAGE) of alerts that are over (all clear, or past their end),
    newest first. Each carries `public_state`."""
    now = now or timezone.now()
    alerts = (
        _sent_originals(municipality)
        .filter(Q(ended_at__isnull=False) | Q(expires__lte=now))
        .order_by("-sent_at", "-pk")
    )
    result = Paginator(alerts, ALERTS_PER_PAGE).get_page(page)
    result.object_list = _with_state(list(result.object_list), now)
    return result


def alert_message_get(*, municipality: Municipality, pk: int) -> Alert:
    """The sent message `pk` (an alert, update or all-clear) of `municipality`. Raises Http404
    for one not sent, of another municipality, or that does not exist."""
    alert = (
        _sent().select_related("original", "zone").filter(municipality=municipality, pk=pk).first()
    )
    if alert is None:
        raise Http404("alert")
    return alert


def alert_chain(original: Alert) -> list[Alert]:
    """The original and its sent updates and all-clear, in the order they were sent."""
    follow_ups = list(
        _sent().filter(original=original).order_by("sent_at", "pk").select_related("original")
    )
    return [original, *follow_ups]


def alert_messages_before(alert: Alert) -> list[Alert]:
    """The messages of `alert`'s chain sent before it, oldest first (CAP's `references`)."""
    if alert.original_id is None or alert.sent_at is None:
        return []
    earlier = (
        _sent()
        .filter(original_id=alert.original_id)
        .filter(Q(sent_at__lt=alert.sent_at) | Q(sent_at=alert.sent_at, pk__lt=alert.pk))
        .order_by("sent_at", "pk")
    )
    original = alert.root
    return ([original] if original.status == Alert.Status.SENT else []) + list(earlier)


def alert_list_messages(*, municipality: Municipality, limit: int = FEED_ENTRIES) -> list[Alert]:
    """The latest sent messages (alerts, updates and all-clears), newest first, for the feeds."""
    return list(
        _sent()
        .select_related("original")
        .filter(municipality=municipality)
        .order_by("-sent_at", "-pk")[:limit]
    )


def message_anchor(alert: Alert) -> str:
    return f"melding-{alert.pk}"


def alert_message_path(alert: Alert) -> str:
    """Where a message is read: the alert's page, at the message for an update or all-clear."""
    if alert.original_id is None:
        return alert.get_absolute_url()
    return f"{alert.get_absolute_url()}#{message_anchor(alert)}"


# --- the area in words ----------------------------------------------------------------------


def alert_area_streets(alert: Alert) -> list[str]:
    """The streets of the address register that have an address inside the alert's area,
    sorted. Cached per alert: a sent alert's area does not change."""
    root = alert.root
    if not root.area:
        return []
    key = f"torget:alerts:streets:{root.pk}"
    cached = cache.get(key)
    if cached is not None:
        return list(cached)
    geometry = geo.area_shape(root.area)
    minx, miny, maxx, maxy = geometry.bounds
    rows = list(
        Address.objects.filter(
            municipality_id=root.municipality_id,
            x__gte=minx,
            x__lte=maxx,
            y__gte=miny,
            y__lte=maxy,
        ).values_list("street", "x", "y")[:MAX_ADDRESSES_READ]
    )
    streets: list[str] = []
    if rows:
        xs = np.fromiter((row[1] for row in rows), dtype=float, count=len(rows))
        ys = np.fromiter((row[2] for row in rows), dtype=float, count=len(rows))
        inside = shapely.intersects_xy(geometry, xs, ys)
        streets = sorted(
            {row[0] for row, hit in zip(rows, inside, strict=True) if hit}, key=str.casefold
        )
    cache.set(key, streets, STREETS_CACHE_SECONDS)
    return streets


@dataclass(frozen=True)
class AreaText:
    """The alert's area in words, for those who do not see the map."""

    source: str
    zone: str = ""
    lines: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()


def alert_area_text(alert: Alert) -> AreaText:
    """How the area was chosen and what it covers: the zone's name, the streets or addresses
    staff listed, or the streets of the register inside a drawn area."""
    root = alert.root
    if root.area_source == Alert.AreaSource.ZONE and root.zone is not None:
        return AreaText(source=root.area_source, zone=root.zone.name)
    if root.area_source == Alert.AreaSource.ADDRESSES and root.area_addresses.strip():
        lines = tuple(line.strip() for line in root.area_addresses.splitlines() if line.strip())
        return AreaText(source=root.area_source, lines=lines)
    return AreaText(source=Alert.AreaSource.DRAWN, streets=tuple(alert_area_streets(root)))


def alert_area_summary(alert: Alert) -> str:
    """The area in one line (CAP's areaDesc), in the active language."""
    text = alert_area_text(alert)
    municipality = alert.municipality.name
    if text.zone:
        return _("%(zone)s, %(municipality)s") % {"zone": text.zone, "municipality": municipality}
    named = list(text.lines or text.streets)
    if not named:
        return _("An area drawn on the map, %(municipality)s") % {"municipality": municipality}
    shown = ", ".join(named[:STREETS_IN_SUMMARY])
    rest = len(named) - STREETS_IN_SUMMARY
    if rest > 0:
        shown += " " + ngettext("and %(count)d more", "and %(count)d more", rest) % {"count": rest}
    return f"{shown} ({municipality})"


# --- the banner -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BannerAlert:
    """What the banner shows of one alert (cached: plain values only)."""

    pk: int
    title: str
    severity: str
    topic: int
    onset: datetime.datetime
    expires: datetime.datetime | None
    url: str


def _banner_key(municipality_id: int) -> str:
    return f"torget:alerts:active:{municipality_id}"


def _banner_candidates(municipality: Municipality) -> list[BannerAlert]:
    """Sent alerts not called off and not past their end at the time of reading; cached."""
    key = _banner_key(municipality.pk)
    cached = cache.get(key)
    if cached is not None:
        return list(cached)
    rows = (
        Alert.objects.filter(
            municipality=municipality,
            status=Alert.Status.SENT,
            original__isnull=True,
            ended_at__isnull=True,
        )
        .filter(Q(expires__isnull=True) | Q(expires__gt=timezone.now()))
        .order_by("-sent_at", "-pk")
        .values_list("pk", "title", "severity", "topic", "onset", "expires")[:MAX_CURRENT]
    )
    candidates = [
        BannerAlert(
            pk=pk,
            title=title,
            severity=severity,
            topic=topic,
            onset=onset,
            expires=expires,
            url=reverse("alerts:alert-detail", args=[pk]),
        )
        for pk, title, severity, topic, onset, expires in rows
    ]
    cache.set(key, candidates, BANNER_CACHE_SECONDS)
    return candidates


def alert_list_active(
    *, municipality: Municipality, now: datetime.datetime | None = None
) -> list[BannerAlert]:
    """The municipality's active alerts (sent, not called off, begun, not past their end),
    newest first. Read from a copy kept BANNER_CACHE_SECONDS; the times are checked on each
    call, so an alert's start and end show without waiting for the copy to expire."""
    now = now or timezone.now()
    return [
        alert
        for alert in _banner_candidates(municipality)
        if alert.onset <= now and (alert.expires is None or alert.expires > now)
    ]


def active_alerts_invalidate(municipality_id: int) -> None:
    """Forget the cached active alerts of a municipality and every cached anonymous page of
    this process, so that a sent alert, update or all-clear shows on the next page view.

    Called after commit by the service that sends alerts."""
    from torget.core.asgi_cache import anonymous_cache_clear

    cache.delete(_banner_key(municipality_id))
    anonymous_cache_clear()


def alerts_concerning_user(
    *, user: User | AnonymousUser, municipality: Municipality, alert_pks: list[int]
) -> dict[int, str]:
    """Of the alerts `alert_pks`, those whose area holds one of `user`'s own active
    subscriptions (its point, grown by its radius, as targeting reaches it): {pk: place}.

    Empty for an anonymous visitor, without a query. A resident costs one query, and one more
    for the areas when they have places to look at."""
    if not user.is_authenticated or not alert_pks:
        return {}
    places = list(
        Subscription.objects.filter(
            user_id=user.pk, municipality=municipality, status=Subscription.Status.ACTIVE
        )
        .order_by("pk")
        .values_list("x", "y", "radius_m", "place_label")[:MAX_OWN_PLACES]
    )
    if not places:
        return {}
    areas = dict(
        Alert.objects.filter(pk__in=alert_pks, municipality=municipality).values_list("pk", "area")
    )
    found: dict[int, str] = {}
    for pk, area in areas.items():
        for x, y, radius_m, label in places:
            if targeting.point_in_area(area, x, y, radius_m):
                found[pk] = label
                break
    return found

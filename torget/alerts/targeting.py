"""Who an alert reaches: active subscriptions for its topic and media whose place lies in its
area. A subscription is a point (an address) or a circle (a point and a radius); it is inside
when the point lies in the area or on its border, or the circle touches the area.

The database narrows the subscriptions to the area's bounding box (widened by the largest
radius allowed) on an index; shapely then tests the remaining points all at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from torget.alerts import geo
from torget.alerts.models import Address, Alert, Delivery, Medium, Subscription
from torget.organisation.models import Municipality

MAX_RADIUS_M = 5000
# A point on the border is inside. The area's edges are straight in WGS 84 where it was drawn
# and straight in EPSG:25833 where it is tested; over a few kilometres the two lines part by
# millimetres to centimetres, so "on the border" is tested to within a metre.
BORDER_TOLERANCE_M = 1.0
# Addresses named in an alert's area are grown by this much to make the area.
ADDRESS_BUFFER_M = 30


@dataclasses.dataclass(frozen=True)
class Recipient:
    medium: str
    destination: str
    subscription_id: int | None
    language: str


def alert_media(alert: Alert) -> list[str]:
    return [m for m, on in ((Medium.SMS, alert.by_sms), (Medium.EMAIL, alert.by_email)) if on]


def subscriptions_in_area(
    *, municipality: Municipality, area: dict[str, Any], topic: int, media: list[str]
) -> list[Recipient]:
    """Active subscriptions to `topic` by one of `media` whose place is in `area`, one per
    medium and destination (the first subscription of a destination wins)."""
    if not media:
        return []
    geometry = geo.area_shape(area)
    minx, miny, maxx, maxy = geometry.bounds
    rows = (
        Subscription.objects.filter(
            municipality=municipality,
            status=Subscription.Status.ACTIVE,
            medium__in=media,
            x__gte=minx - MAX_RADIUS_M - BORDER_TOLERANCE_M,
            x__lte=maxx + MAX_RADIUS_M + BORDER_TOLERANCE_M,
            y__gte=miny - MAX_RADIUS_M - BORDER_TOLERANCE_M,
            y__lte=maxy + MAX_RADIUS_M + BORDER_TOLERANCE_M,
        )
        .alias(topic_bit=F("topics").bitand(topic))
        .filter(topic_bit__gt=0)
        .order_by("pk")
        .values_list("pk", "medium", "destination", "language", "x", "y", "radius_m")
    )
    candidates = list(rows.iterator(chunk_size=20000))
    if not candidates:
        return []
    xs = np.fromiter((row[4] for row in candidates), dtype=float, count=len(candidates))
    ys = np.fromiter((row[5] for row in candidates), dtype=float, count=len(candidates))
    radii = np.fromiter((row[6] for row in candidates), dtype=float, count=len(candidates))
    inside = shapely.dwithin(geometry, shapely.points(xs, ys), radii + BORDER_TOLERANCE_M)
    seen: set[tuple[str, str]] = set()
    recipients = []
    for row, hit in zip(candidates, inside, strict=True):
        if not hit:
            continue
        key = (row[1], row[2])
        if key in seen:
            continue
        seen.add(key)
        recipients.append(Recipient(row[1], row[2], row[0], row[3]))
    return recipients


def recipients_for(alert: Alert) -> list[Recipient]:
    """Everyone `alert` goes to. An update or all-clear goes to those the original went to
    (by the media the follow-up uses), except those who have unsubscribed since."""
    media = alert_media(alert)
    if alert.original_id is not None:
        rows = (
            Delivery.objects.filter(alert_id=alert.original_id, medium__in=media)
            # Whoever ended the subscription since (STOP, the link) hears nothing more.
            .exclude(subscription__status=Subscription.Status.UNSUBSCRIBED)
            .order_by("pk")
            .values_list("medium", "destination", "subscription_id", "language")
        )
        return [Recipient(*row) for row in rows.iterator(chunk_size=20000)]
    if not alert.area:
        return []
    return subscriptions_in_area(
        municipality=alert.municipality, area=alert.area, topic=alert.topic, media=media
    )


def recipient_counts(recipients: list[Recipient]) -> dict[str, int]:
    counts = {str(m): 0 for m in Medium.values}
    for recipient in recipients:
        counts[recipient.medium] += 1
    return counts


def point_in_area(area: dict[str, Any] | None, x: float, y: float, radius_m: float = 0) -> bool:
    """True if the point (EPSG:25833), grown by `radius_m`, touches `area`."""
    if not area:
        return False
    return bool(
        shapely.dwithin(geo.area_shape(area), shapely.Point(x, y), radius_m + BORDER_TOLERANCE_M)
    )


def address_lines_resolve(
    *, municipality: Municipality, text: str
) -> tuple[list[Address], list[str]]:
    """The addresses named in `text`, one street ("Storgata") or address ("Storgata 5") per
    line, and the lines that matched nothing."""
    found: dict[int, Address] = {}
    missing = []
    for line in text.splitlines():
        key = " ".join(line.lower().split())
        if not key:
            continue
        matches = list(
            Address.objects.filter(municipality=municipality, search_key=key)[:1]
        ) or list(Address.objects.filter(municipality=municipality, street__iexact=key)[:5000])
        if not matches:
            missing.append(line.strip())
        for address in matches:
            found[address.pk] = address
    return list(found.values()), missing


def area_from_address_lines(*, municipality: Municipality, text: str) -> dict[str, Any]:
    """An alert area around the streets or addresses listed in `text`."""
    addresses, missing = address_lines_resolve(municipality=municipality, text=text)
    if missing:
        raise ValidationError(
            _("Not found in the address register: %(lines)s") % {"lines": "; ".join(missing[:10])},
            code="address_unknown",
        )
    if not addresses:
        raise ValidationError(_("List at least one street or address."), code="address_missing")
    return geo.area_from_points([(a.x, a.y) for a in addresses], ADDRESS_BUFFER_M)

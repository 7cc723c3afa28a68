"""Small builders for alert tests: subscriptions at a place, and a sent alert with deliveries."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from torget.alerts import geo
from torget.alerts.models import ALL_TOPICS, Alert, Delivery, Subscription, Topic
from torget.organisation.models import Municipality, Unit

# A square of about 1.1 km × 0.55 km in Oslo's centre, and a point inside and one outside it.
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[10.74, 59.91], [10.75, 59.91], [10.75, 59.92], [10.74, 59.92], [10.74, 59.91]]
    ],
}
INSIDE = (10.745, 59.915)
OUTSIDE = (10.76, 59.915)


def subscription_make(
    municipality: Municipality,
    *,
    destination: str,
    medium: str = "sms",
    lonlat: tuple[float, float] = INSIDE,
    radius_m: int = 0,
    topics: int = ALL_TOPICS,
    status: str = Subscription.Status.ACTIVE,
    **extra: Any,
) -> Subscription:
    x, y = geo.to_25833(*lonlat)
    return Subscription.objects.create(
        municipality=municipality,
        medium=medium,
        destination=destination,
        x=x,
        y=y,
        lon=lonlat[0],
        lat=lonlat[1],
        radius_m=radius_m,
        topics=topics,
        status=status,
        **extra,
    )


def alert_make(unit: Unit, *, area: dict[str, Any] | None = None, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "municipality": unit.municipality,
        "unit": unit,
        "topic": Topic.WATER,
        "severity": "Severe",
        "title": "Vannlekkasje i Storgata",
        "text": "Vannet er stengt til kl. 18.",
        "area": area or SQUARE,
        "area_source": Alert.AreaSource.DRAWN,
        "onset": timezone.now(),
    }
    values.update(fields)
    return Alert.objects.create(**values)


def alert_sent_make(unit: Unit, *, destinations: dict[str, str], **fields: Any) -> Alert:
    """A sent alert with one delivered row per (destination → medium) in `destinations`."""
    now = timezone.now()
    alert = alert_make(unit, status=Alert.Status.SENT, sent_at=now, **fields)
    for destination, medium in destinations.items():
        Delivery.objects.create(
            alert=alert,
            medium=medium,
            destination=destination,
            status=Delivery.Status.DELIVERED,
            next_attempt_at=now,
            sent_at=now,
            delivered_at=now,
        )
    return alert

"""Alerts in Eksempel kommune: a small address register around a made-up town centre, two
zones, subscriptions for the demo residents, a water leak that is going on now and a road
closure that is over. Sent through the real services, so the delivery worker carries them
(to the development outbox under `make run`)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from torget.accounts.models import User
from torget.alerts import geo
from torget.alerts.models import ALL_TOPICS, Address, Alert, Subscription, Topic, Zone
from torget.alerts.services import alerts as alert_services
from torget.organisation.models import Municipality, Unit

# The town centre (a point in Innlandet; the demo municipality is made up).
CENTRE_LON, CENTRE_LAT = 11.0680, 60.7945
STREETS = ["Storgata", "Kirkegata", "Torggata", "Skolegata", "Strandvegen", "Parkvegen"]
SPACING_M = 40


def _square(dx_m: float, dy_m: float, half_m: float) -> dict[str, object]:
    cx, cy = geo.to_25833(CENTRE_LON, CENTRE_LAT)
    corners = [
        (cx + dx_m - half_m, cy + dy_m - half_m),
        (cx + dx_m + half_m, cy + dy_m - half_m),
        (cx + dx_m + half_m, cy + dy_m + half_m),
        (cx + dx_m - half_m, cy + dy_m + half_m),
    ]
    ring = [list(geo.to_wgs84(x, y)) for x, y in corners]
    return geo.area_parse({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})


def addresses_ensure(municipality: Municipality) -> int:
    """Six streets of 30 houses each, east–west, 40 m apart."""
    if Address.objects.filter(municipality=municipality).exists():
        return 0
    cx, cy = geo.to_25833(CENTRE_LON, CENTRE_LAT)
    rows = []
    for s, street in enumerate(STREETS):
        for n in range(1, 31):
            x = cx + (n - 15) * SPACING_M
            y = cy + (s - 3) * SPACING_M * 3
            lon, lat = geo.to_wgs84(x, y)
            rows.append(
                Address(
                    municipality=municipality,
                    external_id=f"demo-{s}-{n}",
                    street=street,
                    number=str(n),
                    postcode="2300",
                    place="Eksempelby",
                    search_key=f"{street} {n}".lower(),
                    x=x,
                    y=y,
                    lat=lat,
                    lon=lon,
                )
            )
    Address.objects.bulk_create(rows)
    return len(rows)


def zones_ensure(municipality: Municipality) -> None:
    for name, dx, dy, half in (("Sentrum vannverk", 0, 0, 500), ("Nordbyen", 0, 900, 400)):
        Zone.objects.get_or_create(
            municipality=municipality, name=name, defaults={"area": _square(dx, dy, half)}
        )


def _subscribe(
    municipality: Municipality, user: User | None, medium: str, to: str, street: str, number: int
) -> None:
    address = Address.objects.get(
        municipality=municipality, search_key=f"{street} {number}".lower()
    )
    Subscription.objects.get_or_create(
        municipality=municipality,
        medium=medium,
        destination=to,
        defaults={
            "user": user,
            "address": address,
            "place_label": str(address),
            "x": address.x,
            "y": address.y,
            "lat": address.lat,
            "lon": address.lon,
            "topics": ALL_TOPICS,
            "status": Subscription.Status.ACTIVE,
            "confirmed_at": timezone.now(),
        },
    )


def alerts_ensure(municipality: Municipality, sender: User) -> int:
    """The demo's register, zones, subscriptions and alerts; returns how many alerts it sent."""
    addresses_ensure(municipality)
    zones_ensure(municipality)
    residents = {
        u.email.split("@")[0]: u
        for u in User.objects.filter(email__endswith="@innbygger.eksempel.no")
    }
    _subscribe(
        municipality, residents.get("nora"), "email", "nora@innbygger.eksempel.no", "Storgata", 12
    )
    _subscribe(municipality, residents.get("nora"), "sms", "+4791000001", "Storgata", 12)
    _subscribe(
        municipality, residents.get("emil"), "email", "emil@innbygger.eksempel.no", "Torggata", 3
    )
    _subscribe(municipality, None, "sms", "+4791000002", "Kirkegata", 20)
    _subscribe(municipality, None, "sms", "+4791000003", "Parkvegen", 7)
    if Alert.objects.filter(municipality=municipality).exists():
        return 0
    root = Unit.objects.get(municipality=municipality, parent__isnull=True)
    now = timezone.now()
    closed = alert_services.alert_draft_save(
        actor=sender,
        unit=root,
        data={
            "topic": Topic.ROADS,
            "severity": "Moderate",
            "title": "Parkvegen stengt for gravearbeid",
            "text": "Parkvegen er stengt mellom nr. 1 og 15. Omkjøring via Strandvegen.",
            "by_sms": True,
            "by_email": True,
            "contact_phone": "22000050",
            "onset": now - datetime.timedelta(days=3),
            "expires": now - datetime.timedelta(days=1),
        },
        area_source=Alert.AreaSource.ADDRESSES,
        area_addresses="Parkvegen",
    )
    closed = alert_services.alert_send(alert=closed, actor=sender)
    clear = alert_services.alert_follow_up_start(
        original=closed, actor=sender, kind=Alert.Kind.CANCEL
    )
    clear = alert_services.alert_follow_up_save(
        follow_up=clear, actor=sender, data={"text": "Parkvegen er åpnet igjen."}
    )
    alert_services.alert_send(alert=clear, actor=sender)
    leak = alert_services.alert_draft_save(
        actor=sender,
        unit=root,
        data={
            "topic": Topic.WATER,
            "severity": "Severe",
            "title": "Vannlekkasje i sentrum",
            "text": "Vannet er stengt i Storgata og Kirkegata til reparasjonen er ferdig, "
            "trolig i kveld. Vanntank står ved Torget.",
            "by_sms": True,
            "by_email": True,
            "contact_phone": "22000050",
            "contact_url": "https://eksempel.kommune.no/vann",
            "onset": now - datetime.timedelta(hours=2),
            "expires": now + datetime.timedelta(days=1),
        },
        area_source=Alert.AreaSource.ZONE,
        zone=Zone.objects.get(municipality=municipality, name="Sentrum vannverk"),
    )
    alert_services.alert_send(alert=leak, actor=sender)
    return 3

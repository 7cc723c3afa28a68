"""CAP 1.2 (OASIS Common Alerting Protocol): one message per sent alert, update and all-clear.

Each message stands alone, as CAP wants: an update or an all-clear (msgType Update / Cancel)
lists in `references` every earlier message of its chain as "sender,identifier,sent". The
rules the schema cannot check are kept here by construction:

- times carry an explicit offset in Europe/Oslo (`2026-11-27T15:04:05+01:00`), never `Z`;
- a polygon is "lat,lon lat,lon ..." (latitude first), closed, with at least four points. CAP
  has no holes: each polygon of the area is given by its outer ring (so the CAP area may be a
  little larger than the alert's, never smaller);
- identifier, sender and references hold no spaces, commas or the characters < and &.

`cap_build` is pure (an alert and what it needs in, an lxml element out); `cap_document` reads
what it needs and returns the bytes served at /varsler/<pk>/cap.xml.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.translation import gettext as _
from lxml import etree

from torget.alerts import public_selectors
from torget.alerts.models import Alert, Topic
from torget.core.links import absolute_url
from torget.organisation.models import Municipality

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_CONTENT_TYPE = "application/cap+xml"
OSLO = ZoneInfo("Europe/Oslo")

# CAP's categories for Torget's topics.
CATEGORIES: dict[int, tuple[str, ...]] = {
    Topic.WATER: ("Infra", "Env"),
    Topic.ROADS: ("Transport",),
    Topic.POWER: ("Infra",),
    Topic.OTHER: ("Other",),
}
# The language of the info block: the municipality's written standard (målform).
LANGUAGES = {"nb": "nb-NO", "nn": "nn-NO"}


def cap_time(value: datetime.datetime) -> str:
    """CAP's dateTime: whole seconds, Norwegian local time with its offset (never `Z`)."""
    return value.astimezone(OSLO).replace(microsecond=0).isoformat()


def cap_identifier(alert: Alert) -> str:
    """The message's identifier: its UUID as a URN, unique everywhere and for ever."""
    return f"urn:uuid:{alert.identifier}"


def cap_sender(host: str) -> str:
    """The sender: the municipality's host name (no spaces, commas, < or &)."""
    return "".join(ch for ch in host if ch not in " ,<&") or "localhost"


def cap_reference(message: Alert, *, sender: str) -> str:
    """One entry of `references`: "sender,identifier,sent" of an earlier message."""
    if message.sent_at is None:
        raise ValueError("only a sent message can be referenced")
    return f"{sender},{cap_identifier(message)},{cap_time(message.sent_at)}"


def cap_polygons(area: dict[str, Any] | None) -> list[str]:
    """The area as CAP polygons: one per polygon of a Polygon or MultiPolygon, its outer ring
    closed and written "lat,lon" pairs separated by spaces. Rings of fewer than four points
    (after closing) are left out: CAP would refuse them."""
    if not area:
        return []
    if area.get("type") == "Polygon":
        polygons = [area.get("coordinates") or []]
    elif area.get("type") == "MultiPolygon":
        polygons = list(area.get("coordinates") or [])
    else:
        return []
    result = []
    for polygon in polygons:
        if not polygon:
            continue
        ring = [(float(point[0]), float(point[1])) for point in polygon[0]]
        if ring and ring[0] != ring[-1]:
            ring.append(ring[0])
        if len(ring) < 4:
            continue
        result.append(" ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in ring))
    return result


@dataclass(frozen=True)
class CapContext:
    """What a message needs besides the alert: who sends it, where it is read, in which language,
    how its area is described in words, and the earlier messages of its chain."""

    sender: str
    web: str
    area_description: str
    earlier: Sequence[Alert] = ()
    language: str = "nb"


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CAP_NAMESPACE}}}{name}")
    if text is not None:
        element.text = text
    return element


def _contact(alert: Alert) -> str:
    parts = []
    if alert.contact_phone:
        parts.append(_("Phone %(phone)s") % {"phone": alert.contact_phone})
    if alert.contact_email:
        parts.append(_("e-mail %(email)s") % {"email": alert.contact_email})
    if alert.contact_url:
        parts.append(alert.contact_url)
    return ", ".join(parts)


def _sender_name(alert: Alert) -> str:
    unit, municipality = alert.unit, alert.municipality
    if unit.name == municipality.name:
        return unit.name
    return f"{unit.name}, {municipality.name}"


def cap_build(alert: Alert, context: CapContext) -> etree._Element:
    """The CAP 1.2 <alert> element for the sent message `alert` (an alert, update or
    all-clear). Raises ValueError for a message that has not been sent."""
    if alert.sent_at is None or alert.status != Alert.Status.SENT:
        raise ValueError("only a sent alert has a CAP message")
    root = etree.Element(f"{{{CAP_NAMESPACE}}}alert", nsmap={None: CAP_NAMESPACE})
    _sub(root, "identifier", cap_identifier(alert))
    _sub(root, "sender", context.sender)
    _sub(root, "sent", cap_time(alert.sent_at))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", str(alert.kind))
    _sub(root, "scope", "Public")
    if alert.kind != Alert.Kind.ALERT and context.earlier:
        _sub(
            root,
            "references",
            " ".join(cap_reference(m, sender=context.sender) for m in context.earlier),
        )

    with translation.override(context.language):
        info = _sub(root, "info")
        _sub(info, "language", LANGUAGES.get(context.language, "nb-NO"))
        for category in CATEGORIES.get(alert.topic, ("Other",)):
            _sub(info, "category", category)
        _sub(info, "event", str(Topic(alert.topic).label))
        if alert.kind == Alert.Kind.CANCEL:
            _sub(info, "responseType", "AllClear")
            urgency = "Past"
        else:
            urgency = "Immediate" if alert.onset <= alert.sent_at else "Expected"
        _sub(info, "urgency", urgency)
        _sub(info, "severity", str(alert.severity))
        _sub(info, "certainty", "Observed")
        _sub(info, "onset", cap_time(alert.onset))
        if alert.expires:
            _sub(info, "expires", cap_time(alert.expires))
        _sub(info, "senderName", _sender_name(alert))
        _sub(info, "headline", alert.title)
        _sub(info, "description", alert.text)
        _sub(info, "web", context.web)
        contact = _contact(alert)
        if contact:
            _sub(info, "contact", contact)
        area = _sub(info, "area")
        _sub(area, "areaDesc", context.area_description)
        for polygon in cap_polygons(alert.area or alert.root.area):
            _sub(area, "polygon", polygon)
    return root


def cap_serialise(element: etree._Element) -> bytes:
    return bytes(etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def cap_document(alert: Alert) -> bytes:
    """The CAP message of the sent `alert` as served: reads the host name, the earlier messages
    of its chain and the area's description."""
    municipality: Municipality = alert.municipality
    host = municipality.hostnames.order_by("pk").values_list("name", flat=True).first()
    language = str(municipality.malform)
    with translation.override(language):
        description = public_selectors.alert_area_summary(alert)
    context = CapContext(
        sender=cap_sender(host or "localhost"),
        web=absolute_url(municipality, public_selectors.alert_message_path(alert)),
        area_description=description,
        earlier=public_selectors.alert_messages_before(alert),
        language=language,
    )
    return cap_serialise(cap_build(alert, context))

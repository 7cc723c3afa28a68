"""Imports of the address register and of contact lists from CSV: both coordinate systems, the
wrong one, broken rows with their line numbers, re-imports, contacts, the staff page and the
management commands."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from tests.factories import UserFactory
from torget.accounts.models import User
from torget.accounts.services import user_activate_totp
from torget.alerts import targeting
from torget.alerts.models import Address, Medium, Subscription, Topic
from torget.alerts.services import imports
from torget.alerts.services.imports import address_import, contacts_import
from torget.alerts.tests.factories import SQUARE, subscription_make
from torget.organisation import services as org
from torget.organisation.models import Municipality, Role, Unit

# Oslo City Hall, Rådhusplassen 1: WGS 84 and EUREF89 UTM zone 33 (EPSG:25833), the latter
# computed once with PROJ and written down here as the reference.
CITY_HALL_LAT, CITY_HALL_LON = 59.911491, 10.733608
CITY_HALL_E, CITY_HALL_N = 261504.906, 6649242.548
# In the test square of the factories (Oslo centre).
INSIDE_E, INSIDE_N = 262166.268, 6649591.782


def _csv(text: str, *, bom: bool = False) -> io.BytesIO:
    data = text.encode()
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + data)


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance on the sphere, good enough to check "within a metre"."""
    dlat = math.radians(lat2 - lat1)
    dlon = math.radians(lon2 - lon1) * math.cos(math.radians(lat1))
    return 6_371_000 * math.hypot(dlat, dlon)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages of services called directly are read in English, their message ids."""
    with translation.override("en"):
        yield


@pytest.fixture
def root_admin(root_unit: Unit) -> User:
    user = UserFactory(email="arkiv@example.no")
    org.membership_grant(user=user, unit=root_unit, role=Role.UNIT_ADMIN)
    user_activate_totp(user=user, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user


# --- the address register -------------------------------------------------------------------


def test_both_coordinate_systems_give_the_same_point_within_a_metre(
    municipality: Municipality,
) -> None:
    utm = address_import(
        municipality=municipality,
        actor=None,
        stream=_csv(
            "id;street;number;postcode;place;east;north\n"
            f"1;Rådhusplassen;1;0037;Oslo;{CITY_HALL_E};{CITY_HALL_N}\n"
        ),
    )
    wgs = address_import(
        municipality=municipality,
        actor=None,
        stream=_csv(
            "id,street,number,postcode,place,lat,lon\n"
            f"2,Rådhusplassen,1,0037,Oslo,{CITY_HALL_LAT},{CITY_HALL_LON}\n"
        ),
    )
    assert (utm.crs, wgs.crs) == ("25833", "4326")
    assert (utm.created, wgs.created, utm.rejected_count, wgs.rejected_count) == (1, 1, 0, 0)
    from_utm = Address.objects.get(external_id="1")
    from_wgs = Address.objects.get(external_id="2")
    assert math.hypot(from_utm.x - from_wgs.x, from_utm.y - from_wgs.y) < 1.0
    assert _metres(from_utm.lat, from_utm.lon, from_wgs.lat, from_wgs.lon) < 1.0
    assert _metres(from_utm.lat, from_utm.lon, CITY_HALL_LAT, CITY_HALL_LON) < 1.0
    assert math.hypot(from_wgs.x - CITY_HALL_E, from_wgs.y - CITY_HALL_N) < 1.0
    assert from_utm.search_key == "rådhusplassen 1"
    assert str(from_utm) == "Rådhusplassen 1, 0037 Oslo"


def test_the_wrong_coordinate_system_is_rejected_with_the_reason(
    municipality: Municipality,
) -> None:
    metres_as_degrees = address_import(
        municipality=municipality,
        actor=None,
        stream=_csv(f"id;street;number;east;north\n1;Storgata;5;{INSIDE_E};{INSIDE_N}\n"),
        crs=imports.CRS_WGS,
    )
    degrees_as_metres = address_import(
        municipality=municipality,
        actor=None,
        stream=_csv("id;street;number;lat;lon\n1;Storgata;5;59.915;10.745\n"),
        crs=imports.CRS_UTM,
    )
    swapped = address_import(
        municipality=municipality,
        actor=None,
        stream=_csv("id;street;number;lat;lon\n1;Storgata;5;10.745;59.915\n"),
    )
    assert Address.objects.count() == 0
    ((row,),) = [metres_as_degrees.rejected]
    assert row.line == 2
    assert "outside Norway in EPSG:4326" in row.reason
    assert "probably in EPSG:25833" in row.reason
    (row,) = degrees_as_metres.rejected
    assert "outside Norway in EPSG:25833" in row.reason
    assert "probably in EPSG:4326" in row.reason
    (row,) = swapped.rejected
    assert "outside Norway" in row.reason and "swapped" in row.reason


def test_broken_rows_are_reported_with_line_numbers_while_good_rows_land(
    municipality: Municipality,
) -> None:
    data = (
        "id;street;number;postcode;place;lat;lon\n"  # 1
        "1;Storgata;5;0150;Oslo;59,915;10,745\n"  # 2: good, decimal commas
        "2;Storgata;7;0150;Oslo;59.915\n"  # 3: a field short
        "3;;9;0150;Oslo;59.915;10.745\n"  # 4: no street
        "4;Storgata;11;0150;Oslo;nord;øst\n"  # 5: not numbers
        "5;Storgata;13;0150;Oslo;48.85;2.35\n"  # 6: Paris
        "\n"  # 7: blank, skipped
        '6;"Kongens gate;1;0153;Oslo;59.9;10.7\n'  # 8: an unterminated quote
    ).encode()
    data += b"7;M\xf8llergata;2;0179;Oslo;59.916;10.746\n"  # 9: Latin-1, not UTF-8
    data += "8;Møllergata;4;0179;Oslo;59.9165;10.7465\n".encode()  # 10: good
    report = address_import(municipality=municipality, actor=None, stream=io.BytesIO(data))
    reasons = {row.line: row.reason for row in report.rejected}
    assert set(reasons) == {3, 4, 5, 6, 8, 9}
    assert "6 fields where the header has 7" in reasons[3]
    assert reasons[4] == "the street is missing"
    assert "not numbers" in reasons[5] and "nord" in reasons[5]
    assert "outside Norway" in reasons[6]
    assert reasons[8].startswith("broken row")
    assert "not UTF-8" in reasons[9]
    assert report.created == 2 and report.rejected_count == 6
    assert sorted(Address.objects.values_list("search_key", flat=True)) == [
        "møllergata 4",
        "storgata 5",
    ]
    storgata = Address.objects.get(external_id="1")
    assert (storgata.lat, storgata.lon) == (59.915, 10.745)


def test_header_with_a_byte_order_mark_and_norwegian_names(municipality: Municipality) -> None:
    report = address_import(
        municipality=municipality,
        actor=None,
        stream=_csv(
            "adresseId;Adressenavn;Nummer;Bokstav;Postnummer;Poststed;Øst;Nord\n"
            f"77;Storgata;5;B;0150;OSLO;{INSIDE_E};{INSIDE_N}\n",
            bom=True,
        ),
    )
    assert report.crs == "25833" and report.created == 1, report.rejected
    address = Address.objects.get()
    assert (address.external_id, address.search_key) == ("77", "storgata 5b")


def test_a_header_without_street_or_coordinates_is_refused(municipality: Municipality) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="no coordinate columns"):
        address_import(
            municipality=municipality, actor=None, stream=_csv("id;street;number\n1;A;1\n")
        )
    with pytest.raises(ValidationError, match="no street column"):
        address_import(
            municipality=municipality, actor=None, stream=_csv("id;lat;lon\n1;59.9;10.7\n")
        )


def test_reimporting_the_register_updates_by_id_without_duplicates(
    municipality: Municipality,
) -> None:
    first = (
        "id;street;number;postcode;place;lat;lon\n"
        "1;Storgata;5;0150;Oslo;59.915;10.745\n"
        "2;Storgata;7;0150;Oslo;59.9151;10.7451\n"
        ";Torggata;1;0181;Oslo;59.916;10.750\n"
    )
    report = address_import(municipality=municipality, actor=None, stream=_csv(first))
    assert (report.created, report.updated) == (3, 0)
    ids = dict(Address.objects.values_list("search_key", "pk"))

    again = address_import(municipality=municipality, actor=None, stream=_csv(first))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert dict(Address.objects.values_list("search_key", "pk")) == ids

    changed = (
        "id;street;number;postcode;place;lat;lon\n"
        "1;Storgata;5A;0150;Oslo;59.9152;10.7452\n"
        "3;Storgata;9;0150;Oslo;59.9153;10.7453\n"
    )
    report = address_import(municipality=municipality, actor=None, stream=_csv(changed))
    assert (report.created, report.updated) == (1, 1)
    assert Address.objects.count() == 4
    moved = Address.objects.get(external_id="1")
    assert moved.pk == ids["storgata 5"]
    assert (moved.search_key, moved.lat) == ("storgata 5a", 59.9152)


def test_a_large_register_is_read_in_batches(
    municipality: Municipality, django_assert_max_num_queries: Any
) -> None:
    rows = 5 * imports.BATCH + 7
    lines = ["id;street;number;postcode;place;east;north"]
    lines += [
        f"{n};Gate {n // 100};{n % 100};0150;Oslo;{INSIDE_E + n % 1000};{INSIDE_N + n // 1000}"
        for n in range(rows)
    ]
    stream = _csv("\n".join(lines) + "\n")
    # Per batch one look-up of known ids, and inserts of as many rows as the database takes in
    # one statement (SQLite: about a hundred): never a query per row.
    with django_assert_max_num_queries(rows // 40):
        report = address_import(municipality=municipality, actor=None, stream=stream)
    assert (report.rows, report.created, report.rejected_count) == (rows, rows, 0)
    assert Address.objects.count() == rows


# --- contact lists --------------------------------------------------------------------------


@pytest.fixture
def register(municipality: Municipality) -> None:
    address_import(
        municipality=municipality,
        actor=None,
        stream=_csv(
            "id;street;number;postcode;place;east;north\n"
            f"1;Storgata;5;0150;Oslo;{INSIDE_E};{INSIDE_N}\n"
            f"2;Fjellveien;2;0150;Oslo;{INSIDE_E + 20000};{INSIDE_N}\n"
        ),
    )


CONTACTS = (
    "name;phone;email;address;topics;lat;lon\n"  # 1
    "Nora;912 34 567;Nora@Example.no;Storgata 5;vann, strøm;;\n"  # 2: SMS and e-mail
    "Emil;12345;;Storgata 5;;;\n"  # 3: not a phone number
    "Kari;;kari(at)example.no;Storgata 5;;;\n"  # 4: not an e-mail address
    "Ola;41234567;;Ukjentveien 3;;;\n"  # 5: not in the register
    "Per;;per@example.no;;roads;59.9155;10.7455\n"  # 6: coordinates
    "Ida;;ida@example.no;;;;\n"  # 7: no place
    "Siv;45678901;;Fjellveien 2;tull;;\n"  # 8: unknown topic
)


def test_contacts_import_creates_active_subscriptions_and_reports_the_rest(
    municipality: Municipality, register: None
) -> None:
    report = contacts_import(municipality=municipality, actor=None, stream=_csv(CONTACTS))
    reasons = {row.line: row.reason for row in report.rejected}
    assert set(reasons) == {3, 4, 5, 7, 8}
    assert "invalid phone number" in reasons[3]
    assert "invalid e-mail address" in reasons[4]
    assert reasons[5] == "address not found in the register"
    assert reasons[7] == "no address or coordinates"
    assert "unknown topic" in reasons[8] and "tull" in reasons[8]
    assert report.created == 3

    rows = {
        s.destination: s
        for s in Subscription.objects.filter(municipality=municipality).select_related("address")
    }
    assert set(rows) == {"+4791234567", "nora@example.no", "per@example.no"}
    for subscription in rows.values():
        assert subscription.status == Subscription.Status.ACTIVE
        assert subscription.source == Subscription.Source.IMPORT
        assert subscription.confirmed_at is not None
    assert rows["+4791234567"].address is not None
    assert rows["+4791234567"].address.search_key == "storgata 5"
    assert rows["+4791234567"].topics == Topic.WATER | Topic.POWER
    assert rows["per@example.no"].address is None
    assert rows["per@example.no"].topics == Topic.ROADS
    reached = {
        r.destination
        for r in targeting.subscriptions_in_area(
            municipality=municipality, area=SQUARE, topic=Topic.WATER, media=list(Medium.values)
        )
    }
    assert reached == {"+4791234567", "nora@example.no"}


def test_reimporting_contacts_adds_nobody_twice_and_never_resubscribes_who_ended_it(
    municipality: Municipality, register: None
) -> None:
    contacts_import(municipality=municipality, actor=None, stream=_csv(CONTACTS))
    assert Subscription.objects.count() == 3
    again = contacts_import(municipality=municipality, actor=None, stream=_csv(CONTACTS))
    assert (again.created, again.skipped) == (0, 3)
    assert Subscription.objects.count() == 3

    from torget.alerts.services.subscriptions import subscriptions_stop

    assert subscriptions_stop(municipality=municipality, destination="+4791234567") == 1
    third = contacts_import(municipality=municipality, actor=None, stream=_csv(CONTACTS))
    assert third.created == 0
    assert any(
        row.line == 2 and "+4791234567 has ended their subscription" in row.reason
        for row in third.rejected
    )
    assert not Subscription.objects.filter(
        destination="+4791234567", status=Subscription.Status.ACTIVE
    ).exists()


def test_contact_import_does_not_touch_a_web_subscription_elsewhere(
    municipality: Municipality, register: None
) -> None:
    web = subscription_make(municipality, destination="nora@example.no", medium="email")
    report = contacts_import(
        municipality=municipality,
        actor=None,
        stream=_csv("phone;email;address\n;nora@example.no;Fjellveien 2\n"),
    )
    assert report.created == 1
    web.refresh_from_db()
    assert web.status == Subscription.Status.ACTIVE
    assert Subscription.objects.filter(destination="nora@example.no").count() == 2


# --- the staff page -------------------------------------------------------------------------


def _upload(text: str | bytes, name: str = "adresser.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_import_page_is_for_administrators_of_the_root_unit(
    client: Client, municipality: Municipality, admin: User, root_admin: User
) -> None:
    url = "/ansatt/varsler/import/"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/konto/login/" in anonymous["Location"]
    client.force_login(admin)  # administrator of the library only
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code == 403
    refused = client.post(
        url, {"kind": "addresses", "crs": "auto", "file": _upload("id;street;lat;lon\n")}
    )
    assert refused.status_code == 403
    assert Address.objects.count() == 0

    client.force_login(root_admin)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Import addresses and contacts" in page.content.decode()


def test_import_page_imports_and_lists_rejected_rows(
    client: Client, municipality: Municipality, root_admin: User
) -> None:
    client.force_login(root_admin)
    response = client.post(
        "/ansatt/varsler/import/",
        {
            "kind": "addresses",
            "crs": "25833",
            "file": _upload(
                "id;street;number;east;north\n"
                f"1;Storgata;5;{INSIDE_E};{INSIDE_N}\n"
                "2;Storgata;7;10.745;59.915\n"
            ),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 created" in text
    assert "1 row rejected" in text
    assert "<td>3</td>" in text and "probably in EPSG:4326" in text
    assert Address.objects.get().search_key == "storgata 5"


def test_import_page_checks_the_type_and_size_of_the_file(
    client: Client, municipality: Municipality, root_admin: User, settings: Any
) -> None:
    client.force_login(root_admin)
    url = "/ansatt/varsler/import/"
    spreadsheet = client.post(
        url,
        {
            "kind": "addresses",
            "crs": "auto",
            "file": _upload(b"PK\x03\x04" + b"\x00" * 100, name="adresser.csv"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert spreadsheet.status_code == 422
    assert "This is a spreadsheet file, not CSV" in spreadsheet.content.decode()
    picture = client.post(
        url,
        {"kind": "addresses", "crs": "auto", "file": _upload("id;street\n", name="kart.png")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert picture.status_code == 422
    assert "Only CSV files can be imported" in picture.content.decode()

    settings.ALERT_IMPORT_MAX_MB = 1
    large = "id;street;lat;lon\n" + "1;Storgata;59.915;10.745\n" * 50_000
    too_large = client.post(
        url,
        {"kind": "addresses", "crs": "auto", "file": _upload(large)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert too_large.status_code == 422
    assert "at most 1.0\xa0MB can be imported at once" in too_large.content.decode()
    assert Address.objects.count() == 0

    no_columns = client.post(
        url,
        {"kind": "contacts", "crs": "auto", "file": _upload("name;street\nNora;Storgata\n")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert no_columns.status_code == 422
    assert "no “phone” or “email” column" in no_columns.content.decode()


# --- the management commands ----------------------------------------------------------------


def test_import_commands_call_the_same_services(
    municipality: Municipality, tmp_path: Path, capsys: Any
) -> None:
    addresses = tmp_path / "adresser.csv"
    addresses.write_text(
        f"id;street;number;east;north\n1;Storgata;5;{INSIDE_E};{INSIDE_N}\n2;;7;1;2\n",
        encoding="utf-8",
    )
    call_command("import_addresses", municipality.number, str(addresses))
    captured = capsys.readouterr()
    assert (
        "2 rows: 1 created, 0 updated, 0 unchanged, 0 already subscribed, 1 rejected"
        in captured.out
    )
    assert "line 3: the street is missing" in captured.err

    contacts = tmp_path / "kontakter.csv"
    contacts.write_text("phone;address\n91234567;Storgata 5\n", encoding="utf-8")
    call_command("import_contacts", municipality.number, str(contacts))
    assert "1 created" in capsys.readouterr().out
    assert Subscription.objects.get().destination == "+4791234567"

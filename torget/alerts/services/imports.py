"""Staff imports from CSV: the municipality's address register, and contact lists that become
active subscriptions.

Files are read as a stream, a batch of rows at a time: coordinates are transformed with pyproj
for the whole batch at once, and rows are written with bulk_create/bulk_update, so a register of
100,000 addresses is read in one pass with bounded memory. The header names the columns (in
English or Norwegian, in any order); the separator is `;`, `,` or a tab, read from the header;
the text is UTF-8 with or without a byte order mark. A record is one line: fields may be
quoted, but not broken over lines.

Every rejected row is reported with its line number and the reason; the good rows are imported
all the same. Coordinates are in EPSG:25833 (east and north in metres) or EPSG:4326 (latitude
and longitude in degrees), chosen by staff or read from the column names. A point that lands
outside Norway nearly always means the wrong system was chosen, and the reason says so.

Re-importing the register updates each address by its id (or, without ids, by address and
postcode) and creates no duplicates. Re-importing a contact list skips who is already subscribed
to the same place, and never subscribes again anyone who has ended a subscription: ending it was
their choice.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import math
from collections.abc import Iterator
from typing import IO, Any

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pyproj import Transformer

from torget.accounts.models import User
from torget.alerts.geo import LAT_RANGE, LON_RANGE, UTM33, WGS84
from torget.alerts.models import ALL_TOPICS, Address, Medium, Subscription, Topic
from torget.alerts.sms import phone_normalise
from torget.alerts.targeting import MAX_RADIUS_M
from torget.organisation.models import Municipality, Role
from torget.organisation.policies import has_role
from torget.organisation.selectors import unit_get_root

CRS_AUTO, CRS_UTM, CRS_WGS = "auto", "25833", "4326"
CRS_CHOICES = [
    (CRS_AUTO, gettext_lazy("From the header")),
    (CRS_UTM, gettext_lazy("EPSG:25833 (UTM zone 33, metres)")),
    (CRS_WGS, gettext_lazy("EPSG:4326 (WGS 84, degrees)")),
]
BATCH = 2000
# The report keeps this many rejected rows with their reasons; the rest are only counted.
MAX_REPORTED = 1000
DEFAULT_MAX_MB = 50
_SNIFF_BYTES = 64 * 1024

_to_utm = Transformer.from_crs(WGS84, UTM33, always_xy=True)
_to_wgs = Transformer.from_crs(UTM33, WGS84, always_xy=True)

# Column names, after lower-casing and turning spaces and dashes into underscores.
ID = ("id", "external_id", "adresseid", "adresse_id", "lokalid", "addressid")
STREET = ("street", "gate", "gatenavn", "adressenavn", "vegnavn", "veg", "vei")
NUMBER = ("number", "nummer", "husnummer", "nr", "house_number", "housenumber")
LETTER = ("letter", "bokstav")
POSTCODE = ("postcode", "postnummer", "postnr", "zip", "post_code")
PLACE = ("place", "poststed", "sted", "city", "town")
EAST = ("east", "easting", "øst", "ost", "nord_øst")
NORTH = ("north", "northing", "nord")
X = ("x",)
Y = ("y",)
LAT = ("lat", "latitude", "breddegrad")
LON = ("lon", "lng", "long", "longitude", "lengdegrad")
PHONE = ("phone", "mobile", "mobil", "telefon", "tlf", "sms", "mobilnummer", "telefonnummer")
EMAIL = ("email", "e_mail", "e_post", "epost", "mail", "e_postadresse")
ADDRESS = ("address", "adresse")
TOPICS = ("topics", "topic", "emner", "emne", "tema")
RADIUS = ("radius", "radius_m")

_TOPIC_WORDS = {
    "water": Topic.WATER,
    "water and sewage": Topic.WATER,
    "sewage": Topic.WATER,
    "vann": Topic.WATER,
    "vatn": Topic.WATER,
    "vann og avløp": Topic.WATER,
    "va": Topic.WATER,
    "avløp": Topic.WATER,
    "roads": Topic.ROADS,
    "road": Topic.ROADS,
    "roads and traffic": Topic.ROADS,
    "traffic": Topic.ROADS,
    "vei": Topic.ROADS,
    "veg": Topic.ROADS,
    "trafikk": Topic.ROADS,
    "vei og trafikk": Topic.ROADS,
    "power": Topic.POWER,
    "strøm": Topic.POWER,
    "straum": Topic.POWER,
    "other": Topic.OTHER,
    "annet": Topic.OTHER,
    "anna": Topic.OTHER,
    "all": ALL_TOPICS,
    "alle": ALL_TOPICS,
}


@dataclasses.dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclasses.dataclass
class ImportReport:
    """What an import did: rows read, created, updated, unchanged, skipped (a contact already
    subscribed), rejected."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    # Known rows that the import found as they were (re-importing the same register).
    unchanged: int = 0
    skipped: int = 0
    rejected_count: int = 0
    rejected: list[RowError] = dataclasses.field(default_factory=list)
    crs: str = ""

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED:
            self.rejected.append(RowError(line, reason))


# --- permission and upload ------------------------------------------------------------------


def can_import_alert_data(user: Any, municipality: Municipality) -> bool:
    """Administrators of the municipality's root unit import its address register and contact
    lists: both reach every resident, so no etat may do it alone."""
    return has_role(user, unit_get_root(municipality=municipality), {Role.UNIT_ADMIN})


def _check_actor(actor: User | None, municipality: Municipality) -> None:
    # None is the operator on the server (the management commands).
    if actor is not None and not can_import_alert_data(actor, municipality):
        raise PermissionDenied(_("You may not import addresses or contacts."))


def max_import_bytes() -> int:
    return int(getattr(settings, "ALERT_IMPORT_MAX_MB", DEFAULT_MAX_MB)) * 1024 * 1024


def upload_check(upload: Any) -> None:
    """Refuse an upload that is too large or is not UTF-8 text (a spreadsheet, a picture).
    Raises ValidationError with a message for the person who uploaded it."""
    limit = max_import_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; at most %(limit)s can be imported at once. Split it.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    name = (getattr(upload, "name", "") or "").lower()
    if "." in name and name.rsplit(".", 1)[1] not in {"csv", "txt", "tsv"}:
        raise ValidationError(
            _("Only CSV files can be imported (a name ending in .csv or .txt)."),
            code="type",
        )
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    text_check(head)


def text_check(head: bytes) -> None:
    """Raise ValidationError unless `head` (the first bytes of a file) looks like UTF-8 text."""
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ValidationError(
            _("This is a spreadsheet file, not CSV. Save it as CSV (UTF-8) and try again."),
            code="type",
        )
    if b"\x00" in head:
        raise ValidationError(_("This is not a text file. Upload a CSV file."), code="type")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as error:
        raise ValidationError(
            _("The file is not UTF-8 text. Save it as CSV (UTF-8) and try again."),
            code="encoding",
        ) from error
    if not head.strip():
        raise ValidationError(_("The file is empty."), code="empty")


# --- reading CSV ----------------------------------------------------------------------------


def _key(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


@dataclasses.dataclass
class _Table:
    header: list[str]
    columns: dict[str, int]
    delimiter: str
    records: Iterator[tuple[int, list[str] | None, str]]

    def find(self, names: tuple[str, ...]) -> int | None:
        for name in names:
            if name in self.columns:
                return self.columns[name]
        return None


def _table(stream: IO[bytes]) -> _Table:
    """The header and a stream of (line, fields or None, problem) from a CSV byte stream."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    first = text.readline()
    if not first.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    delimiter = max(";,\t", key=first.count)
    header = next(csv.reader([first], delimiter=delimiter))
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(_key(name), index)

    def records() -> Iterator[tuple[int, list[str] | None, str]]:
        # One record per line: a stray quote then breaks its own line only, instead of
        # swallowing the rest of the file into one field (registers and contact lists have no
        # line breaks inside fields).
        for line, raw in enumerate(text, start=2):
            content = raw.rstrip("\r\n")
            if not content.strip():
                continue
            if "\ufffd" in content:
                yield line, None, _("broken row: not UTF-8 text")
                continue
            try:
                row = next(csv.reader((content,), delimiter=delimiter, strict=True))
            except csv.Error as error:
                yield line, None, _("broken row (%(error)s)") % {"error": error}
                continue
            if len(row) != len(header):
                yield (
                    line,
                    None,
                    _("broken row: %(found)s fields where the header has %(expected)s")
                    % {"found": len(row), "expected": len(header)},
                )
            else:
                yield line, [field.strip() for field in row], ""

    return _Table(header, columns, delimiter, records())


def _number(text: str, delimiter: str) -> float | None:
    value = text.strip().replace(" ", "")
    if delimiter != ",":
        value = value.replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclasses.dataclass
class _Coordinates:
    """Which columns hold the coordinates and how to read them."""

    first: int  # east, x or longitude
    second: int  # north, y or latitude
    crs: str  # CRS_UTM, CRS_WGS or CRS_AUTO (decide per row, for plain x/y columns)


def _coordinates(table: _Table, chosen: str, *, required: bool) -> _Coordinates | None:
    pairs = (
        (table.find(LON), table.find(LAT), CRS_WGS),
        (table.find(EAST), table.find(NORTH), CRS_UTM),
        (table.find(X), table.find(Y), CRS_AUTO),
    )
    for first, second, named in pairs:
        if first is not None and second is not None:
            return _Coordinates(first, second, chosen if chosen != CRS_AUTO else named)
    if required:
        raise ValidationError(
            _(
                "The header names no coordinate columns: give “east” and “north” (EPSG:25833) "
                "or “lat” and “lon” (EPSG:4326)."
            ),
            code="columns",
        )
    return None


def _looks_like_degrees(a: float, b: float) -> bool:
    return abs(a) <= 180 and abs(b) <= 90


def _outside_reason(a: float, b: float, crs: str) -> str:
    if crs == CRS_UTM and _looks_like_degrees(a, b):
        return _(
            "coordinates %(a)s, %(b)s are outside Norway in EPSG:25833: they look like degrees, "
            "so the file is probably in EPSG:4326 (latitude and longitude)"
        ) % {"a": a, "b": b}
    if crs == CRS_WGS and not _looks_like_degrees(a, b):
        return _(
            "coordinates %(a)s, %(b)s are outside Norway in EPSG:4326: they look like metres, "
            "so the file is probably in EPSG:25833 (east and north)"
        ) % {"a": a, "b": b}
    return _(
        "coordinates %(a)s, %(b)s are outside Norway: is the coordinate system right "
        "(EPSG:25833 or EPSG:4326), or are the two columns swapped?"
    ) % {"a": a, "b": b}


def _transform(
    pairs: list[tuple[float, float, str]],
) -> list[tuple[float, float, float, float] | None]:
    """(x, y, lat, lon) for each (a, b, crs), or None when the point is outside Norway."""
    result: list[tuple[float, float, float, float] | None] = [None] * len(pairs)
    utm = [i for i, (a, b, crs) in enumerate(pairs) if crs == CRS_UTM]
    wgs = [i for i, (a, b, crs) in enumerate(pairs) if crs == CRS_WGS]
    if utm:
        xs = np.array([pairs[i][0] for i in utm], dtype=float)
        ys = np.array([pairs[i][1] for i in utm], dtype=float)
        lons, lats = _to_wgs.transform(xs, ys)
        for k, i in enumerate(utm):
            result[i] = (float(xs[k]), float(ys[k]), float(lats[k]), float(lons[k]))
    if wgs:
        lons = np.array([pairs[i][0] for i in wgs], dtype=float)
        lats = np.array([pairs[i][1] for i in wgs], dtype=float)
        sane = (np.abs(lons) <= 180) & (np.abs(lats) <= 90)
        xs, ys = _to_utm.transform(np.where(sane, lons, 0.0), np.where(sane, lats, 0.0))
        for k, i in enumerate(wgs):
            if sane[k]:
                result[i] = (float(xs[k]), float(ys[k]), float(lats[k]), float(lons[k]))
    for i, point in enumerate(result):
        if point is not None:
            _x, _y, lat, lon = point
            inside = LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]
            if not (inside and math.isfinite(_x) and math.isfinite(_y)):
                result[i] = None
    return result


def _read_point(
    fields: list[str], coords: _Coordinates, delimiter: str
) -> tuple[float, float, str] | str:
    """(a, b, crs) from a row, or the reason it cannot be read."""
    raw_a, raw_b = fields[coords.first], fields[coords.second]
    a, b = _number(raw_a, delimiter), _number(raw_b, delimiter)
    if a is None or b is None:
        return _("coordinates are not numbers: “%(a)s”, “%(b)s”") % {"a": raw_a, "b": raw_b}
    crs = coords.crs
    if crs == CRS_AUTO:
        crs = CRS_WGS if _looks_like_degrees(a, b) else CRS_UTM
    return a, b, crs


def _point_fail(point: tuple[float, float, str]) -> str:
    return _outside_reason(point[0], point[1], point[2])


# --- the address register -------------------------------------------------------------------


def _search_key(street: str, number: str) -> str:
    return " ".join(f"{street} {number}".lower().split())


@dataclasses.dataclass
class _AddressRow:
    line: int
    external_id: str
    street: str
    number: str
    postcode: str
    place: str
    point: tuple[float, float, str]


def _address_flush(
    municipality: Municipality, rows: list[_AddressRow], report: ImportReport
) -> None:
    points = _transform([row.point for row in rows])
    good: dict[tuple[str, str, str], tuple[_AddressRow, tuple[float, float, float, float]]] = {}
    for row, point in zip(rows, points, strict=True):
        if point is None:
            report.reject(row.line, _point_fail(row.point))
            continue
        key = (
            ("id", row.external_id, "")
            if row.external_id
            else ("key", _search_key(row.street, row.number), row.postcode)
        )
        if key in good:
            # The same address twice in a batch: the later row wins, the earlier is reported.
            report.reject(
                good[key][0].line,
                _("the same address comes again on line %(line)s, which is used instead")
                % {"line": row.line},
            )
        good[key] = (row, point)
    if not good:
        return
    by_id = {key[1] for key in good if key[0] == "id"}
    by_key = {key[1] for key in good if key[0] == "key"}
    existing: dict[tuple[str, str, str], Address] = {}
    if by_id:
        for address in Address.objects.filter(municipality=municipality, external_id__in=by_id):
            existing[("id", address.external_id, "")] = address
    if by_key:
        for address in Address.objects.filter(
            municipality=municipality, external_id="", search_key__in=by_key
        ):
            existing.setdefault(("key", address.search_key, address.postcode), address)
    fresh: list[Address] = []
    changed: list[Address] = []
    for key, (row, (x, y, lat, lon)) in good.items():
        address = existing.get(key) or Address(municipality=municipality)
        values = {
            "external_id": row.external_id[:64],
            "street": row.street[:120],
            "number": row.number[:12],
            "postcode": row.postcode[:8],
            "place": row.place[:120],
            "search_key": _search_key(row.street, row.number)[:140],
            "x": x,
            "y": y,
            "lat": lat,
            "lon": lon,
        }
        if address.pk and _same(address, values):
            report.unchanged += 1
            continue
        for name, value in values.items():
            setattr(address, name, value)
        (changed if address.pk else fresh).append(address)
    if fresh:
        Address.objects.bulk_create(fresh, batch_size=BATCH)
    if changed:
        # Small batches: bulk_update writes one CASE per field with a branch per row, which
        # grows quadratically with the batch on SQLite.
        Address.objects.bulk_update(changed, _ADDRESS_FIELDS, batch_size=50)
    report.created += len(fresh)
    report.updated += len(changed)


_ADDRESS_FIELDS = ["street", "number", "postcode", "place", "search_key", "x", "y", "lat", "lon"]


def _same(address: Address, values: dict[str, Any]) -> bool:
    """True if re-importing `values` would not change `address` (coordinates compared to about
    a millimetre: a transformation may differ in the last digits)."""
    for name, value in values.items():
        current = getattr(address, name)
        if isinstance(value, float):
            if abs(current - value) > (1e-3 if name in ("x", "y") else 1e-8):
                return False
        elif current != value:
            return False
    return True


@transaction.atomic
def address_import(
    *, municipality: Municipality, actor: User | None, stream: IO[bytes], crs: str = CRS_AUTO
) -> ImportReport:
    """Import the address register from CSV (`id;street;number;postcode;place;east;north`, or
    `lat;lon` instead of east and north, columns in any order and named in English or
    Norwegian). Creates new addresses and updates known ones. Raises PermissionDenied, and
    ValidationError when the header lacks the street or coordinate columns."""
    _check_actor(actor, municipality)
    table = _table(stream)
    street_col = table.find(STREET)
    if street_col is None:
        raise ValidationError(
            _("The header names no street column (“street” or “adressenavn”)."), code="columns"
        )
    coords = _coordinates(table, crs, required=True)
    assert coords is not None
    report = ImportReport(crs=coords.crs)
    id_col, number_col = table.find(ID), table.find(NUMBER)
    letter_col, postcode_col = table.find(LETTER), table.find(POSTCODE)
    place_col = table.find(PLACE)

    def field(fields: list[str], index: int | None) -> str:
        return fields[index] if index is not None else ""

    batch: list[_AddressRow] = []
    for line, fields, problem in table.records:
        report.rows += 1
        if fields is None:
            report.reject(line, problem)
            continue
        street = fields[street_col]
        if not street:
            report.reject(line, _("the street is missing"))
            continue
        point = _read_point(fields, coords, table.delimiter)
        if isinstance(point, str):
            report.reject(line, point)
            continue
        number = field(fields, number_col) + field(fields, letter_col)
        batch.append(
            _AddressRow(
                line,
                field(fields, id_col),
                street,
                number,
                field(fields, postcode_col),
                field(fields, place_col),
                point,
            )
        )
        if len(batch) >= BATCH:
            _address_flush(municipality, batch, report)
            batch = []
    if batch:
        _address_flush(municipality, batch, report)
    return report


# --- contact lists --------------------------------------------------------------------------


def _topics(text: str) -> int | str:
    """The topic mask named in `text`, or the reason it cannot be read. Empty means all."""
    value = text.strip().lower()
    if not value:
        return ALL_TOPICS
    mask = 0
    for part in value.replace("|", ",").replace("+", ",").replace("/", ",").split(","):
        word = " ".join(part.split())
        if not word:
            continue
        if word.isdigit() and 0 < int(word) <= ALL_TOPICS:
            mask |= int(word)
        elif word in _TOPIC_WORDS:
            mask |= int(_TOPIC_WORDS[word])
        else:
            return _("unknown topic “%(topic)s”") % {"topic": part.strip()}
    return mask or ALL_TOPICS


@dataclasses.dataclass
class _ContactRow:
    line: int
    destinations: list[tuple[str, str]]
    address_key: str
    postcode: str
    point: tuple[float, float, str] | None
    topics: int
    radius: int


def _contacts_flush(
    municipality: Municipality,
    rows: list[_ContactRow],
    report: ImportReport,
    seen: set[tuple[str, str, int, int]],
) -> None:
    keys = {row.address_key for row in rows if row.address_key}
    addresses: dict[str, list[Address]] = {}
    if keys:
        for found in Address.objects.filter(
            municipality=municipality, search_key__in=keys
        ).order_by("pk"):
            addresses.setdefault(found.search_key, []).append(found)
    with_points = [row for row in rows if row.point is not None]
    transformed = dict(
        zip(
            (id(row) for row in with_points),
            _transform([row.point for row in with_points if row.point is not None]),
            strict=True,
        )
    )
    destinations = {dest for row in rows for _medium, dest in row.destinations}
    known: dict[tuple[str, str], list[tuple[str, float, float]]] = {}
    for medium, destination, status, x, y in Subscription.objects.filter(
        municipality=municipality, destination__in=destinations
    ).values_list("medium", "destination", "status", "x", "y"):
        known.setdefault((medium, destination), []).append((status, x, y))
    now = timezone.now()
    fresh: list[Subscription] = []
    for row in rows:
        address: Address | None = None
        if row.address_key:
            matches = addresses.get(row.address_key, [])
            if row.postcode:
                matches = [a for a in matches if a.postcode == row.postcode] or matches
            if not matches:
                report.reject(row.line, _("address not found in the register"))
                continue
            address = matches[0]
            x, y, lat, lon = address.x, address.y, address.lat, address.lon
            label = str(address)
        else:
            assert row.point is not None
            point = transformed[id(row)]
            if point is None:
                report.reject(row.line, _point_fail(row.point))
                continue
            x, y, lat, lon = point
            label = _("Point %(lat).5f, %(lon).5f") % {"lat": lat, "lon": lon}
        reasons = []
        for medium, destination in row.destinations:
            history = known.get((medium, destination), [])
            statuses = {status for status, _x, _y in history}
            if statuses == {Subscription.Status.UNSUBSCRIBED}:
                reasons.append(
                    _("%(destination)s has ended their subscription and is not subscribed again")
                    % {"destination": destination}
                )
                continue
            place_key = (medium, destination, round(x), round(y))
            already = place_key in seen or any(
                status != Subscription.Status.UNSUBSCRIBED
                and round(sx) == round(x)
                and round(sy) == round(y)
                for status, sx, sy in history
            )
            if already:
                report.skipped += 1
                continue
            seen.add(place_key)
            fresh.append(
                Subscription(
                    municipality=municipality,
                    medium=medium,
                    destination=destination,
                    address=address,
                    place_label=label[:200],
                    x=x,
                    y=y,
                    lat=lat,
                    lon=lon,
                    radius_m=row.radius,
                    topics=row.topics,
                    status=Subscription.Status.ACTIVE,
                    source=Subscription.Source.IMPORT,
                    language=municipality.malform,
                    confirmed_at=now,
                )
            )
        for reason in reasons:
            report.reject(row.line, reason)
    if fresh:
        Subscription.objects.bulk_create(fresh, batch_size=BATCH)
    report.created += len(fresh)


@transaction.atomic
def contacts_import(
    *, municipality: Municipality, actor: User | None, stream: IO[bytes], crs: str = CRS_AUTO
) -> ImportReport:
    """Import a contact list from CSV (`name;phone;email;address;topics`, or coordinates instead
    of the address; a name is allowed but not kept, a subscription has no name) as active
    subscriptions (source: import), one per phone number and e-mail
    address of each row. The address must be in the register. Raises PermissionDenied, and
    ValidationError when the header lacks the contact or place columns."""
    _check_actor(actor, municipality)
    table = _table(stream)
    phone_col, email_col = table.find(PHONE), table.find(EMAIL)
    if phone_col is None and email_col is None:
        raise ValidationError(_("The header names no “phone” or “email” column."), code="columns")
    address_col, street_col = table.find(ADDRESS), table.find(STREET)
    number_col, postcode_col = table.find(NUMBER), table.find(POSTCODE)
    coords = _coordinates(table, crs, required=address_col is None and street_col is None)
    topics_col, radius_col = table.find(TOPICS), table.find(RADIUS)
    report = ImportReport(crs=coords.crs if coords else "")
    seen: set[tuple[str, str, int, int]] = set()
    batch: list[_ContactRow] = []
    for line, fields, problem in table.records:
        report.rows += 1
        if fields is None:
            report.reject(line, problem)
            continue
        destinations: list[tuple[str, str]] = []
        reasons: list[str] = []
        phone = fields[phone_col] if phone_col is not None else ""
        email = fields[email_col] if email_col is not None else ""
        if phone:
            try:
                destinations.append((Medium.SMS, phone_normalise(phone)))
            except ValidationError as error:
                reasons.append(_("invalid phone number: %(error)s") % {"error": error.messages[0]})
        if email:
            try:
                validate_email(email)
                destinations.append((Medium.EMAIL, email.lower()))
            except ValidationError:
                reasons.append(_("invalid e-mail address “%(email)s”") % {"email": email})
        if not phone and not email:
            reasons.append(_("no phone number or e-mail address"))
        address_key = ""
        point: tuple[float, float, str] | None = None
        if address_col is not None and fields[address_col]:
            address_key = " ".join(fields[address_col].split(",", 1)[0].lower().split())
        elif street_col is not None and fields[street_col]:
            number = fields[number_col] if number_col is not None else ""
            address_key = _search_key(fields[street_col], number)
        elif coords is not None and (fields[coords.first] or fields[coords.second]):
            read = _read_point(fields, coords, table.delimiter)
            if isinstance(read, str):
                reasons.append(read)
            else:
                point = read
        else:
            reasons.append(_("no address or coordinates"))
        topics = _topics(fields[topics_col]) if topics_col is not None else ALL_TOPICS
        if isinstance(topics, str):
            reasons.append(topics)
        radius = 0
        if radius_col is not None and fields[radius_col]:
            value = _number(fields[radius_col], table.delimiter)
            if value is None or not 0 <= value <= MAX_RADIUS_M:
                reasons.append(
                    _("the radius must be a number of metres from 0 to %(max)s")
                    % {"max": MAX_RADIUS_M}
                )
            else:
                radius = int(value)
        if reasons:
            report.reject(line, "; ".join(reasons))
            continue
        assert isinstance(topics, int)
        postcode = fields[postcode_col] if postcode_col is not None else ""
        batch.append(_ContactRow(line, destinations, address_key, postcode, point, topics, radius))
        if len(batch) >= BATCH:
            _contacts_flush(municipality, batch, report, seen)
            batch = []
    if batch:
        _contacts_flush(municipality, batch, report, seen)
    return report

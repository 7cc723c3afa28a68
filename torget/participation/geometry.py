"""A proposal's drawing on the map: one point, one line or one area (polygon), in WGS 84.

The drawing comes from the map (Leaflet.draw writes GeoJSON into the form's field) or, without
JavaScript, from the same field typed by hand: one "latitude, longitude" pair per line (one
line is a point, several a line, and a line that ends where it began an area), or pasted
GeoJSON. Either way `drawing_parse` checks it before it is stored and says in plain words what
is wrong. The "latitude, longitude" syntax, the Norway guard and the rounding are the alerts'
(torget.alerts.geo), so that a resident types the same thing in both places.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from shapely.geometry import Polygon, shape

from torget.alerts.geo import COORDINATE_PAIR, area_shape, geojson_rounded, in_norway

# More corners than a hand-drawn shape needs; a guard against pasted survey data.
MAX_VERTICES = 500
# The longest text the field takes (a 500-point GeoJSON is about 15,000 characters).
MAX_TEXT = 40_000
KINDS = ("Point", "LineString", "Polygon")

Coordinate = tuple[float, float]  # (lon, lat), as GeoJSON has it


def _error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _from_lines(text: str) -> dict[str, Any]:
    """A geometry from lines of "latitude, longitude" (blank lines are skipped)."""
    points: list[list[float]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = COORDINATE_PAIR.match(line)
        if match is None:
            raise _error(
                _(
                    'Line %(line)s is not a "latitude, longitude" pair: %(text)s. Write one '
                    "pair per line, for example 59.91273, 10.74609."
                )
                % {"line": number, "text": line.strip()[:60]},
                "drawing_syntax",
            )
        points.append([float(match.group(2)), float(match.group(1))])
    if len(points) == 1:
        return {"type": "Point", "coordinates": points[0]}
    if len(points) >= 4 and points[0] == points[-1]:
        return {"type": "Polygon", "coordinates": [points]}
    return {"type": "LineString", "coordinates": points}


def _from_geojson(text: str) -> Any:
    """The geometry of pasted GeoJSON: a geometry, a Feature, or a FeatureCollection of one."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise _error(
            _(
                "The drawing is not readable: it is neither GeoJSON nor lines of "
                '"latitude, longitude". Draw it again, or type one pair per line.'
            ),
            "drawing_syntax",
        ) from error
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list) or not features:
            raise _error(
                _("The drawing is empty: draw a point, a line or an area."), "drawing_empty"
            )
        if len(features) > 1:
            raise _error(
                ngettext(
                    "The drawing holds %(count)d shape; draw only one: a point, a line or an area.",
                    "The drawing holds %(count)d shapes; draw only one: a point, a line or an "
                    "area.",
                    len(features),
                )
                % {"count": len(features)},
                "drawing_several",
            )
        value = features[0]
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    return value


def _coordinate(item: Any) -> list[float]:
    if not isinstance(item, (list, tuple)) or len(item) < 2:
        raise TypeError("not a position")
    lon, lat = item[0], item[1]
    if isinstance(lon, bool) or isinstance(lat, bool):
        raise TypeError("not a number")
    lon, lat = float(lon), float(lat)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("not finite")
    return [lon, lat]


def _positions(value: dict[str, Any]) -> dict[str, Any]:
    """The geometry with plain [lon, lat] positions (heights dropped), or ValidationError."""
    kind = value.get("type")
    if kind not in KINDS:
        raise _error(
            _(
                "A drawing is one point, one line or one area; %(kind)s is not one of them. "
                "Draw a single shape."
            )
            % {"kind": str(kind)[:40] if kind else _("this")},
            "drawing_type",
        )
    raw = value.get("coordinates")
    try:
        if kind == "Point":
            coordinates: Any = _coordinate(raw)
        elif kind == "LineString":
            coordinates = [_coordinate(item) for item in raw]  # type: ignore[union-attr]
        else:
            coordinates = [[_coordinate(item) for item in ring] for ring in raw]  # type: ignore[union-attr]
    except (TypeError, ValueError) as error:
        raise _error(
            _("The drawing's coordinates are not readable: each must be two numbers."),
            "drawing_syntax",
        ) from error
    return {"type": kind, "coordinates": coordinates}


def _all_positions(geometry: dict[str, Any]) -> list[list[float]]:
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return [coordinates]
    if kind == "LineString":
        return list(coordinates)
    return [position for ring in coordinates for position in ring]


def _plain_reason(reason: str) -> str:
    """shapely's explanation of an invalid polygon, in words a resident understands."""
    where = ""
    match = re.search(r"\[(-?[\d.eE+-]+) (-?[\d.eE+-]+)\]", reason)
    if match:
        where = " " + _("near %(lat).5f, %(lon).5f") % {
            "lat": float(match.group(2)),
            "lon": float(match.group(1)),
        }
    lowered = reason.lower()
    if "self-intersection" in lowered:
        return (
            _("The edges of the area cross each other%(where)s.") % {"where": where}
            + " "
            + _("Draw it so that no edge crosses another.")
        )
    if "hole" in lowered or "nested" in lowered or "disconnected" in lowered:
        return _("The holes of the area do not lie inside it%(where)s.") % {"where": where}
    if "too few points" in lowered:
        return _("An area needs at least three different corners.")
    return _("The area is not a valid shape%(where)s. Draw it again.") % {"where": where}


def _check(geometry: dict[str, Any]) -> None:
    kind, coordinates = geometry["type"], geometry["coordinates"]
    positions = _all_positions(geometry)
    if len(positions) > MAX_VERTICES:
        raise _error(
            _(
                "The drawing has %(count)d corners; at most %(max)d are allowed. Draw it more "
                "simply."
            )
            % {"count": len(positions), "max": MAX_VERTICES},
            "drawing_too_many",
        )
    for lon, lat in positions:
        if not in_norway(lon, lat):
            raise _error(
                _(
                    "The point %(lat).5f, %(lon).5f is not in Norway: are latitude and longitude "
                    "swapped, or are the coordinates not in WGS 84 (degrees)?"
                )
                % {"lat": lat, "lon": lon},
                "drawing_outside",
            )
    if kind == "LineString":
        if len({tuple(p) for p in coordinates}) < 2:
            raise _error(_("A line needs at least two different points."), "drawing_too_few_points")
        return
    if kind == "Polygon":
        if not coordinates:
            raise _error(_("An area needs at least three different corners."), "drawing_too_few")
        for ring in coordinates:
            if len({tuple(p) for p in ring}) < 3:
                raise _error(
                    _("An area needs at least three different corners."), "drawing_too_few"
                )
            if ring[0] != ring[-1]:
                ring.append(list(ring[0]))  # GeoJSON rings end where they begin
        polygon = Polygon(coordinates[0], coordinates[1:])
        if not polygon.is_valid:
            raise _error(_plain_reason(shapely.is_valid_reason(polygon)), "drawing_invalid")


def drawing_parse(text: str | None) -> dict[str, Any] | None:
    """A checked GeoJSON geometry (Point, LineString or Polygon; WGS 84; 6 decimals) from what
    the drawing field holds, or None when it is empty.

    Raises ValidationError with a message for the resident when the text is neither GeoJSON nor
    "latitude, longitude" lines, holds another kind of geometry or several shapes, lies outside
    Norway, has more than MAX_VERTICES corners, or is an area whose edges cross.
    """
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_TEXT:
        raise _error(
            _("The drawing is too large: at most %(max)d corners are allowed. Draw it more simply.")
            % {"max": MAX_VERTICES},
            "drawing_too_many",
        )
    value = _from_geojson(text) if text[0] in "{[" else _from_lines(text)
    if not isinstance(value, dict):
        raise _error(
            _("The drawing is not readable as GeoJSON: it holds no geometry."), "drawing_syntax"
        )
    geometry = geojson_rounded(_positions(value))
    _check(geometry)
    return geometry


def drawing_kind(geometry: dict[str, Any]) -> str:
    """ "point", "line" or "area"."""
    return {"Point": "point", "LineString": "line", "Polygon": "area"}[geometry["type"]]


def _lat_lon(position: list[float]) -> str:
    return f"{position[1]:.5f}, {position[0]:.5f}"


def _distance_text(metres: float) -> str:
    if metres >= 1000:
        return _("about %(km).1f km") % {"km": metres / 1000}
    return _("about %(m)d m") % {"m": round(metres)}


def _area_text(square_metres: float) -> str:
    if square_metres >= 10_000:
        return _("about %(ha).1f hectares") % {"ha": square_metres / 10_000}
    return _("about %(m2)d square metres") % {"m2": round(square_metres)}


def drawing_describe(geometry: dict[str, Any]) -> str:
    """The drawing in words, for those who do not see the map (and for pages without
    JavaScript): what it is, where it lies and how big it is."""
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return _("A point at %(where)s (latitude, longitude).") % {"where": _lat_lon(coordinates)}
    if kind == "LineString":
        length = area_shape(geometry).length
        return _(
            "A line of %(count)d points from %(start)s to %(end)s (latitude, longitude), "
            "%(length)s long."
        ) % {
            "count": len(coordinates),
            "start": _lat_lon(coordinates[0]),
            "end": _lat_lon(coordinates[-1]),
            "length": _distance_text(length),
        }
    outer = coordinates[0]
    corners = len(outer) - 1 if outer[0] == outer[-1] else len(outer)
    centre = shape(geometry).representative_point()
    return _(
        "An area with %(count)d corners around %(centre)s (latitude, longitude), %(size)s."
    ) % {
        "count": corners,
        "centre": _lat_lon([centre.x, centre.y]),
        "size": _area_text(area_shape(geometry).area),
    }


def drawing_positions_text(geometry: dict[str, Any]) -> str:
    """The drawing's points as "latitude, longitude" lines: what the field takes back, and a
    list a screen-reader user can read point by point."""
    kind, coordinates = geometry["type"], geometry["coordinates"]
    positions = (
        [coordinates]
        if kind == "Point"
        else coordinates
        if kind == "LineString"
        else coordinates[0]
    )
    return "\n".join(_lat_lon(position) for position in positions)


def drawing_bounds(geometry: dict[str, Any]) -> list[list[float]]:
    """[[south, west], [north, east]] around the drawing, for placing a map."""
    west, south, east, north = shape(geometry).bounds
    return [[south, west], [north, east]]

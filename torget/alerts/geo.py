"""Geometry for alerts: areas as GeoJSON in WGS 84, targeting in EPSG:25833 (metres).

An area comes from a map drawing (GeoJSON), from text (one "latitude, longitude" pair per
line, for those who cannot use the map), from a predefined zone, or from a list of addresses.
Every area is checked before it is stored: at least three distinct corners, no edge crossing
another, inside Norway.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

UTM33 = 25833
WGS84 = 4326
# Mainland Norway, Svalbard and Jan Mayen, generously: a guard against swapped or projected
# coordinates, not a border.
LAT_RANGE = (57.0, 81.5)
LON_RANGE = (-10.0, 35.0)

_to_utm = Transformer.from_crs(WGS84, UTM33, always_xy=True)
_to_wgs = Transformer.from_crs(UTM33, WGS84, always_xy=True)


def to_25833(lon: float, lat: float) -> tuple[float, float]:
    x, y = _to_utm.transform(lon, lat)
    return float(x), float(y)


def to_wgs84(x: float, y: float) -> tuple[float, float]:
    """(lon, lat) of a point in EPSG:25833."""
    lon, lat = _to_wgs.transform(x, y)
    return float(lon), float(lat)


def in_norway(lon: float, lat: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


COORDINATE_PAIR = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,;\s]\s*(-?\d+(?:\.\d+)?)\s*$")


def _rings_from_text(text: str) -> list[list[tuple[float, float]]]:
    """Lines of "latitude, longitude"; an empty line starts another polygon."""
    polygons: list[list[tuple[float, float]]] = [[]]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if polygons[-1]:
                polygons.append([])
            continue
        match = COORDINATE_PAIR.match(line)
        if match is None:
            raise ValidationError(
                _('Line %(line)s is not a "latitude, longitude" pair: %(text)s')
                % {"line": number, "text": line.strip()[:60]},
                code="area_syntax",
            )
        lat, lon = float(match.group(1)), float(match.group(2))
        polygons[-1].append((lon, lat))
    return [ring for ring in polygons if ring]


def _rings_from_geojson(value: Any) -> list[list[tuple[float, float]]]:
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        rings: list[list[tuple[float, float]]] = []
        for feature in value.get("features") or []:
            rings.extend(_rings_from_geojson(feature))
        return rings
    if not isinstance(value, dict) or value.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(_("The area must be a polygon."), code="area_type")
    polygons: list[Any] = (
        [value.get("coordinates")]
        if value["type"] == "Polygon"
        else list(value.get("coordinates") or [])
    )
    result = []
    try:
        for polygon in polygons:
            if not polygon:
                raise IndexError
            # Holes are not used for alerts: the outer ring is the area.
            result.append([(float(lon), float(lat)) for lon, lat, *_rest in polygon[0]])
    except (TypeError, ValueError, IndexError) as error:
        raise ValidationError(
            _("The area's coordinates are not readable."), code="area_syntax"
        ) from error
    return result


def _check_ring(ring: Sequence[tuple[float, float]], index: int, total: int) -> Polygon:
    label = "" if total == 1 else _(" (polygon %(number)s)") % {"number": index + 1}
    distinct = list(dict.fromkeys(ring))
    if len(distinct) < 3:
        raise ValidationError(
            _("An area needs at least three distinct corners%(which)s.") % {"which": label},
            code="area_too_few_points",
        )
    for lon, lat in distinct:
        if not in_norway(lon, lat):
            raise ValidationError(
                _(
                    "The point %(lat).5f, %(lon).5f%(which)s is not in Norway: are latitude "
                    "and longitude swapped, or are the coordinates not in WGS 84?"
                )
                % {"lat": lat, "lon": lon, "which": label},
                code="area_outside",
            )
    closed = list(ring) if ring[0] == ring[-1] else [*ring, ring[0]]
    polygon = Polygon(closed)
    if not polygon.is_valid:
        reason = shapely.is_valid_reason(polygon)
        raise ValidationError(
            _("The area's edges cross each other%(which)s (%(reason)s). Draw it again.")
            % {"which": label, "reason": reason},
            code="area_self_intersection",
        )
    return polygon


def area_parse(value: str | dict[str, Any]) -> dict[str, Any]:
    """A checked GeoJSON geometry (Polygon or MultiPolygon, WGS 84, rings closed, 6 decimals)
    from GeoJSON (a string or a dict) or from lines of "latitude, longitude"."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValidationError(_("Draw or describe the area."), code="area_missing")
        if text.startswith("{"):
            try:
                rings = _rings_from_geojson(json.loads(text))
            except json.JSONDecodeError as error:
                raise ValidationError(
                    _("The area's coordinates are not readable."), code="area_syntax"
                ) from error
        else:
            rings = _rings_from_text(text)
    else:
        rings = _rings_from_geojson(value)
    if not rings:
        raise ValidationError(_("Draw or describe the area."), code="area_missing")
    polygons = [_check_ring(ring, index, len(rings)) for index, ring in enumerate(rings)]
    geometry: BaseGeometry = polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
    if len(polygons) > 1 and not geometry.is_valid:
        raise ValidationError(
            _("The polygons of the area overlap: draw them as one."), code="area_overlap"
        )
    return geojson_rounded(mapping(geometry))


def geojson_rounded(geojson: Any) -> dict[str, Any]:
    """`geojson` with every coordinate rounded to 6 decimals (about 10 cm)."""

    def walk(item: Any) -> Any:
        if isinstance(item, (list, tuple)):
            if item and isinstance(item[0], (int, float)):
                return [round(float(c), 6) for c in item]
            return [walk(part) for part in item]
        return item

    return {"type": geojson["type"], "coordinates": walk(geojson["coordinates"])}


@functools.lru_cache(maxsize=256)
def _shape_cached(key: str) -> BaseGeometry:
    geometry = shape(json.loads(key))
    projected = shapely.transform(geometry, _project_coords)
    shapely.prepare(projected)
    return projected


def _project_coords(coords: Any) -> Any:
    x, y = _to_utm.transform(coords[:, 0], coords[:, 1])
    coords[:, 0] = x
    coords[:, 1] = y
    return coords


def area_shape(area: dict[str, Any]) -> BaseGeometry:
    """The area as a prepared shapely geometry in EPSG:25833 (metres)."""
    return _shape_cached(json.dumps(area, sort_keys=True))


def area_from_points(points: Iterable[tuple[float, float]], buffer_m: float) -> dict[str, Any]:
    """An area around points in EPSG:25833: each point grown by `buffer_m` metres, joined."""
    geometry = shapely.union_all(
        [shapely.Point(x, y).buffer(buffer_m, quad_segs=4) for x, y in points]
    )
    geometry = geometry.simplify(2.0)

    def back(coords: Any) -> Any:
        lon, lat = _to_wgs.transform(coords[:, 0], coords[:, 1])
        coords[:, 0] = lon
        coords[:, 1] = lat
        return coords

    return geojson_rounded(mapping(shapely.transform(geometry, back)))


def area_centre(area: dict[str, Any]) -> tuple[float, float]:
    """(lat, lon) of the area's representative point, for centring a map."""
    point = shape(area).representative_point()
    return float(point.y), float(point.x)

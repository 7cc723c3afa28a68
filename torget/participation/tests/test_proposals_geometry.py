"""A proposal's drawing: what drawing_parse accepts (a point, a line, an area, typed or as
GeoJSON) and what it refuses with a message a resident understands."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from torget.participation.geometry import (
    MAX_VERTICES,
    drawing_describe,
    drawing_parse,
    drawing_positions_text,
)

BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[10.70, 59.90], [10.80, 59.95], [10.80, 59.90], [10.70, 59.95], [10.70, 59.90]]
    ],
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English (the msgids), whatever the catalogues translate them to."""
    with translation.override("en"):
        yield


def refusal(text: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        drawing_parse(text)
    return caught.value


def test_drawing_parse_empty_is_no_drawing() -> None:
    assert drawing_parse("") is None
    assert drawing_parse("   \n ") is None
    assert drawing_parse(None) is None


def test_drawing_parse_one_typed_line_is_a_point() -> None:
    assert drawing_parse("59.912734, 10.746091") == {
        "type": "Point",
        "coordinates": [10.746091, 59.912734],
    }


def test_drawing_parse_typed_lines_are_a_line_and_closed_lines_an_area() -> None:
    line = drawing_parse("59.91, 10.74\n59.92 10.75\n\n59.93;10.76")
    assert line == {
        "type": "LineString",
        "coordinates": [[10.74, 59.91], [10.75, 59.92], [10.76, 59.93]],
    }
    area = drawing_parse("59.91, 10.74\n59.92, 10.75\n59.91, 10.76\n59.91, 10.74")
    assert area is not None and area["type"] == "Polygon"
    assert area["coordinates"][0][0] == area["coordinates"][0][-1]


def test_drawing_parse_geojson_feature_is_rounded_and_loses_heights() -> None:
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [10.1234567891, 59.9876543219, 123.0]},
    }
    assert drawing_parse(json.dumps(feature)) == {
        "type": "Point",
        "coordinates": [10.123457, 59.987654],
    }


def test_drawing_parse_geojson_polygon_ring_is_closed() -> None:
    open_ring = {"type": "Polygon", "coordinates": [[[10.7, 59.9], [10.8, 59.9], [10.8, 59.95]]]}
    area = drawing_parse(json.dumps(open_ring))
    assert area == {
        "type": "Polygon",
        "coordinates": [[[10.7, 59.9], [10.8, 59.9], [10.8, 59.95], [10.7, 59.9]]],
    }


def test_drawing_parse_refuses_garbage_with_the_line_named() -> None:
    error = refusal("59.91, 10.74\nnear the old school")
    assert error.code == "drawing_syntax"
    assert 'Line 2 is not a "latitude, longitude" pair: near the old school' in error.messages[0]
    assert refusal("{not json").code == "drawing_syntax"


def test_drawing_parse_refuses_a_self_intersecting_area_in_plain_words() -> None:
    error = refusal(json.dumps(BOWTIE))
    assert error.code == "drawing_invalid"
    assert error.messages == [
        "The edges of the area cross each other near 59.92500, 10.75000. Draw it so that no "
        "edge crosses another."
    ]


def test_drawing_parse_refuses_points_outside_norway_and_swapped_coordinates() -> None:
    error = refusal('{"type": "Point", "coordinates": [2.35, 48.85]}')  # Paris
    assert error.code == "drawing_outside"
    assert "48.85000, 2.35000 is not in Norway" in error.messages[0]
    # "longitude, latitude" typed the wrong way round
    assert "swapped" in refusal("10.74, 59.91").messages[0]


def test_drawing_parse_refuses_several_shapes_and_other_kinds() -> None:
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.7, 59.9]}}
    collection = {"type": "FeatureCollection", "features": [point, point]}
    error = refusal(json.dumps(collection))
    assert error.code == "drawing_several"
    assert error.messages == [
        "The drawing holds 2 shapes; draw only one: a point, a line or an area."
    ]
    multi = {"type": "MultiPoint", "coordinates": [[10.7, 59.9], [10.8, 59.9]]}
    error = refusal(json.dumps(multi))
    assert error.code == "drawing_type"
    assert "MultiPoint is not one of them" in error.messages[0]
    # one feature in a collection is one shape
    one = drawing_parse(json.dumps({"type": "FeatureCollection", "features": [point]}))
    assert one == {"type": "Point", "coordinates": [10.7, 59.9]}


def test_drawing_parse_refuses_too_many_corners_and_unreadable_numbers() -> None:
    line = {
        "type": "LineString",
        "coordinates": [[10.0 + i / 10000, 59.9] for i in range(MAX_VERTICES + 1)],
    }
    error = refusal(json.dumps(line))
    assert error.code == "drawing_too_many"
    assert f"at most {MAX_VERTICES} are allowed" in error.messages[0]
    assert refusal('{"type": "Point", "coordinates": ["ten", 59.9]}').code == "drawing_syntax"
    assert refusal('{"type": "LineString", "coordinates": [[10.7, 59.9]]}').code == (
        "drawing_too_few_points"
    )


def test_drawing_describe_says_what_and_where_in_words() -> None:
    line = drawing_parse("59.91, 10.74\n59.92, 10.74\n59.93, 10.74\n59.94, 10.74")
    assert line is not None
    text = drawing_describe(line)
    assert text.startswith(
        "A line of 4 points from 59.91000, 10.74000 to 59.94000, 10.74000 (latitude, longitude)"
    )
    assert "about 3.3 km long" in text
    point = drawing_parse("59.91, 10.74")
    assert point is not None
    assert drawing_describe(point) == "A point at 59.91000, 10.74000 (latitude, longitude)."
    area = drawing_parse("59.91, 10.74\n59.91, 10.75\n59.92, 10.75\n59.92, 10.74\n59.91, 10.74")
    assert area is not None
    assert drawing_describe(area).startswith("An area with 4 corners around")
    assert "hectares" in drawing_describe(area)
    assert drawing_positions_text(line).splitlines()[0] == "59.91000, 10.74000"

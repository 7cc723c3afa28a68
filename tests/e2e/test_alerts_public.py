"""The public side of alerts in a real browser: the banner, the alert page and its map.

axe checks every page (tests/e2e/conftest.py). The map has no background tiles here
(TORGET_MAP_TILES_URL empty), so nothing leaves 127.0.0.1; the area itself is drawn by Leaflet.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from torget.alerts import geo
from torget.alerts.models import Address, Alert, Topic
from torget.alerts.tests.factories import INSIDE, alert_make
from torget.organisation.models import Unit

pytestmark = pytest.mark.browser

ENGLISH = {"Accept-Language": "en"}
# Two squares side by side in Oslo.
TWO_SQUARES = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[10.70, 59.93], [10.71, 59.93], [10.71, 59.94], [10.70, 59.94], [10.70, 59.93]]],
        [[[10.72, 59.93], [10.73, 59.93], [10.73, 59.94], [10.72, 59.94], [10.72, 59.93]]],
    ],
}


@pytest.fixture
def alert_pks(library: Unit, settings: Any) -> tuple[int, int]:
    """A sent water alert (drawn area with one street of the register inside) and its update."""
    settings.TORGET_MAP_TILES_URL = ""
    x, y = geo.to_25833(*INSIDE)
    Address.objects.create(
        municipality=library.municipality,
        street="Storgata",
        number="5",
        search_key="storgata 5",
        x=x,
        y=y,
        lat=INSIDE[1],
        lon=INSIDE[0],
    )
    now = timezone.now()
    alert = alert_make(
        library,
        status=Alert.Status.SENT,
        sent_at=now - datetime.timedelta(hours=1),
        onset=now - datetime.timedelta(hours=1),
        expires=now + datetime.timedelta(hours=6),
        contact_phone="+4722112233",
        topic=Topic.WATER,
    )
    update = alert_make(
        library,
        status=Alert.Status.SENT,
        sent_at=now,
        original=alert,
        kind=Alert.Kind.UPDATE,
        text="Reparasjonen tar to timer til.",
    )
    return alert.pk, update.pk


def test_banner_leads_from_an_ordinary_page_to_the_alert_page_with_its_map(
    new_page: Callable[..., Page], server_url: str, alert_pks: tuple[int, int]
) -> None:
    alert_pk, update_pk = alert_pks
    page = new_page(extra_http_headers=ENGLISH)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto("/")
    region = page.get_by_role("region", name="Active alerts")
    expect(region).to_contain_text("Alert, severity Severe:")
    region.get_by_role("link", name="Vannlekkasje i Storgata").click()

    expect(page).to_have_url(f"{server_url}/varsler/{alert_pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vannlekkasje i Storgata")
    map_region = page.get_by_role("region", name="Map of the area")
    expect(map_region).to_be_visible()
    area = page.locator("#alert-map .leaflet-overlay-pane path")
    expect(area).to_have_count(1)
    assert (area.get_attribute("d") or "").startswith("M")
    box = area.bounding_box()
    assert box is not None and box["width"] > 50 and box["height"] > 50
    expect(page.locator("#alert-map .leaflet-tile")).to_have_count(0)
    expect(page.locator(".alert-area__text")).to_contain_text("Storgata")
    expect(page.locator(f"#melding-{update_pk}")).to_contain_text("Reparasjonen tar to timer til.")
    expect(page.get_by_role("link", name="Subscribe to alerts").first).to_have_attribute(
        "href", "/varsler/abonner/"
    )
    assert requests and all(url.startswith(server_url) for url in requests), requests


def test_alert_page_without_its_scripts_describes_the_area_in_words(
    new_page: Callable[..., Page], alert_pks: tuple[int, int]
) -> None:
    alert_pk, _update_pk = alert_pks
    page = new_page(extra_http_headers=ENGLISH)
    # As for a browser where the map's scripts do not run: the page must not depend on them.
    page.route("**/*.js", lambda route: route.abort())

    page.goto(f"/varsler/{alert_pk}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Vannlekkasje i Storgata")
    expect(page.locator("#alert-map")).to_be_hidden()
    expect(page.locator(".alert-area__text")).to_contain_text(
        "These streets have addresses inside it"
    )
    expect(page.locator(".alert-area__text li")).to_have_text(["Storgata"])
    expect(page.get_by_role("link", name="+4722112233")).to_have_attribute(
        "href", "tel:+4722112233"
    )


@pytest.fixture
def two_squares_pk(library: Unit, settings: Any) -> int:
    """A sent alert whose area is a MultiPolygon of two squares."""
    settings.TORGET_MAP_TILES_URL = ""
    alert = alert_make(library, status=Alert.Status.SENT, sent_at=timezone.now(), area=TWO_SQUARES)
    return alert.pk


def test_a_multipolygon_area_is_drawn_as_two_shapes_and_fits_a_small_screen(
    new_page: Callable[..., Page], two_squares_pk: int
) -> None:
    page = new_page(viewport={"width": 320, "height": 640}, extra_http_headers=ENGLISH)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))

    page.goto(f"/varsler/{two_squares_pk}/")

    expect(page.get_by_role("region", name="Map of the area")).to_be_visible()
    # One SVG path holds both polygons of the MultiPolygon: two "M" (move to) commands.
    area = page.locator("#alert-map .leaflet-overlay-pane path")
    expect(area).to_have_count(1)
    assert (area.get_attribute("d") or "").count("M") == 2
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert failed == []

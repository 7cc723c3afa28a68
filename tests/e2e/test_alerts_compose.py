"""An alert from the staff side in a real browser: a communicator logs in with two factors,
draws the area on the Leaflet map with the polygon tool, sees the SMS length and, in the
preview, how many each channel reaches; sends; and watches the progress bar reach
"delivered" while the delivery engine (outbox providers) runs in a thread of its own.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from conftest import TOTP_SECRET
from tests.e2e.test_accounts import log_in_with_password, start_of_a_totp_period
from tests.e2e.test_inbox import session_cookie
from torget.accounts.models import User
from torget.accounts.services import totp_current_code
from torget.alerts import geo
from torget.alerts.delivery import DeliveryEngine
from torget.alerts.models import Address, AlertSettings, Medium
from torget.alerts.providers.outbox import OutboxProvider
from torget.alerts.tests.compose_support import approver as approver
from torget.alerts.tests.compose_support import root_communicator as root_communicator
from torget.alerts.tests.factories import subscription_make
from torget.organisation.models import Municipality

pytestmark = pytest.mark.browser

# The map opens on the extent of the address register: these two addresses span it.
SOUTH_WEST = (10.74, 59.91)
NORTH_EAST = (10.75, 59.92)
DELIVERY_SECONDS = 30


@pytest.fixture(autouse=True)
def no_map_tiles(settings: Settings) -> None:
    """No background tiles: nothing leaves 127.0.0.1 (the area is drawn on a blank map)."""
    settings.TORGET_MAP_TILES_URL = ""


@pytest.fixture
def register_and_subscribers(municipality: Municipality) -> None:
    """An address register spanning a square in Oslo's centre (the map opens on it); a
    subscriber by SMS and one by e-mail in its middle, and one by SMS beyond its south-west
    corner, outside anything drawn around the middle of the map."""
    for number, (lon, lat) in enumerate([SOUTH_WEST, NORTH_EAST], start=1):
        x, y = geo.to_25833(lon, lat)
        Address.objects.create(
            municipality=municipality,
            street="Storgata",
            number=str(number),
            search_key=f"storgata {number}",
            x=x,
            y=y,
            lat=lat,
            lon=lon,
        )
    subscription_make(municipality, destination="+4791000001", lonlat=(10.745, 59.915))
    subscription_make(
        municipality, destination="nora@example.no", medium="email", lonlat=(10.7452, 59.9151)
    )
    subscription_make(municipality, destination="+4791000009", lonlat=(10.735, 59.905))


@pytest.fixture
def deliver(transactional_db: None, tmp_path: Path) -> Callable[[], None]:
    """Run the delivery engine with the outbox providers until nothing is left to send, in a
    thread of its own (the test's thread has Playwright's event loop, where Django refuses
    database calls). On SQLite's shared in-memory test database a page request may hold a
    table for a moment; the engine then starts again, which replays its journal, so nothing is
    sent twice."""

    def run() -> None:
        engine = DeliveryEngine(
            providers={m: OutboxProvider(m) for m in (Medium.SMS, Medium.EMAIL)},
            worker_id="e2e-compose",
            journal_dir=tmp_path,
        )
        deadline = time.monotonic() + DELIVERY_SECONDS
        try:
            while time.monotonic() < deadline:
                try:
                    engine.start()
                    while engine.pending():
                        engine.run_once()
                    return
                except OperationalError as error:
                    if "locked" not in str(error):
                        raise
            raise AssertionError("the delivery engine did not finish")
        finally:
            engine.close()
            connection.close()

    def drain() -> None:
        failure: list[BaseException] = []

        def target() -> None:
            try:
                run()
            except BaseException as error:  # noqa: BLE001 — reported in the test's thread
                failure.append(error)

        thread = threading.Thread(target=target, name="delivery")
        thread.start()
        thread.join(timeout=DELIVERY_SECONDS + 5)
        assert not thread.is_alive(), "the delivery engine did not stop"
        if failure:
            raise failure[0]

    return drain


def log_in_with_two_factors(page: Page, email: str, password: str) -> None:
    log_in_with_password(page, email, password)
    expect(page).to_have_url(re.compile(r"/konto/2fa/authenticate/$"))
    with start_of_a_totp_period():
        page.get_by_label("Kode").fill(totp_current_code(secret=TOTP_SECRET))
        page.get_by_role("main").get_by_role("button", name="Logg inn").click()
        expect(page).to_have_url(re.compile(r"/min-side/$"))


def draw_polygon(page: Page, corners: list[tuple[float, float]]) -> None:
    """Choose the polygon tool and click each corner, given as fractions of the map's width
    and height (clear of the tool bars at the top left), then the first corner again to close
    the area.

    Leaflet.draw ignores a click that comes within 50 ms of the last corner (it takes it for
    part of a double click), and a script clicks faster than that: so each click is checked
    by the corner it made, and made again if none appeared."""
    page.get_by_role("link", name="Draw the area").click()
    box = page.locator("[data-area-map-canvas]").bounding_box()
    assert box is not None
    points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in corners]
    vertices = page.locator("[data-area-map-canvas] .leaflet-editing-icon")
    field = page.locator("[data-area-field]")
    steps = [
        (point, lambda n=n: expect(vertices).to_have_count(n, timeout=500))
        for n, point in enumerate(points, start=1)
    ]
    steps.append((points[0], lambda: expect(field).not_to_have_value("", timeout=500)))
    for (x, y), done in steps:
        for _attempt in range(10):
            page.mouse.move(x, y)
            page.mouse.click(x, y)
            try:
                done()
                break
            except AssertionError:
                continue
        else:
            raise AssertionError(f"the map took no corner at {x:.0f}, {y:.0f}")


def test_communicator_draws_an_area_sends_and_watches_it_delivered(
    page: Page,
    communicator: User,
    password: str,
    register_and_subscribers: None,
    deliver: Callable[[], None],
) -> None:
    log_in_with_two_factors(page, "kommunikasjon@example.no", password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Min side")
    # The rest in English: the language cookie outranks the browser's preference.
    page.context.add_cookies(
        [{"name": "torget_language", "value": "en", "url": page.url.split("/min-side/")[0]}]
    )

    # Compose: the words, the type, and the area drawn on the map.
    page.goto("/ansatt/varsler/ny/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New alert")
    page.get_by_role("radio", name="Water and sewage").check()
    page.get_by_label("Severity").select_option("Severe")
    page.get_by_label("Title").fill("Vannlekkasje i Storgata")
    page.get_by_label("Text", exact=True).fill("Vannet er stengt til kl. 18. Kok vannet.")
    expect(page.locator("[data-sms-counter-live]")).to_contain_text(
        re.compile(r"^\d+ characters in GSM-7: 1 SMS\.$")
    )
    page.get_by_label("Text", exact=True).fill("Vannet er stengt til kl. 18 😟")
    expect(page.locator("[data-sms-counter-live]")).to_contain_text(
        re.compile(r"^\d+ characters in UCS-2: [23] SMS parts\.$")
    )
    page.get_by_label("Text", exact=True).fill("Vannet er stengt til kl. 18. Kok vannet.")

    expect(page.locator("[data-area-map]")).to_be_visible()
    draw_polygon(page, [(0.35, 0.3), (0.7, 0.3), (0.7, 0.7), (0.35, 0.7)])
    area = page.get_by_label(re.compile("^Area: corners"))
    expect(area).to_have_value(re.compile(r'^\{"type": ?"Polygon", ?"coordinates"'))
    expect(page.locator("[data-area-map-status]")).to_have_text(
        "The area is drawn: its corners are in the field below."
    )
    page.get_by_role("button", name="Save and preview").click()

    # The preview: who each channel reaches, and the SMS exactly as sent.
    expect(page).to_have_url(re.compile(r"/ansatt/varsler/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vannlekkasje i Storgata")
    recipients = page.get_by_role("table", name="Recipients by channel")
    expect(recipients.get_by_role("row", name="SMS")).to_contain_text("1")
    expect(recipients.get_by_role("row", name="E-mail")).to_contain_text("1")
    expect(recipients.get_by_role("row", name="In all")).to_contain_text("2")
    expect(page.locator(".sms-preview").first).to_contain_text(
        "Vannlekkasje i Storgata\nVannet er stengt til kl. 18. Kok vannet."
    )
    expect(page.locator("[data-email-subject]")).to_have_text("Vannlekkasje i Storgata")
    page.get_by_role("button", name="Send the alert").click()

    # Sent: the progress bar starts at nothing delivered…
    expect(page.get_by_role("status").filter(has_text="The alert is sent.")).to_be_visible()
    bar = page.locator("progress#delivery-progress")
    expect(bar).to_have_attribute("max", "2")
    expect(page.locator("[data-progress-summary]")).to_have_text("0 of 2 delivered so far.")
    expect(page.get_by_role("link", name="Refresh the counts")).to_be_hidden()

    # …and the page follows the deliveries without being reloaded.
    deliver()
    expect(page.locator("[data-progress-summary]")).to_have_text("Finished: all 2 delivered.")
    expect(bar).to_have_js_property("value", 2)
    expect(page.locator('[data-count="delivered"]')).to_have_text("2")
    expect(page.locator('[data-count="queued"]')).to_have_text("0")
    expect(page.get_by_role("link", name="Write an update")).to_be_visible()

    # The all-clear goes to the same two.
    page.get_by_role("link", name="Give the all-clear").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Give the all-clear")
    expect(page.locator("main")).to_contain_text("It goes to the 2 recipients the alert")
    page.get_by_label("Text", exact=True).fill("Vannet er tilbake. Takk for tålmodigheten.")
    page.get_by_role("button", name="Save and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("All clear: Vannlekkasje i Storgata")
    expect(recipients.get_by_role("row", name="In all")).to_contain_text("2")
    page.get_by_role("button", name="Send the alert").click()
    expect(page.locator("[data-progress-summary]")).to_have_text("0 of 2 delivered so far.")


# --- typed corners, and approval by a second person ------------------------------------------


@pytest.fixture
def approval_rule(municipality: Municipality) -> None:
    AlertSettings.objects.create(municipality=municipality, require_approval=True)


@pytest.fixture
def staff_cookies(
    communicator: User, approver: User, server_url: str
) -> dict[str, list[dict[str, str]]]:
    """Session cookies (made before the browser starts: no ORM while it runs), and English."""
    english = {"name": "torget_language", "value": "en", "url": server_url}
    return {
        "author": [session_cookie(communicator, server_url), english],
        "approver": [session_cookie(approver, server_url), english],
    }


def test_corners_typed_instead_of_drawn_and_a_second_person_approves(
    new_page: Callable[..., Page],
    register_and_subscribers: None,
    approval_rule: None,
    staff_cookies: dict[str, list[dict[str, str]]],
) -> None:
    author = new_page()
    author.context.add_cookies(staff_cookies["author"])
    author.goto("/ansatt/varsler/")
    expect(author.get_by_role("heading", name="No alerts yet.")).to_be_visible()
    author.get_by_role("link", name="New alert").click()

    expect(author.get_by_role("heading", level=1)).to_have_text("New alert")
    author.get_by_role("radio", name="Water and sewage").check()
    author.get_by_label("Title").fill("Vannlekkasje i Storgata")
    author.get_by_label("Text", exact=True).fill("Vannet er stengt til kl. 18.")
    area = author.get_by_label(re.compile("^Area: corners"))
    area.fill("59.9140, 10.7440\n59.9140, 10.7460\n59.9160")  # a corner short
    author.get_by_role("button", name="Save and preview").click()

    # Refused beside the field, with everything typed kept.
    expect(author.get_by_role("alert")).to_contain_text("Area")
    expect(area).to_have_accessible_description(re.compile("is not a .latitude, longitude. pair"))
    expect(author.get_by_label("Title")).to_have_value("Vannlekkasje i Storgata")
    area.fill("59.9140, 10.7440\n59.9140, 10.7460\n59.9160, 10.7460\n59.9160, 10.7440")
    area.blur()  # typed corners are drawn on the map too
    expect(author.locator("[data-area-map-canvas] path.leaflet-interactive")).to_have_count(1)
    author.get_by_role("button", name="Save and preview").click()

    # The preview counts (the server does: also without JavaScript), and asks for approval
    # instead of sending.
    recipients = author.get_by_role("table", name="Recipients by channel")
    expect(recipients.get_by_role("row", name="In all")).to_contain_text("2")
    expect(author.locator("main")).to_contain_text("characters in GSM-7: 1 SMS.")
    author.get_by_role("button", name="Ask for approval").click()
    expect(author.get_by_role("status")).to_contain_text("must now approve it")
    expect(author.get_by_role("button", name="Approve and send")).to_have_count(0)

    # The second person finds it waiting, approves, and it is sent.
    second = new_page()
    second.context.add_cookies(staff_cookies["approver"])
    second.goto("/ansatt/varsler/")
    expect(second.locator("main")).to_contain_text("Waits for your approval")
    second.get_by_role("link", name="Vannlekkasje i Storgata").click()
    expect(second.locator("main")).to_contain_text("asks you to approve this alert")
    second.get_by_role("button", name="Approve and send").click()
    expect(second.get_by_role("status").filter(has_text="Approved.")).to_be_visible()
    expect(second.locator("[data-progress-summary]")).to_have_text("0 of 2 delivered so far.")


# --- predefined zones ---------------------------------------------------------------------------


@pytest.fixture
def root_cookies(root_communicator: User, server_url: str) -> list[dict[str, str]]:
    return [
        session_cookie(root_communicator, server_url),
        {"name": "torget_language", "value": "en", "url": server_url},
    ]


def test_a_zone_drawn_once_is_picked_for_an_alert(
    page: Page, register_and_subscribers: None, root_cookies: list[dict[str, str]]
) -> None:
    page.context.add_cookies(root_cookies)
    page.goto("/ansatt/varsler/soner/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Predefined zones")
    expect(page.locator("main")).to_contain_text("No zones yet.")
    page.get_by_label("Name").fill("Sentrum")
    draw_polygon(page, [(0.35, 0.3), (0.8, 0.3), (0.8, 0.8), (0.35, 0.8)])
    page.get_by_role("button", name="Save the zone").click()
    expect(page.get_by_role("status")).to_contain_text("The zone “Sentrum” is saved.")
    expect(page.get_by_role("row", name=re.compile("^Sentrum 4"))).to_be_visible()

    page.goto("/ansatt/varsler/ny/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New alert")
    expect(page.get_by_label("Zone", exact=True)).to_be_hidden()
    page.get_by_role("radio", name="Predefined zone").check()
    expect(page.locator("[data-area-map]")).to_be_hidden()
    page.get_by_label("Zone", exact=True).select_option(label="Sentrum")
    page.get_by_role("radio", name="Water and sewage").check()
    page.get_by_label("Title").fill("Vannlekkasje i sentrum")
    page.get_by_label("Text", exact=True).fill("Vannet er stengt.")
    page.get_by_role("button", name="Save and preview").click()

    expect(page.locator("main")).to_contain_text("Zone: Sentrum")
    recipients = page.get_by_role("table", name="Recipients by channel")
    expect(recipients.get_by_role("row", name="In all")).to_contain_text("2")

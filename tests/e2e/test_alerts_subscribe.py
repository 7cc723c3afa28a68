"""A resident subscribes to alerts by e-mail for their address in a real browser, confirms with
the link from the e-mail (a real SMTP server, sent by the real task worker), then changes the
topics and unsubscribes by the subscription's own page."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.db import connection
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from tests.e2e.conftest import Inbox
from torget.alerts import geo
from torget.alerts.models import Address
from torget.organisation.models import Municipality

pytestmark = pytest.mark.browser


@pytest.fixture
def storgata(municipality: Municipality) -> Address:
    x, y = geo.to_25833(10.745, 59.915)
    return Address.objects.create(
        municipality=municipality,
        external_id="1",
        street="Storgata",
        number="5",
        postcode="0150",
        place="Oslo",
        search_key="storgata 5",
        x=x,
        y=y,
        lat=59.915,
        lon=10.745,
    )


@pytest.fixture
def no_map_tiles(settings: Settings) -> None:
    """The map draws no background: every request of the test goes to 127.0.0.1."""
    settings.TORGET_MAP_TILES_URL = ""


def test_resident_subscribes_by_email_for_an_address_and_confirms_with_the_link(
    new_page: Callable[..., Page],
    storgata: Address,
    smtp_inbox: Inbox,
    run_worker: Callable[[], None],
    no_map_tiles: None,
) -> None:
    page = new_page(extra_http_headers={"Accept-Language": "en"})
    page.goto("/varsler/abonner/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Get alerts by SMS or e-mail")
    # With JavaScript the map is there to click; the address needs no map.
    expect(page.get_by_role("region", name="Map: click to choose the point")).to_be_visible()
    # With JavaScript the register suggests addresses as one types.
    page.get_by_label("Address", exact=True).fill("storg")
    expect(page.locator("#address-suggestions option")).to_have_count(1)
    expect(page.locator("#address-suggestions option")).to_have_attribute(
        "value", "Storgata 5, 0150 Oslo"
    )
    page.get_by_label("Address", exact=True).fill("Storgata 5, 0150 Oslo")
    page.get_by_label("Power").uncheck()
    page.get_by_label("E-mail address").fill("nora@example.no")
    page.get_by_role("button", name="Subscribe").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    expect(page.get_by_text("We have sent a link to nora@example.no")).to_be_visible()

    run_worker()
    mail = smtp_inbox.wait_for("nora@example.no")
    body = mail.get_content()
    assert "Storgata 5" in body
    link = re.search(r"(http://\S+/varsler/abonnement/\S+/bekreft/)", body)
    assert link, body

    page.goto(urlsplit(link.group(1)).path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your alerts")
    expect(page.get_by_text("Waiting for confirmation")).to_be_visible()
    page.get_by_role("button", name="Yes, start the alerts").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your alert subscription")
    expect(page.get_by_role("status")).to_contain_text(
        "Your e-mail address is confirmed: your alerts are on."
    )
    summary = page.locator(".subscription-summary")
    expect(summary).to_contain_text("Active")
    expect(summary).to_contain_text("Storgata 5, 0150 Oslo")
    expect(summary).to_contain_text("Water and sewage, Roads and traffic, Other")

    # Change the topics: power only.
    for topic in ("Water and sewage", "Roads and traffic", "Other"):
        page.get_by_label(topic).uncheck()
    page.get_by_label("Power").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Your subscription has been changed.")
    expect(page.locator(".subscription-summary")).to_contain_text("Power")
    expect(page.locator(".subscription-summary")).not_to_contain_text("Water and sewage")

    page.get_by_role("link", name="Unsubscribe from these alerts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from alerts?")
    page.get_by_role("button", name="Yes, unsubscribe").click()
    expect(page.get_by_role("status")).to_contain_text("You have unsubscribed.")
    expect(page.get_by_role("link", name="Subscribe again")).to_be_visible()


def _in_thread(work: Callable[[], str]) -> str:
    """Run `work` (database reads) in a thread without Playwright's event loop."""
    result: list[str] = []

    def run() -> None:
        try:
            result.append(work())
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="reader")
    thread.start()
    thread.join(timeout=30)
    assert result, "the reader did not finish"
    return result[0]


def _latest_sms_code() -> str:
    from torget.alerts.models import OutboxMessage

    message = OutboxMessage.objects.filter(medium="sms", destination="+4791234567").first()
    assert message is not None
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match
    return match.group(1)


def test_resident_clicks_the_map_for_a_point_and_confirms_by_sms_code(
    new_page: Callable[..., Page],
    settings: Settings,
    run_worker: Callable[[], None],
    no_map_tiles: None,
) -> None:
    settings.ALERT_SMS_PROVIDER = "outbox"
    page = new_page(extra_http_headers={"Accept-Language": "en"})
    page.goto("/varsler/abonner/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Get alerts by SMS or e-mail")
    latitude = page.get_by_label("Latitude")
    expect(latitude).to_have_value("")
    page.get_by_role("region", name="Map: click to choose the point").click()
    # The click wrote the point into the fields and chose "A point on the map".
    expect(latitude).to_have_value(re.compile(r"^-?\d+\.\d{6}$"))
    expect(page.get_by_label("Longitude")).to_have_value(re.compile(r"^-?\d+\.\d{6}$"))
    expect(page.get_by_label("A point on the map", exact=True)).to_be_checked()
    # The map shows all of Norway; type a point in Oslo, as one may without the map.
    latitude.fill("59.9150")
    page.get_by_label("Longitude").fill("10.7450")
    page.get_by_label("Radius in metres").fill("500")
    page.get_by_label("Mobile number, for SMS").fill("912 34 567")
    page.get_by_role("button", name="Subscribe").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from the SMS")
    run_worker()
    code = _in_thread(_latest_sms_code)
    page.get_by_label("Code from the SMS").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Wrong code. 4 tries left.")).to_be_visible()
    page.get_by_label("Code from the SMS").fill(code)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your alert subscription")
    expect(page.get_by_role("status")).to_contain_text("your SMS alerts are on")
    summary = page.locator(".subscription-summary")
    expect(summary).to_contain_text("+4791234567")
    expect(summary).to_contain_text("Point 59.91500, 10.74500")
    expect(summary).to_contain_text("within 500 metres")
    expect(summary).to_contain_text("Active")

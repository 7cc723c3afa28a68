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

from conftest import run_tasks
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
def run_worker(transactional_db: None) -> Callable[[], None]:
    """Run the task worker once over the queue, in a thread of its own (Playwright's event loop
    runs in the test's thread, where Django refuses database calls)."""

    def drain() -> None:
        def run() -> None:
            try:
                run_tasks()
            finally:
                connection.close()

        thread = threading.Thread(target=run, name="worker")
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the worker did not finish"

    return drain


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
    page.get_by_label("Address", exact=True).fill("Storgata 5")
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

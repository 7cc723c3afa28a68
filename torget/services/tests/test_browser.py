"""The e-service square in a real browser, with axe on every page: a resident finds a page by
life situation and says what they missed (with and without JavaScript); staff see the
dashboard, the editor and the version history."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.services.models import InfoPage
from torget.services.tests.factories import page_make, situation_make

pytestmark = pytest.mark.browser
EN = {"Accept-Language": "en"}


@pytest.fixture
def info_page(library: Unit) -> InfoPage:
    return page_make(
        library,
        body="## Søk barnehageplass\n\nFristen er **1. mars**.\n\n| Plass | Pris |\n|---|--:|\n"
        "| Hel | 2 000 kr |",
        situations=(situation_make(library),),
    )


def test_resident_finds_the_page_and_says_what_they_missed_without_a_reload(
    new_page: Callable[..., Page], info_page: InfoPage
) -> None:
    page = new_page(extra_http_headers=EN)
    page.goto("/tjenester/")
    page.get_by_role("main").get_by_role("link", name="Få barn", exact=True).click()
    page.get_by_role("main").get_by_role("link", name="Barnehageplass").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Barnehageplass")
    box = page.locator("#tilbakemelding")
    missed = box.get_by_label("What did you miss?")
    expect(missed).to_be_hidden()
    box.get_by_role("button", name="No", exact=True).click()
    expect(missed).to_be_focused()
    expect(page).to_have_url(re.compile(r"/tjenester/side/barnehageplass/$"))
    missed.fill("Hva koster maten?")
    box.get_by_label("Your e-mail address (optional)").fill("kari@example.no")
    box.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    expect(box).to_contain_text("You will get an answer by e-mail.")


def test_without_the_script_no_asks_what_was_missed_in_a_second_step(
    new_page: Callable[..., Page], info_page: InfoPage
) -> None:
    # The feedback script is blocked rather than JavaScript turned off: axe needs JavaScript.
    page = new_page(extra_http_headers=EN)
    page.route(re.compile(r"/static/services/feedback\..*js$"), lambda route: route.abort())
    page.goto("/tjenester/side/barnehageplass/")
    box = page.locator("#tilbakemelding")
    box.get_by_role("button", name="No", exact=True).click()
    expect(box.get_by_role("heading", name="What did you miss?")).to_be_visible()
    expect(page).to_have_url(re.compile(r"tilbakemelding=savnet"))
    box.get_by_label("What did you miss?").fill("Kart over barnehagene")
    box.get_by_role("button", name="Send").click()
    expect(box.get_by_role("heading", name="Thank you for your answer")).to_be_visible()


@pytest.fixture
def staff_cookie(communicator: User, server_url: str) -> dict[str, str]:
    """A logged-in session of the library's communicator (made before the browser opens)."""
    client = Client()
    client.force_login(communicator)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server_url}


def test_staff_dashboard_editor_and_history(
    new_page: Callable[..., Page], info_page: InfoPage, staff_cookie: dict[str, str]
) -> None:
    page = new_page(extra_http_headers=EN)
    page.context.add_cookies([staff_cookie])
    page.goto("/ansatt/tjenester/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Information pages")
    page.get_by_role("link", name="Barnehageplass").click()
    page.get_by_label("Summary").fill("")
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Say in a sentence or two what the page is about.")
    page.get_by_label("Summary").fill("Slik søker du, og hva det koster.")
    page.get_by_label("What did you change?").fill("Pris i sammendraget")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text(
        "The page is saved as a new version."
    )
    page.get_by_role("link", name="Version history").click()
    page.get_by_role("link", name="Version 2").click()
    expect(page.get_by_role("main")).to_contain_text("Slik søker du, og hva det koster.")
    page.get_by_role("link", name="Version history").click()
    page.get_by_role("link", name="Version 1").click()
    page.get_by_role("button", name="Restore this version").click()
    expect(page.locator(".messages")).to_contain_text("Version 1 is restored as version 3.")

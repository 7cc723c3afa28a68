"""The shell every page shares, in a real browser: languages, keyboard, small screens, 404."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from torget.organisation.models import Unit

pytestmark = pytest.mark.browser


def expect_shell_in(page: Page, *, lang: str, skip: str, front: str, log_in: str) -> None:
    """The page is in `lang`: its root says so, and the shell's own words are in it."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("a.skip-link")).to_have_text(skip)
    menu = page.get_by_role("banner").get_by_role("navigation").first
    expect(menu.get_by_role("link", name=front, exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name=log_in, exact=True)).to_be_visible()


def test_front_page_is_in_bokmal_for_a_browser_without_a_language(page: Page) -> None:
    page.goto("/")
    expect_shell_in(
        page, lang="nb", skip="Hopp til hovedinnholdet", front="Forside", log_in="Logg inn"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Velkommen til Testvik kommune")
    switcher = page.get_by_role("navigation", name="Språk")
    expect(switcher.get_by_role("link", name="Norsk bokmål")).to_have_attribute(
        "aria-current", "true"
    )


def test_language_switcher_shows_the_front_page_in_nynorsk(page: Page) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    page.get_by_role("banner").get_by_role("link", name="Norsk nynorsk").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect_shell_in(
        page, lang="nn", skip="Hopp til hovudinnhaldet", front="Framside", log_in="Logg inn"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Velkomen til Testvik kommune")
    expect(page.get_by_role("link", name="Norsk nynorsk")).to_have_attribute("aria-current", "true")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("torget_language") == "nn"


def test_front_page_is_in_english_for_a_browser_asking_for_english(
    new_page: Callable[..., Page],
) -> None:
    page = new_page(extra_http_headers={"Accept-Language": "en"})
    assert page.context.cookies() == []

    page.goto("/")
    expect_shell_in(
        page, lang="en", skip="Skip to main content", front="Front page", log_in="Log in"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Testvik kommune")


def test_skip_link_is_the_first_stop_of_the_keyboard_and_moves_focus_to_main(page: Page) -> None:
    page.goto("/")
    skip = page.get_by_role("link", name="Hopp til hovedinnholdet")
    expect(skip).to_have_attribute("href", "#main")

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # hidden until focused, then shown

    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


def test_front_page_fits_a_320_px_wide_screen(
    new_page: Callable[..., Page], library: Unit, school: Unit
) -> None:
    page = new_page(viewport={"width": 320, "height": 640})
    page.goto("/")
    expect(page.get_by_role("link", name="Testvik bibliotek")).to_be_visible()
    expect(page.get_by_role("link", name="Testvik skole")).to_be_visible()

    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"the page scrolls sideways: {scroll_width} px wide at 320 px"


def test_unknown_address_shows_the_404_page_in_the_shell(page: Page) -> None:
    response = page.goto("/finnes-ikke/")

    assert response is not None and response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vi fant ikke siden")
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="Testvik kommune")).to_be_visible()
    switcher = header.get_by_role("navigation", name="Språk")
    expect(switcher.get_by_role("link")).to_have_text(["Norsk bokmål", "Norsk nynorsk", "English"])
    expect(page.get_by_role("main").get_by_role("link", name="Gå til forsiden")).to_be_visible()

"""The inbox in a real browser: keyboard shortcuts, the help dialog, canned replies filled by
the script, and the live region that tells of new messages (polling status.json)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from torget.accounts.models import User
from torget.conversations import services
from torget.conversations.models import CannedReply, Thread
from torget.organisation.models import Unit

pytestmark = pytest.mark.browser


def session_cookie(user: User, server_url: str) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server_url}


@pytest.fixture
def threads(library: Unit, resident: User, communicator: User) -> list[Thread]:
    answered = services.thread_open(
        unit=library, channel="web", body="Har dere lydbøker?", actor=resident, title="Lydbøker"
    )
    services.thread_answer(threads=[answered], actor=communicator, body="Ja.")
    CannedReply.objects.create(unit=library, title="Åpningstider", body="Vi har åpent 10–19.")
    return [
        answered,
        *(
            services.thread_open(
                unit=library, channel="email", body=f"Spørsmål {n}", actor=None, title=f"T{n}"
            )
            for n in range(3)
        ),
    ]


@pytest.fixture
def staff_cookie(communicator: User, server_url: str) -> dict[str, str]:
    return session_cookie(communicator, server_url)


@pytest.fixture
def resident_cookie(resident: User, server_url: str) -> dict[str, str]:
    return session_cookie(resident, server_url)


def test_inbox_keyboard_shortcuts_and_help(
    new_page: Callable[..., Page], threads: list[Thread], staff_cookie: dict[str, str]
) -> None:
    page = new_page(extra_http_headers={"Accept-Language": "en"})
    page.context.add_cookies([staff_cookie])
    page.goto("/ansatt/innboks/")
    rows = page.locator("[data-inbox-row]")
    expect(rows).to_have_count(3)
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile("is-current"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile("is-current"))
    expect(rows.nth(0)).not_to_have_class(re.compile("is-current"))
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class(re.compile("is-current"))
    expect(rows.nth(0).get_by_role("link", name="T0")).to_be_focused()
    page.keyboard.press("x")
    expect(rows.nth(0).get_by_role("checkbox")).to_be_checked()

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.keyboard.press("a")
    box = rows.nth(0).get_by_label("Answer", exact=True)
    expect(box).to_be_focused()
    page.keyboard.type("jkx?")  # typing in a field fires no shortcut
    expect(box).to_have_value("jkx?")
    expect(rows.nth(0)).to_have_class(re.compile("is-current"))
    expect(dialog).to_be_hidden()

    page.keyboard.press("Escape")
    rows.nth(1).get_by_role("link").focus()
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(rf"/ansatt/samtaler/{threads[2].pk}/$"))
    page.keyboard.press("n")
    expect(page.get_by_role("textbox", name="Internal note")).to_be_focused()
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("a")
    expect(page.get_by_role("textbox", name="Answer", exact=True)).to_be_focused()


def test_canned_reply_is_filled_by_the_script(
    new_page: Callable[..., Page], threads: list[Thread], staff_cookie: dict[str, str]
) -> None:
    page = new_page(extra_http_headers={"Accept-Language": "en"})
    page.context.add_cookies([staff_cookie])
    page.goto(f"/ansatt/samtaler/{threads[1].pk}/")
    page.get_by_role("textbox", name="Answer", exact=True).fill("Hei,")
    page.get_by_label("Start from a canned reply").select_option(label="Åpningstider")
    page.get_by_role("button", name="Use this canned reply").click()
    expect(page.get_by_role("textbox", name="Answer", exact=True)).to_have_value(
        "Hei,\n\nVi har åpent 10–19."
    )
    expect(page).to_have_url(re.compile(rf"/ansatt/samtaler/{threads[1].pk}/$"))  # no POST


def test_inbox_tells_of_new_messages_in_a_live_region(
    new_page: Callable[..., Page],
    threads: list[Thread],
    staff_cookie: dict[str, str],
    resident_cookie: dict[str, str],
) -> None:
    staff = new_page(extra_http_headers={"Accept-Language": "en"})
    staff.context.add_cookies([staff_cookie])
    staff.clock.install()
    staff.goto("/ansatt/innboks/")
    expect(staff.locator("[data-inbox-row]")).to_have_count(3)
    live = staff.locator("#inbox-live")
    expect(live).to_have_attribute("aria-live", "polite")
    staff.clock.run_for(16_000)
    expect(live).to_be_empty()

    resident = new_page(extra_http_headers={"Accept-Language": "en"})
    resident.context.add_cookies([resident_cookie])
    resident.goto(f"/samtaler/{threads[0].pk}/")
    resident.get_by_label("Your message").fill("Også på nynorsk?")
    resident.get_by_role("button", name="Send").click()
    expect(resident.get_by_text("Your message has been sent.")).to_be_visible()

    staff.clock.run_for(16_000)
    link = live.get_by_role("link", name="1 new message – show")
    expect(link).to_be_visible()
    link.click()
    expect(staff.locator("[data-inbox-row]")).to_have_count(4)
    expect(staff.get_by_role("link", name="Lydbøker")).to_be_visible()

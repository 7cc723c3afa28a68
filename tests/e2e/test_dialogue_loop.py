"""The whole loop of issue 3 in a real browser, against the real ASGI server and a real worker:
a resident comments on a post → a communicator finds it in the inbox → answers → the resident
sees "Svar fra …" and gets the e-mail (a real SMTP server) → the dashboard's reply rate changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_inbox import session_cookie
from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.pages.models import Post
from torget.pages.services import post_create

pytestmark = pytest.mark.browser


@pytest.fixture
def post(library: Unit, communicator: User) -> Post:
    return post_create(
        unit=library,
        actor=communicator,
        title="Hva ønsker du deg på biblioteket?",
        body="Vi planlegger neste år. Hva savner du?",
        kind="dialogue",
    )


@pytest.fixture
def cookies(resident: User, communicator: User, server_url: str) -> dict[str, dict[str, str]]:
    """Session cookies, made before the browser starts (no ORM while it runs)."""
    return {
        "resident": session_cookie(resident, server_url),
        "staff": session_cookie(communicator, server_url),
    }


def test_resident_question_is_answered_from_the_inbox_and_counted(
    new_page: Callable[..., Page],
    post: Post,
    cookies: dict[str, dict[str, str]],
    smtp_inbox: object,
    run_worker: Callable[[], None],
) -> None:
    resident_cookie, staff_cookie = cookies["resident"], cookies["staff"]

    # The dashboard before: no question, so no reply rate.
    staff = new_page(extra_http_headers={"Accept-Language": "en"})
    staff.context.add_cookies([staff_cookie])
    staff.goto("/ansatt/innsikt/")
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Dialogue metrics")
    expect(staff.locator("main")).to_contain_text("No resident asked a question in this period")

    # The resident comments on the post (Bokmål, the municipality's målform).
    reader = new_page(extra_http_headers={"Accept-Language": "nb"})
    reader.context.add_cookies([resident_cookie])
    reader.goto(f"/innlegg/{post.pk}/")
    reader.get_by_label("Kommentaren din").fill("Kan dere ha åpent på søndager?")
    reader.get_by_role("button", name="Publiser kommentaren").click()
    expect(reader.locator("main")).to_contain_text("Kan dere ha åpent på søndager?")

    # The communicator finds it in the inbox, opens it and answers.
    staff.goto("/ansatt/innboks/")
    row = staff.locator("main").get_by_text("Kan dere ha åpent på søndager?").first
    expect(row).to_be_visible()
    staff.get_by_role("link", name=re.compile("Hva ønsker du deg på biblioteket")).first.click()
    expect(staff).to_have_url(re.compile(r"/ansatt/samtaler/\d+/"))
    staff.locator("form[data-answer-form] textarea").fill(
        "Ja, fra januar har vi åpent søndag 12–16."
    )
    staff.get_by_role("button", name="Send answer").click()
    expect(staff.locator("main")).to_contain_text("Your answer has been sent.")
    staff.goto("/ansatt/innboks/")
    expect(staff.locator("main")).not_to_contain_text("Kan dere ha åpent på søndager?")

    # The resident sees the official answer on the post…
    reader.goto(f"/innlegg/{post.pk}/")
    expect(reader.locator("main")).to_contain_text("Svar fra Testvik bibliotek")
    expect(reader.locator("main")).to_contain_text("Ja, fra januar har vi åpent søndag 12–16.")

    # …and by e-mail, through the worker and a real SMTP server, with a link back.
    run_worker()
    mail = smtp_inbox.wait_for("nora@example.no")  # type: ignore[attr-defined]
    assert mail["Subject"] == "Svar fra Testvik bibliotek"
    body = mail.get_content()
    assert "Ja, fra januar har vi åpent søndag 12–16." in body
    assert f"/innlegg/{post.pk}/" in body

    # The dashboard's reply rate is now 100 %.
    staff.goto("/ansatt/innsikt/")
    reply_rate = staff.locator("dt", has_text="Reply rate (answered within").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(reply_rate).to_contain_text("100.0")

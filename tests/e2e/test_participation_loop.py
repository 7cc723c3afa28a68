"""The participation loop of issue 6 in a real browser, against the real ASGI server and a real
worker: a resident opens a planning process, downloads the plan sketch, gives a statement to
the hearing on one section with an attachment, votes on the short views, and later sees the
municipality's official answer (by e-mail, and on the statement's page reached from Min side).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from fpdf import FPDF
from playwright.sync_api import Page, expect

from conftest import _staff
from tests.e2e.test_inbox import session_cookie
from tests.factories import unit_make
from torget.accounts.models import User
from torget.organisation.models import Municipality, Role, Unit
from torget.participation.models import Hearing
from torget.participation.services.processes import document_add
from torget.participation.services.shortviews import short_view_add
from torget.participation.tests.factories import hearing_make, process_make

pytestmark = pytest.mark.browser

SHORT_VIEWS = [
    "Sentrum bør bli bilfritt på lørdager.",
    "Bussene må få egne felt gjennom sentrum.",
    "Det trengs flere parkeringsplasser ved torget.",
]


def pdf_bytes(title: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=16)
    pdf.cell(text=title)
    return bytes(pdf.output())


@pytest.fixture
def planning(municipality: Municipality, root_unit: Unit) -> Unit:
    return unit_make(
        municipality, slug="planprosjekt", name="Planprosjekt sentrum", kind="planning"
    )


@pytest.fixture
def planner(planning: Unit) -> User:
    return _staff(planning, Role.COMMUNICATOR, "planlegger@testvik.kommune.no")


@pytest.fixture
def hearing(planning: Unit, planner: User) -> Hearing:
    """A process in its input phase with a plan sketch, an open hearing in two sections and
    three short views by staff — made before the browser starts (no ORM while it runs)."""
    process = process_make(
        planning,
        slug="veisystemet",
        title="Omlegging av veisystemet i sentrum",
        summary="Kommunen foreslår å legge om trafikken i sentrum.",
    )
    document_add(
        process=process,
        actor=planner,
        upload=SimpleUploadedFile("planskisse.pdf", pdf_bytes("Planskisse sentrum")),
        name="planskisse.pdf",
        title="Planskisse",
    )
    for text in SHORT_VIEWS:
        short_view_add(process=process, actor=planner, text=text)
    return hearing_make(process, title="Høring: veisystemet i sentrum", sections=2)


@pytest.fixture
def cookies(resident: User, planner: User, server_url: str) -> dict[str, dict[str, str]]:
    return {
        "resident": session_cookie(resident, server_url),
        "staff": session_cookie(planner, server_url),
    }


def test_resident_downloads_the_sketch_gives_a_statement_votes_and_sees_the_answer(
    new_page: Callable[..., Page],
    hearing: Hearing,
    cookies: dict[str, dict[str, str]],
    smtp_inbox: object,
    run_worker: Callable[[], None],
    tmp_path: Path,
) -> None:
    attachment = tmp_path / "innspill.pdf"
    attachment.write_bytes(pdf_bytes("Skisse av en rundkjoring"))
    reader = new_page(extra_http_headers={"Accept-Language": "en"})
    reader.context.add_cookies([cookies["resident"]])

    # The process, found from the main menu, with its timeline and the plan sketch.
    reader.goto("/")
    reader.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Participation"
    ).click()
    reader.get_by_role("link", name="Omlegging av veisystemet i sentrum").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(
        "Omlegging av veisystemet i sentrum"
    )
    documents = reader.locator("ul.documents")
    expect(documents).to_contain_text("PDF")
    sketch = documents.get_by_role("link", name="Planskisse")
    download = reader.request.get(sketch.get_attribute("href") or "")
    assert download.status == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.body().startswith(b"%PDF")

    # A statement on section 2, with an attachment.
    reader.get_by_role("link", name=re.compile("Høring: veisystemet i sentrum")).first.click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Høring: veisystemet i sentrum")
    form = reader.locator("#statement-form")
    form.get_by_label("What is your statement about?").select_option(index=2)
    form.get_by_label("Your statement", exact=True).fill(
        "Rundkjøringen bør flyttes nærmere skolen."
    )
    form.get_by_label("Attachment 1 (optional)").set_input_files(str(attachment))
    form.get_by_role("button", name="Send the statement").click()
    expect(reader.locator("main")).to_contain_text("Rundkjøringen bør flyttes nærmere skolen.")
    expect(reader.locator("main")).to_contain_text("innspill.pdf")

    # The short views: agree, disagree, pass, one statement at a time.
    reader.goto(f"/medvirkning/{hearing.process.slug}/korte-synspunkter/")
    vote = reader.locator("#stem")
    for choice in ("Agree", "Disagree", "Pass"):
        vote.get_by_role("button", name=choice, exact=True).click()
    expect(reader.locator("#stem")).to_contain_text("You have voted on all statements")
    results = reader.locator("#resultater")
    for text in SHORT_VIEWS:
        expect(results).to_contain_text(text)

    # The planner answers the statement from the hearing's staff list.
    staff = new_page(extra_http_headers={"Accept-Language": "en"})
    staff.context.add_cookies([cookies["staff"]])
    staff.goto(f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/uttalelser/")
    staff.get_by_label("Select statement 1").check()
    staff.get_by_label(re.compile("Answer")).last.fill(
        "Takk! Vi ser på plasseringen av rundkjøringen i det videre arbeidet."
    )
    staff.get_by_role("button", name="Answer the selected statements with one answer").click()
    expect(staff.locator("main")).to_contain_text("Vi ser på plasseringen av rundkjøringen")

    # The resident is told by e-mail, and sees the answer on the statement's page.
    run_worker()
    mail = smtp_inbox.wait_for("nora@example.no")  # type: ignore[attr-defined]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Vi ser på plasseringen av rundkjøringen" in text, text
    reader.goto("/min-side/")
    reader.get_by_role("link", name=re.compile("Høring: veisystemet i sentrum")).first.click()
    conversation = reader.locator("main")
    expect(conversation).to_contain_text("Rundkjøringen bør flyttes nærmere skolen.")
    expect(conversation).to_contain_text("Answer from Planprosjekt sentrum")
    expect(conversation).to_contain_text("Vi ser på plasseringen av rundkjøringen")

"""The whole loop of issue 5 in a real browser, against the real ASGI server and a real worker:
a resident finds the kindergarten form by searching, applies, gets the receipt (on screen and
by e-mail with the PDF), sees the case on Min side; the case officer finds it among the cases,
sets it in progress and writes to the resident; the resident reads it on the case page and
answers, and the answer waits in the officer's inbox.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from conftest import _staff
from tests.e2e.test_inbox import session_cookie
from tests.factories import unit_make
from torget.accounts.models import User
from torget.cases.models import Form
from torget.demo.cases import forms_ensure
from torget.demo.services import services_ensure
from torget.organisation.models import Municipality, Role, Unit

pytestmark = pytest.mark.browser

APPLICATION_FORM = "soknad-om-barnehageplass"
# The demo units that the demo's information pages belong to (torget/demo/data.py makes them in
# the demo municipality; here they are made in the test's).
DEMO_UNITS = [
    ("servicetorget", "Servicetorget", "service_centre"),
    ("skole", "Skole og oppvekst", "school"),
    ("naeringsutvikling", "Næringsutvikling", "business"),
]


def national_id(birth: str, individual: int) -> str:
    """A fødselsnummer with valid check digits: `birth` as DDMMYY, the first individual number
    from `individual` upwards for which both mod-11 check digits exist."""
    first_weights = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    second_weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    for number in range(individual, 1000):
        digits = [int(c) for c in f"{birth}{number:03d}"]
        k1 = 11 - sum(w * d for w, d in zip(first_weights, digits, strict=True)) % 11
        k1 = 0 if k1 == 11 else k1
        if k1 == 10:
            continue
        k2 = 11 - sum(w * d for w, d in zip(second_weights, [*digits, k1], strict=True)) % 11
        k2 = 0 if k2 == 11 else k2
        if k2 == 10:
            continue
        return f"{birth}{number:03d}{k1}{k2}"
    raise AssertionError("no valid number")


@pytest.fixture
def square(municipality: Municipality, root_unit: Unit) -> Form:
    """The demo's information pages and forms in the test municipality (indexed for search),
    with the demo's units they belong to."""
    for slug, name, kind in DEMO_UNITS:
        unit_make(municipality, slug=slug, name=name, kind=kind)
    services_ensure(municipality)
    forms_ensure(municipality)
    return Form.objects.select_related("unit").get(municipality=municipality, slug=APPLICATION_FORM)


@pytest.fixture
def officer(square: Form) -> User:
    return _staff(square.unit, Role.CASE_OFFICER, "saksbehandler@testvik.kommune.no")


@pytest.fixture
def cookies(resident: User, officer: User, server_url: str) -> dict[str, dict[str, str]]:
    """Session cookies, made before the browser starts (no ORM while it runs)."""
    return {
        "resident": session_cookie(resident, server_url),
        "staff": session_cookie(officer, server_url),
    }


def test_resident_finds_the_form_applies_and_talks_with_the_case_officer(
    new_page: Callable[..., Page],
    cookies: dict[str, dict[str, str]],
    smtp_inbox: object,
    run_worker: Callable[[], None],
) -> None:
    start = datetime.date.today() + datetime.timedelta(days=60)
    reader = new_page(extra_http_headers={"Accept-Language": "en"})
    reader.context.add_cookies([cookies["resident"]])

    # Search, as a resident would type it: a compound word.
    reader.goto("/")
    reader.get_by_role("link", name="Search", exact=True).first.click()
    reader.locator("main").get_by_label("What are you looking for?").fill("barnehageplass")
    reader.locator("main").get_by_role("button", name="Search").click()
    forms_group = reader.locator("section.search-group", has=reader.locator("#results-form"))
    expect(forms_group).to_contain_text("Søknad om barnehageplass")
    forms_group.get_by_role("link", name="Søknad om barnehageplass").click()
    expect(reader).to_have_url(re.compile(rf"/skjema/{APPLICATION_FORM}/$"))

    # A half-filled form comes back with the error beside the field and keeps what was typed.
    reader.get_by_label("Barnets navn").fill("Ola Nordmann")
    reader.get_by_role("button", name="Send").click()
    expect(reader.locator("main")).to_contain_text("Barnets fødselsnummer")
    expect(reader.get_by_label("Barnets navn")).to_have_value("Ola Nordmann")

    reader.get_by_label("Barnets fødselsnummer").fill(national_id("150324", 100))
    reader.get_by_label("Ønsket oppstartsdato").fill(start.isoformat())
    reader.get_by_label("1st choice").select_option(label="Solsikken barnehage")
    reader.get_by_label("2nd choice").select_option(label="Fjordglimt barnehage")
    reader.get_by_label("Særskilte behov").fill("Allergisk mot nøtter.")
    reader.get_by_label(re.compile("Jeg har lest vilkårene")).check()
    reader.get_by_role("button", name="Send").click()

    # The receipt, with its reference number.
    expect(reader.get_by_role("heading", level=1)).to_contain_text("Receipt")
    receipt = reader.locator("main").inner_text()
    found = re.search(r"\b(\d{4}-\d{6})\b", receipt)
    assert found, receipt
    reference = found.group(1)
    expect(reader.locator("main")).to_contain_text("Solsikken barnehage")

    # The receipt by e-mail, with the PDF, through the worker and a real SMTP server.
    run_worker()
    mail = smtp_inbox.wait_for("nora@example.no")  # type: ignore[attr-defined]
    assert reference in mail["Subject"]
    attachments = list(mail.iter_attachments())
    assert [part.get_content_type() for part in attachments] == ["application/pdf"]
    assert attachments[0].get_content().startswith(b"%PDF")

    # Min side lists the case.
    reader.goto("/min-side/")
    my_cases = reader.locator("#cases")
    expect(my_cases).to_contain_text(reference)
    expect(my_cases).to_contain_text("Søknad om barnehageplass")
    expect(my_cases).to_contain_text("Received")

    # The case officer finds it among the unit's cases, sets it in progress and writes.
    staff = new_page(extra_http_headers={"Accept-Language": "en"})
    staff.context.add_cookies([cookies["staff"]])
    staff.goto("/ansatt/saker/")
    staff.get_by_role("link", name=re.compile(reference)).first.click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(reference)
    staff.locator("#status select").select_option(label="In progress")
    staff.locator("#status textarea").fill("Vi har begynt å behandle søknaden.")
    staff.get_by_role("button", name="Change the status").click()
    expect(staff.locator("main")).to_contain_text("In progress")
    staff.locator("#answer textarea").fill("Kan du sende oss legeerklæringen om allergien?")
    staff.get_by_role("button", name="Send answer").click()
    expect(staff.locator("#samtale")).to_contain_text("legeerklæringen om allergien")

    # The resident is told by e-mail, reads the message on the case page and answers.
    run_worker()
    notices = smtp_inbox.wait_for_count("nora@example.no", 3)  # type: ignore[attr-defined]
    texts = [m.get_body(preferencelist=("plain",)).get_content() for m in notices]
    assert any("Vi har begynt å behandle søknaden." in text for text in texts), texts
    assert any("legeerklæringen om allergien" in text for text in texts), texts
    reader.goto("/min-side/")
    reader.locator("#cases").get_by_role(
        "link", name=re.compile("Søknad om barnehageplass")
    ).click()
    expect(reader.get_by_role("heading", level=1)).to_contain_text(reference)
    conversation = reader.locator("#samtale")
    expect(conversation).to_contain_text("Kan du sende oss legeerklæringen om allergien?")
    expect(reader.locator("main")).to_contain_text("In progress")
    conversation.locator("textarea").fill("Ja, den kommer i posten i morgen.")
    conversation.get_by_role("button", name="Send").click()
    expect(conversation).to_contain_text("Ja, den kommer i posten i morgen.")

    # The answer waits for the officer in the inbox.
    staff.goto("/ansatt/innboks/")
    expect(staff.locator("main")).to_contain_text("Ja, den kommer i posten i morgen.")

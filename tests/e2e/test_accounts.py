"""Signing up and logging in, in a real browser: password, one-time code by e-mail, two factors."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

import pytest
import time_machine
from allauth.mfa import app_settings as mfa_settings
from playwright.sync_api import Page, expect

from conftest import TOTP_SECRET
from tests.e2e.conftest import Inbox
from tests.factories import UserFactory
from torget.accounts.models import User
from torget.accounts.services import totp_current_code
from torget.organisation import services as org
from torget.organisation.models import Role, Unit

pytestmark = pytest.mark.browser

PASSWORD_FIELD = re.compile(r"^Passord:?$")
REPEAT_FIELD = re.compile(r"^Passord \(gjenta\):?$")


def expect_logged_in_as(page: Page, email: str) -> None:
    """Min side greets the person, and the menu offers to log out instead of in."""
    expect(page).to_have_url(re.compile(r"/min-side/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Min side")
    expect(page.get_by_role("main")).to_contain_text(f"Du er logget inn som {email}.")
    menu = page.get_by_role("navigation", name="Hovedmeny")
    expect(menu.get_by_role("button", name="Logg ut")).to_be_visible()
    expect(menu.get_by_role("link", name="Logg inn")).to_have_count(0)


def expect_logged_out(page: Page) -> None:
    menu = page.get_by_role("navigation", name="Hovedmeny")
    expect(menu.get_by_role("link", name="Logg inn")).to_be_visible()


def log_in_with_password(page: Page, email: str, password: str) -> None:
    page.goto("/konto/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logg inn")
    page.get_by_label("E-post").fill(email)
    page.get_by_label(PASSWORD_FIELD).fill(password)
    page.get_by_role("main").get_by_role("button", name="Logg inn").click()


@contextmanager
def start_of_a_totp_period() -> Iterator[None]:
    """Move the clock of the whole process (the server's thread too) to the start of a TOTP
    period and let it run from there, so a code read now is still valid when it is sent."""
    period = mfa_settings.TOTP_PERIOD
    with time_machine.travel((int(time.time()) // period + 1) * period, tick=True):
        yield


# --- sign-up ---------------------------------------------------------------------------------


def test_resident_signs_up_with_email_and_password_and_is_logged_in(page: Page) -> None:
    page.goto("/konto/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrer deg")
    page.get_by_label("E-post").fill("ny.innbygger@example.no")
    page.get_by_label(PASSWORD_FIELD).fill("Et-godt-passord-2026")
    page.get_by_label(REPEAT_FIELD).fill("Et-godt-passord-2026")
    page.get_by_role("main").get_by_role("button", name="Registrer deg").click()

    expect_logged_in_as(page, "ny.innbygger@example.no")


def test_signup_with_mismatched_passwords_keeps_the_email_and_says_what_is_wrong(
    page: Page,
) -> None:
    page.goto("/konto/signup/")
    page.get_by_label("E-post").fill("ny.innbygger@example.no")
    page.get_by_label(PASSWORD_FIELD).fill("Et-godt-passord-2026")
    page.get_by_label(REPEAT_FIELD).fill("Et-annet-passord-2026")
    page.get_by_role("main").get_by_role("button", name="Registrer deg").click()

    expect(page).to_have_url(re.compile(r"/konto/signup/$"))
    expect(page.get_by_label("E-post")).to_have_value("ny.innbygger@example.no")
    repeat = page.get_by_label(REPEAT_FIELD)
    expect(repeat).to_have_attribute("aria-invalid", "true")
    expect(repeat).to_have_accessible_description("Du må skrive det samme passordet hver gang.")
    expect_logged_out(page)


def test_signup_password_rules_are_the_description_of_the_password_field(page: Page) -> None:
    page.goto("/konto/signup/")
    password = page.get_by_label(PASSWORD_FIELD)
    expect(password).to_be_visible()
    # Screen readers read a field's description when it gets focus; the rules must be in it.
    expect(password).to_have_accessible_description(re.compile(r"minst 8 tegn"))


# --- log-in with a password ------------------------------------------------------------------


def test_resident_logs_in_with_email_and_password(
    page: Page, resident: User, password: str
) -> None:
    log_in_with_password(page, "nora@example.no", password)

    expect_logged_in_as(page, "nora@example.no")


def test_wrong_password_says_so_and_keeps_the_email(page: Page, resident: User) -> None:
    log_in_with_password(page, "nora@example.no", "Feil-passord-2026")

    expect(page).to_have_url(re.compile(r"/konto/login/$"))
    expect(page.get_by_role("main")).to_contain_text(
        "E-postadressen og/eller passordet du oppgav er feil."
    )
    expect(page.get_by_label("E-post")).to_have_value("nora@example.no")
    expect(page.get_by_label(PASSWORD_FIELD)).to_have_value("")
    expect_logged_out(page)


# --- log-in with a one-time code by e-mail ---------------------------------------------------


def request_login_code(page: Page, email: str, inbox: Inbox) -> EmailMessage:
    """Ask for a one-time code from the log-in page; the e-mail that brought it."""
    page.goto("/konto/login/")
    page.get_by_role("link", name="Send meg en innloggingskode").click()
    expect(page).to_have_url(re.compile(r"/konto/login/code/$"))
    page.get_by_label("E-post").fill(email)
    page.get_by_role("main").get_by_role("button", name="Be om kode").click()

    expect(page).to_have_url(re.compile(r"/konto/login/code/confirm/$"))
    expect(page.get_by_role("status")).to_contain_text(email)
    return inbox.wait_for(email)


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None, "the e-mail has no plain-text part"
    return str(body.get_content())


def test_resident_logs_in_with_a_code_sent_by_email(
    page: Page, resident: User, smtp_inbox: Inbox
) -> None:
    message = request_login_code(page, "nora@example.no", smtp_inbox)
    text = plain_text(message)
    found = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", text, re.MULTILINE)
    assert found, f"no code in the e-mail:\n{text}"

    page.get_by_label("Kode").fill(found.group(1))
    page.get_by_role("main").get_by_role("button", name="Bekreft").click()

    expect_logged_in_as(page, "nora@example.no")


def test_login_code_email_names_the_municipality_not_the_server_address(
    page: Page, resident: User, smtp_inbox: Inbox, server_url: str
) -> None:
    message = request_login_code(page, "nora@example.no", smtp_inbox)
    expect(page.get_by_role("heading", level=1)).to_have_text("Skriv inn innloggingskode")

    address = server_url.removeprefix("http://")
    subject, text = str(message["Subject"]), plain_text(message)
    assert "Testvik kommune" in subject, subject
    assert address not in subject, subject
    # allauth greets "from" and thanks for using the site by its name; the address may follow.
    assert "Testvik kommune" in text.split("\n", 1)[0], text


# --- staff: two factors ----------------------------------------------------------------------


def test_staff_logs_in_with_password_and_authenticator_code(
    page: Page, communicator: User, password: str
) -> None:
    log_in_with_password(page, "kommunikasjon@example.no", password)

    expect(page).to_have_url(re.compile(r"/konto/2fa/authenticate/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tofaktorautentisering")
    expect_logged_out(page)  # not until the second factor
    with start_of_a_totp_period():
        page.get_by_label("Kode").fill(totp_current_code(secret=TOTP_SECRET))
        page.get_by_role("main").get_by_role("button", name="Logg inn").click()
        expect(page).to_have_url(re.compile(r"/min-side/$"))

    expect_logged_in_as(page, "kommunikasjon@example.no")
    menu = page.get_by_role("navigation", name="Hovedmeny")
    menu.get_by_role("link", name="Ansatt").click()
    expect(page).to_have_url(re.compile(r"/ansatt/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ansatt")
    expect(page.get_by_role("main")).to_contain_text("Testvik bibliotek")


@pytest.fixture
def staff_without_totp(library: Unit) -> User:
    """A communicator of the library who has not set up an authenticator app."""
    user = UserFactory(email="ny.ansatt@example.no")
    org.membership_grant(user=user, unit=library, role=Role.COMMUNICATOR)
    return user


def test_staff_without_authenticator_must_set_one_up_before_the_staff_pages(
    page: Page, staff_without_totp: User, password: str
) -> None:
    log_in_with_password(page, "ny.ansatt@example.no", password)
    # Sent towards the activation page; allauth first asks for the password once more.
    expect(page).to_have_url(re.compile(r"/konto/reauthenticate/\?next=%2Fkonto%2F2fa%2Ftotp"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bekreft tilgang")

    page.goto("/ansatt/")
    expect(page).to_have_url(re.compile(r"/konto/reauthenticate/\?next=%2Fkonto%2F2fa%2Ftotp"))
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Ansatt")

    page.get_by_label(PASSWORD_FIELD).fill(password)
    page.get_by_role("main").get_by_role("button", name="Bekreft").click()
    expect(page).to_have_url(re.compile(r"/konto/2fa/totp/activate/\?next=/ansatt/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Aktiver autentiseringsapp")

    page.goto("/ansatt/")  # still not through: the app is not set up yet
    expect(page).to_have_url(re.compile(r"/konto/2fa/totp/activate/\?next=/ansatt/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Aktiver autentiseringsapp")

    secret = page.get_by_label("Autentiseringshemmelighet").input_value()
    with start_of_a_totp_period():
        page.get_by_label("Autentiseringskode").fill(totp_current_code(secret=secret))
        page.get_by_role("main").get_by_role("button", name="Aktiver").click()
        expect(page).to_have_url(re.compile(r"/konto/2fa/recovery-codes/$"))
    expect(page.get_by_role("status")).to_contain_text("Autentiseringsapp aktivert.")

    page.goto("/ansatt/")
    expect(page).to_have_url(re.compile(r"/ansatt/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ansatt")
    expect(page.get_by_role("main")).to_contain_text("Testvik bibliotek")

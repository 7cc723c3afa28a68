"""People, passwords, log-in limits and two-factor log-in for staff."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from torget.accounts.models import User
from torget.accounts.services import totp_current_code, user_activate_totp, user_create
from torget.organisation import services as org
from torget.organisation.models import Municipality, Role, Unit


def test_user_create_normalises_email_and_hashes_with_argon2(db: None) -> None:
    user = user_create(email="Nora@Example.NO", password="Et-godt-passord-2026")
    assert user.email == "nora@example.no"
    assert user.password.startswith("argon2$")
    assert user.check_password("Et-godt-passord-2026")


def test_user_without_password_logs_in_only_by_code(db: None) -> None:
    user = user_create(email="kode@example.no", password=None)
    assert not user.has_usable_password()


def test_my_page_requires_login(client: Client, municipality: Municipality) -> None:
    response = client.get("/min-side/")
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/login/?next=/min-side/")


def test_my_page_shows_the_account(
    client: Client, municipality: Municipality, resident: User
) -> None:
    client.force_login(resident)
    response = client.get("/min-side/", HTTP_ACCEPT_LANGUAGE="en")
    assert "nora@example.no" in response.text
    assert "Staff" not in response.text  # no staff menu for a resident


def test_staff_home_lists_roles(
    client: Client, municipality: Municipality, communicator: User
) -> None:
    client.force_login(communicator)
    response = client.get("/ansatt/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Testvik bibliotek" in response.text and "Communicator" in response.text


def test_password_login_and_wrong_password_keeps_email(
    client: Client, municipality: Municipality, resident: User, password: str
) -> None:
    wrong = client.post(
        "/konto/login/", {"login": "nora@example.no", "password": "feil"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert wrong.status_code == 200
    assert 'value="nora@example.no"' in wrong.text
    assert "not correct" in wrong.text
    right = client.post("/konto/login/", {"login": "nora@example.no", "password": password})
    assert right.status_code == 302
    assert client.get("/min-side/").status_code == 200


def test_failed_logins_lock_the_account_for_a_while(
    client: Client, municipality: Municipality, resident: User, password: str
) -> None:
    for i in range(5):
        client.post("/konto/login/", {"login": "nora@example.no", "password": f"feil{i}"})
    locked = client.post(
        "/konto/login/",
        {"login": "nora@example.no", "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert locked.status_code == 200
    assert "Too many failed login attempts" in locked.text
    assert client.get("/min-side/").status_code == 302  # still not logged in


def test_login_attempts_per_address_are_limited_with_429(
    client: Client, municipality: Municipality, settings: object
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"login": "3/m/ip"}  # type: ignore[attr-defined]
    statuses = [
        client.post(
            "/konto/login/",
            {"login": f"x{i}@example.no", "password": "x"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        for i in range(4)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert "Too many attempts" in statuses[-1].text
    assert '<a class="skip-link"' in statuses[-1].text


@pytest.fixture
def staff_without_totp(library: Unit) -> User:
    user = UserFactory(email="ny.ansatt@example.no")
    org.membership_grant(user=user, unit=library, role=Role.COMMUNICATOR)
    return user


def test_staff_without_authenticator_must_set_one_up(
    client: Client, municipality: Municipality, staff_without_totp: User, password: str
) -> None:
    client.post("/konto/login/", {"login": staff_without_totp.email, "password": password})
    response = client.get("/ansatt/")
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/2fa/totp/activate/")
    # allauth asks for the password once more before an authenticator may be added
    activate = client.get("/konto/2fa/totp/activate/")
    assert activate["Location"].startswith("/konto/reauthenticate/")
    client.post(activate["Location"], {"password": password})
    page = client.get("/konto/2fa/totp/activate/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Authenticator" in page.text
    assert client.get("/ansatt/").status_code == 302  # still not through


def test_resident_is_not_asked_for_two_factor(
    client: Client, municipality: Municipality, resident: User
) -> None:
    client.force_login(resident)
    assert client.get("/min-side/").status_code == 200


def test_staff_password_login_asks_for_totp_code(
    client: Client, municipality: Municipality, communicator: User, password: str
) -> None:
    from conftest import TOTP_SECRET

    step1 = client.post("/konto/login/", {"login": communicator.email, "password": password})
    assert step1.status_code == 302
    assert step1["Location"] == "/konto/2fa/authenticate/"
    assert client.get("/ansatt/").status_code == 302  # not logged in yet
    wrong = client.post("/konto/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    step2 = client.post("/konto/2fa/authenticate/", {"code": totp_current_code(secret=TOTP_SECRET)})
    assert step2.status_code == 302
    assert client.get("/ansatt/").status_code == 200


def test_activate_totp_is_idempotent(db: None) -> None:
    user = UserFactory()
    first = user_activate_totp(user=user, secret="JBSWY3DPEHPK3PXP")
    assert user_activate_totp(user=user, secret="JBSWY3DPEHPK3PXP").pk == first.pk

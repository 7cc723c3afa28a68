"""Fixtures every test may use: a municipality, its units and the named personas of STYLE.md."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import PASSWORD, UserFactory, municipality_make, unit_make
from torget.accounts.models import User
from torget.accounts.services import user_activate_totp
from torget.organisation import services as org
from torget.organisation.models import Municipality, Role, Unit

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """The host lookup and anonymous pages are cached in local memory; start each test clean."""
    cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def municipality(db: None) -> Municipality:
    """Testvik kommune, served as testserver, localhost and 127.0.0.1."""
    return municipality_make()


@pytest.fixture
def root_unit(municipality: Municipality) -> Unit:
    return Unit.objects.get(municipality=municipality, parent__isnull=True)


@pytest.fixture
def library(municipality: Municipality) -> Unit:
    return unit_make(municipality, slug="biblioteket", name="Testvik bibliotek", kind="library")


@pytest.fixture
def school(municipality: Municipality) -> Unit:
    return unit_make(municipality, slug="skolen", name="Testvik skole", kind="school")


def _staff(unit: Unit, role: str, email: str) -> User:
    user = UserFactory(email=email)
    org.membership_grant(user=user, unit=unit, role=role)
    user_activate_totp(user=user, secret=TOTP_SECRET)
    return user


@pytest.fixture
def resident(db: None) -> User:
    return UserFactory(email="nora@example.no", name="Nora Bakken")


@pytest.fixture
def other_resident(db: None) -> User:
    return UserFactory(email="emil@example.no", name="Emil Solberg")


@pytest.fixture
def communicator(library: Unit) -> User:
    """Answers for the library (and nothing else)."""
    return _staff(library, Role.COMMUNICATOR, "kommunikasjon@example.no")


@pytest.fixture
def case_officer(school: Unit) -> User:
    return _staff(school, Role.CASE_OFFICER, "saksbehandler@example.no")


@pytest.fixture
def moderator(root_unit: Unit) -> User:
    return _staff(root_unit, Role.MODERATOR, "moderator@example.no")


@pytest.fixture
def politician(root_unit: Unit) -> User:
    return _staff(root_unit, Role.POLITICIAN, "politiker@example.no")


@pytest.fixture
def admin(library: Unit) -> User:
    """Unit administrator of the library."""
    return _staff(library, Role.UNIT_ADMIN, "admin@example.no")

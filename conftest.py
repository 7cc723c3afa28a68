"""Fixtures every test may use: a municipality, its units and the named personas of STYLE.md."""

from __future__ import annotations

import email
import email.message
import email.policy
import socket
import threading
from collections.abc import Iterator
from typing import Any

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


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploads, receipts and read-aloud audio written by a test go to a temporary folder, never
    to `var/media` (the e2e server runs in the test process and sees this setting too)."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Collector:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[email.message.EmailMessage]:
        """Block until `count` messages have arrived (a condition, not a sleep)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} e-mails arrived"
        return list(self.messages)


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[_Collector]:
    """A real SMTP server on 127.0.0.1; Django's e-mail goes to it for the test."""
    from aiosmtpd.controller import Controller

    collector = _Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    try:
        yield collector
    finally:
        controller.stop()


def run_tasks() -> int:
    """Run every queued background task once, as the worker would; return how many ran."""
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    before = DBTaskResult.objects.ready().count()
    # The worker calls close_old_connections() on waking; inside a test's transaction that
    # closes the test's own connection on PostgreSQL (SQLite's in-memory one ignores it).
    closer = db_worker.close_old_connections
    db_worker.close_old_connections = lambda: None  # type: ignore[assignment]
    try:
        _run_worker(db_worker.Worker)
    finally:
        db_worker.close_old_connections = closer
    return before


def _run_worker(worker_class: Any) -> None:
    worker_class(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    ).run()

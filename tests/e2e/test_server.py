"""The ASGI server as a browser meets it: what it leaves behind after answering."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from playwright.sync_api import Page, expect

from torget.accounts.models import User

pytestmark = pytest.mark.browser


def _kept_open(wrapper: BaseDatabaseWrapper) -> bool:
    """An open connection, other than SQLite's shared in-memory test database (never closed)."""
    in_memory = getattr(wrapper, "is_in_memory_db", lambda: False)()
    return wrapper.connection is not None and not in_memory


class ServerActivity:
    """Counts the server's requests and remembers the database connections they open."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.started = 0
        self.finished = 0
        self.opened: list[BaseDatabaseWrapper] = []

    def on_started(self, **kwargs: Any) -> None:
        with self.changed:
            self.started += 1

    def on_finished(self, **kwargs: Any) -> None:
        # Connected after Django's own receiver, which closes connections that are not kept.
        with self.changed:
            self.finished += 1
            self.changed.notify_all()

    def on_connection(self, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
        if threading.current_thread() is not threading.main_thread():
            with self.changed:
                self.opened.append(connection)

    def opened_once_idle(self, timeout: float = 10) -> list[BaseDatabaseWrapper]:
        """The connections opened so far, once every request that started has finished."""
        with self.changed:
            idle = self.changed.wait_for(lambda: self.finished >= self.started, timeout)
            assert idle, f"{self.started - self.finished} requests still running"
            return list(self.opened)


def test_server_closes_its_database_connections_after_each_request(
    page: Page, resident: User, password: str
) -> None:
    """Under ASGI every request runs in a thread of its own, so a connection kept for reuse
    (CONN_MAX_AGE > 0) is never reused: it stays open until the garbage collector finds it,
    and they pile up on the database server. (SQLite's in-memory test database is shared and
    kept open by design, so this test has teeth on PostgreSQL only.)"""
    activity = ServerActivity()
    request_started.connect(activity.on_started, weak=False)
    request_finished.connect(activity.on_finished, weak=False)
    connection_created.connect(activity.on_connection, weak=False)
    opened: list[BaseDatabaseWrapper] = []
    try:
        page.goto("/konto/login/")
        page.get_by_label("E-post").fill("nora@example.no")
        page.get_by_label("Passord:", exact=True).fill(password)
        page.get_by_role("main").get_by_role("button", name="Logg inn").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Min side")

        opened = activity.opened_once_idle()
        assert opened, "the server opened no database connection at all"
        left_open = [w for w in opened if _kept_open(w)]
        assert left_open == [], (
            f"{len(left_open)} of the {len(opened)} database connections the server opened "
            "were left open after their requests. Django's docs: 'When using ASGI, persistent "
            "connections should be disabled' (CONN_MAX_AGE = 0)."
        )
    finally:
        for receiver, signal in [
            (activity.on_started, request_started),
            (activity.on_finished, request_finished),
            (activity.on_connection, connection_created),
        ]:
            signal.disconnect(receiver)
        # Their threads are gone: close what they left, so the test database can be dropped.
        for wrapper in activity.opened:
            if _kept_open(wrapper):
                wrapper.connection.close()

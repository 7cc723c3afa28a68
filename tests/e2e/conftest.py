"""Browser tests: Torget's real ASGI server in a thread, Debian's Chromium, axe on every page.

How the pieces fit:

- `e2e_static_root` collects the static files once per run into a temporary folder, so that
  pages carry the CSS of the working tree (the 320 px and colour-contrast checks depend on it)
  whether or not `var/static` is up to date, and `var/` is left alone.
- `server_url` serves what `uvicorn config.asgi:application` serves, with uvicorn on a free
  port of 127.0.0.1, in a thread of the test process, over `transactional_db`: the server's
  threads see what the fixtures committed.
- `browser` starts Playwright and Chromium for one test. Playwright's sync API keeps an asyncio
  loop running in the test's thread, and Django refuses ORM calls from a thread with a running
  loop (SynchronousOnlyOperation). So `browser` first sets up every other fixture the test
  asked for (they write to the database) and is closed before they are torn down; a test body
  must not use the ORM while the browser is open.
- `new_page` and `page` give pages on which every document is checked with axe (`AxeGuard`):
  on the test's first action or assertion on each new page, and at the end of the test for the
  last one. Serious and critical violations fail the test (`pytest_runtest_call`), as does a
  page left before it could be checked; `axe_guards` gives a test its guards.
- `smtp_inbox` is a real SMTP server on 127.0.0.1 that Django's e-mail is sent to.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import gc
import runpy
import socket
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from axe_playwright_python.base import AXE_SCRIPT
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from playwright.sync_api import Browser, Error, Page, expect, sync_playwright
from pytest_django.fixtures import Settings

from conftest import run_tasks
from torget.organisation.models import Municipality

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking switches Chromium phones home at start-up, and the closed
# network of the test machines refuses those connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_SECONDS = 10
# Generous, for busy CI machines; waits end as soon as their condition holds.
DEFAULT_TIMEOUT_MS = 15_000
expect.set_options(timeout=DEFAULT_TIMEOUT_MS)

# WCAG 2.1 A and AA, plus axe's best practices; only serious and critical findings fail a test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
AXE_BLOCKING_IMPACTS = frozenset({"serious", "critical"})
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
AXE_MARK = "data-torget-axe-checked"
AXE_RUN = """async ([options, mark]) => {
  const results = await window.axe.run(document, options);
  document.documentElement.setAttribute(mark, "");
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html })),
  }));
}"""

# The fixtures that open the browser; `browser` sets up every other fixture of a test first.
BROWSER_FIXTURES = frozenset({"browser", "new_page", "page"})


# --- axe -------------------------------------------------------------------------------------


@dataclass
class AxeReport:
    """The violations axe found on one document."""

    url: str
    violations: list[dict[str, Any]]

    def blocking(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v["impact"] in AXE_BLOCKING_IMPACTS]


def _describe(violations: list[dict[str, Any]]) -> list[str]:
    lines = []
    for violation in violations:
        lines.append(f"  - {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            snippet = " ".join(node["html"].split())
            snippet = snippet if len(snippet) <= 120 else snippet[:117] + "..."
            lines.append(f"      {node['target']}    {snippet}")
    return lines


@dataclass
class AxeGuard:
    """Runs axe once on every document a page shows, and notices a document it missed.

    Playwright calls a locator handler before every action (click, fill, ...) and every
    `expect` assertion while the handler's locator is visible. The locator here is the root
    element of a document axe has not yet checked, so the first interaction with or assertion
    on each new page runs axe on it first; `finish()` checks the page the test ends on. A
    document that loaded but was never checked (two `goto`s in a row, say) fails the test.
    """

    page: Page
    reports: list[AxeReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    finished: bool = False

    def __post_init__(self) -> None:
        self.page.on("load", lambda page: self.loaded.append(page.url))
        self.page.add_locator_handler(
            self.page.locator(f"html:not([{AXE_MARK}])"), lambda _locator: self.check()
        )

    def check(self) -> None:
        """Run axe on the document now shown, unless it was checked already."""
        page = self.page
        if page.url in ("", "about:blank"):
            return
        try:
            page.wait_for_load_state("load")
            if page.evaluate(f"() => document.documentElement.hasAttribute('{AXE_MARK}')"):
                return
            self.checked.append(page.url)
            # Playwright's evaluate is not subject to the page's Content-Security-Policy, so
            # axe runs with Torget's `script-src 'self'` in force.
            if not page.evaluate("() => typeof window.axe === 'object'"):
                page.evaluate(AXE_SCRIPT)
            self.reports.append(
                AxeReport(page.url, page.evaluate(AXE_RUN, [AXE_OPTIONS, AXE_MARK]))
            )
        except Error as error:
            self.errors.append(f"{page.url}: axe could not run: {error.message}")
            # Mark the document anyway, or the handler would be called again and again.
            with contextlib.suppress(Error):
                page.evaluate(f"() => document.documentElement.setAttribute('{AXE_MARK}', '')")

    def finish(self) -> None:
        """Check the document the test ended on, then that no document went unchecked."""
        if self.finished or self.page.is_closed():
            return
        self.finished = True
        self.check()
        if len(self.loaded) > len(self.checked):
            self.errors.append(
                "a page was left before axe checked it (assert something on each page "
                f"before leaving it): loaded {self.loaded}, checked {self.checked}"
            )

    def problems(self) -> list[str]:
        """Readable lines for every serious or critical violation and every failed run."""
        lines = list(self.errors)
        for report in self.reports:
            blocking = report.blocking()
            if blocking:
                lines.append(f"{report.url}:")
                lines.extend(_describe(blocking))
        return lines


AXE_GUARDS = pytest.StashKey[list[AxeGuard]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail a browser test whose pages have serious or critical accessibility violations."""
    try:
        outcome = yield
    except BaseException:
        lines = [line for guard in item.stash.get(AXE_GUARDS, []) for line in guard.problems()]
        if lines:
            item.add_report_section("call", "axe", "\n".join(lines))
        raise
    guards = item.stash.get(AXE_GUARDS, [])
    for guard in guards:
        guard.finish()
    lines = [line for guard in guards for line in guard.problems()]
    if lines:
        pytest.fail(
            "axe found serious or critical accessibility violations:\n" + "\n".join(lines),
            pytrace=False,
        )
    return outcome


# --- the server ------------------------------------------------------------------------------


class _ThreadedServer(uvicorn.Server):
    """uvicorn that says when it listens, so the test waits on an event instead of polling.

    Off the main thread uvicorn installs no signal handlers; `should_exit` stops it.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


def _listening_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1 (bound here, so no other process takes it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _torget_application() -> Any:
    """A new instance of what `uvicorn config.asgi:application` serves.

    config/asgi.py is run afresh rather than imported: the application keeps state in memory
    (the anonymous page cache, WhiteNoise's index of static files) that must not pass from one
    test to the next.
    """
    return runpy.run_module("config.asgi")["application"]


@pytest.fixture(scope="session")
def e2e_static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The static files of the working tree, collected once per run into a temporary folder."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def server_url(
    transactional_db: None,
    municipality: Municipality,
    settings: Settings,
    e2e_static_root: Path,
) -> Iterator[str]:
    """Torget on uvicorn at http://127.0.0.1:<port>, for Testvik kommune."""
    settings.STATIC_ROOT = e2e_static_root
    application = _torget_application()
    sock = _listening_socket()
    server = _ThreadedServer(
        uvicorn.Config(
            application,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
    )
    thread.start()
    server.ready.wait(timeout=STARTUP_TIMEOUT_SECONDS)
    assert server.started, "uvicorn did not start (see the log above)"
    port = sock.getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        assert not thread.is_alive(), "uvicorn did not stop"
        # Each request ran in a thread of its own; a database connection such a thread kept
        # (CONN_MAX_AGE > 0, see test_server.py) is closed only when collected. Collect now,
        # so that none is left open when the test database is flushed or dropped.
        gc.collect()


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture
def browser(request: pytest.FixtureRequest, server_url: str) -> Iterator[Browser]:
    """Chromium, started after every other fixture of the test (see the module docstring)."""
    for name in request.fixturenames:
        if name not in BROWSER_FIXTURES:
            request.getfixturevalue(name)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# A browser that states no language preference, so the municipality's målform decides. (Chromium
# always sends the header; an empty value is what "no preference" looks like to the server.)
NO_LANGUAGE_PREFERENCE = {"Accept-Language": ""}


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest, browser: Browser, server_url: str
) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context (no cookies); keyword arguments go to the context.

    Relative URLs resolve against the server; by default the browser asks for no language.
    """
    guards = request.node.stash.setdefault(AXE_GUARDS, [])
    contexts = []

    def make(**context_options: Any) -> Page:
        context_options.setdefault("base_url", server_url)
        context_options.setdefault("extra_http_headers", NO_LANGUAGE_PREFERENCE)
        context = browser.new_context(**context_options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        guards.append(AxeGuard(page))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def axe_guards(request: pytest.FixtureRequest) -> list[AxeGuard]:
    """The axe guard of each page the test opened, in order."""
    return request.node.stash.setdefault(AXE_GUARDS, [])


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A page in a fresh context of a browser that asks for no language."""
    return new_page()


# --- e-mail ----------------------------------------------------------------------------------


class Inbox:
    """The messages a local SMTP server received, with a way to wait for one."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, timeout: float = 10) -> EmailMessage:
        """The first message to `to`, waiting for it up to `timeout` seconds."""

        def found() -> EmailMessage | None:
            return next((m for m in self.messages if to in str(m["To"])), None)

        with self._arrived:
            message = self._arrived.wait_for(found, timeout=timeout)
        assert message is not None, (
            f"no e-mail to {to} within {timeout} s; got {[str(m['To']) for m in self.messages]}"
        )
        return message

    def wait_for_count(self, to: str, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The first `count` messages to `to`, waiting up to `timeout` seconds for them all."""

        def found() -> list[EmailMessage] | None:
            mine = [m for m in self.messages if to in str(m["To"])]
            return mine if len(mine) >= count else None

        with self._arrived:
            messages = self._arrived.wait_for(found, timeout=timeout)
        assert messages is not None, (
            f"fewer than {count} e-mails to {to} within {timeout} s; "
            f"got {[str(m['Subject']) for m in self.messages]}"
        )
        return messages


class _SocketController(Controller):
    """aiosmtpd's controller on a socket bound beforehand (a free port, without a race)."""

    def __init__(self, handler: Inbox, sock: socket.socket) -> None:
        self._sock = sock
        host, port = sock.getsockname()
        super().__init__(handler, hostname=host, port=port)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


@pytest.fixture
def smtp_inbox(settings: Settings) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 that Django sends its e-mail to."""
    inbox = Inbox()
    controller = _SocketController(inbox, _listening_socket())
    controller.start()
    # pytest-django switches e-mail to the local-memory backend; the server must really send.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def run_worker(transactional_db: None) -> Callable[[], None]:
    """Run the database task worker once over the queue, in a thread of its own (the test's
    thread has Playwright's event loop, where Django refuses database calls). Call it while no
    page is loading: SQLite's shared in-memory test database locks whole tables."""

    def drain() -> None:
        def run() -> None:
            try:
                run_tasks()
            finally:
                connection.close()

        thread = threading.Thread(target=run, name="worker")
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the worker did not finish"

    return drain

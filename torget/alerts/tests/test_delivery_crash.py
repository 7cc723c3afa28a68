"""The crash case: a real `manage.py deliver` worker, killed with SIGKILL at random moments and
restarted, delivers every message, and exactly once but for the message in flight at the very
instant of a kill (the microsecond window between handing over and the journal, documented in
torget.alerts.delivery, which the random kills can hit).

The worker runs as a subprocess against a database of its own (pytest's SQLite database lives
in memory, out of a subprocess's reach): a temporary SQLite file, or on PostgreSQL (when
TORGET_DATABASE_URL points there) a fresh database on the same server, dropped afterwards. The
database is migrated and seeded by subprocesses too. The SMTP sink runs in this process
(aiosmtpd) and counts the Message-ID of every message it accepts.
"""

from __future__ import annotations

import collections
import contextlib
import email
import email.policy
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conftest import free_port

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 1500
KILLS = 4

SEED = """
import json
from django.utils import timezone
from tests.factories import municipality_make, unit_make
from torget.alerts.models import Alert, Delivery
from torget.alerts.tests.factories import alert_make
municipality = municipality_make()
unit = unit_make(municipality, slug="vann", name="Vann og avløp", kind="other")
alert = alert_make(unit, status=Alert.Status.SENT, sent_at=timezone.now())
now = timezone.now()
Delivery.objects.bulk_create(
    Delivery(alert=alert, medium="email", destination=f"person{i}@example.no", next_attempt_at=now)
    for i in range(%(count)d)
)
print(json.dumps({"alert": str(alert.identifier)}))
"""

INSPECT = """
import json
from torget.alerts.models import Delivery
rows = list(Delivery.objects.order_by("pk").values_list("pk", "status", "provider_id", "attempts"))
print(json.dumps(rows))
"""


class Sink:
    """An aiosmtpd handler that counts the Message-IDs it accepted."""

    def __init__(self) -> None:
        self.seen: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.seen[str(message["Message-ID"])] += 1
        return "250 2.0.0 Ok: queued"

    def total(self) -> int:
        with self.lock:
            return sum(self.seen.values())


@contextlib.contextmanager
def worker_database(tmp_path: Path) -> Iterator[str]:
    """A TORGET_DATABASE_URL of a database of the vendor the suite runs on, removed after."""
    base = os.environ.get("TORGET_DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(base)
    name = f"torget_crash_{os.getpid()}_{secrets.token_hex(3)}"
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def worker_env(url: str, var_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a worker subprocess: this one's without its TORGET_ settings, on the
    database `url` and the folder `var_dir`, quiet, plus `settings` (TORGET_ names)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORGET_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        TORGET_DATABASE_URL=url,
        TORGET_VAR_DIR=str(var_dir),
        TORGET_LOG_LEVEL="WARNING",
        TORGET_LOG_FORMAT="text",
        **settings,
    )
    return env


def last_json(output: str) -> Any:
    """The JSON a `manage.py shell -c` snippet printed on its last line."""
    return json.loads(output.strip().splitlines()[-1])


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_killed_at_random_moments_delivers_everything_exactly_once(
    tmp_path: Path,
) -> None:
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    rng = random.Random()
    log = (tmp_path / "worker.log").open("w")
    try:
        with worker_database(tmp_path) as url:
            env = worker_env(
                url,
                tmp_path,
                TORGET_ALERT_EMAIL_PROVIDER="smtp",
                TORGET_ALERT_SMTP_HOST="127.0.0.1",
                TORGET_ALERT_SMTP_PORT=str(port),
                TORGET_ALERT_SMTP_RATE="0",
                TORGET_WORKER_ID="crash-test",
            )
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            seeded = last_json(manage(env, "shell", "-c", SEED % {"count": MESSAGES}))
            command = [sys.executable, "manage.py", "deliver", "--medium", "email"]
            kills = []
            for _ in range(KILLS):
                before = sink.total()
                worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
                try:
                    # Kill after a random number of further messages, a random moment later.
                    target = before + rng.randint(20, MESSAGES // (KILLS + 2))
                    wait_for(
                        lambda t=target, w=worker: sink.total() >= t or w.poll() is not None,
                        60,
                        "the worker to send",
                    )
                    time.sleep(rng.uniform(0, 0.02))
                    assert worker.poll() is None, "the worker stopped by itself"
                    worker.send_signal(signal.SIGKILL)
                finally:
                    worker.wait(timeout=30)
                kills.append(sink.total())
            assert kills[-1] < MESSAGES, "the kills came too late to test anything"
            manage(env, "deliver", "--medium", "email", "--drain", timeout=300)
            rows = last_json(manage(env, "shell", "-c", INSPECT))
    finally:
        controller.stop()
        log.close()

    assert len(rows) == MESSAGES
    statuses = collections.Counter(status for _, status, _, _ in rows)
    assert statuses == {"delivered": MESSAGES}, (statuses, kills)
    expected = {f"<{provider_id}>" for _, _, provider_id, _ in rows if provider_id}
    # Rows recorded from the journal after a kill have no provider id; the sink has them all.
    wanted = {f"delivery-{pk}.{seeded['alert']}" for pk, _, _, _ in rows}
    assert {m.strip("<>").rsplit("@", 1)[0] for m in sink.seen} == wanted
    assert expected <= set(sink.seen)
    duplicates = {m: n for m, n in sink.seen.items() if n > 1}
    # The one window the design leaves open (torget.alerts.delivery): a kill in the microseconds
    # between the end-of-data dot and the journal write sends that one message again. So at
    # most the message in flight at each kill may come twice; a lost or unreplayed journal
    # would resend a whole batch and fail here.
    assert all(n == 2 for n in duplicates.values()), duplicates
    assert len(duplicates) <= KILLS, f"sent twice: {duplicates} (kills after {kills} messages)"
    assert sum(sink.seen.values()) == MESSAGES + len(duplicates)

"""Kindergarten applications over HTTP: 10,000 submissions at concurrency 32, against a minimal
endpoint in the same server that stores one row per request.

Torget runs as `make run` runs it (uvicorn, the task worker, DEBUG off, demo data with 10,000
generated residents), with one change: its settings module is `bench._forms_site`, Torget's
own settings plus a URLconf that adds the baseline view (never in the product's URLs). Receipt
e-mails go to an aiosmtpd sink on 127.0.0.1, so the worker does its real work meanwhile.

Before measuring: a session per resident is made in the database (as a log-in would leave it),
and each resident opens the form page once (over HTTP), which gives the CSRF cookie and token
and the submission key. Then:

- baseline (first, on a quiet server): the same residents POST one field to /bench/row/
  (same middleware, one INSERT) at the same concurrency;
- ours: every resident POSTs the filled-in form once ("Send", multipart like a browser), at
  concurrency 32; a 303 to /skjema/kvittering/<reference>/ counts as accepted. The worker
  makes and sends the receipts meanwhile.

`figures.lost` = accepted submissions whose case is not in the database (must be 0).
`ratio.rate` = our submissions per second ÷ the baseline's (target ≥ 0.5).
BENCH_FORMS_COUNT sets the number of submissions (default 10,000) for a quick try.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    BenchError,
    TorgetServer,
    free_port,
    machine,
    peak_rss_mb,
    ratio_of,
    run_child,
    write_result,
)

NAME = "forms"
CONCURRENCY = 32
FORM_SLUG = "soknad-om-barnehageplass"
FORM_PATH = f"/skjema/{FORM_SLUG}/"
SETTINGS = "bench._forms_site"
TARGETS = {"rate": ">= 0.5", "lost": "== 0"}
KINDERGARTENS = [
    "Solsikken barnehage",
    "Trollskogen barnehage",
    "Maurtua barnehage",
    "Bakkebo barnehage",
    "Eventyrhagen barnehage",
    "Fjordglimt barnehage",
]
_CSRF = re.compile(rb'name="csrfmiddlewaretoken"\s+value="([^"]+)"')
_KEY = re.compile(rb'name="submission_key" value="([0-9a-f-]{36})"')
_RECEIPT = re.compile(r"^/skjema/kvittering/(\d{4}-\d{6})/$")


def count() -> int:
    raw = os.environ.get("BENCH_FORMS_COUNT", "").strip()
    return int(raw) if raw else 10_000


# --- children with Django set up --------------------------------------------------------------


def child_sessions(n: int) -> None:
    """Print one JSON line: a session key and a valid national identity number for each of
    the generated residents resident-1 .. resident-n (sessions as a log-in leaves them)."""
    from bench.common import django_setup

    django_setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction

    from torget.accounts.models import User
    from torget.cases.formbuilder import national_id_complete

    users = list(User.objects.filter(email__startswith="resident-").order_by("pk")[:n])
    if len(users) < n:
        raise BenchError(f"only {len(users)} generated residents, {n} needed")
    people = []
    with transaction.atomic():
        for number, user in enumerate(users):
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            first_nine = f"{1 + number % 28:02d}{1 + number % 12:02d}{20 + number % 5:02d}"
            national_id = None
            individual = number % 500
            while national_id is None:
                national_id = national_id_complete(f"{first_nine}{individual:03d}")
                individual = (individual + 1) % 1000
            people.append({"session": store.session_key, "national_id": national_id})
    print(json.dumps(people))


def child_count(refs_file: str) -> None:
    """Print one JSON line: cases stored, and how many of the accepted references have one."""
    from bench.common import django_setup

    django_setup()
    from django.db import connection

    from torget.cases.models import Case

    refs = json.loads(Path(refs_file).read_text())
    found = 0
    for start in range(0, len(refs), 500):
        found += Case.objects.filter(reference__in=refs[start : start + 500]).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM bench_row")
        rows = cursor.fetchone()[0]
    receipts = Case.objects.filter(receipt_sent_at__isnull=False).count()
    print(
        json.dumps(
            {"stored": Case.objects.count(), "found": found, "rows": rows, "receipts": receipts}
        )
    )


def child_table() -> None:
    """Create the baseline's table."""
    from bench.common import django_setup

    django_setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_row (id INTEGER PRIMARY KEY, value VARCHAR(200))"
            if connection.vendor == "sqlite"
            else "CREATE TABLE IF NOT EXISTS bench_row (id SERIAL PRIMARY KEY, value VARCHAR(200))"
        )
    print(json.dumps({"ok": True}))


# --- an HTTP/1.1 client on asyncio, keep-alive, one connection per worker ---------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> Reply:
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", "Host: localhost"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        found: dict[str, str] = {}
        cookies: dict[str, str] = {}
        while True:
            line = (await self.reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                cookie_name, _, cookie_value = pair.partition("=")
                cookies[cookie_name] = cookie_value
            found[name] = value
        length = int(found.get("content-length", "0"))
        data = await self.reader.readexactly(length) if length else b""
        if found.get("connection", "").lower() == "close":
            await self.close()
        return Reply(status, found, data, cookies)


async def run_all(
    port: int, jobs: list[Any], make: Any, concurrency: int
) -> tuple[list[float], list[Any], float]:
    """Send `make(job)` -> (method, path, headers, body) for every job from `concurrency`
    workers; return the latencies, the replies (in job order) and the wall time."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(jobs)):
        queue.put_nowait(index)
    replies: list[Any] = [None] * len(jobs)
    latencies: list[float] = []

    async def worker() -> None:
        conn = Connection(port)
        try:
            while True:
                try:
                    index = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                method, path, headers, body = make(jobs[index])
                started = time.perf_counter()
                try:
                    replies[index] = await conn.request(method, path, headers, body)
                except (ConnectionError, OSError, asyncio.IncompleteReadError) as exc:
                    await conn.close()
                    replies[index] = exc
                latencies.append(time.perf_counter() - started)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, replies, time.perf_counter() - started


def percentile_ms(samples: list[float], pct: int) -> float:
    ordered = sorted(samples)
    rank = max(0, -(-pct * len(ordered) // 100) - 1)
    return round(ordered[rank] * 1000, 2)


def multipart(fields: list[tuple[str, str]]) -> tuple[str, bytes]:
    boundary = "----torgetbench" + uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    parts.append(f"--{boundary}--\r\n")
    return f"multipart/form-data; boundary={boundary}", "".join(parts).encode()


@dataclass
class Person:
    number: int
    session: str
    national_id: str
    csrf_cookie: str = ""
    csrf_token: str = ""
    key: str = ""

    def cookie(self) -> str:
        return f"sessionid={self.session}; csrftoken={self.csrf_cookie}"


def _get_form(person: Person) -> tuple[str, str, dict[str, str], bytes]:
    return ("GET", FORM_PATH, {"Cookie": f"sessionid={person.session}"}, b"")


def _application(person: Person, start: str) -> tuple[str, str, dict[str, str], bytes]:
    n = person.number
    picks = [KINDERGARTENS[(n + i) % len(KINDERGARTENS)] for i in (0, 2, 4)]
    content_type, body = multipart(
        [
            ("csrfmiddlewaretoken", person.csrf_token),
            ("submission_key", person.key),
            ("barnets_navn", f"Barn {n} Nordmann"),
            ("barnets_fodselsnummer", person.national_id),
            ("onsket_oppstart", start),
            ("barnehager_0", picks[0]),
            ("barnehager_1", picks[1]),
            ("barnehager_2", picks[2]),
            ("sarskilte_behov", "Ingen særskilte behov." if n % 3 else "Allergi mot nøtter."),
            ("samtykke", "on"),
            ("send", "1"),
        ]
    )
    headers = {"Cookie": person.cookie(), "Content-Type": content_type}
    return ("POST", FORM_PATH, headers, body)


def _row(person: Person) -> tuple[str, str, dict[str, str], bytes]:
    content_type, body = multipart(
        [("csrfmiddlewaretoken", person.csrf_token), ("value", f"Barn {person.number}")]
    )
    return ("POST", "/bench/row/", {"Cookie": person.cookie(), "Content-Type": content_type}, body)


class SmtpSink:
    """aiosmtpd's Sink handler in a process of its own on a free port (takes and drops mail)."""

    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SmtpSink:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Sink",
                "-l",
                f"127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _summary(latencies: list[float], wall: float, done: int) -> dict[str, Any]:
    return {
        "rate": round(done / wall, 1) if wall > 0 else 0.0,
        "p50_ms": percentile_ms(latencies, 50),
        "p99_ms": percentile_ms(latencies, 99),
        "wall_s": round(wall, 2),
    }


def run() -> dict[str, Any]:
    n = count()
    host = machine()
    with SmtpSink() as sink:
        env = {
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "TORGET_EMAIL_HOST": "127.0.0.1",
            "TORGET_EMAIL_PORT": str(sink.port),
        }
        with TorgetServer(demo_args=["--residents", str(n)], env=env) as server:
            child_env = server.env()
            run_child(["bench.forms", "table"], env=child_env)
            people_raw = run_child(["bench.forms", "sessions", str(n)], env=child_env)
            people = [Person(i, p["session"], p["national_id"]) for i, p in enumerate(people_raw)]
            # Each resident opens the form page once: CSRF cookie and token, submission key.
            _lat, pages, _wall = asyncio.run(run_all(server.port, people, _get_form, CONCURRENCY))
            for person, page in zip(people, pages, strict=True):
                if not isinstance(page, Reply) or page.status != 200:
                    raise BenchError(f"form page for resident {person.number}: {page!r:.200}")
                token, key = _CSRF.search(page.body), _KEY.search(page.body)
                if token is None or key is None or "csrftoken" not in page.cookies:
                    raise BenchError("the form page has no CSRF token or submission key")
                person.csrf_token = token.group(1).decode()
                person.key = key.group(1).decode()
                person.csrf_cookie = page.cookies["csrftoken"]
            start = time.strftime("%Y-%m-%d", time.localtime(time.time() + 60 * 86400))

            # The baseline first, on a quiet server; then ours (whose receipts keep the worker
            # busy meanwhile, as they would in production).
            base_latencies, base_replies, base_wall = asyncio.run(
                run_all(server.port, people, _row, CONCURRENCY)
            )
            base_ok = sum(1 for r in base_replies if isinstance(r, Reply) and r.status == 303)
            latencies, replies, wall = asyncio.run(
                run_all(server.port, people, lambda p: _application(p, start), CONCURRENCY)
            )
            accepted: list[str] = []
            refused: dict[str, int] = {}
            for reply in replies:
                location = reply.headers.get("location", "") if isinstance(reply, Reply) else ""
                found = _RECEIPT.match(location)
                if isinstance(reply, Reply) and reply.status == 303 and found:
                    accepted.append(found.group(1))
                else:
                    label = str(reply.status) if isinstance(reply, Reply) else type(reply).__name__
                    refused[label] = refused.get(label, 0) + 1
            rss = peak_rss_mb(server.pid)
            if refused:
                print(f"--- refused: {refused}; server log ---", file=sys.stderr)
                print(server.log_tail(60), file=sys.stderr)

            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as refs:
                json.dump(accepted, refs)
            try:
                counted = run_child(["bench.forms", "count", refs.name], env=child_env)
            finally:
                Path(refs.name).unlink(missing_ok=True)

    ours = _summary(latencies, wall, len(accepted))
    theirs = _summary(base_latencies, base_wall, base_ok)
    figures = {
        "submissions": n,
        "accepted": len(accepted),
        "refused": refused,
        "cases_stored": counted["stored"],
        "lost": len(accepted) - counted["found"],
        "receipts_sent_by_the_end": counted["receipts"],
        **ours,
        "server_rss_mb": rss,
    }
    baseline = {"requests": n, "stored": counted["rows"], "non_303": n - base_ok, **theirs}
    result = write_result(
        NAME,
        figures=figures,
        baseline=baseline,
        ratio={"rate": ratio_of(ours["rate"], theirs["rate"])},
        extra={
            "targets": TARGETS,
            "setup": {
                "client": f"asyncio HTTP/1.1 keep-alive, {CONCURRENCY} connections, "
                "multipart POST, one submission per resident (session made in the database, "
                "CSRF token and submission key from the form page)",
                "torget": "python -m torget.core.serve (uvicorn, 1 process, worker on), "
                f"settings {SETTINGS}, SQLite, demo data, DEBUG off, receipts to an SMTP sink",
                "baseline": "POST /bench/row/ in the same server: same middleware, one INSERT",
                "machine": host,
            },
        },
    )
    if figures["lost"] != 0:
        raise BenchError(f"{figures['lost']} accepted submissions have no case")
    return result


if __name__ == "__main__":
    # Children: `python -m bench.forms sessions N | count FILE | table`.
    command, *args = sys.argv[1:]
    if command == "sessions":
        child_sessions(int(args[0]))
    elif command == "count":
        child_count(args[0])
    elif command == "table":
        child_table()
    else:
        raise SystemExit(f"unknown command {command!r}")

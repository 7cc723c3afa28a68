"""An alert by SMS to 100,000 numbers through the SMPP adapter, against the bare `smpplib`
client sending as many messages with the same window to the same SMSC.

The SMSC is the SMPP 3.4 server of the `smpp34` package on 127.0.0.1, in a process of its own
(`python -m torget.alerts.tests.smsc PORT`): it answers every `submit_sm` with a message id and,
when a receipt was asked for, sends a delivery receipt (`deliver_sm`, stat:DELIVRD) back on the
same session. The data: one sent alert with 100,000 queued SMS delivery rows to distinct
Norwegian mobile numbers, first in a fresh SQLite database in a temporary folder (as `make run`
keeps it, the headline figures), then in a fresh PostgreSQL database on 127.0.0.1:5432
(`figures.postgres`, `ratio.rate_postgres`). BENCH_SMS_COUNT scales it down for a quick try;
BENCH_SMS_WINDOW sets the window (default 10).

Measured, in the same run, against the same SMSC process:
- baseline (run before, between and after our two runs; each of ours is compared with the mean
  of the two around it, since the machine is shared and its load moves): a Python process with
  `smpplib` alone binds as transceiver and sends the same text to as many numbers, cut into
  parts by smpplib's own `make_parts`, keeping `window` `submit_sm` outstanding and answering
  each receipt; its rate is messages ÷ the time measured inside that process from before the
  bind to the last `submit_sm_resp` (the interpreter's start not included). It then reads on
  until every receipt has come, so that its receipts do not compete with ours.
- ours: the real delivery worker, `manage.py deliver --medium sms` with
  TORGET_ALERT_SMS_PROVIDER=smpp (the SmppProvider, window as above, TORGET_SMPP_RATE=0: no
  politeness limit), claiming, journalling, sending and recording batches as in production,
  reading the receipts (`poll()`) and applying them to the rows. The parent reads the row
  counts every 0.25 s; `sent_seconds` is the time from the worker's start (Django's start
  included) until no row is queued or claimed, `delivered_seconds` until every row is
  `delivered` (the receipts applied). Rate = rows ÷ sent_seconds. Asserted: every row sent
  and every row delivered.

`ratio.rate` = our rate on SQLite ÷ the baseline's (target ≥ 0.5); `ratio.rate_postgres` the
same on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    BenchError,
    PostgresDatabase,
    django_setup,
    free_port,
    machine,
    ratio_of,
    run_child,
    torget_env,
    write_result,
)

NAME = "alert-sms"
FULL_COUNT = 100_000
DEFAULT_WINDOW = 10
FIRST_NUMBER = 90_000_000  # Norwegian mobile numbers +4790000000, +4790000001, ...
SENDER = "Benchvik"
TARGET = ">= 0.5"
DEADLINE_SECONDS = 900


def sizes() -> tuple[int, int]:
    count = int(os.environ.get("BENCH_SMS_COUNT", "").strip() or FULL_COUNT)
    window = int(os.environ.get("BENCH_SMS_WINDOW", "").strip() or DEFAULT_WINDOW)
    if count < 100 or window < 1:
        raise BenchError("BENCH_SMS_COUNT >= 100 and BENCH_SMS_WINDOW >= 1")
    return count, window


# --- in a child with Django -------------------------------------------------------------------


def seed(count: int) -> dict[str, Any]:
    """A municipality, a unit, a sent alert and `count` queued SMS rows; the SMS text."""
    from django.db import transaction
    from django.utils import timezone

    from tests.factories import municipality_make, unit_make
    from torget.alerts.messages import AlertMessages
    from torget.alerts.models import Alert, Delivery, Topic
    from torget.alerts.sms import sms_length

    municipality = municipality_make(
        number="9991", name="Benchvik kommune", hostnames=("bench.localhost",)
    )
    unit = unit_make(municipality, slug="vann", name="Vann og avløp", kind="other")
    now = timezone.now()
    alert = Alert.objects.create(
        municipality=municipality,
        unit=unit,
        topic=Topic.WATER,
        severity="Severe",
        title="Vannlekkasje i Storgata",
        text="Vannet er stengt i Storgata til kl. 18. Drikkevann i tank ved skolen.",
        area={
            "type": "Polygon",
            "coordinates": [[[10.74, 59.91], [10.75, 59.91], [10.75, 59.92], [10.74, 59.91]]],
        },
        area_source=Alert.AreaSource.DRAWN,
        onset=now,
        status=Alert.Status.SENT,
        sent_at=now,
        by_email=False,
    )
    with transaction.atomic():
        Delivery.objects.bulk_create(
            (
                Delivery(
                    alert=alert,
                    medium="sms",
                    destination=f"+47{FIRST_NUMBER + i}",
                    next_attempt_at=now,
                )
                for i in range(count)
            ),
            batch_size=5000,
        )
    first = Delivery.objects.filter(alert=alert).order_by("pk").first()
    assert first is not None
    text = AlertMessages(alert).outgoing(first).body
    length = sms_length(text)
    return {
        "alert": alert.pk,
        "rows": Delivery.objects.filter(alert=alert).count(),
        "text": text,
        "encoding": length.encoding,
        "segments": length.segments,
    }


def _child(argv: list[str]) -> None:
    command, *args = argv
    if command == "baseline":
        print(json.dumps(baseline(int(args[0]), int(args[1]), int(args[2]), Path(args[3]))))
        return
    django_setup()
    if command == "seed":
        print(json.dumps(seed(int(args[0]))))
    else:
        raise SystemExit(f"unknown command {argv!r}")


# --- the baseline: smpplib alone --------------------------------------------------------------


def baseline(port: int, count: int, window: int, text_file: Path) -> dict[str, Any]:
    """Send `count` SMS with smpplib alone, `window` outstanding; answer the receipts."""
    import smpplib.client
    import smpplib.consts
    import smpplib.gsm
    import smpplib.smpp

    began = time.perf_counter()
    text = text_file.read_text(encoding="utf-8")
    # The library's own way to cut a long text (UDH), as a plain smpplib program would.
    parts, coding, esm_class = smpplib.gsm.make_parts(text)
    client = smpplib.client.Client("127.0.0.1", port, timeout=30, allow_unknown_opt_params=True)
    client.connect()
    client.bind_transceiver(system_id="baseline", password="bench")
    total = count * len(parts)  # submit_sm to send; a receipt for each message's last part
    sent = acked = errors = receipts = 0

    def answer(pdu: Any) -> None:
        resp = smpplib.smpp.make_pdu(f"{pdu.command}_resp", client=client)
        resp.sequence = pdu.sequence
        client.send_pdu(resp)

    while acked < total:
        while sent < total and sent - acked < window:
            message, number = divmod(sent, len(parts))
            client.send_pdu(
                smpplib.smpp.make_pdu(
                    "submit_sm",
                    client=client,
                    source_addr=SENDER,
                    source_addr_ton=5,
                    source_addr_npi=0,
                    dest_addr_ton=1,
                    dest_addr_npi=1,
                    destination_addr=f"47{FIRST_NUMBER + message}",
                    esm_class=esm_class,
                    data_coding=coding,
                    registered_delivery=1 if number == len(parts) - 1 else 0,
                    short_message=parts[number],
                )
            )
            sent += 1
        pdu = client.read_pdu()
        if pdu.command == "submit_sm_resp":
            acked += 1
            errors += 1 if pdu.status else 0
        elif pdu.command in ("deliver_sm", "enquire_link"):
            receipts += pdu.command == "deliver_sm"
            answer(pdu)
    took = time.perf_counter() - began
    deadline = time.monotonic() + 120
    while receipts < count - errors and time.monotonic() < deadline:
        pdu = client.read_pdu()
        if pdu.command in ("deliver_sm", "enquire_link"):
            receipts += pdu.command == "deliver_sm"
            answer(pdu)
    receipts_took = time.perf_counter() - began
    with contextlib.suppress(Exception):
        client.unbind()
    client.disconnect()
    return {
        "sent": (acked - errors) // len(parts),
        "parts": len(parts),
        "errors": errors,
        "receipts": receipts,
        "seconds_in_process": round(took, 3),
        "receipts_seconds_in_process": round(receipts_took, 3),
    }


# --- in the parent ----------------------------------------------------------------------------


@contextlib.contextmanager
def smsc(port: int) -> Iterator[subprocess.Popen[str]]:
    """The local SMSC in a process of its own; stopped (and its counts read) on exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "torget.alerts.tests.smsc", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise BenchError("the local SMSC did not start")
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


COUNT_SQL = "SELECT status, COUNT(*) FROM alerts_delivery GROUP BY status"


def sqlite_counts(database: Path) -> Callable[[], dict[str, int]]:
    """Delivery rows by status, read straight from the SQLite file (read-only, WAL)."""

    def count() -> dict[str, int]:
        uri = f"file:{database}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as c:
            return dict(c.execute(COUNT_SQL))

    return count


def postgres_counts(url: str) -> Callable[[], dict[str, int]]:
    """Delivery rows by status, read with psycopg on a connection of the parent's own."""

    def count() -> dict[str, int]:
        import psycopg

        dsn = url.replace("postgres://", "postgresql://", 1)
        with psycopg.connect(dsn, autocommit=True) as c:
            return dict(c.execute(COUNT_SQL).fetchall())

    return count


def ours(env: dict[str, str], counts: Callable[[], dict[str, int]], rows: int) -> dict[str, Any]:
    """Run the real delivery worker until every row is delivered; time it from outside."""
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "deliver", "--medium", "sms", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
    )
    began = time.monotonic()
    sent_at = delivered_at = None
    seen: dict[str, int] = {}
    try:
        while time.monotonic() - began < DEADLINE_SECONDS:
            if worker.poll() is not None:
                raise BenchError(f"the delivery worker exited with {worker.returncode}")
            seen = counts()
            if sent_at is None and seen.get("queued", 0) + seen.get("claimed", 0) == 0:
                sent_at = time.monotonic() - began
            if seen.get("delivered", 0) == rows:
                delivered_at = time.monotonic() - began
                break
            time.sleep(0.25)
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)
    seen = counts()
    if sent_at is None or delivered_at is None:
        raise BenchError(f"not every row was sent and delivered in time: {seen}")
    return {
        "sent_seconds": round(sent_at, 3),
        "delivered_seconds": round(delivered_at, 3),
        "counts": seen,
    }


def _baseline(
    env: dict[str, str], port: int, count: int, window: int, text_file: Path
) -> dict[str, Any]:
    bare: dict[str, Any] = run_child(
        ["bench.alert_sms", "baseline", str(port), str(count), str(window), str(text_file)],
        env=env,
    )
    if bare["sent"] != count:
        raise BenchError(f"the baseline sent {bare['sent']} of {count}")
    return bare


def _prepare(env: dict[str, str], count: int) -> dict[str, Any]:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    seeded: dict[str, Any] = run_child(["bench.alert_sms", "seed", str(count)], env=env)
    if seeded["rows"] != count:
        raise BenchError(f"{seeded['rows']} delivery rows for {count} numbers")
    return seeded


def _worker_env(env: dict[str, str], port: int, window: int) -> dict[str, str]:
    return {
        **env,
        "TORGET_ALERT_SMS_PROVIDER": "smpp",
        "TORGET_SMPP_HOST": "127.0.0.1",
        "TORGET_SMPP_PORT": str(port),
        "TORGET_SMPP_SYSTEM_ID": "torget",
        "TORGET_SMPP_PASSWORD": "bench",
        "TORGET_SMPP_SOURCE_ADDR": SENDER,
        "TORGET_SMPP_WINDOW": str(window),
        "TORGET_SMPP_RATE": "0",
        "TORGET_WORKER_ID": "bench-sms",
    }


def _ours_figures(measured: dict[str, Any], count: int) -> dict[str, Any]:
    final = measured["counts"]
    return {
        "sent": final.get("sent", 0) + final.get("delivered", 0),
        "delivered": final.get("delivered", 0),
        "failed": final.get("failed", 0),
        "sent_seconds": measured["sent_seconds"],
        "delivered_seconds": measured["delivered_seconds"],
        "rate_per_second": round(count / measured["sent_seconds"], 1),
        "delivered_per_second": round(count / measured["delivered_seconds"], 1),
    }


def run() -> dict[str, Any]:
    count, window = sizes()
    host = machine()
    base = Path(tempfile.mkdtemp(prefix="torget-bench-sms-"))
    bare: list[dict[str, Any]] = []
    try:
        (base / "sqlite").mkdir()
        (base / "postgres").mkdir()
        env = torget_env(base / "sqlite")
        seeded = _prepare(env, count)
        text_file = base / "sms.txt"
        text_file.write_text(seeded["text"], encoding="utf-8")
        port = free_port()
        print(f"  {count} SMS, window {window}, SMSC on 127.0.0.1:{port}", file=sys.stderr)
        with smsc(port) as server:
            # The baseline runs before, between and after ours (the machine is shared: its
            # load moves); each of ours is compared with the mean of the two around it.
            bare.append(_baseline(env, port, count, window, text_file))
            print(f"  baseline: {bare[-1]}", file=sys.stderr, flush=True)
            on_sqlite = ours(
                _worker_env(env, port, window), sqlite_counts(base / "sqlite/torget.sqlite3"), count
            )
            print(f"  ours, SQLite: {on_sqlite}", file=sys.stderr, flush=True)
            bare.append(_baseline(env, port, count, window, text_file))
            print(f"  baseline: {bare[-1]}", file=sys.stderr, flush=True)
            with PostgresDatabase(prefix="torget_bench_sms") as database:
                pg_env = torget_env(base / "postgres", TORGET_DATABASE_URL=database.url)
                _prepare(pg_env, count)
                on_postgres = ours(
                    _worker_env(pg_env, port, window), postgres_counts(database.url), count
                )
            print(f"  ours, PostgreSQL: {on_postgres}", file=sys.stderr, flush=True)
            bare.append(_baseline(env, port, count, window, text_file))
            print(f"  baseline: {bare[-1]}", file=sys.stderr, flush=True)
            server.send_signal(signal.SIGTERM)
            out, _ = server.communicate(timeout=30)
            smsc_counts = json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(base, ignore_errors=True)

    bare_rates = [count / b["seconds_in_process"] for b in bare]
    sqlite_bare = (bare_rates[0] + bare_rates[1]) / 2
    postgres_bare = (bare_rates[1] + bare_rates[2]) / 2
    sqlite = _ours_figures(on_sqlite, count)
    postgres = _ours_figures(on_postgres, count)
    return write_result(
        NAME,
        figures={
            "messages": count,
            "window": window,
            # The embedded deployment (SQLite) is the headline; PostgreSQL beside it.
            **sqlite,
            "postgres": postgres,
            "text": {"encoding": seeded["encoding"], "segments": seeded["segments"]},
            "smsc": smsc_counts,
        },
        baseline={
            "tool": "smpplib (bare client)",
            "sent": [b["sent"] for b in bare],
            "receipts": [b["receipts"] for b in bare],
            "seconds": [b["seconds_in_process"] for b in bare],
            "rates_per_second": [round(rate, 1) for rate in bare_rates],
            "rate_per_second": round(sqlite_bare, 1),
            "rate_per_second_around_postgres": round(postgres_bare, 1),
        },
        ratio={
            "rate": ratio_of(sqlite["rate_per_second"], sqlite_bare),
            "rate_postgres": ratio_of(postgres["rate_per_second"], postgres_bare),
        },
        extra={
            "targets": {"rate": TARGET, "rate_postgres": TARGET},
            "machine": host,
            "setup": {
                "database": (
                    "SQLite in a temporary folder (WAL), as make run keeps it; then a fresh "
                    "PostgreSQL database on 127.0.0.1:5432, dropped after the run"
                ),
                "smsc": "smpp34's SMPP server on 127.0.0.1 in its own process, receipts on",
                "ours": (
                    "manage.py deliver --medium sms (DeliveryEngine + SmppProvider, journal, "
                    "batched status writes, receipts journalled, stored and applied); timed "
                    "from the worker's start, Django's start included"
                ),
                "baseline": (
                    "smpplib alone, same SMSC, same text, same window, bind included; timed "
                    "inside its process from before the bind to the last submit_sm_resp; run "
                    "before, between and after ours, each of ours compared with the mean of "
                    "the two around it"
                ),
            },
        },
    )


if __name__ == "__main__":
    _child(sys.argv[1:])

"""The alert-email run with the delivery worker killed by SIGKILL three times at random
moments and restarted: no e-mail may arrive twice and none may be missing.

The data, the alert and its 100,000 queued Delivery rows are those of `alert-email` (see
bench/alert_email.py; BENCH_ALERT_ADDRESSES / BENCH_ALERT_SUBSCRIBERS scale them down). The
sink is Postfix's `smtp-sink` with `-D`, appending every accepted message to a dump file. The
worker (`manage.py deliver --medium email --drain`, identity `bench-deliver`) is started; once
it is sending (the dump file grows), after a random wait uniform in 0–10 s, it gets SIGKILL the
moment the next message reaches the sink (so that it dies while handing a batch over, not
while building messages or writing to the database), and is started again at once (its
start-up then replays the journal); three times.
The fourth run is left to finish. Then, from the dump file, each delivery's Message-ID
(`<delivery-{id}.{alert identifier}@host>`) is counted against the alert's Delivery rows:

- `figures.duplicates`: messages at the sink beyond the first for the same delivery;
- `figures.lost`: Delivery rows whose message never reached the sink;
- `figures.not_delivered`: rows whose status is not `delivered`.
All three must be 0. `figures.replayed` lists, for each restart, how many messages the worker
found handed over but unrecorded in its journal (recorded as delivered, never sent again).

Baseline: `smtp-source -d -s 1 -m <count> -F <one of our messages>` into a fresh `smtp-sink -D`
(the same dump cost); `ratio.rate` = our rate including the kills and restarts ÷ its rate.
"""

from __future__ import annotations

import collections
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.alert_email import (
    SmtpSink,
    deliver_command,
    deliver_env,
    prepared,
    smtp_source,
)
from bench.common import ROOT, BenchError, machine, ratio_of, run_child, write_result

NAME = "alert-crash"
KILLS = 3
# Seconds after the worker began sending (its messages reach the sink) until the kill.
KILL_WINDOW = (0.0, 10.0)
TARGETS = {"duplicates": "== 0", "lost": "== 0"}
REPLAYED = re.compile(rb"(\d+) messages were handed over before it stopped")


def _dump_dir() -> Path:
    """A folder smtp-sink can write to after it drops root for `nobody`."""
    folder = Path(tempfile.mkdtemp(prefix="torget-bench-sink-"))
    folder.chmod(0o777)
    return folder


def _wait_for_growth(
    dump: Path, size: int, worker: subprocess.Popen[bytes], *, pause: float = 0.01
) -> None:
    """Until the dump file is larger than `size` bytes (the worker is sending)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if dump.exists() and dump.stat().st_size > size:
            return
        if worker.poll() is not None:
            raise BenchError(f"the worker exited ({worker.returncode}) before sending")
        time.sleep(pause)
    raise BenchError("the worker sent nothing for 120 s")


def _count_fast(dump: Path) -> int:
    """Messages in the dump so far (each has one Message-ID line)."""
    with dump.open("rb") as handle:
        return sum(1 for line in handle if line[:11] == b"Message-ID:")


def _count(dump: Path, identifier: str) -> collections.Counter[int]:
    """How many messages of each delivery id the sink wrote to `dump`."""
    pattern = re.compile(
        rb"^Message-ID: <delivery-(\d+)\." + re.escape(identifier.encode()) + rb"@"
    )
    seen: collections.Counter[int] = collections.Counter()
    with dump.open("rb") as handle:
        for line in handle:
            if line[:11] == b"Message-ID:":
                match = pattern.match(line)
                if match:
                    seen[int(match.group(1))] += 1
    return seen


def run() -> dict[str, Any]:
    host = machine()
    rng = random.Random()
    sinks = _dump_dir()
    try:
        with prepared() as (env, base, seeded, queued, message):
            count = queued["deliveries"]
            dump = sinks / "ours.dump"
            log_path = base / "worker.log"
            kills: list[dict[str, Any]] = []
            with SmtpSink(dump=dump) as sink, log_path.open("wb") as log:
                worker_env = deliver_env(env, sink.port)
                print(
                    f"  delivering {count} e-mails, killing the worker {KILLS} times",
                    file=sys.stderr,
                    flush=True,
                )
                began = time.monotonic()
                for _ in range(KILLS):
                    size = dump.stat().st_size if dump.exists() else 0
                    started = time.monotonic()
                    worker = subprocess.Popen(
                        deliver_command(), cwd=ROOT, env=worker_env, stdout=log, stderr=log
                    )
                    try:
                        # Once this run is sending (the dump grows), a random moment later.
                        _wait_for_growth(dump, size, worker)
                        sending = time.monotonic() - started
                        moment = rng.uniform(*KILL_WINDOW)
                        worker.wait(timeout=moment)
                    except subprocess.TimeoutExpired:
                        # Then the very moment the next message arrives: the worker is handing
                        # a batch over, the case the journal is for (between batches it is
                        # building messages or writing to the database).
                        _wait_for_growth(dump, dump.stat().st_size, worker, pause=0.0002)
                        worker.send_signal(signal.SIGKILL)
                        worker.wait(timeout=30)
                        kills.append(
                            {
                                "sending_after_seconds": round(sending, 2),
                                "killed_after_seconds": round(time.monotonic() - started, 3),
                                "at_sink_before_kill": _count_fast(dump),
                            }
                        )
                    else:
                        raise BenchError("the worker finished before its kill: nothing interrupted")
                last = subprocess.run(
                    deliver_command(), cwd=ROOT, env=worker_env, stdout=log, stderr=log
                )
                elapsed = time.monotonic() - began
                if last.returncode != 0:
                    raise BenchError(f"the last worker run failed ({last.returncode})")
            found = run_child(["bench.alert_email", "inspect", str(seeded["alert"])], env=env)
            replayed = [int(n) for n in REPLAYED.findall(log_path.read_bytes())]
            seen = _count(dump, found["identifier"])
            rows = set(found["ids"])
            duplicates = sum(n - 1 for n in seen.values() if n > 1)
            lost = len(rows - seen.keys())
            strangers = len(seen.keys() - rows)
            not_delivered = count - found["counts"]["delivered"]
            dump.unlink()
            print("  smtp-source into a dumping smtp-sink", file=sys.stderr, flush=True)
            with SmtpSink(dump=sinks / "source.dump") as baseline_sink:
                source_seconds = smtp_source(baseline_sink.port, count, message)
    finally:
        shutil.rmtree(sinks, ignore_errors=True)

    ours_rate = round(count / elapsed, 1)
    source_rate = round(count / source_seconds, 1)
    result = write_result(
        NAME,
        figures={
            "deliveries": count,
            "duplicates": duplicates,
            "lost": lost,
            "not_delivered": not_delivered,
            "unknown_at_sink": strangers,
            "at_sink": sum(seen.values()),
            "kills": kills,
            "replayed": replayed,
            "retried": found["attempts_over_one"],
            "counts": found["counts"],
            "seconds_with_kills": round(elapsed, 2),
            "rate_per_second": ours_rate,
        },
        baseline={
            "tool": "smtp-source (Postfix) into smtp-sink -D",
            "messages": count,
            "seconds": round(source_seconds, 2),
            "rate_per_second": source_rate,
        },
        ratio={"rate": ratio_of(ours_rate, source_rate)},
        extra={
            "targets": TARGETS,
            "setup": {
                "data": (
                    f"as alert-email: {seeded['addresses']} addresses, subscriptions "
                    f"{seeded['subscriptions']}, the alert sent to {count} (SQLite, WAL)"
                ),
                "kills": (
                    f"{KILLS} × SIGKILL to manage.py deliver at a moment uniform in "
                    f"{KILL_WINDOW[0]}–{KILL_WINDOW[1]} s after it began sending (the sink's "
                    "dump grew), at the next message to reach the sink; restarted at once with "
                    "the same TORGET_WORKER_ID; then one run to the end (--drain)"
                ),
                "counting": (
                    "smtp-sink -D dump file: Message-ID <delivery-{id}.{alert}@host> of every "
                    "accepted message, counted per Delivery row of the alert"
                ),
                "machine": host,
            },
        },
    )
    if duplicates or lost or not_delivered or strangers:
        raise BenchError(
            f"not exactly once: {duplicates} duplicates, {lost} lost, {not_delivered} not "
            f"delivered, {strangers} unknown"
        )
    return result

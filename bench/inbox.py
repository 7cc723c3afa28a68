"""The staff inbox and the dialogue metrics on a year of conversations, against one raw query.

`manage.py demo --threads 200000 --messages 1000000 --units 50` fills a fresh database with a
year of questions and answers (deterministic; BENCH_INBOX_THREADS and BENCH_INBOX_MESSAGES
scale it down for a quick try). That is done twice: on SQLite (a temporary folder) and on
PostgreSQL (a fresh database on 127.0.0.1:5432, dropped afterwards). On each, ONE Python
process (Django set up with that database) measures, for the library (one of the 50 units):

- inbox: its first inbox page as the inbox lists it, `thread_list_waiting(viewer=<the
  library's unit administrator>, municipality, filters=InboxFilter(unit=<library>))[:25]`
  evaluated to a list of threads with their unit, assignee and opener (select_related);
- metrics: the library's dialogue figures for the last 365 days, `metrics_for(municipality,
  unit=<library>, start=now-365d, end=now, now=now)`.

The baseline of each is ONE hand-written SQL statement on the same database connection, run
directly through the database driver in the same process, producing the same result (see
INBOX_SQL and metrics_sql below for exactly what it computes). Every measurement runs 3 times
to warm up, then 30 times, ours and the raw query taking turns; the figures are the median and
95th percentile in ms, the ratio our median ÷ the raw median. Before measuring, the results
are compared: the inbox's thread ids must equal the raw query's, and every metrics figure the
raw query's (the benchmark fails loudly otherwise).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import re
import shutil
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
    machine,
    ratio_of,
    run_child,
    summary_ms,
    torget_env,
    write_result,
)

NAME = "inbox"
FULL_THREADS = 200_000
FULL_MESSAGES = 1_000_000
UNITS = 50
WARMUP = 3
RUNS = 30
UNIT_SLUG = "biblioteket"
VIEWER = "bibliotekleder@eksempel.kommune.no"  # the library's unit administrator
PAGE = 25
TARGETS = {
    "inbox_sqlite": "<= 3",
    "inbox_postgres": "<= 3",
    "metrics_sqlite": "<= 3",
    "metrics_postgres": "<= 3",
}

# --- the baseline: one hand-written statement each ----------------------------------------------

# The first inbox page of one unit: every thread column, the unit's name, the assignee's and the
# opener's name and e-mail (what select_related("unit", "assignee", "opened_by") brings along
# for the page), the oldest wait first.
INBOX_SQL = """
SELECT t.*, u.name, a.name, a.email, o.name, o.email
FROM conversations_thread t
JOIN organisation_unit u ON u.id = t.unit_id
LEFT JOIN accounts_user a ON a.id = t.assignee_id
LEFT JOIN accounts_user o ON o.id = t.opened_by_id
WHERE t.status = 'waiting' AND t.unit_id = %(unit)s
ORDER BY t.waiting_since, t.id
LIMIT 25
"""

# The figures of metrics_for (docs/metrics.md) in one row. The scope: the unit and every unit
# below it (path prefix), as unit_ids_in_scope. The questions: threads of the scope whose first
# resident message lies in [start, end); the conditional counts are those of
# torget.insights.selectors._aggregates, word for word in SQL. The threads are reached through
# the scope's units (a unit belongs to one municipality, so no thread of another can match),
# which lets SQLite's planner, with no statistics, take the (unit, ...) indexes as metrics_for's
# queries do; written with `municipality_id = ?` on the threads instead, it walks every thread
# of the municipality and is several times slower.
_METRICS_SQL = """
WITH scope AS (
    SELECT id FROM organisation_unit
    WHERE municipality_id = %(municipality)s AND path LIKE %(prefix)s
)
SELECT q.*, m.*, w.*, p.*
FROM (
    SELECT
        COUNT(*) AS questions,
        COUNT(*) FILTER (WHERE status = 'no_answer_needed' AND first_official_at IS NULL)
            AS no_answer_needed,
        COUNT(*) FILTER (WHERE first_official_at IS NOT NULL) AS answered,
        COUNT(*) FILTER (
            WHERE first_official_at IS NOT NULL AND first_answer_seconds <= %(horizon)s
        ) AS answered_in_time,
        COUNT(*) FILTER (
            WHERE NOT (status = 'no_answer_needed' AND first_official_at IS NULL)
            AND (first_resident_at <= %(old_enough)s
                 OR (first_official_at IS NOT NULL AND first_answer_seconds <= %(horizon)s))
        ) AS judged,
        COUNT(*) FILTER (
            WHERE first_official_at IS NOT NULL AND resident_after_official_at IS NOT NULL
        ) AS two_way,
        COUNT(*) FILTER (WHERE first_answer_within_goal) AS within_goal,
        COUNT(*) FILTER (
            WHERE NOT (status = 'no_answer_needed' AND first_official_at IS NULL)
            AND NOT (first_official_at IS NULL AND status = 'waiting'
                     AND due_at IS NOT NULL AND due_at >= %(now)s)
        ) AS goal_judged
        {percentiles}
    FROM scope JOIN conversations_thread t ON t.unit_id = scope.id
    WHERE t.first_resident_at >= %(start)s AND t.first_resident_at < %(end)s
) q
CROSS JOIN (
    SELECT
        COUNT(*) AS resident_messages,
        COUNT(DISTINCT msg.author_id) AS residents_with_account,
        COUNT(DISTINCT CASE WHEN msg.author_id IS NULL THEN NULLIF(t.contact, '') END)
            AS residents_by_contact
    FROM conversations_message msg
    JOIN conversations_thread t ON t.id = msg.thread_id
    WHERE t.unit_id IN (SELECT id FROM scope) AND msg.role = 'resident'
      AND msg.created_at >= %(start)s AND msg.created_at < %(end)s
) m
CROSS JOIN (
    SELECT COUNT(*) AS waiting_now, COUNT(*) FILTER (WHERE due_at < %(now)s) AS overdue_now
    FROM scope JOIN conversations_thread t ON t.unit_id = scope.id
    WHERE t.status = 'waiting'
) w
CROSS JOIN (
    SELECT COUNT(*) AS posts, COUNT(*) FILTER (WHERE kind = 'dialogue') AS dialogue_posts
    FROM scope JOIN pages_post p ON p.unit_id = scope.id
    WHERE p.published_at >= %(start)s AND p.published_at < %(posts_end)s
) p
"""
# The durations of the answered questions (both recorded), as metrics_for takes them.
_ANSWERED = "first_answer_seconds IS NOT NULL AND first_answer_working_seconds IS NOT NULL"
# PostgreSQL has percentile_cont: linear interpolation between closest ranks, the definition of
# docs/metrics.md, computed by the database in the same pass over the questions.
_PERCENTILES_POSTGRES = ",\n".join(
    f"        percentile_cont({fraction}) WITHIN GROUP (ORDER BY {column}) "
    f"FILTER (WHERE {_ANSWERED}) AS {column}_{name}"
    for column in ("first_answer_seconds", "first_answer_working_seconds")
    for fraction, name in (("0.5", "p50"), ("0.9", "p90"))
)
# SQLite has no percentile function: the same statement returns each duration column's values
# in ascending order (an ordered fetch, packed by group_concat), and Python interpolates.
_PERCENTILES_SQLITE = ",\n".join(
    f"        (SELECT group_concat(v) FROM (SELECT a.{column} AS v "
    f"FROM scope JOIN conversations_thread a ON a.unit_id = scope.id "
    f"WHERE a.first_resident_at >= %(start)s AND a.first_resident_at < %(end)s "
    f"AND a.first_answer_seconds IS NOT NULL AND a.first_answer_working_seconds IS NOT NULL "
    f"ORDER BY a.{column})) AS {column}_sorted"
    for column in ("first_answer_seconds", "first_answer_working_seconds")
)
DURATIONS = ("first_answer_seconds", "first_answer_working_seconds")
FIGURES = (
    "questions",
    "no_answer_needed",
    "answered",
    "answered_in_time",
    "judged",
    "two_way",
    "within_goal",
    "goal_judged",
    "resident_messages",
    "residents_with_account",
    "residents_by_contact",
    "waiting_now",
    "overdue_now",
    "posts",
    "dialogue_posts",
)


def metrics_sql(vendor: str) -> str:
    """The one metrics statement for `vendor` ("sqlite" or "postgresql")."""
    if vendor == "postgresql":
        return _METRICS_SQL.format(percentiles=",\n" + _PERCENTILES_POSTGRES)
    return _METRICS_SQL.format(percentiles=",\n" + _PERCENTILES_SQLITE)


def _interpolated(ordered: list[int], percent: int) -> float:
    """Linear interpolation between closest ranks (percentile_cont's definition)."""
    lower, remainder = divmod(percent * (len(ordered) - 1), 100)
    low = float(ordered[lower])
    return low if remainder == 0 else low + remainder / 100 * (ordered[lower + 1] - low)


# --- in the measuring child ---------------------------------------------------------------------


def _raw_runner(sql: str) -> Callable[[dict[str, Any]], tuple[list[str], list[tuple[Any, ...]]]]:
    """Run `sql` (with %(name)s parameters) straight through the DB-API connection Django holds
    (no ORM, no Django cursor wrapper): the column names and all rows."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        sql = re.sub(r"%\((\w+)\)s", r":\1", sql)

    def execute(params: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            return [d[0] for d in cursor.description], rows
        finally:
            cursor.close()

    return execute


def _figures_of(metrics: Any) -> dict[str, Any]:
    """The numbers of a DialogueMetrics, by the names the raw query uses."""
    threads = metrics.threads
    out: dict[str, Any] = {name: getattr(threads, name) for name in FIGURES[:8]}
    out |= {name: getattr(metrics, name) for name in FIGURES[8:]}
    for column, attr in zip(DURATIONS, ("answer_seconds", "answer_working_seconds"), strict=True):
        out[f"{column}_p50"] = getattr(threads, attr).median
        out[f"{column}_p90"] = getattr(threads, attr).p90
    return out


def _raw_figures(vendor: str, names: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    """The raw statement's row as the same figures (on SQLite: interpolating the percentiles
    from the sorted values it returned)."""
    values = dict(zip(names, row, strict=True))
    out: dict[str, Any] = {name: int(values[name]) for name in FIGURES}
    for column in DURATIONS:
        if vendor == "postgresql":
            p50, p90 = values[f"{column}_p50"], values[f"{column}_p90"]
            out[f"{column}_p50"] = None if p50 is None else float(p50)
            out[f"{column}_p90"] = None if p90 is None else float(p90)
            continue
        text = values[f"{column}_sorted"]
        ordered = [int(v) for v in text.split(",")] if text else []
        out[f"{column}_p50"] = _interpolated(ordered, 50) if ordered else None
        out[f"{column}_p90"] = _interpolated(ordered, 90) if ordered else None
    return out


def _same(ours: dict[str, Any], raw: dict[str, Any]) -> list[str]:
    differ = []
    for key, value in ours.items():
        other = raw[key]
        if isinstance(value, float) or isinstance(other, float):
            if value is None or other is None or not math.isclose(value, other, abs_tol=1e-6):
                differ.append(f"{key}: ours {value!r}, raw {other!r}")
        elif value != other:
            differ.append(f"{key}: ours {value!r}, raw {other!r}")
    return differ


def _timed(
    pairs: dict[str, tuple[Callable[[], object], Callable[[], object]]],
) -> dict[str, dict[str, list[float]]]:
    """Run every (ours, raw) pair WARMUP + RUNS times, the two taking turns in which goes first
    (so that a slow moment of the shared machine hits both alike); keep the last RUNS."""
    samples: dict[str, dict[str, list[float]]] = {key: {"ours": [], "raw": []} for key in pairs}
    for i in range(WARMUP + RUNS):
        for key, (ours, raw) in pairs.items():
            order = (("ours", ours), ("raw", raw)) if i % 2 == 0 else (("raw", raw), ("ours", ours))
            for side, call in order:
                began = time.perf_counter()
                call()
                took = time.perf_counter() - began
                if i >= WARMUP:
                    samples[key][side].append(took)
    return samples


def _version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        sqlite = connection.vendor == "sqlite"
        cursor.execute("SELECT sqlite_version()" if sqlite else "SHOW server_version")
        row = cursor.fetchone()
    return f"{connection.vendor} {row[0] if row else '?'}"


def measure() -> dict[str, Any]:
    """In a process set up with one database: check and time the inbox page and the metrics."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from torget.accounts.models import User
    from torget.conversations.models import Message, Thread, ThreadStatus
    from torget.conversations.selectors import InboxFilter, thread_list_waiting
    from torget.demo import data
    from torget.insights.selectors import DEFAULT_HORIZON, metrics_for
    from torget.organisation.models import Unit

    vendor = connection.vendor
    unit = Unit.objects.select_related("municipality").get(
        municipality__number=data.NUMBER, slug=UNIT_SLUG
    )
    municipality = unit.municipality
    viewer = User.objects.get(email=VIEWER)
    now = timezone.now()
    start, end = now - datetime.timedelta(days=365), now
    filters = InboxFilter(unit=unit.pk)

    def ours_inbox() -> list[Thread]:
        return list(
            thread_list_waiting(viewer=viewer, municipality=municipality, filters=filters)[:PAGE]
        )

    def ours_metrics() -> Any:
        return metrics_for(municipality=municipality, unit=unit, start=start, end=end, now=now)

    def adapt(moment: datetime.datetime) -> Any:
        """A datetime parameter as Django writes it: text in UTC on SQLite, as is elsewhere."""
        return connection.ops.adapt_datetimefield_value(moment) if vendor == "sqlite" else moment

    inbox_query = _raw_runner(INBOX_SQL)
    metrics_query = _raw_runner(metrics_sql(vendor))
    inbox_params = {"unit": unit.pk}
    metrics_params = {
        "municipality": municipality.pk,
        "prefix": f"{unit.path}%",
        "horizon": int(DEFAULT_HORIZON.total_seconds()),
        "old_enough": adapt(now - DEFAULT_HORIZON),
        "now": adapt(now),
        "start": adapt(start),
        "end": adapt(end),
        "posts_end": adapt(min(end, now)),
    }

    def raw_inbox() -> list[tuple[Any, ...]]:
        return inbox_query(inbox_params)[1]

    def raw_metrics() -> dict[str, Any]:
        names, rows = metrics_query(metrics_params)
        return _raw_figures(vendor, names, rows[0])

    # Equal results first: a fast wrong answer measures nothing.
    with CaptureQueriesContext(connection) as inbox_queries:
        page = ours_inbox()
    ours_ids = [t.pk for t in page]
    raw_ids = [row[0] for row in raw_inbox()]
    if ours_ids != raw_ids or not ours_ids:
        raise BenchError(f"{vendor}: inbox ids differ (or none): ours {ours_ids}, raw {raw_ids}")
    with CaptureQueriesContext(connection) as metrics_queries:
        ours_figures = _figures_of(ours_metrics())
    raw_figures = raw_metrics()
    differ = _same(ours_figures, raw_figures)
    if differ:
        raise BenchError(f"{vendor}: metrics differ from the raw query's: {differ}")

    samples = _timed({"inbox": (ours_inbox, raw_inbox), "metrics": (ours_metrics, raw_metrics)})
    unit_threads = Thread.objects.filter(unit=unit)
    return {
        "vendor": vendor,
        "database_version": _version(),
        "threads": Thread.objects.count(),
        "messages": Message.objects.count(),
        "units": Unit.objects.filter(municipality=municipality).count(),
        "unit": {
            "slug": unit.slug,
            "threads": unit_threads.count(),
            "waiting": unit_threads.filter(status=ThreadStatus.WAITING).count(),
            "resident_messages_in_year": ours_figures["resident_messages"],
        },
        "inbox_page_ids": ours_ids,
        "metrics_figures": ours_figures,
        "queries": {
            "inbox": len(inbox_queries.captured_queries),
            "metrics": len(metrics_queries.captured_queries),
        },
        "timings": {
            key: {side: summary_ms(values) for side, values in sides.items()}
            for key, sides in samples.items()
        },
    }


def _child(argv: list[str]) -> None:
    django_setup()
    if argv != ["measure"]:
        raise SystemExit(f"unknown command {argv!r}")
    print(json.dumps(measure(), default=str))


# --- in the parent ------------------------------------------------------------------------------


def _size() -> tuple[int, int]:
    threads = int(os.environ.get("BENCH_INBOX_THREADS", "").strip() or FULL_THREADS)
    messages = int(os.environ.get("BENCH_INBOX_MESSAGES", "").strip() or FULL_MESSAGES)
    if threads < 1000 or messages < threads:
        raise BenchError("BENCH_INBOX_THREADS >= 1000 and BENCH_INBOX_MESSAGES >= the threads")
    return threads, messages


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _postgres_analyse(url: str) -> None:
    """VACUUM ANALYZE after the bulk load: the statistics autovacuum gathers on its own soon
    after, so the planner sees the table as in steady use (and autovacuum does not start in
    the middle of the measurement)."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute("VACUUM ANALYZE")


@contextlib.contextmanager
def _database(kind: str, var_dir: Path) -> Iterator[dict[str, str]]:
    """The environment of Torget processes on a fresh database of `kind`, removed after."""
    if kind == "sqlite":
        yield torget_env(var_dir)
        return
    with PostgresDatabase(prefix="torget_bench_inbox") as database:
        yield torget_env(var_dir, TORGET_DATABASE_URL=database.url)


def _one_database(kind: str, threads: int, messages: int, base: Path) -> dict[str, Any]:
    var_dir = base / kind
    var_dir.mkdir()
    with _database(kind, var_dir) as env:
        began = time.monotonic()
        _manage(env, "migrate", "--noinput", "--verbosity", "0")
        _manage(
            env,
            "demo",
            "--quiet",
            "--threads",
            str(threads),
            "--messages",
            str(messages),
            "--units",
            str(UNITS),
        )
        if kind == "postgres":
            _postgres_analyse(env["TORGET_DATABASE_URL"])
        generated = round(time.monotonic() - began, 1)
        print(f"  {kind}: generated in {generated} s; measuring", file=sys.stderr, flush=True)
        measured: dict[str, Any] = run_child(["bench.inbox", "measure"], env=env)
        measured["generation_seconds"] = generated
        return measured


def run() -> dict[str, Any]:
    threads, messages = _size()
    host = machine()
    base = Path(tempfile.mkdtemp(prefix="torget-bench-inbox-"))
    try:
        found = {
            kind: _one_database(kind, threads, messages, base) for kind in ("sqlite", "postgres")
        }
    finally:
        shutil.rmtree(base, ignore_errors=True)

    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    ratio: dict[str, float] = {}
    for kind, got in found.items():
        for key in ("inbox", "metrics"):
            ours, raw = got["timings"][key]["ours"], got["timings"][key]["raw"]
            figures[f"{key}_{kind}"] = ours
            baseline[f"{key}_{kind}"] = raw
            ratio[f"{key}_{kind}"] = ratio_of(ours["median_ms"], raw["median_ms"])
        figures[f"queries_{kind}"] = got["queries"]
        figures[f"data_{kind}"] = {
            "threads": got["threads"],
            "messages": got["messages"],
            "units": got["units"],
            "unit": got["unit"],
            "generation_seconds": got["generation_seconds"],
            "database_version": got["database_version"],
        }
    figures["metrics_figures"] = found["sqlite"]["metrics_figures"]
    full = threads == FULL_THREADS and messages == FULL_MESSAGES
    return write_result(
        NAME,
        figures=figures,
        baseline=baseline,
        ratio=ratio,
        extra={
            "targets": TARGETS,
            "setup": {
                "data": (
                    f"manage.py demo --threads {threads} --messages {messages} --units {UNITS}"
                    + ("" if full else " (scaled down by BENCH_INBOX_THREADS/_MESSAGES)")
                    + "; the real counts are in figures.data_*"
                ),
                "databases": (
                    "SQLite in a temporary folder (WAL, as settings.py sets it up; no ANALYZE); "
                    "PostgreSQL: a fresh database on 127.0.0.1:5432, VACUUM ANALYZE after the "
                    "load, dropped after the run"
                ),
                "process": (
                    "one Python process per database, django.setup() with its "
                    "TORGET_DATABASE_URL, DEBUG off; the ORM and the raw statement share "
                    "Django's DB-API connection"
                ),
                "inbox": (
                    f"ours: list(thread_list_waiting(viewer={VIEWER}, municipality, "
                    f"filters=InboxFilter(unit=<{UNIT_SLUG}>))[:{PAGE}]) (select_related unit, "
                    "assignee, opened_by); raw: one SELECT of the thread columns + unit name + "
                    "assignee and opener name/e-mail, status='waiting' AND unit_id=?, ORDER BY "
                    "waiting_since, id LIMIT 25, fetchall. Asserted: same ids in the same order"
                ),
                "metrics": (
                    f"ours: metrics_for(municipality, unit=<{UNIT_SLUG}>, start=now-365d, "
                    "end=now, now=now) (the same now for both); raw: one statement returning "
                    "one row with every figure metrics_for returns: the 8 question counts "
                    "(questions, no answer needed, answered, answered in time = reply-rate "
                    "numerator, judged = its denominator, two-way, within goal, goal judged), "
                    "resident messages, distinct residents by account and by contact, waiting "
                    "and overdue now, posts and dialogue posts, and the median and 90th "
                    "percentile of both answer durations: on PostgreSQL by percentile_cont in "
                    "the statement, on SQLite from each column's values fetched in order "
                    "(group_concat over an ORDER BY subquery) and interpolated in Python, as "
                    "metrics_for does. Asserted: every figure equal"
                ),
                "runs": (
                    f"{WARMUP} warm-up runs, then {RUNS} measured; ours and raw take turns "
                    "going first; median and p95 (nearest rank) in ms; ratio = our median ÷ "
                    "raw median"
                ),
                "machine": host,
            },
        },
    )


if __name__ == "__main__":
    _child(sys.argv[1:])

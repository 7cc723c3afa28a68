"""Recomputing the opinion groups of short views, against the same numerics as plain calls.

One Python process per database (SQLite in a temporary folder; PostgreSQL, a fresh database on
127.0.0.1:5432 dropped afterwards) stores a process with 200 published statements and 2,000
participants who voted on 60 % of the 400,000 cells (240,000 ShortViewVote rows, bulk_create),
with planted structure: three groups of 1,000, 600 and 400 participants, each with its own
agree/disagree pattern, 20 % of each participant's votes replaced by a random vote (seed SEED).

It then times, in the same process, taking turns going first:

- ours: `torget.participation.tasks_shortviews.recompute(process_id)`, the task's full
  recompute: the statements and votes read from the database (values_list over one query,
  built into the matrix with numpy indexing), `torget.participation.opinion.compute`
  (participants with >= 7 votes, column-mean imputation, PCA, k-means for k = 2..5 with the
  silhouette, representative and consensus statements) and the result stored in
  OpinionGroups (JSON of 2,000 points) with the request cleared;
- plain: the same matrix, already in memory, through the same numerics as plain
  numpy/scikit-learn calls: column-mean imputation (np.nanmean, np.where),
  PCA(n_components=2, svd_solver="full"), and for k = 2..5 KMeans(random_state=0, n_init=4)
  and silhouette_score.

Both run with one BLAS/OpenMP thread (threadpoolctl), as the task does: on a busy two-core
machine OpenMP's spinning threads make k-means many times slower and the figures noise. For
information, the plain calls are also timed with the libraries' default threads.

ratio.recompute_<db> = our median ÷ plain median, and ratio.recompute the worse of the two
(target <= 1.5). BENCH_SHORT_VIEWS_SCALE
(0 < s <= 1) scales participants down for a quick try.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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

NAME = "short-views"
PARTICIPANTS = 2_000
STATEMENTS = 200
VOTED = 0.6
NOISE = 0.2
GROUP_SHARES = (0.5, 0.3, 0.2)
SEED = 20261127
REPEATS = 7
TARGETS = {"recompute": "<= 1.5", "recompute_sqlite": "<= 1.5", "recompute_postgres": "<= 1.5"}


def _participants() -> int:
    scale = float(os.environ.get("BENCH_SHORT_VIEWS_SCALE", "").strip() or 1)
    if not 0 < scale <= 1:
        raise BenchError("BENCH_SHORT_VIEWS_SCALE must be in (0, 1]")
    return max(60, int(PARTICIPANTS * scale))


def planted_votes(participants: int) -> tuple[Any, Any]:
    """(matrix with NaN for unseen, planted group of each participant), the same every run."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    patterns = rng.choice([-1.0, 1.0], size=(len(GROUP_SHARES), STATEMENTS))
    sizes = [int(participants * share) for share in GROUP_SHARES]
    sizes[0] += participants - sum(sizes)
    labels = np.repeat(np.arange(len(sizes)), sizes)
    matrix = patterns[labels].copy()
    noisy = rng.random(matrix.shape) < NOISE
    matrix[noisy] = rng.choice([-1.0, 0.0, 1.0], size=int(noisy.sum()))
    matrix[rng.random(matrix.shape) >= VOTED] = np.nan
    return matrix, labels


# --- in the measuring child ---------------------------------------------------------------------


def load(participants: int) -> dict[str, Any]:
    """The municipality, a process in its input phase, users, statements and votes."""
    import numpy as np
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from torget.accounts.models import User
    from torget.organisation import services as org
    from torget.organisation.models import Unit
    from torget.participation.models import (
        OpinionGroups,
        Phase,
        PhaseKind,
        Process,
        ShortView,
        ShortViewStatus,
        ShortViewVote,
    )

    began = time.perf_counter()
    matrix, _labels = planted_votes(participants)
    municipality = org.municipality_create(
        number="4698", name="Benchvik kommune", malform="nb", hostnames=("localhost",)
    )
    unit = Unit.objects.get(municipality=municipality, parent__isnull=True)
    today = timezone.localdate()
    process = Process.objects.create(
        municipality=municipality,
        unit=unit,
        slug="veisystemet",
        kind="project",
        title="Omlegging av veisystemet i sentrum",
        is_published=True,
    )
    Phase.objects.create(
        process=process,
        kind=PhaseKind.INPUT,
        starts_on=today - datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=30),
    )
    unusable = make_password(None)
    now = timezone.now()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(email=f"deltaker{n}@example.no", name=f"Deltaker {n}", password=unusable)
                for n in range(participants)
            ],
            batch_size=1000,
        )
        views = ShortView.objects.bulk_create(
            [
                ShortView(
                    process=process,
                    text=f"Påstand nummer {n} om veisystemet i sentrum",
                    by_staff=True,
                    status=ShortViewStatus.PUBLISHED,
                    created_at=now,
                )
                for n in range(STATEMENTS)
            ]
        )
    user_ids = [u.pk for u in users]
    view_ids = [v.pk for v in views]
    rows, cols = np.nonzero(~np.isnan(matrix))
    choices = matrix[rows, cols].astype(int)
    batch: list[ShortViewVote] = []
    for r, c, choice in zip(rows.tolist(), cols.tolist(), choices.tolist(), strict=True):
        batch.append(
            ShortViewVote(
                short_view_id=view_ids[c],
                user_id=user_ids[r],
                choice=choice,
                created_at=now,
                updated_at=now,
            )
        )
        if len(batch) == 20_000:
            with transaction.atomic():
                ShortViewVote.objects.bulk_create(batch, batch_size=2_000)
            batch = []
    with transaction.atomic():
        ShortViewVote.objects.bulk_create(batch, batch_size=2_000)
    # The denormalised counts, as the vote service keeps them.
    for j, pk in enumerate(view_ids):
        column = matrix[:, j]
        ShortView.objects.filter(pk=pk).update(
            agree_count=int((column == 1).sum()),
            disagree_count=int((column == -1).sum()),
            pass_count=int((column == 0).sum()),
        )
    OpinionGroups.objects.create(process=process)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "process_id": process.pk,
        "participants": participants,
        "statements": STATEMENTS,
        "votes": len(rows),
        "load_seconds": round(time.perf_counter() - began, 1),
    }


def plain(matrix: Any) -> tuple[int, float]:
    """The baseline: imputation, PCA, and the k-means and silhouette loop as plain calls."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score

    filled = np.where(np.isnan(matrix), np.nanmean(matrix, axis=0), matrix)
    points = PCA(n_components=2, svd_solver="full", random_state=0).fit_transform(filled)
    best = (-2.0, 0)
    for k in range(2, 6):
        labels = KMeans(n_clusters=k, random_state=0, n_init=4).fit_predict(points)
        best = max(best, (float(silhouette_score(points, labels)), k))
    return best[1], best[0]


def measure(process_id: int, participants: int) -> dict[str, Any]:
    """Time ours (the task's recompute) and the plain calls, taking turns going first."""
    import numpy as np
    from django.db import connection
    from django.utils import timezone
    from sklearn.metrics import adjusted_rand_score
    from threadpoolctl import threadpool_limits

    from torget.participation import opinion
    from torget.participation.models import OpinionGroups
    from torget.participation.tasks_shortviews import recompute, vote_matrix

    matrix, planted = planted_votes(participants)

    def ours() -> dict[str, Any] | None:
        return recompute(process_id)

    def baseline() -> tuple[int, float]:
        with threadpool_limits(limits=1):
            return plain(matrix)

    def ask() -> None:
        OpinionGroups.objects.filter(process_id=process_id).update(requested_at=timezone.now())

    # Warm-up, and what each finds.
    ask()
    found = ours()
    if found is None:
        raise BenchError("the process is gone")
    plain_k, plain_silhouette = baseline()
    labels_by_id = {pid: g for pid, _x, _y, g in found["points"]}
    pids, _sids, read, _listable = vote_matrix(process_id)
    if int((~np.isnan(read)).sum()) != int((~np.isnan(matrix)).sum()):
        raise BenchError("the votes read are not the votes stored")
    ours_labels = [labels_by_id.get(int(pid), -1) for pid in pids]
    samples: dict[str, list[float]] = {"ours": [], "plain": []}
    for repeat in range(REPEATS):
        order = ["ours", "plain"] if repeat % 2 == 0 else ["plain", "ours"]
        for side in order:
            if side == "ours":
                ask()
            began = time.perf_counter()
            ours() if side == "ours" else baseline()
            samples[side].append(time.perf_counter() - began)
    default_threads = []
    for _ in range(3):
        began = time.perf_counter()
        plain(matrix)
        default_threads.append(time.perf_counter() - began)
    # Ours in parts, to say where the time goes (the rest of a run is storing the result).
    parts: dict[str, list[float]] = {"read_votes": [], "compute": []}
    for _ in range(3):
        began = time.perf_counter()
        pids_, sids_, read_, listable_ = vote_matrix(process_id)
        parts["read_votes"].append(time.perf_counter() - began)
        began = time.perf_counter()
        with threadpool_limits(limits=1):
            opinion.compute(pids_, sids_, read_, listable=listable_)
        parts["compute"].append(time.perf_counter() - began)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version"
        )
        version = cursor.fetchone()[0]
    return {
        "vendor": connection.vendor,
        "database_version": f"{connection.vendor} {version}",
        "ours": summary_ms(samples["ours"]),
        "plain": summary_ms(samples["plain"]),
        "plain_default_threads": summary_ms(default_threads),
        "ours_parts_median_ms": {
            name: summary_ms(samples_)["median_ms"] for name, samples_ in parts.items()
        },
        "found": {
            "k": found["k"],
            "silhouette": found["silhouette"],
            "participants": found["participants"],
            "votes": found["votes"],
            "adjusted_rand_vs_planted": round(
                float(adjusted_rand_score(planted[pids - pids.min()], ours_labels)), 4
            )
            if len(pids) == participants
            else None,
            "plain_k": plain_k,
            "plain_silhouette": round(plain_silhouette, 3),
        },
    }


def _child(argv: list[str]) -> None:
    import json

    django_setup()
    participants = _participants()
    loaded = load(participants)
    print(f"  loaded {loaded}; measuring", file=sys.stderr, flush=True)
    measured = measure(loaded["process_id"], participants)
    measured["data"] = loaded
    print(json.dumps(measured))


# --- in the parent ------------------------------------------------------------------------------


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


@contextlib.contextmanager
def _database(kind: str, var_dir: Path) -> Iterator[dict[str, str]]:
    if kind == "sqlite":
        yield torget_env(var_dir)
        return
    with PostgresDatabase(prefix="torget_bench_short_views") as database:
        yield torget_env(var_dir, TORGET_DATABASE_URL=database.url)


def _one_database(kind: str, base: Path) -> dict[str, Any]:
    var_dir = base / kind
    var_dir.mkdir()
    with _database(kind, var_dir) as env:
        _manage(env, "migrate", "--noinput", "--verbosity", "0")
        measured: dict[str, Any] = run_child(["bench.short_views", "run"], env=env)
        return measured


def run() -> dict[str, Any]:
    host = machine()
    base = Path(tempfile.mkdtemp(prefix="torget-bench-short-views-"))
    try:
        found = {kind: _one_database(kind, base) for kind in ("sqlite", "postgres")}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    ratio: dict[str, float] = {}
    for kind, got in found.items():
        figures[kind] = got["ours"]
        baseline[kind] = got["plain"]
        ratio[f"recompute_{kind}"] = ratio_of(got["ours"]["median_ms"], got["plain"]["median_ms"])
        figures[f"detail_{kind}"] = {
            "database_version": got["database_version"],
            "data": got["data"],
            "found": got["found"],
            "ours_parts_median_ms": got["ours_parts_median_ms"],
            "plain_default_threads": got["plain_default_threads"],
        }
    ratio["recompute"] = max(ratio.values())
    data = found["sqlite"]["data"]
    return write_result(
        NAME,
        figures=figures,
        baseline=baseline,
        ratio=ratio,
        extra={
            "targets": TARGETS,
            "setup": {
                "data": (
                    f"{data['participants']} participants x {STATEMENTS} published statements, "
                    f"{data['votes']} votes ({VOTED:.0%} of the cells; planted groups of "
                    f"{', '.join(f'{s:.0%}' for s in GROUP_SHARES)}, {NOISE:.0%} noise), seed "
                    f"{SEED}, stored with bulk_create"
                    + ("" if data["participants"] == PARTICIPANTS else " (scaled down)")
                ),
                "ours": (
                    "tasks_shortviews.recompute(process_id): read the votes from the database, "
                    "build the matrix, opinion.compute (filter, impute, PCA, k-means k=2..5 with "
                    "silhouette, repness, consensus), store OpinionGroups, clear the request"
                ),
                "plain": (
                    "the same matrix in memory: np.nanmean imputation, PCA(2, svd_solver='full'), "
                    "KMeans(k, random_state=0, n_init=4) and silhouette_score for k=2..5"
                ),
                "runs": (
                    f"one warm-up each, then {REPEATS} runs each, taking turns going first; "
                    "medians; both with one BLAS/OpenMP thread (threadpoolctl), as the task"
                ),
                "databases": (
                    "SQLite in a temporary folder (WAL); PostgreSQL: a fresh database on "
                    "127.0.0.1:5432, dropped after the run"
                ),
                "machine": host,
            },
        },
    )


if __name__ == "__main__":
    _child(sys.argv[1:])

"""Background work of short views: recomputing a process's opinion groups as votes arrive.

Each vote sets `OpinionGroups.requested_at`, counts up `request_count`, and enqueues
`recompute_opinion_groups` only when no request was pending (services.shortviews.vote_cast),
in the vote's own transaction. The task notes the count it serves, computes without holding a
transaction, and then clears `requested_at` only if the count is still the one it served: a
vote that came during the computation counted up, so the task enqueues itself once more
instead (never lost, never a queue of many; a count, not the time, so that two votes stamped
alike are still two). Running it twice computes the same result twice: safe.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Aggregate, F, TextField
from django.utils import timezone
from django_tasks import task
from threadpoolctl import threadpool_limits

from torget.participation import opinion

logger = logging.getLogger(__name__)


class _Codes(Aggregate):
    """The integers of a group joined by commas, built by the database in one pass:
    GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s((%(expressions)s)::text, ',')",
            **extra,
        )


def vote_matrix(process_id: int) -> tuple[Any, Any, Any, Any]:
    """(participant ids, statement ids, matrix, listable) of a process's published and
    withdrawn statements, in two queries: the statements, then the votes.

    The votes come as one row per statement holding its votes encoded as integers
    (user id × 4 + choice + 1) joined by commas, which numpy parses in C and places with one
    fancy-indexing assignment; the index vote_matrix_covering answers the query without
    touching the table. Measured on 240,000 votes this reads the votes about three times as
    fast as a values_list of (user, statement, choice) rows, whose Python tuples are most of
    the cost (bench/short_views.py)."""
    from torget.participation.models import ShortView, ShortViewStatus, ShortViewVote

    statements = list(
        ShortView.objects.filter(
            process_id=process_id,
            status__in=[ShortViewStatus.PUBLISHED, ShortViewStatus.WITHDRAWN],
        )
        .order_by("pk")
        .values_list("pk", "status")
    )
    sids = np.array([pk for pk, _status in statements], dtype=np.int64)
    listable = np.array([status == ShortViewStatus.PUBLISHED for _pk, status in statements], bool)
    grouped = (
        ShortViewVote.objects.filter(short_view_id__in=sids.tolist())
        .values("short_view_id")
        .annotate(codes=_Codes(F("user_id") * 4 + F("choice") + 1))
        .order_by()
        .values_list("short_view_id", "codes")
    )
    columns: list[Any] = []
    codes: list[Any] = []
    for short_view_id, joined in grouped:
        parsed = np.fromstring(joined, dtype=np.int64, sep=",")
        codes.append(parsed)
        columns.append(np.full(len(parsed), short_view_id, dtype=np.int64))
    if not codes:
        return np.zeros(0, np.int64), sids, np.zeros((0, len(sids))), listable
    code = np.concatenate(codes)
    pids, row = np.unique(code >> 2, return_inverse=True)
    column = np.searchsorted(sids, np.concatenate(columns))
    matrix = np.full((len(pids), len(sids)), np.nan)
    matrix[row, column] = (code & 3) - 1
    return pids, sids, matrix, listable


def recompute(process_id: int) -> dict[str, Any] | None:
    """Compute and store the opinion groups of a process; return the result (None if the
    process is gone). Clears the pending request it served, or enqueues one more run if a vote
    came while it computed."""
    from torget.participation.models import OpinionGroups, Process

    if not Process.objects.filter(pk=process_id).exists():
        return None
    groups, _created = OpinionGroups.objects.get_or_create(process_id=process_id)
    pending = groups.requested_at is not None
    served = groups.request_count
    pids, sids, matrix, listable = vote_matrix(process_id)
    # One thread: the worker shares the machine with the web server, and OpenMP threads that
    # spin while others run make k-means on a busy machine many times slower, not faster.
    with threadpool_limits(limits=1):
        result = opinion.compute(pids, sids, matrix, listable=listable)
    data = result.as_json()
    with transaction.atomic():
        OpinionGroups.objects.filter(pk=groups.pk).update(
            result=data,
            computed_at=timezone.now(),
            participant_count=result.participants,
            vote_count=result.votes,
            group_count=result.k,
        )
        if not pending:
            # A run nobody asked for (a second run, or by hand): it leaves requests alone.
            return data
        cleared = OpinionGroups.objects.filter(pk=groups.pk, request_count=served).update(
            requested_at=None
        )
        if not cleared:
            # A vote came while this ran: its request stays set, so no vote enqueued a task;
            # this one does, once.
            recompute_opinion_groups.enqueue(process_id=process_id)
    return data


@task(priority=-5)
def recompute_opinion_groups(process_id: int) -> int:
    """The task: recompute a process's opinion groups when a request is pending. Returns the
    number of groups (0 when nothing was asked or the process is gone)."""
    from torget.participation.models import OpinionGroups

    if not OpinionGroups.objects.filter(process_id=process_id, requested_at__isnull=False).exists():
        return 0  # served already (e.g. this task ran twice)
    data = recompute(process_id)
    if data is None:
        return 0
    logger.info(
        "opinion groups of process %s: %s groups of %s participants",
        process_id,
        data["k"],
        data["participants"],
    )
    return int(data["k"])

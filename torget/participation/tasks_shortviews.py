"""Background work of short views: recomputing a process's opinion groups as votes arrive.

Each vote sets `OpinionGroups.requested_at` and enqueues `recompute_opinion_groups` only when
no request was pending (services.shortviews.vote_cast), in the vote's own transaction. The task
notes the request it serves, computes without holding a transaction, and then clears
`requested_at` only if it still holds the value it served: a vote that came during the
computation changed it, so the task enqueues itself once more instead (never lost, never a
queue of many). Running it twice computes the same result twice: safe.
"""

from __future__ import annotations

import datetime
import itertools
import logging
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from threadpoolctl import threadpool_limits

from torget.participation import opinion

logger = logging.getLogger(__name__)


def vote_matrix(process_id: int) -> tuple[Any, Any, Any, Any]:
    """(participant ids, statement ids, matrix, listable) of a process's published and
    withdrawn statements: one query for the statements, one for the votes (values_list, built
    into the matrix with numpy indexing, no Python loop per vote)."""
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
    if not statements:
        return np.zeros(0, np.int64), sids, np.zeros((0, 0)), listable
    rows = ShortViewVote.objects.filter(short_view_id__in=sids.tolist()).values_list(
        "user_id", "short_view_id", "choice"
    )
    # The rows stream from the cursor straight into one flat array of three columns.
    flat = np.fromiter(itertools.chain.from_iterable(rows.iterator(chunk_size=10_000)), np.int64)
    triples = flat.reshape(-1, 3)
    pids, row = np.unique(triples[:, 0], return_inverse=True)
    column = np.searchsorted(sids, triples[:, 1])
    matrix = np.full((len(pids), len(sids)), np.nan)
    matrix[row, column] = triples[:, 2]
    return pids, sids, matrix, listable


def recompute(process_id: int) -> dict[str, Any] | None:
    """Compute and store the opinion groups of a process; return the result (None if the
    process is gone). Clears the pending request it served, or enqueues one more run if a vote
    came while it computed."""
    from torget.participation.models import OpinionGroups, Process

    if not Process.objects.filter(pk=process_id).exists():
        return None
    groups, _created = OpinionGroups.objects.get_or_create(process_id=process_id)
    served: datetime.datetime | None = groups.requested_at
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
        if served is None:
            # A run nobody asked for (a second run, or by hand): it leaves requests alone.
            return data
        cleared = OpinionGroups.objects.filter(pk=groups.pk, requested_at=served).update(
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

"""Writes of shared state."""

from __future__ import annotations

import datetime
import os
import socket

from django.conf import settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from torget.core.models import WorkerHeartbeat


def worker_heartbeat_beat(*, worker_id: str, started_at: datetime.datetime) -> None:
    """Record that worker `worker_id` is alive now (one row per worker, updated in place)."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": started_at,
            "beat_at": timezone.now(),
        },
    )


def tasks_of_dead_workers_requeue(*, now: datetime.datetime | None = None) -> int:
    """Put back in the queue the tasks that a dead worker left running, and return how many.

    A worker killed in the middle of a task (SIGKILL, a lost machine) leaves its row in
    django-tasks' table marked running forever, and its work (an answer notice, an export)
    would never be done. A task is abandoned when the worker that claimed it last (the last of
    its `worker_ids`) has not beaten for three heartbeat intervals, and it started longer ago
    than that. Each row goes back with a compare-and-set on its start, so two workers sweeping
    at once requeue it once. Every task of Torget is written to be safe to run twice; the one
    that runs it again finds what the first run finished.
    """
    now = now or timezone.now()
    limit = now - datetime.timedelta(seconds=3 * settings.WORKER_HEARTBEAT_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(beat_at__gte=limit).values_list("worker_id", flat=True)
    )
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=limit
    ).values_list("pk", "worker_ids", "started_at")
    requeued = 0
    for pk, worker_ids, started_at in running:
        if worker_ids and worker_ids[-1] in alive:
            continue
        requeued += DBTaskResult.objects.filter(
            pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at
        ).update(status=TaskResultStatus.READY, started_at=None)
    return requeued

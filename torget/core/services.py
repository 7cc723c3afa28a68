"""Writes of shared state."""

from __future__ import annotations

import datetime
import os
import socket

from django.utils import timezone

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

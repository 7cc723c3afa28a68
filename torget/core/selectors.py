"""Reads of shared state."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from torget.core.models import WorkerHeartbeat


def database_check() -> tuple[bool, str]:
    """Run a trivial query; return (ok, detail)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 — any failure means "not healthy", with its text
        return False, exc.__class__.__name__
    return True, connection.vendor


# Delivery workers (`manage.py deliver`) beat under ids with this prefix; task workers without.
DELIVERY_PREFIX = "deliver:"


def worker_latest_beat(*, delivery: bool = False) -> datetime.datetime | None:
    """When any task worker (or, with `delivery`, any delivery worker) last beat, or None."""
    rows = WorkerHeartbeat.objects.all()
    rows = (
        rows.filter(worker_id__startswith=DELIVERY_PREFIX)
        if delivery
        else rows.exclude(worker_id__startswith=DELIVERY_PREFIX)
    )
    return rows.order_by("-beat_at").values_list("beat_at", flat=True).first()


def worker_is_alive(
    *, beat: datetime.datetime | None, now: datetime.datetime | None = None
) -> bool:
    """True if `beat` (a worker's latest heartbeat) lies within three heartbeat intervals."""
    if beat is None:
        return False
    limit = datetime.timedelta(seconds=3 * settings.WORKER_HEARTBEAT_SECONDS)
    return (now or timezone.now()) - beat <= limit

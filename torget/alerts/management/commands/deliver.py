"""The alert delivery worker: `python manage.py deliver`.

Replays its journal and requeues what it had claimed but not handed over (see
`torget.alerts.delivery`), then claims, sends and records batches until stopped. SIGTERM or
SIGINT stops it after the current batch. When idle it looks for work about every 0.5 s. A
heartbeat thread renews the leases of the rows it holds; now and then it sweeps back to the
queue the rows of workers whose lease ran out.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from torget.alerts.delivery import DeliveryEngine, WorkerAlreadyRunning, worker_id_default
from torget.alerts.models import Medium
from torget.alerts.providers.registry import provider_for
from torget.core.selectors import DELIVERY_PREFIX
from torget.core.services import worker_heartbeat_beat

logger = logging.getLogger("torget.alerts.delivery")


class Command(BaseCommand):
    help = "Deliver queued alert messages (SMS and e-mail) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between polls.")
        parser.add_argument(
            "--worker-id", default="", help="This worker's identity (default TORGET_WORKER_ID)."
        )
        parser.add_argument(
            "--medium",
            action="append",
            choices=list(Medium.values),
            help="Deliver only this medium (may be repeated; default both).",
        )
        parser.add_argument(
            "--drain",
            action="store_true",
            help="Exit once no delivery of these media is queued or claimed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        media = options["medium"] or list(Medium.values)
        worker_id = options["worker_id"] or worker_id_default()
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            engine = DeliveryEngine(
                providers={medium: provider_for(medium) for medium in media}, worker_id=worker_id
            )
        except WorkerAlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
        heartbeat = threading.Thread(
            target=_beat, args=(engine, worker_id, stop), name="delivery-heartbeat", daemon=True
        )
        try:
            engine.start()
            # The first beat in this thread, so /healthz sees the worker at once; the thread
            # beats from then on, and is joined before the command returns.
            worker_heartbeat_beat(
                worker_id=f"{DELIVERY_PREFIX}{worker_id}", started_at=timezone.now()
            )
            heartbeat.start()
            sweep_every = settings.ALERT_DELIVERY_LEASE_SECONDS / 4
            swept_at = 0.0
            while not stop.is_set():
                if time.monotonic() - swept_at > sweep_every:
                    engine.sweep_expired()
                    swept_at = time.monotonic()
                handled = engine.run_once()
                engine.poll()
                if handled:
                    continue
                if options["drain"] and not engine.pending():
                    break
                stop.wait(options["interval"])
        finally:
            stop.set()
            if heartbeat.is_alive():
                heartbeat.join(timeout=30)
            engine.close()


def _beat(engine: DeliveryEngine, worker_id: str, stop: threading.Event) -> None:
    """Renew this worker's leases every heartbeat, and tell /healthz it lives, on a connection
    of this thread's own."""
    started_at = timezone.now()
    while not stop.wait(settings.WORKER_HEARTBEAT_SECONDS):
        try:
            worker_heartbeat_beat(worker_id=f"{DELIVERY_PREFIX}{worker_id}", started_at=started_at)
            engine.renew_leases()
        except Exception:
            logger.exception("delivery heartbeat failed")
        finally:
            close_old_connections()

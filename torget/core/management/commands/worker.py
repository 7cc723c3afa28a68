"""Run the background worker: the django-tasks database worker plus a heartbeat."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from torget.core.services import tasks_of_dead_workers_requeue, worker_heartbeat_beat

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the background task worker and report its heartbeat for /healthz."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between polls.")
        parser.add_argument("--batch", action="store_true", help="Exit when the queue is empty.")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = get_random_string(32)
        started_at = timezone.now()
        stop = threading.Event()

        def beat() -> None:
            # A thread of its own so that a long task does not make the worker look dead.
            while not stop.is_set():
                try:
                    worker_heartbeat_beat(worker_id=worker_id, started_at=started_at)
                    requeued = tasks_of_dead_workers_requeue()
                    if requeued:
                        logger.warning("requeued %s task(s) left running by dead workers", requeued)
                finally:
                    close_old_connections()
                stop.wait(settings.WORKER_HEARTBEAT_SECONDS)

        thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
        thread.start()
        worker = Worker(
            queue_names=["*"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()

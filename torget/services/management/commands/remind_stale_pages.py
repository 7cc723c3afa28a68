"""E-mail the units whose information pages are overdue for review.

    python manage.py remind_stale_pages              # today (Oslo time)
    python manage.py remind_stale_pages --enqueue    # on the task queue

Run it once a day, e.g. from cron at 07:00. Safe to run again: a page's unit is reminded once
per overdue period (until the page is marked as reviewed).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from torget.services.reminders import page_remind_stale
from torget.services.tasks import remind_stale_pages


class Command(BaseCommand):
    help = "E-mail the editors of information pages that are overdue for review (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="Check as of this date, YYYY-MM-DD (default: today).")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Put the work on the task queue instead of doing it now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options["day"]:
            try:
                day = datetime.date.fromisoformat(options["day"])
            except ValueError as exc:
                raise CommandError("--day must be a date as YYYY-MM-DD.") from exc
        if options["enqueue"]:
            remind_stale_pages.enqueue(day=day.isoformat() if day else "")
            self.stdout.write("Queued the review reminders.")
            return
        sent = page_remind_stale(today=day)
        self.stdout.write(f"Reminded {sent} page(s) overdue for review.")

"""Send the daily digest of new forum posts to those who follow forums or topics "once a day".

    python manage.py send_forum_digests               # yesterday (Oslo time)
    python manage.py send_forum_digests --day 2026-03-02

Run it once a day, e.g. from cron at 06:05. Safe to run again: nobody gets two digests for one
day.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from torget.participation.tasks_forums import send_forum_daily_digest


class Command(BaseCommand):
    help = "Send the daily digest of new forum posts (default: yesterday's) to daily followers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="The day whose posts to send, as YYYY-MM-DD.")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Put the work on the task queue instead of doing it now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["day"]:
            try:
                day = datetime.date.fromisoformat(options["day"])
            except ValueError as exc:
                raise CommandError("--day must be a date as YYYY-MM-DD.") from exc
        else:
            day = timezone.localdate() - datetime.timedelta(days=1)
        if options["enqueue"]:
            send_forum_daily_digest.enqueue(day=day.isoformat())
            self.stdout.write(f"Queued the forum digest for {day.isoformat()}.")
            return
        sent = send_forum_daily_digest.call(day=day.isoformat())
        self.stdout.write(f"Sent {sent} forum digest(s) for {day.isoformat()}.")

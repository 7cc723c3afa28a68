"""The one shape of a command that runs a daily task for one day (default: yesterday, Oslo
time), now or through the task queue. The daily digests of pages and forums are such commands:

    class Command(DailyTaskCommand):
        help = "..."
        task = send_daily_digest        # a django-tasks task taking day="YYYY-MM-DD"
        what = "digest(s)"              # how the output names what the task returns a count of
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


class DailyTaskCommand(BaseCommand):
    task: ClassVar[Any]
    what: ClassVar[str]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="The day to run for, as YYYY-MM-DD.")
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
            self.task.enqueue(day=day.isoformat())
            self.stdout.write(f"Queued the work for {day.isoformat()}.")
            return
        sent = self.task.call(day=day.isoformat())
        self.stdout.write(f"Sent {sent} {self.what} for {day.isoformat()}.")

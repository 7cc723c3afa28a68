"""Delete read-aloud audio nobody has used for a while: `manage.py speech_prune --days 30`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from torget.core.speech.services import speech_prune


class Command(BaseCommand):
    help = (
        "Delete read-aloud audio (row and file) not offered or played for --days days, and "
        "audio files no row names. Audio is made again when a page asks for it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="Keep audio used this recently.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1.")
        result = speech_prune(days=days)
        self.stdout.write(f"Deleted {result.rows} audio rows and {result.files} files.")

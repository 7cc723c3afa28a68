"""Print the current two-factor code of the demo staff (for trying Torget out locally)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from torget.accounts.services import totp_current_code
from torget.demo.data import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the demo staff's current two-factor (TOTP) code."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(totp_current_code(secret=DEMO_TOTP_SECRET))

"""Send the daily digest of new posts to followers who asked for one e-mail a day.

    python manage.py send_digests               # yesterday (Oslo time)
    python manage.py send_digests --day 2026-03-02

Run it once a day, e.g. from cron at 06:00. Safe to run again: nobody gets two digests for one
day.
"""

from __future__ import annotations

from torget.core.daily_command import DailyTaskCommand
from torget.pages.tasks import send_daily_digest


class Command(DailyTaskCommand):
    help = "Send the daily digest of new posts (default: yesterday's) to daily followers."
    task = send_daily_digest
    what = "digest(s)"

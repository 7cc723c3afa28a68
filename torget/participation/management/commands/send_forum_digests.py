"""Send the daily digest of new forum posts to those who follow forums or topics "once a day".

    python manage.py send_forum_digests               # yesterday (Oslo time)
    python manage.py send_forum_digests --day 2026-03-02

Run it once a day, e.g. from cron at 06:05. Safe to run again: nobody gets two digests for one
day.
"""

from __future__ import annotations

from torget.core.daily_command import DailyTaskCommand
from torget.participation.tasks_forums import send_forum_daily_digest


class Command(DailyTaskCommand):
    help = "Send the daily digest of new forum posts (default: yesterday's) to daily followers."
    task = send_forum_daily_digest
    what = "forum digest(s)"

"""Background work of the e-service square. Tasks are safe to run twice."""

from __future__ import annotations

import datetime

from django_tasks import task


@task()
def remind_stale_pages(day: str = "") -> int:
    """E-mail the units whose pages are overdue for review (once per page and overdue period).
    `day` (YYYY-MM-DD) is "today" for the check; default the local date."""
    from torget.services.reminders import page_remind_stale

    today = datetime.date.fromisoformat(day) if day else None
    return page_remind_stale(today=today)

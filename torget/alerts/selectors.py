"""Reads for alerts, with the viewer's visibility applied."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from torget.alerts.models import Alert
from torget.conversations.models import Thread


def thread_path_on_alert(thread: Thread) -> str:
    """An answer to an alert is private between the resident and staff: it is shown on the
    generic conversation page, reached from the alert's staff page."""
    return reverse("conversations:thread-detail", args=[thread.pk])


def alert_answer_threads(alert: Alert) -> list[Thread]:
    """The answers residents sent to `alert` and its follow-ups, newest first."""
    return list(
        Thread.objects.filter(
            subject_type=ContentType.objects.get_for_model(Alert), subject_id=alert.root.pk
        )
        .select_related("assignee")
        .order_by("-last_message_at")[:200]
    )

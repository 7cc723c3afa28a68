"""Reads for alerts, with the viewer's visibility applied."""

from __future__ import annotations

from django.urls import reverse

from torget.conversations.models import Thread


def thread_path_on_alert(thread: Thread) -> str:
    """An answer to an alert is private between the resident and staff: it is shown on the
    generic conversation page, reached from the alert's staff page."""
    return reverse("conversations:thread-detail", args=[thread.pk])

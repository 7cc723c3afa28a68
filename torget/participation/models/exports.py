"""A hearing's statements as one PDF, built in the background (`services.exports`).

The bundle of a large hearing (thousands of statements, hundreds of attached PDFs and photos)
takes from seconds to minutes to build, too long for a web request. Staff ask for it; a
HearingExport row records the request, a task builds the file and flips the row to ready.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from torget.participation.models.hearings import Hearing


def hearing_export_path(instance: HearingExport, filename: str) -> str:
    return f"participation/exports/{instance.hearing_id}/{filename}"


class HearingExport(models.Model):
    """One PDF of every statement of a hearing, asked for by a member of staff.

    Moves only from pending to ready or to failed; a failed export stays failed (asking again
    makes a new one). `enqueued_at` is when its build was last put on the queue, so that a
    build lost with a killed worker is enqueued again once it is stale.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        READY = "ready"
        FAILED = "failed"

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # In the default storage, which is not served by URL: only the download view reads it.
    file = models.FileField(upload_to=hearing_export_path, max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    statements = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField()
    enqueued_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the member of staff who asked was e-mailed that it is done (see export_notify).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["hearing", "-requested_at"], name="hearing_export_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.hearing_id} {self.language} {self.status}"

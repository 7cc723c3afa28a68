"""Small shared pieces of state."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last sign of life of each background worker process, read by /healthz."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id}@{self.hostname}"


class SearchDocument(models.Model):
    """One searchable thing (an information page, a post, a form, later a hearing) in one
    language, as the search index sees it. Modules keep their rows up to date through
    `torget.core.search.index`; the full-text index (FTS5 on SQLite, a `norwegian` tsvector
    on PostgreSQL) is built from `title` and `body` (stemmed text lives in the index only)."""

    municipality_id = models.PositiveBigIntegerField(db_index=True)
    kind = models.CharField(max_length=30)  # "page", "post", "form", "hearing", ...
    object_id = models.PositiveBigIntegerField()
    language = models.CharField(max_length=8, default="nb")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500)
    unit_id = models.PositiveBigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "language"], name="searchdocument_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.title}"


class SearchMiss(models.Model):
    """A query that found nothing, counted per municipality, normalised query and day, so staff
    see what residents looked for and did not find."""

    municipality_id = models.PositiveBigIntegerField()
    query = models.CharField(max_length=200)
    day = models.DateField()
    count = models.PositiveIntegerField(default=1)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality_id", "query", "day"], name="searchmiss_unique"
            )
        ]

    def __str__(self) -> str:
        return self.query


class SpeechAudio(models.Model):
    """Read-aloud audio for one text in one language, generated on the server and kept until
    the text changes (the key is a hash of the engine version, language and text)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        READY = "ready"
        FAILED = "failed"

    key = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="speech/", max_length=200, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.language}:{self.key[:12]} {self.status}"

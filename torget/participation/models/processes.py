"""Participation processes: a plan or a question the municipality puts to its residents, with
phases on a public timeline and documents to download (plan sketches, maps)."""

from __future__ import annotations

import datetime

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from torget.organisation.models import Municipality, Unit


class ProcessKind(models.TextChoices):
    FUTURE = "future", _("The municipality's future")
    TOPIC = "topic", _("Topic area")
    PROJECT = "project", _("Project")


class PhaseKind(models.TextChoices):
    """The phases of a process, in the order they come. Residents give input (proposals,
    support, short views and their votes) only in the input phase; a hearing has its own
    closing date."""

    INFORMATION = "information", _("Information")
    INPUT = "input", _("Input")
    PROCESSING = "processing", _("Processing")
    DECISION = "decision", _("Decision")


PHASE_ORDER: tuple[str, ...] = tuple(PhaseKind.values)


class Process(models.Model):
    """A participation process, e.g. "Omlegging av veisystemet i sentrum"."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="participation_processes",
        verbose_name=_("responsible unit"),
    )
    slug = models.SlugField(max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=ProcessKind.choices)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True, help_text=_("Markdown."))
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="process_slug_unique")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("participation:process-detail", args=[self.slug])


class Phase(models.Model):
    """One phase of a process, with its dates (both inclusive, Oslo dates)."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(_("phase"), max_length=12, choices=PhaseKind.choices)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    description = models.TextField(_("what happens"), blank=True)

    class Meta:
        ordering = ["starts_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["process", "kind"], name="phase_once_per_process"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="phase_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on}–{self.ends_on}"

    def covers(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on


def document_path(instance: ProcessDocument, filename: str) -> str:
    return f"participation/processes/{instance.process_id}/{filename}"


class ProcessDocument(models.Model):
    """A downloadable document of a process: a plan sketch (PDF, image), a map, a report."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    description = models.CharField(_("description"), max_length=300, blank=True)
    file = models.FileField(upload_to=document_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("participation:document", args=[self.process.slug, self.pk])

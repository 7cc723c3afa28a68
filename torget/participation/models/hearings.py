"""Hearings (høringer): a plan document in sections, and residents' and organisations'
statements on the whole or on one section.

A statement's text is the first message of its thread (channel `hearing`), so statements are
answered, moderated and counted like every other conversation (DESIGN.md §1). The thread's
subject is the statement; a statement the submitter does not want public has a private thread,
which only the submitter and the unit's staff see.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from torget.conversations.models import Thread
from torget.participation.models.processes import Process


class Hearing(models.Model):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="hearings")
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True, help_text=_("Markdown."))
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closing date"))
    # "How your input was used", published when the hearing has been processed (Markdown).
    result = models.TextField(_("how your input was used"), blank=True)
    result_published_at = models.DateTimeField(null=True, blank=True)
    # Who last published, edited or unpublished the result, and when (shown to staff).
    result_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="hearing_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("participation:hearing-detail", args=[self.process.slug, self.pk])

    def is_open(self, at: object = None) -> bool:
        now = at or timezone.now()
        return self.opens_at <= now < self.closes_at  # type: ignore[operator]


class HearingSection(models.Model):
    """One section of the plan document, e.g. "3.2 Parkering"."""

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="sections")
    number = models.CharField(_("number"), max_length=12, blank=True)
    heading = models.CharField(_("heading"), max_length=200)
    body = models.TextField(_("text"), blank=True, help_text=_("Markdown."))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.heading}".strip()


class Statement(models.Model):
    """A statement (høringsuttalelse) to a hearing, on the whole plan or on one section."""

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="statements")
    section = models.ForeignKey(
        HearingSection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("section"),
    )
    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hearing_statements",
    )
    # The organisation the statement is given for ("Velforeningen"), if any.
    on_behalf_of = models.CharField(_("on behalf of (organisation)"), max_length=200, blank=True)
    is_public = models.BooleanField(_("public"), default=True)
    # Numbered 1, 2, 3 ... per hearing, in the order they came: "Statement 17" in the export.
    number = models.PositiveIntegerField()
    submitted_at = models.DateTimeField()
    # A hidden key in the form: sending the same form twice gives the same statement.
    submission_key = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["hearing", "number"], name="statement_number_unique")
        ]
        indexes = [
            models.Index(fields=["hearing", "is_public", "number"], name="statement_public_list")
        ]

    def __str__(self) -> str:
        return f"{self.hearing_id} #{self.number}"

    def get_absolute_url(self) -> str:
        return reverse(
            "participation:statement-detail",
            args=[self.hearing.process.slug, self.hearing_id, self.number],
        )


def statement_attachment_path(instance: StatementAttachment, filename: str) -> str:
    return f"participation/statements/{instance.statement_id}/{filename}"


class StatementAttachment(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=statement_attachment_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name

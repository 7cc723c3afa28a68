"""Self-service forms, drafts, and the cases that submissions become (DESIGN.md §2 `cases`).

A form is defined by staff as a list of typed fields; a logged-in resident fills it in (a draft
is kept per person and form until they submit), and each submission is a `Case` handled by the
form's unit. The case's private thread (channel `case`) carries the conversation between the
resident and the case officer through `torget.conversations`, so it shows up in the inbox.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from torget.organisation.models import Municipality, Unit


class FieldKind(models.TextChoices):
    TEXT = "text", _("Short text")
    TEXTAREA = "textarea", _("Long text")
    EMAIL = "email", _("E-mail address")
    PHONE = "phone", _("Phone number")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    NATIONAL_ID = "national_id", _("National identity number")
    CHOICE = "choice", _("One choice")
    MULTI_CHOICE = "multi_choice", _("Several choices")
    RANKED_CHOICE = "ranked_choice", _("Choices in order of preference")
    CHECKBOX = "checkbox", _("Yes/no (checkbox)")
    FILE = "file", _("Attachment")


class Form(models.Model):
    """A self-service form, e.g. the application for a kindergarten place."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="forms", verbose_name=_("handling unit")
    )
    slug = models.SlugField(max_length=80)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    processing_days = models.PositiveSmallIntegerField(
        _("processing-time goal (working days)"), default=20
    )
    is_published = models.BooleanField(_("open for submissions"), default=False)
    # The information pages that link to this form ("Forms and self-service" under a page).
    info_pages = models.ManyToManyField("services.InfoPage", blank=True, related_name="forms")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="form_slug_unique")
        ]

    def __str__(self) -> str:
        return self.title


class FormField(models.Model):
    """One field of a form. `choices` holds the options of the choice kinds; `options` holds
    the kind's validation settings (min/max length or value, date limits, how many choices,
    accepted attachment types and size)."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(max_length=50)
    label = models.CharField(_("label"), max_length=200)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=FieldKind.choices)
    required = models.BooleanField(_("required"), default=True)
    choices = models.JSONField(default=list, blank=True)
    options = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["form", "key"], name="formfield_key_unique")]

    def __str__(self) -> str:
        return self.label


class Draft(models.Model):
    """What a resident has typed into a form so far; one per person and form."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form", "user"], name="draft_unique")]

    def __str__(self) -> str:
        return f"{self.form_id}/{self.user_id}"


class CaseStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_RESIDENT = "waiting_for_resident", _("Waiting for you")
    DECIDED = "decided", _("Decided")
    CLOSED = "closed", _("Closed")


# Which status may follow which. A decided case can be reopened (in progress) on a complaint.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.RECEIVED: frozenset(
        {
            CaseStatus.IN_PROGRESS,
            CaseStatus.WAITING_FOR_RESIDENT,
            CaseStatus.DECIDED,
            CaseStatus.CLOSED,
        }
    ),
    CaseStatus.IN_PROGRESS: frozenset(
        {CaseStatus.WAITING_FOR_RESIDENT, CaseStatus.DECIDED, CaseStatus.CLOSED}
    ),
    CaseStatus.WAITING_FOR_RESIDENT: frozenset(
        {CaseStatus.IN_PROGRESS, CaseStatus.DECIDED, CaseStatus.CLOSED}
    ),
    CaseStatus.DECIDED: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.IN_PROGRESS}),
}
OPEN_STATUSES = frozenset(
    {CaseStatus.RECEIVED, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_FOR_RESIDENT}
)


class Case(models.Model):
    """One submission of a form, handled by the form's unit.

    `data` is a snapshot of the answers with each field's label and kind at the time of
    submission, so a later change of the form never changes what the resident sent.
    `submission_key` comes from the form page; a repeated POST of the same page finds the
    case it already made instead of making a second one.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="cases")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="cases")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    # Empty (NULL) only inside the submitting transaction, until the row has its number.
    reference = models.CharField(  # noqa: DJ001
        _("reference number"), max_length=20, unique=True, null=True
    )
    submission_key = models.UUIDField(unique=True, default=uuid.uuid4)
    data = models.JSONField(default=dict)
    status = models.CharField(max_length=30, choices=CaseStatus.choices)
    thread = models.OneToOneField(
        "conversations.Thread",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case",
    )
    submitted_at = models.DateTimeField(db_index=True)
    due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    receipt_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["applicant", "submitted_at"], name="case_applicant"),
            models.Index(fields=["unit", "status", "submitted_at"], name="case_unit_status"),
        ]

    def __str__(self) -> str:
        return self.reference or f"case {self.pk}"


class CaseEvent(models.Model):
    """The status history of a case. `note` is shown to the resident with the change."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    status_from = models.CharField(max_length=30, choices=CaseStatus.choices, blank=True)
    status_to = models.CharField(max_length=30, choices=CaseStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.status_from} → {self.status_to}"


def case_attachment_path(instance: CaseAttachment, filename: str) -> str:
    # Never the resident's file name on disk: a random name under the municipality.
    return f"cases/{instance.municipality_id}/{uuid.uuid4().hex}"


class CaseAttachment(models.Model):
    """A file attached to a draft (then `case` is empty) or to a submitted case."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    field_key = models.SlugField(max_length=50)
    file = models.FileField(upload_to=case_attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.original_name

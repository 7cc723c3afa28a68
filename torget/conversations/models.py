"""Threads and messages: the one conversation model behind every channel (DESIGN.md §1).

A thread belongs to a unit and waits for the municipality whenever a resident has spoken last.
The moments that the dialogue metrics need (first resident message, first official answer and
its duration in calendar and working time, a resident speaking again after an answer) are
recorded on the thread when they happen, so that metrics are sums over one table.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from torget.organisation.models import Municipality, Unit


class Channel(models.TextChoices):
    WEB = "web", _("Comment on a page")
    FORUM = "forum", _("Forum")
    HEARING = "hearing", _("Hearing")
    CASE = "case", _("Case")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    FEEDBACK = "feedback", _("Page feedback")
    REPORT = "report", _("Problem report")
    LIVE = "live", _("Question hour")
    COUNCIL = "council", _("Council meeting")
    ACTIVITYPUB = "activitypub", _("Fediverse")
    FACEBOOK = "facebook", _("Facebook")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private (resident and staff)")
    INTERNAL = "internal", _("Internal note (staff only)")


class AuthorRole(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    OFFICIAL = "official", _("Official")
    SYSTEM = "system", _("System")


class ThreadStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")
    NO_ANSWER_NEEDED = "no_answer_needed", _("No answer needed")
    CLOSED = "closed", _("Closed")


class Thread(models.Model):
    """A conversation about one subject (a post, a case, an alert, ...) in one unit."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="threads")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    visibility = models.CharField(
        max_length=10, choices=[c for c in Visibility.choices if c[0] != "internal"]
    )
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    title = models.CharField(_("title"), max_length=200, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="threads_opened",
    )
    # For residents without an account (an SMS number, an e-mail address for an answer).
    contact = models.CharField(_("contact for the answer"), max_length=254, blank=True)

    status = models.CharField(max_length=20, choices=ThreadStatus.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="threads_assigned",
    )
    no_answer_reason = models.CharField(max_length=300, blank=True)

    opened_at = models.DateTimeField()
    last_message_at = models.DateTimeField()
    # Set while the thread waits for the municipality; the inbox shows the oldest wait first.
    waiting_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    first_resident_at = models.DateTimeField(null=True, blank=True)
    first_official_at = models.DateTimeField(null=True, blank=True)
    first_answer_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_answer_working_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_answer_within_goal = models.BooleanField(null=True)
    resident_after_official_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    source = models.CharField(max_length=30, blank=True)
    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["unit", "status", "waiting_since"], name="thread_inbox"),
            models.Index(
                fields=["municipality", "status", "waiting_since"], name="thread_inbox_all"
            ),
            models.Index(fields=["unit", "opened_at"], name="thread_unit_opened"),
            models.Index(fields=["subject_type", "subject_id", "opened_at"], name="thread_subject"),
            # The dialogue metrics select a unit's threads by when the question came; the two
            # durations ride along so the time-to-answer query reads the index alone.
            models.Index(
                fields=[
                    "unit",
                    "first_resident_at",
                    "first_answer_seconds",
                    "first_answer_working_seconds",
                ],
                name="thread_unit_asked",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="thread_external_unique",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

    @property
    def is_open_for_residents(self) -> bool:
        return self.status != ThreadStatus.CLOSED


class Message(models.Model):
    """One utterance in a thread. Never deleted: moderation hides it with a reason."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    author_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=10, choices=AuthorRole.choices)
    # An official answer by a politician is shown and counted apart from the administration's.
    by_politician = models.BooleanField(default=False)
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    body = models.TextField()
    created_at = models.DateTimeField(db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # One official answer to many threads: a copy in each thread, all with the same group.
    answer_group = models.UUIDField(null=True, blank=True, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    source = models.CharField(max_length=30, blank=True)
    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="message_thread_time"),
            # Counting residents' messages and distinct residents per period, from the index.
            models.Index(fields=["thread", "role", "created_at", "author"], name="message_metrics"),
        ]

    def __str__(self) -> str:
        return f"{self.role} in {self.thread_id}: {self.body[:40]}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class ThreadEvent(models.Model):
    """The audit trail of a thread: who assigned, answered, hid, moved or closed it, when."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("opened")
        ANSWERED = "answered", _("answered")
        NOTE = "note", _("internal note")
        ASSIGNED = "assigned", _("assigned")
        UNASSIGNED = "unassigned", _("unassigned")
        NO_ANSWER_NEEDED = "no_answer_needed", _("marked as needing no answer")
        CLOSED = "closed", _("closed")
        REOPENED = "reopened", _("reopened")
        MOVED = "moved", _("moved to another unit")
        HIDDEN = "hidden", _("message hidden")
        RESTORED = "restored", _("message restored")
        REPORTS_DISMISSED = "reports_dismissed", _("reports dismissed")
        # A decision on the thread's subject (a proposal's official status), in detail.reason.
        STATUS_CHANGED = "status_changed", _("status changed")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.thread_id}"


class MessageReport(models.Model):
    """A resident's report of a message to the moderators."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="report_once_per_person")
        ]

    def __str__(self) -> str:
        return f"report on {self.message_id}"


class Block(models.Model):
    """An account blocked from writing in one municipality."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "user"],
                condition=models.Q(lifted_at__isnull=True),
                name="one_active_block",
            )
        ]

    def __str__(self) -> str:
        return f"block {self.user_id}"


class CannedReply(models.Model):
    """A prepared answer a unit's staff can start from."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="canned_replies")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


def new_answer_group() -> uuid.UUID:
    return uuid.uuid4()


def subject_type_for(model: type[models.Model]) -> ContentType:
    return ContentType.objects.get_for_model(model)

"""Short views (korte synspunkter): short statements (at most 140 characters) during a process,
which residents agree with, disagree with or pass on; and the opinion groups computed from the
votes as Polis does (DESIGN.md §2 `participation`).

Staff statements are published at once; residents' statements wait for moderation. Votes are
one per account and statement (a second vote changes the first). The opinion groups are
recomputed by a task as votes arrive and stored as one row per process.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from torget.participation.models.processes import Process

MAX_SHORT_VIEW = 140


class ShortViewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class VoteChoice(models.IntegerChoices):
    AGREE = 1, _("Agree")
    DISAGREE = -1, _("Disagree")
    PASS = 0, _("Pass")


class ShortView(models.Model):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="short_views")
    text = models.CharField(_("statement"), max_length=MAX_SHORT_VIEW)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="short_views",
    )
    by_staff = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ShortViewStatus.choices)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Kept equal to the votes' counts, in the transaction that casts or changes a vote.
    agree_count = models.PositiveIntegerField(default=0)
    disagree_count = models.PositiveIntegerField(default=0)
    pass_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["process", "status"], name="short_view_process_status")]

    def __str__(self) -> str:
        return self.text

    @property
    def vote_count(self) -> int:
        return self.agree_count + self.disagree_count + self.pass_count


class ShortViewVote(models.Model):
    short_view = models.ForeignKey(ShortView, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="short_view_votes"
    )
    choice = models.SmallIntegerField(choices=VoteChoice.choices)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["short_view", "user"], name="vote_once_per_account")
        ]
        # Covers the recompute's read of every vote (statement, user, choice) from the index
        # alone: on 240,000 votes ten times faster on SQLite than a row lookup per vote.
        indexes = [
            models.Index(fields=["short_view", "user", "choice"], name="vote_matrix_covering")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.choice:+d} on {self.short_view_id}"


class OpinionGroups(models.Model):
    """The opinion groups of one process's short views, as last computed.

    Each vote sets `requested_at` and counts up `request_count`; the task that computes clears
    the request only if the count is still the one it read, so a vote during a computation asks
    for one more (never lost, never a queue of many), also when two votes carry the same time.
    `result` holds the participants' points, the groups, and the representative and consensus
    statements (see `torget.participation.opinion`).
    """

    process = models.OneToOneField(Process, on_delete=models.CASCADE, related_name="opinion_groups")
    requested_at = models.DateTimeField(null=True, blank=True)
    request_count = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)
    participant_count = models.PositiveIntegerField(default=0)
    vote_count = models.PositiveIntegerField(default=0)
    group_count = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"opinion groups of {self.process_id}"

"""Forums: topic forums (culture, school, transport, housing), project forums (one process)
and the forum for the municipality's future.

A topic in a forum is a public thread (channel `forum`) whose subject is the forum; its title is
the thread's title. Residents start topics and reply through the conversation services; staff
and politicians answer there with their role shown. Following a forum or one topic brings its
new posts by e-mail, at once or as a daily digest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from torget.conversations.models import Message, Thread
from torget.organisation.models import Municipality, Unit
from torget.pages.models import FollowFrequency
from torget.participation.models.processes import Process


class ForumKind(models.TextChoices):
    FUTURE = "future", _("The municipality's future")
    TOPIC = "topic", _("Topic forum")
    PROJECT = "project", _("Project forum")


class Forum(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="forums",
        verbose_name=_("responsible unit"),
    )
    # A project forum belongs to a process; topic forums and the future forum do not.
    process = models.ForeignKey(
        Process, on_delete=models.SET_NULL, null=True, blank=True, related_name="forums"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ForumKind.choices)
    slug = models.SlugField(max_length=80)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_open = models.BooleanField(_("open for new posts"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "title"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="forum_slug_unique")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("participation:forum-detail", args=[self.slug])


class ForumFollow(models.Model):
    """A person follows a whole forum, or one topic (thread) in it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_follows"
    )
    forum = models.ForeignKey(
        Forum, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    frequency = models.CharField(
        _("how often"),
        max_length=10,
        choices=FollowFrequency.choices,
        default=FollowFrequency.IMMEDIATE,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(forum__isnull=False, thread__isnull=True)
                    | models.Q(forum__isnull=True, thread__isnull=False)
                ),
                name="forum_follow_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "forum"],
                condition=models.Q(forum__isnull=False),
                name="forum_follow_forum_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=models.Q(thread__isnull=False),
                name="forum_follow_thread_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows forum {self.forum_id} / topic {self.thread_id}"


class ForumNotice(models.Model):
    """One e-mail about one forum post to one follower; the unique pair makes the notice task
    safe to run twice."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="forum_notice_unique")
        ]

    def __str__(self) -> str:
        return f"notice of {self.message_id} to {self.user_id}"


class ForumDigestSent(models.Model):
    """The daily forum digest sent to one person for one day (at most one)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    message_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="forum_digest_unique")]

    def __str__(self) -> str:
        return f"forum digest {self.day} to {self.user_id}"

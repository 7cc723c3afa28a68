"""The official pages of the municipality and its units: posts, their attachments, and the
residents who follow a unit's page.

A post is either information or a question to residents (it *invites dialogue*); the insights
module counts the share of each. Comments under a post are threads of the conversations app
with the post as their subject (DESIGN.md §1): this app stores no comments of its own.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from torget.organisation.models import Municipality, Unit


class PostKind(models.TextChoices):
    INFORMATION = "information", _("Information")
    DIALOGUE = "dialogue", _("Invites dialogue")


class Post(models.Model):
    """A post on a unit's page (the root unit's page is the municipality's own)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    # Plain text: escaped, linked (rel="nofollow ugc") and broken into paragraphs on display.
    body = models.TextField(_("text"))
    kind = models.CharField(
        _("kind of post"), max_length=20, choices=PostKind.choices, default=PostKind.INFORMATION
    )
    comments_open = models.BooleanField(_("residents may comment"), default=True)
    published_at = models.DateTimeField(_("published"), db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            models.Index(fields=["unit", "-published_at"], name="post_unit_published"),
            models.Index(
                fields=["municipality", "-published_at"], name="post_municipality_published"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pages:post-detail", args=[self.pk])

    @property
    def invites_dialogue(self) -> bool:
        return self.kind == PostKind.DIALOGUE


def attachment_path(instance: PostAttachment, filename: str) -> str:
    """A random name under the municipality's folder: the original name is kept in the row,
    never used as a path (it may hold anything)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"pages/{instance.post.municipality_id}/{uuid.uuid4().hex}.{extension[:8]}"


class PostAttachment(models.Model):
    """A file attached to a post. Its type was checked by its content when it was uploaded."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    is_image = models.BooleanField(default=False)
    alt_text = models.CharField(_("image description (alt text)"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_image=False) | ~models.Q(alt_text=""),
                name="attachment_image_has_alt_text",
            )
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("pages:attachment", args=[self.post_id, self.pk])


class FollowFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("At once, one e-mail per post")
    DAILY = "daily", _("Once a day, one e-mail with the day's posts")


class Follow(models.Model):
    """A resident follows a unit's page and hears of its new posts by e-mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="followers")
    frequency = models.CharField(
        _("how often"),
        max_length=10,
        choices=FollowFrequency.choices,
        default=FollowFrequency.IMMEDIATE,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="follow_unique")]
        indexes = [models.Index(fields=["unit", "frequency"], name="follow_unit_frequency")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.unit_id}"


class PostNotice(models.Model):
    """One e-mail about one post to one follower. The unique pair is what makes the notice
    task safe to run twice: a second run finds the row and sends nothing."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="post_notice_unique")]

    def __str__(self) -> str:
        return f"notice of {self.post_id} to {self.user_id}"


class DigestSent(models.Model):
    """The daily digest sent to one follower for one day (at most one per person and day)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    post_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_unique")]

    def __str__(self) -> str:
        return f"digest {self.day} to {self.user_id}"

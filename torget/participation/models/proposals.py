"""Alternative proposals: a resident proposes an alternative to a plan (text, an image, a
drawing on the map), others support it once per account, and staff give it an official status
and answer. The proposal's text is the first message of its thread (channel `forum`), where the
official answer and the discussion go."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from torget.conversations.models import Thread
from torget.participation.models.processes import Process


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    CONSIDERING = "considering", _("Being considered")
    ADOPTED = "adopted", _("Adopted")
    PARTLY_ADOPTED = "partly_adopted", _("Partly adopted")
    NOT_ADOPTED = "not_adopted", _("Not adopted")


def proposal_image_path(instance: Proposal, filename: str) -> str:
    return f"participation/proposals/{instance.process_id}/{filename}"


class Proposal(models.Model):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="proposals")
    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participation_proposals",
    )
    title = models.CharField(_("title"), max_length=150)
    image = models.FileField(upload_to=proposal_image_path, max_length=300, blank=True)
    image_name = models.CharField(max_length=200, blank=True)
    image_type = models.CharField(max_length=100, blank=True)
    image_size = models.PositiveBigIntegerField(null=True, blank=True)
    image_alt = models.CharField(_("image description"), max_length=300, blank=True)
    # A drawing on the map: a GeoJSON geometry (Point, LineString or Polygon) in WGS 84.
    geometry = models.JSONField(_("drawing on the map"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.SUBMITTED
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Kept equal to the number of ProposalSupport rows, in the transaction that adds one.
    support_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-support_count", "-created_at", "-pk"]
        indexes = [models.Index(fields=["process", "status"], name="proposal_process_status")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("participation:proposal-detail", args=[self.process.slug, self.pk])


class ProposalSupport(models.Model):
    """One account's support of one proposal (at most one, by the unique pair)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proposal_supports"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="support_once_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} supports {self.proposal_id}"

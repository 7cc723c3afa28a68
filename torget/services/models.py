"""The e-service square: information pages arranged by life situation (DESIGN.md §2 `services`).

A resident looks for help by what is happening in their life (having a child, moving here,
growing old), not by the municipality's org chart. Each information page still belongs to one
responsible unit, whose staff keep it up to date: every save writes an `InfoPageVersion`, and
the unit is reminded when the page has not been reviewed for `review_every_days`.

Under every page residents say whether it helped (`PageFeedback`); a written "what did you
miss?" opens a private thread (channel `feedback`) in the unit's inbox through
`torget.conversations`, so this app stores no conversation of its own.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from torget.organisation.models import Municipality, Unit


class Language(models.TextChoices):
    BOKMAL = "nb", _("Bokmål")
    NYNORSK = "nn", _("Nynorsk")
    ENGLISH = "en", _("English")


class LifeSituation(models.Model):
    """A life situation (e.g. "Having a child") that groups the information pages about it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(_("address name"), max_length=80)
    title = models.CharField(_("title"), max_length=120)
    intro = models.TextField(_("introduction"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("life situation")
        verbose_name_plural = _("life situations")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "slug"], name="lifesituation_slug_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("services:situation-detail", args=[self.slug])


class InfoPage(models.Model):
    """An information page: what a service is, how to get it, and whom to ask."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="info_pages",
        verbose_name=_("responsible unit"),
    )
    slug = models.SlugField(_("address name"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400)
    # Markdown (CommonMark, raw HTML off), rendered and sanitised by torget.services.markdown.
    body = models.TextField(_("text"))
    contact = models.TextField(_("contact"), blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.BOKMAL
    )
    life_situations = models.ManyToManyField(
        LifeSituation, related_name="pages", blank=True, verbose_name=_("life situations")
    )
    is_published = models.BooleanField(_("published"), default=False)
    last_reviewed_on = models.DateField(_("last reviewed"))
    review_every_days = models.PositiveSmallIntegerField(_("review every (days)"), default=365)
    # last_reviewed_on + review_every_days, kept by the services so that the reminder finds
    # the overdue pages with one indexed query.
    review_due_on = models.DateField(editable=False)
    # When the unit was last reminded; cleared when the page is reviewed, so that each overdue
    # period gives one reminder.
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("information page")
        verbose_name_plural = _("information pages")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="infopage_slug_unique"),
            models.CheckConstraint(
                condition=models.Q(review_every_days__gte=1), name="infopage_review_every_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "title"], name="infopage_unit_title"),
            models.Index(fields=["review_due_on", "reminded_at"], name="infopage_review_due"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("services:page-detail", args=[self.slug])

    def plain_text(self) -> str:
        """Title, summary and body without markup: what read-aloud reads and search indexes."""
        from torget.services.markdown import markdown_to_text

        parts = [self.title, self.summary, markdown_to_text(self.body)]
        return "\n\n".join(part.strip() for part in parts if part.strip())

    def needs_review(self, today: datetime.date | None = None) -> bool:
        """True once the page's review is overdue (the due day itself is still in time)."""
        return self.review_due_on < (today or timezone.localdate())


class InfoPageVersion(models.Model):
    """One saved state of a page's text, written by every save of a staff member."""

    page = models.ForeignKey(InfoPage, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400)
    body = models.TextField(_("text"))
    contact = models.TextField(_("contact"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(_("what changed"), max_length=300, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="infopageversion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.page_id} v{self.number}"


class PageFeedback(models.Model):
    """One answer to "Was this page helpful?". A "no" may carry what the resident missed; that
    text also opened `thread` in the responsible unit's inbox."""

    page = models.ForeignKey(InfoPage, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    at = models.DateTimeField()
    language = models.CharField(max_length=8, blank=True)
    text = models.TextField(blank=True)
    thread = models.ForeignKey(
        "conversations.Thread", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["page", "helpful"], name="pagefeedback_page_helpful")]

    def __str__(self) -> str:
        return f"{self.page_id} {'yes' if self.helpful else 'no'}"

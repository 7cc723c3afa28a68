"""Every write of "Was this page helpful?": the vote, and the written "What did you miss?",
which opens a private thread (channel feedback) in the page's unit through
`torget.conversations.services`. Votes come from anyone, so they are limited per address.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.conversations import services as conversations
from torget.conversations.models import Channel, Visibility
from torget.core.errors import InvalidTransition, RateLimited
from torget.core.ratelimit import ratelimit_hit
from torget.services.models import InfoPage, PageFeedback
from torget.services.services import too_long

MAX_FEEDBACK = 2_000
# Votes from one address (a household, an office behind one router): per minute and per hour.
FEEDBACK_LIMITS = ((20, 60), (200, 3600))
# Written answers from one address open threads in an inbox; fewer of those.
WRITTEN_LIMITS = ((5, 600), (20, 86_400))


def _limit(limits: Iterable[tuple[int, int]], key: str) -> None:
    for limit, period in limits:
        if not ratelimit_hit(f"{key}:{period}", limit=limit, period=period):
            raise RateLimited(
                _("Many answers have come from here in a short while. Wait a little and try again.")
            )


def _clean_feedback(text: str, contact: str) -> tuple[str, str]:
    text = (text or "").strip()
    contact = (contact or "").strip()
    errors: dict[str, list[ValidationError]] = {}
    if len(text) > MAX_FEEDBACK:
        errors["text"] = [too_long(MAX_FEEDBACK, len(text))]
    if contact:
        try:
            EmailValidator()(contact)
        except ValidationError:
            errors["contact"] = [
                ValidationError(
                    _("Write an e-mail address like name@example.no, or leave the field empty."),
                    code="email",
                )
            ]
        if not text and "contact" not in errors:
            errors["text"] = [
                ValidationError(_("Write what you missed, so that we can answer."), "empty")
            ]
    if errors:
        raise ValidationError(errors)
    return text, contact


def _open_feedback_thread(
    feedback: PageFeedback, *, actor: User | None, text: str, contact: str
) -> None:
    page = feedback.page
    thread = conversations.thread_open(
        unit=page.unit,
        channel=Channel.FEEDBACK,
        visibility=Visibility.PRIVATE,
        subject=page,
        actor=actor,
        body=text,
        # A logged-in resident is answered at their account's address (and on My page).
        contact="" if actor is not None else contact,
        title=page.title,
    )
    feedback.text = text
    feedback.thread = thread
    feedback.save(update_fields=["text", "thread"])


@transaction.atomic
def page_feedback_give(
    *,
    page: InfoPage,
    actor: User | None,
    helpful: bool,
    text: str = "",
    contact: str = "",
    language: str = "",
    client: str = "",
    at: datetime.datetime | None = None,
) -> PageFeedback:
    """Store one vote on `page`. A "no" with a written text also opens a private thread
    (channel feedback) in the page's unit, answered by e-mail to `contact` if the resident
    has no account. `client` is who asks (an IP address) for the rate limit.

    Raises Http404-worthy PermissionDenied for an unpublished page, ValidationError for a too
    long text or a wrong e-mail address, RateLimited for a flood.
    """
    if not page.is_published:
        raise PermissionDenied
    text, contact = ("", "") if helpful else _clean_feedback(text, contact)
    _limit(FEEDBACK_LIMITS, f"page-feedback:{client}")
    if text:
        _limit(WRITTEN_LIMITS, f"page-feedback-text:{client}")
    feedback = PageFeedback.objects.create(
        page=page, helpful=helpful, at=at or timezone.now(), language=language[:8]
    )
    if text:
        _open_feedback_thread(feedback, actor=actor, text=text, contact=contact)
    return feedback


@transaction.atomic
def page_feedback_explain(
    *,
    feedback: PageFeedback,
    actor: User | None,
    text: str,
    contact: str = "",
    client: str = "",
) -> PageFeedback:
    """Add what the resident missed to their "no" (given a moment before, without JavaScript
    the text comes in a second step). Opens the thread as `page_feedback_give` does.

    Raises InvalidTransition when the vote was a yes or already has its text,
    ValidationError for an empty or too long text, RateLimited for a flood.
    """
    feedback = (
        PageFeedback.objects.select_for_update().select_related("page__unit").get(pk=feedback.pk)
    )
    if feedback.helpful or feedback.text or feedback.thread_id:
        raise InvalidTransition(_("This answer has already been sent."))
    text, contact = _clean_feedback(text, contact)
    if not text:
        raise ValidationError(
            {"text": [ValidationError(_("Write what you missed."), code="empty")]}
        )
    _limit(WRITTEN_LIMITS, f"page-feedback-text:{client}")
    _open_feedback_thread(feedback, actor=actor, text=text, contact=contact)
    return feedback

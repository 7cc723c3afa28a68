"""Writes for a hearing's results: publishing "how your input was used", and taking it back.

The result may be published only once the closing date has passed. The first time it goes
public, everyone who gave a statement gets one e-mail (`tasks_hearing_results.notify_result`,
enqueued in the same transaction); publishing again after an unpublish, or editing the text,
sends nothing new, since the task remembers whom it has told.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.cases.receipt import local_time
from torget.participation import policies, tasks_hearing_results
from torget.participation.models import Hearing

MAX_RESULT = 20_000


def _locked(hearing: Hearing) -> Hearing:
    return Hearing.objects.select_for_update().select_related("process__unit").get(pk=hearing.pk)


@transaction.atomic
def result_publish(
    *, hearing: Hearing, actor: User, text: str, at: datetime.datetime | None = None
) -> Hearing:
    """Publish (or update) "how your input was used" on the hearing's public page.

    Keeps the first publication time while the result stays published; an edit only changes
    the text. On the way from unpublished to published the statements' submitters are
    e-mailed through the task queue (each at most once, ever). Raises PermissionDenied unless
    `actor` manages the hearing's process; ValidationError before the closing date or for an
    empty or too long text.
    """
    hearing = _locked(hearing)
    if not policies.can_manage_process(actor, hearing.process):
        raise PermissionDenied
    now = at or timezone.now()
    if now < hearing.closes_at:
        raise ValidationError(
            _(
                "The result can be published when the hearing has closed, after "
                "%(closes)s. Statements may still come until then."
            ),
            code="not_closed",
            params={"closes": local_time(hearing.closes_at)},
        )
    body = (text or "").strip()
    if not body:
        raise ValidationError(
            {"text": ValidationError(_("Write how the input was used."), code="empty")}
        )
    if len(body) > MAX_RESULT:
        raise ValidationError(
            {
                "text": ValidationError(
                    _("The text is too long: at most %(max)d characters, you wrote %(length)d."),
                    code="too_long",
                    params={"max": MAX_RESULT, "length": len(body)},
                )
            }
        )
    first_time = hearing.result_published_at is None
    hearing.result = body
    if first_time:
        hearing.result_published_at = now
    hearing.result_changed_by = actor
    hearing.result_changed_at = now
    hearing.save(
        update_fields=["result", "result_published_at", "result_changed_by", "result_changed_at"]
    )
    if first_time:
        # Enqueued inside the transaction: the task row commits together with the result.
        tasks_hearing_results.notify_result.enqueue(hearing_id=hearing.pk)
    return hearing


@transaction.atomic
def result_unpublish(*, hearing: Hearing, actor: User) -> Hearing:
    """Take the result off the public page (undo). The text is kept as a draft for staff.
    Raises PermissionDenied unless `actor` manages the hearing's process."""
    hearing = _locked(hearing)
    if not policies.can_manage_process(actor, hearing.process):
        raise PermissionDenied
    if hearing.result_published_at is not None:
        hearing.result_published_at = None
        hearing.result_changed_by = actor
        hearing.result_changed_at = timezone.now()
        hearing.save(
            update_fields=["result_published_at", "result_changed_by", "result_changed_at"]
        )
    return hearing

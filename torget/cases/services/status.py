"""The handling of a submitted case: status changes, and the resident's messages on the case.

Every change of status leaves a CaseEvent (the history the resident and staff see), sets the
moments the case was decided and closed, keeps the case's private thread in step (closed with
the case, open again when it reopens) and notifies the resident by e-mail through the task
queue.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.cases import policies, tasks_status
from torget.cases.models import CASE_TRANSITIONS, Case, CaseEvent, CaseStatus
from torget.conversations import services as conversations
from torget.conversations.models import Message
from torget.core.errors import InvalidTransition

MAX_NOTE = 2000


def _clean_note(note: str) -> str:
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(
            _("The note is too long: at most %(max)d characters, you wrote %(length)d."),
            code="too_long",
            params={"max": MAX_NOTE, "length": len(text)},
        )
    return text


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock: two officers changing it at once queue up."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("unit", "thread")
        .get(pk=case.pk)
    )


def _change(
    case: Case, *, actor: User, status: str, note: str, at: datetime.datetime, notify: bool
) -> CaseEvent:
    """Move the locked `case` to `status` (allowed by CASE_TRANSITIONS) and record it."""
    previous = case.status
    if status not in CASE_TRANSITIONS.get(previous, frozenset()):
        raise InvalidTransition(
            _("A case that is “%(current)s” cannot be set to “%(wanted)s”.")
            % {
                "current": CaseStatus(previous).label,
                "wanted": CaseStatus(status).label,
            }
        )
    event = CaseEvent.objects.create(
        case=case, status_from=previous, status_to=status, actor=actor, note=note, at=at
    )
    case.status = status
    case.updated_at = at
    if status == CaseStatus.DECIDED:
        case.decided_at = at
    if status == CaseStatus.CLOSED:
        case.closed_at = at
    elif previous == CaseStatus.CLOSED:
        case.closed_at = None
    case.save(update_fields=["status", "updated_at", "decided_at", "closed_at"])
    if case.thread is not None:
        if status == CaseStatus.CLOSED:
            conversations.thread_close(thread=case.thread, actor=actor)
        elif previous == CaseStatus.CLOSED:
            conversations.thread_reopen(thread=case.thread, actor=actor)
    if notify:
        # Enqueued inside the transaction: the task row commits (or rolls back) with the event.
        tasks_status.notify_status.enqueue(event_id=event.pk)
    return event


@transaction.atomic
def case_status_change(
    *,
    case: Case,
    actor: User,
    status: str,
    note: str = "",
    at: datetime.datetime | None = None,
) -> CaseEvent:
    """Set the status of `case` on behalf of its unit, with a note the resident will read.

    Deciding sets `decided_at`; closing sets `closed_at` and closes the case's thread;
    reopening a closed case clears `closed_at` and reopens the thread. The resident is
    e-mailed about the change (tasks_status.notify_status).
    Raises PermissionDenied unless `actor` answers for the case's unit, InvalidTransition for
    a change CASE_TRANSITIONS does not allow, ValidationError for an unknown status or a note
    that is too long.
    """
    if status not in CaseStatus.values:
        raise ValidationError(_("Choose a status."), code="invalid")
    text = _clean_note(note)
    locked = _lock(case)
    if not policies.can_handle_case(actor, locked):
        raise PermissionDenied
    return _change(
        locked, actor=actor, status=status, note=text, at=at or timezone.now(), notify=True
    )


@transaction.atomic
def case_message_add(
    *, case: Case, actor: User, body: str, at: datetime.datetime | None = None
) -> Message:
    """The applicant writes in the case's private thread; the thread waits for the unit again.

    When the case waits for the resident, their message moves it back to "in progress" (an
    event with the resident as actor; no e-mail about a change they made themselves).
    Raises PermissionDenied for anyone but the applicant, InvalidTransition when the case has
    no thread or its thread is closed, ValidationError and RateLimited as the conversation
    services do.
    """
    locked = _lock(case)
    if not policies.can_write_in_case(actor, locked):
        raise PermissionDenied
    if locked.thread is None:
        raise InvalidTransition(_("This case has no conversation."))
    now = at or timezone.now()
    message = conversations.message_add_resident(
        thread=locked.thread, actor=actor, body=body, at=now
    )
    if locked.status == CaseStatus.WAITING_FOR_RESIDENT:
        _change(locked, actor=actor, status=CaseStatus.IN_PROGRESS, note="", at=now, notify=False)
    else:
        Case.objects.filter(pk=locked.pk).update(updated_at=now)
    return message

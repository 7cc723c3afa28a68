"""Every write to threads and messages. Feature modules call these; none writes its own.

Each service takes keyword arguments and an explicit `actor`, runs in one transaction, checks
permissions, leaves a ThreadEvent for the audit trail and schedules its side effects.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.conversations import policies, registry, tasks
from torget.conversations.models import (
    AuthorRole,
    Block,
    Message,
    MessageReport,
    Thread,
    ThreadEvent,
    ThreadStatus,
    Visibility,
)
from torget.core.errors import InvalidTransition, RateLimited
from torget.core.ratelimit import ratelimit_hit
from torget.organisation.models import Membership, Municipality, Unit
from torget.organisation.policies import can_answer_for_unit
from torget.organisation.selectors import unit_get_root
from torget.organisation.workinghours import add_working_time, working_time_between

MAX_BODY = 5000
MAX_REASON = 300
# A resident may write this many messages per minute, and this many per hour.
WRITE_LIMITS = ((5, 60), (60, 3600))


def _now(at: datetime.datetime | None) -> datetime.datetime:
    return at or timezone.now()


def clean_body(body: str, *, max_length: int = MAX_BODY) -> str:
    """The text stripped of surrounding blanks. Raises ValidationError when empty or too long."""
    text = (body or "").strip()
    if not text:
        raise ValidationError(_("Write something before you send."), code="empty")
    if len(text) > max_length:
        raise ValidationError(
            _("The text is too long: at most %(max)d characters, you wrote %(length)d."),
            code="too_long",
            params={"max": max_length, "length": len(text)},
        )
    return text


def _clean_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError(_("Give a reason."), code="empty")
    return text[:MAX_REASON]


def _event(
    thread: Thread, actor: User | None, kind: str, at: datetime.datetime, **detail: object
) -> None:
    ThreadEvent.objects.create(thread=thread, actor=actor, kind=kind, detail=detail, created_at=at)


def thread_event_record(
    *, thread: Thread, actor: User | None, kind: str, at: datetime.datetime, reason: str
) -> None:
    """Leave `kind` in the audit trail of `thread` for a decision another app took on the
    thread's subject (participation: a proposal's official status). `reason` is what the staff
    thread page shows beside it."""
    _event(thread, actor, kind, at, reason=reason)


def _lock(thread: Thread) -> Thread:
    """Re-read the thread under a row lock so that concurrent writers see each other's changes."""
    return Thread.objects.select_for_update().select_related("unit").get(pk=thread.pk)


def user_is_blocked(*, user: User, municipality: Municipality) -> bool:
    return Block.objects.filter(
        user=user, municipality=municipality, lifted_at__isnull=True
    ).exists()


def _check_resident_may_write(actor: User | None, municipality: Municipality) -> None:
    if actor is None:
        return
    if user_is_blocked(user=actor, municipality=municipality):
        raise PermissionDenied(_("Your account has been blocked from writing here."))
    for limit, period in WRITE_LIMITS:
        if not ratelimit_hit(f"write:{actor.pk}:{period}", limit=limit, period=period):
            raise RateLimited(
                _("You have written many messages in a short while. Wait a little and try again.")
            )


def _start_wait(thread: Thread, at: datetime.datetime) -> None:
    unit = thread.unit
    thread.status = ThreadStatus.WAITING
    thread.waiting_since = at
    thread.due_at = add_working_time(
        at, datetime.timedelta(minutes=unit.answer_goal_minutes), unit.weekly_hours()
    )


def _stop_wait(thread: Thread, status: str) -> None:
    thread.status = status
    thread.waiting_since = None
    thread.due_at = None


@transaction.atomic
def thread_open(
    *,
    unit: Unit,
    channel: str,
    body: str,
    actor: User | None,
    visibility: str = Visibility.PUBLIC,
    subject: models.Model | None = None,
    title: str = "",
    contact: str = "",
    author_name: str = "",
    source: str = "",
    external_id: str = "",
    at: datetime.datetime | None = None,
) -> Thread:
    """Open a thread in `unit` with the resident's first message; it waits for an answer.

    `actor` is None for a resident without an account (an SMS, an e-mail, an import); then
    `contact` or `author_name` says who it was. Raises ValidationError for an empty or too
    long text, PermissionDenied for a blocked account and RateLimited for a flood.
    """
    if visibility not in (Visibility.PUBLIC, Visibility.PRIVATE):
        raise ValueError("A thread is public or private.")
    text = clean_body(body)
    _check_resident_may_write(actor, unit.municipality)
    now = _now(at)
    thread = Thread(
        municipality_id=unit.municipality_id,
        unit=unit,
        channel=channel,
        visibility=visibility,
        subject=subject,
        title=title[:200],
        opened_by=actor,
        contact=contact,
        opened_at=now,
        last_message_at=now,
        first_resident_at=now,
        source=source,
        external_id=external_id,
    )
    _start_wait(thread, now)
    thread.save()
    Message.objects.create(
        thread=thread,
        author=actor,
        author_name=author_name,
        role=AuthorRole.RESIDENT,
        visibility=visibility,
        body=text,
        created_at=now,
        source=source,
        external_id=external_id,
    )
    _event(thread, actor, ThreadEvent.Kind.OPENED, now, channel=channel)
    return thread


@transaction.atomic
def message_add_resident(
    *,
    thread: Thread,
    actor: User | None,
    body: str,
    author_name: str = "",
    source: str = "",
    external_id: str = "",
    at: datetime.datetime | None = None,
) -> Message:
    """A resident writes in `thread`. After an answer this puts the thread back to waiting.

    Raises InvalidTransition in a closed thread, PermissionDenied in a private thread of
    someone else, ValidationError and RateLimited as `thread_open` does.
    """
    text = clean_body(body)
    thread = _lock(thread)
    if thread.status == ThreadStatus.CLOSED:
        raise InvalidTransition(_("This conversation is closed; start a new one."))
    if (
        thread.visibility == Visibility.PRIVATE
        and actor is not None
        and actor.pk != thread.opened_by_id
    ):
        raise PermissionDenied
    _check_resident_may_write(actor, thread.unit.municipality)
    now = _now(at)
    message = Message.objects.create(
        thread=thread,
        author=actor,
        author_name=author_name,
        role=AuthorRole.RESIDENT,
        visibility=thread.visibility,
        body=text,
        created_at=now,
        source=source,
        external_id=external_id,
    )
    thread.last_message_at = now
    if thread.first_resident_at is None:
        thread.first_resident_at = now
    if thread.first_official_at is not None and thread.resident_after_official_at is None:
        thread.resident_after_official_at = now
    if thread.status != ThreadStatus.WAITING:
        _start_wait(thread, now)
    thread.save()
    return message


def _record_first_answer(thread: Thread, at: datetime.datetime) -> None:
    if thread.first_official_at is not None or thread.first_resident_at is None:
        return
    unit = thread.unit
    hours = unit.weekly_hours()
    thread.first_official_at = at
    thread.first_answer_seconds = int((at - thread.first_resident_at).total_seconds())
    working = working_time_between(thread.first_resident_at, at, hours)
    thread.first_answer_working_seconds = int(working.total_seconds())
    thread.first_answer_within_goal = working <= datetime.timedelta(
        minutes=unit.answer_goal_minutes
    )


@transaction.atomic
def thread_answer(
    *,
    threads: Sequence[Thread],
    actor: User,
    body: str,
    at: datetime.datetime | None = None,
) -> list[Message]:
    """Answer one or many threads officially with the same text ("one answer to many").

    Each thread gets its own copy of the answer (all in one `answer_group`), so the answer
    counts in each. An answer by staff records the first official answer and ends the wait;
    a politician's answer is shown, and counted apart, but the unit still owes its own.
    The resident is notified by e-mail through the task queue.
    Raises PermissionDenied if `actor` may not answer every one of `threads`,
    InvalidTransition for a closed thread.
    """
    text = clean_body(body)
    if not threads:
        raise ValueError("Nothing to answer.")
    now = _now(at)
    group = uuid.uuid4() if len(threads) > 1 else None
    messages = []
    for given in sorted(threads, key=lambda t: t.pk):  # lock in one order: no deadlocks
        thread = _lock(given)
        if not policies.can_answer_thread(actor, thread):
            raise PermissionDenied
        if thread.status == ThreadStatus.CLOSED:
            raise InvalidTransition(_("The conversation is closed; reopen it to answer."))
        by_politician = not can_answer_for_unit(actor, thread.unit)
        message = Message.objects.create(
            thread=thread,
            author=actor,
            role=AuthorRole.OFFICIAL,
            by_politician=by_politician,
            visibility=thread.visibility,
            body=text,
            created_at=now,
            answer_group=group,
        )
        thread.last_message_at = now
        if not by_politician:
            _record_first_answer(thread, now)
            _stop_wait(thread, ThreadStatus.ANSWERED)
        thread.save()
        _event(thread, actor, ThreadEvent.Kind.ANSWERED, now, message=message.pk)
        # Enqueued inside the transaction: with the database queue the task row commits (or
        # rolls back) together with the answer, so no notice is lost or sent for nothing.
        tasks.notify_answer.enqueue(message_id=message.pk)
        messages.append(message)
    return messages


@transaction.atomic
def note_add(
    *, thread: Thread, actor: User, body: str, at: datetime.datetime | None = None
) -> Message:
    """An internal note for the unit's staff; residents never see it. Changes no status."""
    text = clean_body(body)
    thread = _lock(thread)
    if not policies.can_note_thread(actor, thread):
        raise PermissionDenied
    now = _now(at)
    message = Message.objects.create(
        thread=thread,
        author=actor,
        role=AuthorRole.OFFICIAL,
        visibility=Visibility.INTERNAL,
        body=text,
        created_at=now,
    )
    _event(thread, actor, ThreadEvent.Kind.NOTE, now, message=message.pk)
    return message


@transaction.atomic
def thread_assign(*, thread: Thread, actor: User, assignee: User | None) -> Thread:
    """Give the thread to `assignee` (a staff member of its unit), or to nobody with None."""
    thread = _lock(thread)
    if not policies.can_note_thread(actor, thread):
        raise PermissionDenied
    if assignee is not None and not policies.can_note_thread(assignee, thread):
        raise ValidationError(
            _("%(name)s does not work for this unit."), params={"name": str(assignee)}
        )
    thread.assignee = assignee
    thread.save(update_fields=["assignee"])
    kind = ThreadEvent.Kind.ASSIGNED if assignee else ThreadEvent.Kind.UNASSIGNED
    _event(thread, actor, kind, timezone.now(), assignee=assignee.pk if assignee else None)
    return thread


@transaction.atomic
def thread_mark_no_answer_needed(*, thread: Thread, actor: User, reason: str) -> Thread:
    """Say the thread needs no answer (spam, a thank-you, answered elsewhere), with a reason.

    It leaves the inbox and is reported apart: never counted as answered.
    """
    text = _clean_reason(reason)
    thread = _lock(thread)
    if not policies.can_note_thread(actor, thread):
        raise PermissionDenied
    if thread.status == ThreadStatus.CLOSED:
        raise InvalidTransition(_("The conversation is closed."))
    _stop_wait(thread, ThreadStatus.NO_ANSWER_NEEDED)
    thread.no_answer_reason = text
    thread.save()
    _event(thread, actor, ThreadEvent.Kind.NO_ANSWER_NEEDED, timezone.now(), reason=text)
    return thread


@transaction.atomic
def thread_close(*, thread: Thread, actor: User) -> Thread:
    """Close the thread: no one writes in it until it is reopened."""
    thread = _lock(thread)
    if not policies.can_note_thread(actor, thread):
        raise PermissionDenied
    if thread.status == ThreadStatus.CLOSED:
        return thread
    now = timezone.now()
    _stop_wait(thread, ThreadStatus.CLOSED)
    thread.closed_at = now
    thread.save()
    _event(thread, actor, ThreadEvent.Kind.CLOSED, now)
    return thread


@transaction.atomic
def thread_reopen(*, thread: Thread, actor: User) -> Thread:
    """Reopen a closed thread: it waits again if a resident spoke last, else it is answered."""
    thread = _lock(thread)
    if not policies.can_note_thread(actor, thread):
        raise PermissionDenied
    if thread.status != ThreadStatus.CLOSED:
        return thread
    now = timezone.now()
    last = (
        thread.messages.exclude(visibility=Visibility.INTERNAL)
        .filter(
            models.Q(role=AuthorRole.RESIDENT)
            | models.Q(role=AuthorRole.OFFICIAL, by_politician=False)
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    thread.closed_at = None
    if last is not None and last.role == AuthorRole.RESIDENT:
        _start_wait(thread, now)
    else:
        _stop_wait(thread, ThreadStatus.ANSWERED if last else ThreadStatus.NO_ANSWER_NEEDED)
    thread.save()
    _event(thread, actor, ThreadEvent.Kind.REOPENED, now)
    return thread


@transaction.atomic
def thread_move(*, thread: Thread, actor: User, unit: Unit) -> Thread:
    """Hand the thread to another unit of the same municipality (e.g. from the service centre
    to the library). The wait goes on; its due time follows the new unit's goal and hours."""
    thread = _lock(thread)
    if not policies.can_note_thread(actor, thread):
        raise PermissionDenied
    if unit.municipality_id != thread.municipality_id:
        raise PermissionDenied
    previous = thread.unit_id
    thread.unit = unit
    thread.assignee = None
    if thread.status == ThreadStatus.WAITING and thread.waiting_since is not None:
        thread.due_at = add_working_time(
            thread.waiting_since,
            datetime.timedelta(minutes=unit.answer_goal_minutes),
            unit.weekly_hours(),
        )
    thread.save()
    _event(
        thread, actor, ThreadEvent.Kind.MOVED, timezone.now(), from_unit=previous, to_unit=unit.pk
    )
    return thread


# --- moderation: one mechanism for every channel ----------------------------------------------


@transaction.atomic
def message_report(*, message: Message, actor: User, reason: str) -> MessageReport:
    """A resident reports a message to the moderators (once per person and message)."""
    text = _clean_reason(reason)
    if not policies.can_view_message(actor, message):
        raise PermissionDenied
    report, _created = MessageReport.objects.get_or_create(
        message=message, reporter=actor, defaults={"reason": text, "created_at": timezone.now()}
    )
    return report


@transaction.atomic
def message_hide(*, message: Message, actor: User, reason: str) -> Message:
    """Hide a message with a reason the author will see. It stays in the record."""
    text = _clean_reason(reason)
    if not policies.can_moderate_message(actor, message):
        raise PermissionDenied
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(hidden_at=now, hidden_reason=text, hidden_by=actor)
    MessageReport.objects.filter(message=message, resolved_at__isnull=True).update(resolved_at=now)
    _event(message.thread, actor, ThreadEvent.Kind.HIDDEN, now, message=message.pk, reason=text)
    message.refresh_from_db()
    _moderated(message)
    return message


@transaction.atomic
def message_restore(*, message: Message, actor: User) -> Message:
    """Show a hidden message again."""
    if not policies.can_moderate_message(actor, message):
        raise PermissionDenied
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(hidden_at=None, hidden_reason="", hidden_by=None)
    MessageReport.objects.filter(message=message, resolved_at__isnull=True).update(resolved_at=now)
    _event(message.thread, actor, ThreadEvent.Kind.RESTORED, now, message=message.pk)
    message.refresh_from_db()
    _moderated(message)
    return message


def _moderated(message: Message) -> None:
    for listener in registry.moderation_listeners():
        listener(message)


def _root_moderator(actor: User, municipality: Municipality) -> None:
    if not policies.can_moderate_unit(actor, unit_get_root(municipality=municipality)):
        raise PermissionDenied


@transaction.atomic
def user_block(*, municipality: Municipality, user: User, actor: User, reason: str) -> Block:
    """Block `user` from writing anywhere in `municipality` (idempotent). A block is
    municipality-wide, so `actor` must moderate for the municipality as a whole. Staff and the
    actor themselves cannot be blocked (ValidationError): their access is managed by roles."""
    text = _clean_reason(reason)
    _root_moderator(actor, municipality)
    if (
        user.pk == actor.pk
        or Membership.objects.filter(user=user, unit__municipality=municipality).exists()
    ):
        raise ValidationError(_("Staff and politicians cannot be blocked; change their roles."))
    block = Block.objects.filter(
        municipality=municipality, user=user, lifted_at__isnull=True
    ).first()
    if block is None:
        block = Block.objects.create(
            municipality=municipality,
            user=user,
            reason=text,
            blocked_by=actor,
            created_at=timezone.now(),
        )
    return block


@transaction.atomic
def user_unblock(*, municipality: Municipality, user: User, actor: User) -> None:
    """Lift a block."""
    _root_moderator(actor, municipality)
    Block.objects.filter(municipality=municipality, user=user, lifted_at__isnull=True).update(
        lifted_at=timezone.now()
    )


@transaction.atomic
def message_reports_dismiss(*, message: Message, actor: User) -> int:
    """A moderator finds nothing wrong: resolve the open reports of `message` and leave it as
    it is. Returns how many reports were resolved. Raises PermissionDenied unless `actor`
    moderates the message's unit."""
    if not policies.can_moderate_message(actor, message):
        raise PermissionDenied
    now = timezone.now()
    resolved = MessageReport.objects.filter(message=message, resolved_at__isnull=True).update(
        resolved_at=now
    )
    _event(
        message.thread,
        actor,
        ThreadEvent.Kind.REPORTS_DISMISSED,
        now,
        message=message.pk,
        reports=resolved,
    )
    return resolved

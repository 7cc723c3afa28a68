"""Writes of short views: statements by staff and residents, their moderation and withdrawal,
and votes (with the request to recompute the opinion groups).

Every function takes keyword-only arguments with an explicit `actor`, runs in one transaction,
checks permissions (PermissionDenied) and refuses bad input with a ValidationError whose
message is fit to show (or RateLimited, a TorgetError).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from torget.accounts.models import User
from torget.core.errors import RateLimited
from torget.core.ratelimit import ratelimit_hit
from torget.participation import policies
from torget.participation.models import (
    MAX_SHORT_VIEW,
    OpinionGroups,
    Process,
    ShortView,
    ShortViewStatus,
    ShortViewVote,
    VoteChoice,
)

# Residents may send this many statements per period (seconds); staff are not limited.
RESIDENT_LIMIT = 5
RESIDENT_PERIOD = 3600
MAX_REASON = 300

COUNT_FIELD = {
    VoteChoice.AGREE: "agree_count",
    VoteChoice.DISAGREE: "disagree_count",
    VoteChoice.PASS: "pass_count",
}


def normalised(text: str) -> str:
    """The text as compared for duplicates: spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()


def _clean_text(process: Process, text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({"text": _("Write your statement.")}, code="required")
    if len(text) > MAX_SHORT_VIEW:
        raise ValidationError(
            {
                "text": _("A statement can be at most %(max)d characters; this one has %(count)d.")
                % {"max": MAX_SHORT_VIEW, "count": len(text)}
            },
            code="max_length",
        )
    wanted = normalised(text)
    existing = ShortView.objects.filter(process=process).values_list("text", flat=True)
    if any(normalised(other) == wanted for other in existing):
        raise ValidationError(
            {"text": _("This statement has already been made in this process.")},
            code="duplicate",
        )
    return text


@transaction.atomic
def short_view_add(*, process: Process, actor: User, text: str) -> ShortView:
    """Add a statement to `process`.

    Staff who manage the process publish at once (by_staff), whatever the phase. Residents'
    statements wait for moderation, and are accepted only while the process takes input and at
    most RESIDENT_LIMIT per hour. The text is stripped (inner runs of spaces become one),
    1..MAX_SHORT_VIEW characters, and no duplicate of a statement of the process (case and
    spaces ignored). Raises PermissionDenied, ValidationError or RateLimited.
    """
    if not actor.is_authenticated or not policies.can_view_process(actor, process):
        raise PermissionDenied
    staff = policies.can_manage_process(actor, process)
    if not staff and not policies.accepts_input(process):
        raise ValidationError(
            _("This process does not take short views now: it is not in its input phase."),
            code="closed",
        )
    text = _clean_text(process, text)
    if not staff and not ratelimit_hit(
        f"shortview-add:{actor.pk}", limit=RESIDENT_LIMIT, period=RESIDENT_PERIOD
    ):
        raise RateLimited(
            _("You have sent many statements in a short while. Please try again in an hour.")
        )
    now = timezone.now()
    return ShortView.objects.create(
        process=process,
        text=text,
        author=actor,
        by_staff=staff,
        status=ShortViewStatus.PUBLISHED if staff else ShortViewStatus.PENDING,
        created_at=now,
    )


@transaction.atomic
def short_view_moderate(
    *, short_view: ShortView, actor: User, approve: bool, reason: str = ""
) -> ShortView:
    """Approve (publish) or reject a resident's pending statement. Rejecting needs a reason
    (kept, shown to the author). Raises PermissionDenied for those who may not moderate the
    process, ValidationError for a missing reason or a statement no longer pending."""
    locked = ShortView.objects.select_for_update().select_related("process").get(pk=short_view.pk)
    if not policies.can_moderate_process(actor, locked.process):
        raise PermissionDenied
    if locked.status != ShortViewStatus.PENDING:
        raise ValidationError(_("This statement has already been moderated."), code="not_pending")
    reason = " ".join((reason or "").split())
    if not approve and not reason:
        raise ValidationError(
            {"reason": _("Give a reason for rejecting the statement.")}, code="required"
        )
    if len(reason) > MAX_REASON:
        raise ValidationError(
            {"reason": _("The reason can be at most %(max)d characters.") % {"max": MAX_REASON}},
            code="max_length",
        )
    locked.status = ShortViewStatus.PUBLISHED if approve else ShortViewStatus.REJECTED
    locked.moderated_by = actor
    locked.moderated_at = timezone.now()
    locked.rejection_reason = "" if approve else reason
    locked.save(update_fields=["status", "moderated_by", "moderated_at", "rejection_reason"])
    for name in ("status", "moderated_by", "moderated_at", "rejection_reason"):
        setattr(short_view, name, getattr(locked, name))
    return locked


@transaction.atomic
def short_view_withdraw(*, short_view: ShortView, actor: User) -> ShortView:
    """Withdraw a published statement: no new votes, its votes are kept (and still count in
    the opinion groups, where it is no longer named). Staff who manage the process only."""
    locked = ShortView.objects.select_for_update().select_related("process").get(pk=short_view.pk)
    if not policies.can_manage_process(actor, locked.process):
        raise PermissionDenied
    if locked.status != ShortViewStatus.PUBLISHED:
        raise ValidationError(_("Only a published statement can be withdrawn."), code="state")
    locked.status = ShortViewStatus.WITHDRAWN
    locked.save(update_fields=["status"])
    short_view.status = locked.status
    if locked.vote_count:
        _request_recompute(locked.process_id)
    return locked


@transaction.atomic
def vote_cast(*, short_view: ShortView, actor: User, choice: int) -> ShortViewVote:
    """Agree (1), disagree (-1) or pass (0) on a published statement while the process takes
    input. A second vote by the same account changes the first; the statement's counts follow
    in the same transaction (F() updates). Any change asks for the opinion groups to be
    recomputed (see `_request_recompute`). Raises PermissionDenied for anonymous users and
    ValidationError for a statement not open for votes or a closed process."""
    if not actor.is_authenticated:
        raise PermissionDenied
    if choice not in VoteChoice.values:
        raise ValidationError(_("Choose agree, disagree or pass."), code="invalid")
    current = ShortView.objects.select_related("process").get(pk=short_view.pk)
    if current.status == ShortViewStatus.WITHDRAWN:
        raise ValidationError(
            _("This statement has been withdrawn; your vote was not counted."), code="withdrawn"
        )
    if current.status != ShortViewStatus.PUBLISHED or not policies.can_view_process(
        actor, current.process
    ):
        raise ValidationError(
            _("This statement is not open for votes; your vote was not counted."),
            code="not_published",
        )
    if not policies.accepts_input(current.process):
        raise ValidationError(
            _("Voting is closed: the process is not in its input phase."), code="closed"
        )
    now = timezone.now()
    try:
        # A savepoint: when the same account votes twice at once, the second insert fails on
        # the unique constraint, and the vote found is changed instead.
        with transaction.atomic():
            vote = ShortViewVote.objects.create(
                short_view=current, user=actor, choice=choice, created_at=now, updated_at=now
            )
        ShortView.objects.filter(pk=current.pk).update(
            **{COUNT_FIELD[VoteChoice(choice)]: F(COUNT_FIELD[VoteChoice(choice)]) + 1}
        )
    except IntegrityError:
        vote = ShortViewVote.objects.select_for_update().get(short_view=current, user=actor)
        if vote.choice == choice:
            return vote
        old = VoteChoice(vote.choice)
        ShortView.objects.filter(pk=current.pk).update(
            **{
                COUNT_FIELD[old]: F(COUNT_FIELD[old]) - 1,
                COUNT_FIELD[VoteChoice(choice)]: F(COUNT_FIELD[VoteChoice(choice)]) + 1,
            }
        )
        vote.choice = choice
        vote.updated_at = now
        vote.save(update_fields=["choice", "updated_at"])
    _request_recompute(current.process_id)
    return vote


def _request_recompute(process_id: int) -> None:
    """Mark the opinion groups of the process as wanted now; enqueue the task only if no
    request was pending. In the caller's transaction: the task row and the vote commit (or roll
    back) together, so no vote loses its recompute and a burst of votes makes few tasks."""
    from torget.participation.tasks_shortviews import recompute_opinion_groups

    now = timezone.now()
    asked = {"requested_at": now, "request_count": F("request_count") + 1}
    row = OpinionGroups.objects.filter(process_id=process_id)
    if row.filter(requested_at__isnull=True).update(**asked):
        recompute_opinion_groups.enqueue(process_id=process_id)
        return
    if row.update(**asked):
        return  # a request was pending: its task will see this one (the count changed)
    try:
        with transaction.atomic():
            OpinionGroups.objects.create(process_id=process_id, requested_at=now, request_count=1)
    except IntegrityError:  # created at the same moment by another vote, which enqueued
        row.update(**asked)
        return
    recompute_opinion_groups.enqueue(process_id=process_id)

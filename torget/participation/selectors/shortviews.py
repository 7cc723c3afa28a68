"""Reads of short views: the statements a viewer may see, the next one to vote on, the viewer's
own votes and pending statements, the moderation queue, and the stored opinion groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from torget.accounts.models import User
from torget.participation.models import (
    OpinionGroups,
    Process,
    ShortView,
    ShortViewStatus,
    ShortViewVote,
)

AnyUser = User | AnonymousUser


def short_view_list_published(process: Process) -> QuerySet[ShortView]:
    """The published statements of a process, oldest first."""
    return ShortView.objects.filter(process=process, status=ShortViewStatus.PUBLISHED).order_by(
        "created_at", "pk"
    )


def short_view_list_for_results(process: Process) -> QuerySet[ShortView]:
    """Published and withdrawn statements (those with results to show), oldest first."""
    return ShortView.objects.filter(
        process=process, status__in=[ShortViewStatus.PUBLISHED, ShortViewStatus.WITHDRAWN]
    ).order_by("created_at", "pk")


def short_view_next_for(process: Process, user: AnyUser) -> ShortView | None:
    """The first published statement `user` has not voted on (None when none is left)."""
    if not user.is_authenticated:
        return None
    return (
        short_view_list_published(process)
        .exclude(pk__in=ShortViewVote.objects.filter(user_id=user.pk).values("short_view_id"))
        .first()
    )


def short_view_list_own_pending(process: Process, user: AnyUser) -> list[ShortView]:
    """The viewer's own statements waiting for moderation or rejected (with the reason)."""
    if not user.is_authenticated:
        return []
    return list(
        ShortView.objects.filter(
            process=process,
            author_id=user.pk,
            status__in=[ShortViewStatus.PENDING, ShortViewStatus.REJECTED],
        ).order_by("-created_at", "-pk")
    )


def short_view_votes_of(process: Process, user: AnyUser) -> dict[int, int]:
    """{statement id: choice} of the viewer's votes in the process."""
    if not user.is_authenticated:
        return {}
    return dict(
        ShortViewVote.objects.filter(short_view__process=process, user_id=user.pk).values_list(
            "short_view_id", "choice"
        )
    )


def short_view_list_pending(process: Process) -> QuerySet[ShortView]:
    """The moderation queue: residents' statements waiting, oldest first, with their authors."""
    return (
        ShortView.objects.filter(process=process, status=ShortViewStatus.PENDING)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def short_view_list_staff(process: Process) -> QuerySet[ShortView]:
    """Every statement but the pending ones, for the staff page (newest first)."""
    return (
        ShortView.objects.filter(process=process)
        .exclude(status=ShortViewStatus.PENDING)
        .select_related("author", "moderated_by")
        .order_by("-created_at", "-pk")
    )


def short_view_count_pending(process: Process) -> int:
    return ShortView.objects.filter(process=process, status=ShortViewStatus.PENDING).count()


@dataclass(frozen=True)
class Summary:
    statements: int
    participants: int


def short_view_summary(process: Process) -> Summary:
    """How many statements are published and how many accounts have voted.

    The voters are counted by the last computation of the opinion groups when there is one
    (a distinct count over 240,000 votes takes 0.2 s, too long for every page view; the figure
    is at most one recompute old), else counted from the votes."""
    stored = (
        OpinionGroups.objects.filter(process=process, computed_at__isnull=False)
        .values_list("result", flat=True)
        .first()
    )
    if stored and "voters" in stored:
        participants = int(stored["voters"])
    else:
        participants = (
            ShortViewVote.objects.filter(short_view__process=process)
            .values("user_id")
            .distinct()
            .count()
        )
    return Summary(statements=short_view_list_published(process).count(), participants=participants)


def opinion_groups_get(process: Process) -> OpinionGroups | None:
    return OpinionGroups.objects.filter(process=process).first()


def statement_texts(process: Process, ids: set[int]) -> dict[int, str]:
    """{id: text} of the statements named in an opinion groups result."""
    return dict(ShortView.objects.filter(process=process, pk__in=ids).values_list("pk", "text"))


def result_statement_ids(result: dict[str, Any]) -> set[int]:
    ids = {item["statement"] for item in result.get("consensus", [])}
    for group in result.get("groups", []):
        ids |= {share["statement"] for share in group.get("representative", [])}
    return ids

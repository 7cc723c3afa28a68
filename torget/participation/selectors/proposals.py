"""Reads of alternative proposals: a process's proposals by support, one proposal, who
supports what, counts by status, and when a process takes proposals."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from torget.accounts.models import User
from torget.conversations.models import Message
from torget.organisation.models import Municipality
from torget.participation import policies
from torget.participation.models import Phase, PhaseKind, Process, Proposal, ProposalStatus
from torget.participation.models.proposals import ProposalSupport

AnyUser = User | AnonymousUser
PROPOSALS_PER_PAGE = 20
# The public process page shows this many proposals, the most supported first.
TOP_PROPOSALS = 3


def process_get_for_proposals(*, municipality: Municipality, slug: str, viewer: AnyUser) -> Process:
    """The process `slug` with its phases, if `viewer` may see it (a published one, or a draft
    for those who run it). Raises Http404 otherwise, so that drafts cannot be probed."""
    process = (
        Process.objects.select_related("unit", "unit__municipality")
        .prefetch_related("phases")
        .filter(municipality=municipality, slug=slug)
        .first()
    )
    if process is None or not policies.can_view_process(viewer, process):
        raise Http404("process")
    return process


def _with_hidden(proposals: QuerySet[Proposal]) -> QuerySet[Proposal]:
    """Each proposal with `text_hidden_at`: when a moderator hid its text (the first message of
    its thread), else None. Pages then show its title to moderators only."""
    opening = Message.objects.filter(thread_id=OuterRef("thread_id")).order_by("created_at", "pk")
    return proposals.annotate(text_hidden_at=Subquery(opening.values("hidden_at")[:1]))


def proposal_page_for_process(*, process: Process, page: int | str | None) -> Page:
    """One page of `process`'s proposals, the most supported first (then the newest), each
    with its author and whether its text is hidden: two queries per page, however many there
    are."""
    proposals = _with_hidden(
        Proposal.objects.filter(process=process)
        .select_related("author")
        .order_by("-support_count", "-created_at", "-pk")
    )
    return Paginator(proposals, PROPOSALS_PER_PAGE).get_page(page)


def proposal_list_top(*, process: Process, limit: int = TOP_PROPOSALS) -> list[Proposal]:
    """The `limit` most supported proposals of `process` (ties: the newest first)."""
    return list(
        _with_hidden(
            Proposal.objects.filter(process=process)
            .select_related("author")
            .order_by("-support_count", "-created_at", "-pk")
        )[:limit]
    )


def proposal_count(*, process: Process) -> int:
    return Proposal.objects.filter(process=process).count()


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


def proposal_counts_by_status(*, process: Process) -> list[StatusCount]:
    """How many proposals of `process` have each status, every status listed (one query)."""
    rows = dict(
        Proposal.objects.filter(process=process)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [
        StatusCount(status=value, label=str(label), count=rows.get(value, 0))
        for value, label in ProposalStatus.choices
    ]


def proposal_get_for_viewer(*, process: Process, pk: int, viewer: AnyUser) -> Proposal:
    """The proposal `pk` of `process` (which the viewer may see: process_get_for_proposals),
    with its author and thread. Raises Http404 for one of another process."""
    proposal = (
        Proposal.objects.select_related("author", "thread", "thread__unit")
        .filter(process=process, pk=pk)
        .first()
    )
    if proposal is None or not policies.can_view_process(viewer, process):
        raise Http404("proposal")
    proposal.process = process
    return proposal


def proposal_text_is_hidden(*, proposal: Proposal) -> bool:
    """Whether a moderator hid the proposal's text (the first message of its thread)."""
    opening = (
        Message.objects.filter(thread_id=proposal.thread_id)
        .order_by("created_at", "pk")
        .values_list("hidden_at", flat=True)
        .first()
    )
    return opening is not None


def proposal_is_supported_by(*, proposal: Proposal, viewer: AnyUser) -> bool:
    if not viewer.is_authenticated:
        return False
    return ProposalSupport.objects.filter(proposal=proposal, user_id=viewer.pk).exists()


def input_phase(process: Process) -> Phase | None:
    """The process's input phase, if it has one (from the prefetched phases)."""
    return next((p for p in process.phases.all() if p.kind == PhaseKind.INPUT), None)


def _day(day: datetime.date) -> str:
    return date_format(day, "DATE_FORMAT")


def input_window_text(process: Process, *, at: datetime.datetime | None = None) -> str:
    """When residents may propose and support in `process`, said for a moment when they may
    not: the input phase to come, the one that has ended, or that there is none."""
    phase = input_phase(process) if process.is_published else None
    if phase is None:
        return _("This process does not take proposals.")
    today = policies.today(at)
    if today < phase.starts_on:
        return _(
            "Proposals and support are possible in the input phase, from %(start)s to %(end)s."
        ) % {"start": _day(phase.starts_on), "end": _day(phase.ends_on)}
    if today > phase.ends_on:
        return _(
            "The input phase ended on %(end)s (it began on %(start)s); proposals and support are "
            "no longer possible."
        ) % {"start": _day(phase.starts_on), "end": _day(phase.ends_on)}
    return _("Proposals and support are possible until %(end)s.") % {"end": _day(phase.ends_on)}

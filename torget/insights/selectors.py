"""Dialogue metrics: how the municipality answers its residents, per unit, channel and period.

Every figure is defined in docs/metrics.md; the names here follow it. The database does the
work: each figure is a (conditional) count over threads or messages, a handful of queries per
call whatever the number of threads, and the same code runs on SQLite and PostgreSQL. The
moments counted (first resident message, first official answer and its duration in calendar
and working time, whether it met the unit's goal, a resident speaking again after the answer)
are recorded on each Thread by the conversation services when they happen.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import NullIf, TruncMonth
from django.utils import timezone

from torget.conversations.models import AuthorRole, Message, Thread, ThreadStatus
from torget.insights import registry
from torget.insights.figures import (
    ChannelFigures,
    DialogueMetrics,
    MonthFigures,
    Percentiles,
    PoliticianFigures,
    ThreadFigures,
    UnitFigures,
)
from torget.insights.percentiles import grouped_percentiles
from torget.organisation.models import Municipality, Unit
from torget.organisation.workinghours import OSLO

# How long the municipality has to answer before a question counts as unanswered in the reply
# rate: seven calendar days (7 × 24 hours). A module constant; every selector takes `horizon`.
DEFAULT_HORIZON = datetime.timedelta(days=7)
ANSWER_COLUMNS = ("first_answer_seconds", "first_answer_working_seconds")

__all__ = [
    "DEFAULT_HORIZON",
    "ChannelFigures",
    "DialogueMetrics",
    "MonthFigures",
    "Percentiles",
    "PoliticianFigures",
    "ThreadFigures",
    "UnitFigures",
    "metrics_for",
    "metrics_list_by_channel",
    "metrics_list_by_month",
    "metrics_list_by_unit",
    "unit_ids_in_scope",
]


# --- scope ------------------------------------------------------------------------------------


def unit_ids_in_scope(
    *, municipality: Municipality, unit: Unit | None, include_subunits: bool = True
) -> list[int]:
    """The ids of the units whose threads count: the whole municipality, one unit, or one unit
    and every unit below it (a prefix match on Unit.path)."""
    units = Unit.objects.filter(municipality=municipality)
    if unit is not None:
        if unit.municipality_id != municipality.pk:
            raise ValueError("The unit belongs to another municipality.")
        if not include_subunits:
            return [unit.pk]
        units = units.filter(path__startswith=unit.path)
    return list(units.values_list("pk", flat=True))


@dataclass(frozen=True)
class _Scope:
    """The threads one figure covers: units (already checked to belong to the municipality),
    an optional channel, and the period of the first resident message."""

    municipality: Municipality
    unit_ids: list[int]
    channel: str | None
    start: datetime.datetime
    end: datetime.datetime

    def threads(self) -> QuerySet[Thread]:
        """The scope's threads, whenever asked."""
        threads = Thread.objects.filter(municipality=self.municipality, unit_id__in=self.unit_ids)
        return threads.filter(channel=self.channel) if self.channel else threads

    def asked(self) -> QuerySet[Thread]:
        """The scope's threads with a resident question in the period."""
        return self.threads().filter(
            first_resident_at__gte=self.start, first_resident_at__lt=self.end
        )

    def answered(self) -> QuerySet[Thread]:
        """The questions of the period with a first official answer and its durations.

        Filtered on the units' ids (which belong to the municipality) and the answer columns
        only, so that an index on (unit, first_resident_at, first_answer_seconds,
        first_answer_working_seconds) covers the query and no thread row is read.
        """
        answered = Thread.objects.filter(
            unit_id__in=self.unit_ids,
            first_resident_at__gte=self.start,
            first_resident_at__lt=self.end,
            first_answer_seconds__isnull=False,
            first_answer_working_seconds__isnull=False,
        )
        return answered.filter(channel=self.channel) if self.channel else answered


# --- thread figures ---------------------------------------------------------------------------


def _aggregates(now: datetime.datetime, horizon: datetime.timedelta) -> dict[str, Count]:
    """The conditional counts behind ThreadFigures (docs/metrics.md gives the words)."""
    needed_none = Q(status=ThreadStatus.NO_ANSWER_NEEDED, first_official_at__isnull=True)
    answered = Q(first_official_at__isnull=False)
    in_time = answered & Q(first_answer_seconds__lte=int(horizon.total_seconds()))
    old_enough = Q(first_resident_at__lte=now - horizon)
    not_yet_due = Q(first_official_at__isnull=True, status=ThreadStatus.WAITING, due_at__gte=now)
    return {
        "questions": Count("pk"),
        "no_answer_needed": Count("pk", filter=needed_none),
        "answered": Count("pk", filter=answered),
        "answered_in_time": Count("pk", filter=in_time),
        "judged": Count("pk", filter=~needed_none & (old_enough | in_time)),
        "two_way": Count("pk", filter=answered & Q(resident_after_official_at__isnull=False)),
        "within_goal": Count("pk", filter=Q(first_answer_within_goal=True)),
        "goal_judged": Count("pk", filter=~needed_none & ~not_yet_due),
    }


def _figures(row: dict[str, Any], percentiles: dict[str, dict[int, float]] | None) -> ThreadFigures:
    def pct(column: str) -> Percentiles:
        if not percentiles or column not in percentiles:
            return Percentiles()
        return Percentiles(median=percentiles[column][50], p90=percentiles[column][90])

    return ThreadFigures(
        questions=row["questions"],
        no_answer_needed=row["no_answer_needed"],
        answered=row["answered"],
        answered_in_time=row["answered_in_time"],
        judged=row["judged"],
        two_way=row["two_way"],
        within_goal=row["within_goal"],
        goal_judged=row["goal_judged"],
        answer_seconds=pct(ANSWER_COLUMNS[0]),
        answer_working_seconds=pct(ANSWER_COLUMNS[1]),
    )


def _thread_figures(
    scope: _Scope, *, now: datetime.datetime, horizon: datetime.timedelta
) -> ThreadFigures:
    """Figures over the scope's questions (two queries: the counts and the durations)."""
    row = scope.asked().aggregate(**_aggregates(now, horizon))
    if not row["answered"]:
        return _figures(row, None)
    durations = grouped_percentiles(scope.answered(), ANSWER_COLUMNS)
    return _figures(row, durations.get(None))


def _thread_figures_by(
    scope: _Scope,
    group: str,
    *,
    now: datetime.datetime,
    horizon: datetime.timedelta,
) -> dict[Hashable, ThreadFigures]:
    """Figures per value of the column `group` (two queries whatever the number of groups)."""
    rows = scope.asked().order_by().values(group).annotate(**_aggregates(now, horizon))
    found = {row[group]: row for row in rows}
    if not any(row["answered"] for row in found.values()):
        return {key: _figures(row, None) for key, row in found.items()}
    durations = grouped_percentiles(scope.answered(), ANSWER_COLUMNS, group=group)
    return {key: _figures(row, durations.get(key)) for key, row in found.items()}


# --- politicians' answers --------------------------------------------------------------------

# A politician's answer: an official message by someone not answering for the unit (the
# conversation services set by_politician), not hidden by moderation.
POLITICIAN_ANSWER = Q(role=AuthorRole.OFFICIAL, by_politician=True, hidden_at__isnull=True)


def _politician_aggregates(only: Q | None = None) -> dict[str, Count]:
    """The counts behind PoliticianFigures; `only` narrows them inside a wider message query."""
    condition = POLITICIAN_ANSWER if only is None else POLITICIAN_ANSWER & only
    return {
        "politician_answers": Count("pk", filter=condition),
        "politician_threads": Count("thread_id", distinct=True, filter=condition),
        "politicians": Count("author_id", distinct=True, filter=condition),
    }


def _politician_figures(row: dict[str, Any]) -> PoliticianFigures:
    return PoliticianFigures(
        answers=row["politician_answers"],
        threads=row["politician_threads"],
        politicians=row["politicians"],
    )


def _scope_messages(scope: _Scope) -> QuerySet[Message]:
    """The messages written in the scope's units (and channel) during the period."""
    messages = Message.objects.filter(
        thread__unit_id__in=scope.unit_ids, created_at__gte=scope.start, created_at__lt=scope.end
    )
    return messages.filter(thread__channel=scope.channel) if scope.channel else messages


def _politician_figures_by(scope: _Scope, group: str | TruncMonth) -> dict[Any, PoliticianFigures]:
    """Politicians' answers per value of `group` (a message column such as "thread__unit_id",
    or a month expression), one query whatever the number of groups."""
    messages = _scope_messages(scope).filter(POLITICIAN_ANSWER).order_by()
    key = group if isinstance(group, str) else "month"
    if not isinstance(group, str):
        messages = messages.annotate(month=group)
    rows = messages.values(key).annotate(**_politician_aggregates())
    return {row[key]: _politician_figures(row) for row in rows}


# --- the public selectors ---------------------------------------------------------------------


def _scope_of(
    *,
    municipality: Municipality,
    unit: Unit | None,
    include_subunits: bool,
    channel: str | None,
    start: datetime.datetime,
    end: datetime.datetime,
) -> _Scope:
    if end <= start:
        raise ValueError("The period ends before it starts.")
    unit_ids = unit_ids_in_scope(
        municipality=municipality, unit=unit, include_subunits=include_subunits
    )
    return _Scope(municipality, unit_ids, channel or None, start, end)


def metrics_for(
    *,
    municipality: Municipality,
    unit: Unit | None = None,
    include_subunits: bool = True,
    channel: str | None = None,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
    horizon: datetime.timedelta = DEFAULT_HORIZON,
) -> DialogueMetrics:
    """Every dialogue figure of `municipality` in [start, end), as docs/metrics.md defines them.

    `unit` None means the whole municipality; otherwise the unit and, with `include_subunits`,
    every unit below it. `channel` None means all channels. `now` (default: the current time)
    decides which threads are still pending and which wait or are overdue now. Raises
    ValueError for a unit of another municipality or an empty period. Five queries (the
    politicians' answers share the residents' message query), and the post source's when one
    is registered.
    """
    now = now or timezone.now()
    scope = _scope_of(
        municipality=municipality,
        unit=unit,
        include_subunits=include_subunits,
        channel=channel,
        start=start,
        end=end,
    )
    figures = _thread_figures(scope, now=now, horizon=horizon)

    # The residents who wrote in the period: accounts by the message's author, residents
    # without an account by the contact of the thread they wrote in (an SMS number, an e-mail
    # address for the answer). Resident messages are never internal: the services write
    # internal notes only as staff. Filtered on the units' ids, so that the thread row is read
    # only for a message without an account.
    # The politicians' answers of the period ride along in the same query (conditional counts).
    resident = Q(role=AuthorRole.RESIDENT)
    messages = _scope_messages(scope).filter(role__in=[AuthorRole.RESIDENT, AuthorRole.OFFICIAL])
    people = messages.aggregate(
        messages=Count("pk", filter=resident),
        accounts=Count("author_id", distinct=True, filter=resident),
        contacts=Count(
            Case(
                When(
                    role=AuthorRole.RESIDENT,
                    author__isnull=True,
                    then=NullIf("thread__contact", Value("")),
                )
            ),
            distinct=True,
        ),
        **_politician_aggregates(),
    )
    waiting = (
        scope.threads()
        .filter(status=ThreadStatus.WAITING)
        .aggregate(waiting=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
    )
    # Posts belong to no channel; a post scheduled for later than now is not published yet.
    posts = (
        None
        if scope.channel
        else registry.post_counts(
            municipality=municipality, unit_ids=scope.unit_ids, start=start, end=min(end, now)
        )
    )
    return DialogueMetrics(
        municipality_id=municipality.pk,
        unit_id=unit.pk if unit else None,
        include_subunits=include_subunits,
        channel=scope.channel,
        start=start,
        end=end,
        now=now,
        horizon=horizon,
        threads=figures,
        resident_messages=people["messages"],
        residents_with_account=people["accounts"],
        residents_by_contact=people["contacts"],
        waiting_now=waiting["waiting"],
        overdue_now=waiting["overdue"],
        posts=posts[0] if posts else None,
        dialogue_posts=posts[1] if posts else None,
        goal_percent=unit.answer_goal_percent if unit else None,
        politicians=_politician_figures(people),
    )


def metrics_list_by_unit(
    *,
    municipality: Municipality,
    unit: Unit | None = None,
    channel: str | None = None,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
    horizon: datetime.timedelta = DEFAULT_HORIZON,
) -> list[UnitFigures]:
    """Goal against practice: each unit of the scope (`unit` and the units below it, or the
    whole municipality) with the figures of its own threads, in tree order. Units without
    questions in the period are listed with empty figures. Four queries (the last one counts
    the politicians' answers)."""
    if end <= start:
        raise ValueError("The period ends before it starts.")
    now = now or timezone.now()
    units = Unit.objects.filter(municipality=municipality).select_related("parent")
    if unit is not None:
        if unit.municipality_id != municipality.pk:
            raise ValueError("The unit belongs to another municipality.")
        units = units.filter(path__startswith=unit.path)
    unit_list = list(units.order_by("path"))
    scope = _Scope(municipality, [u.pk for u in unit_list], channel or None, start, end)
    by_unit = _thread_figures_by(scope, "unit_id", now=now, horizon=horizon)
    politicians = _politician_figures_by(scope, "thread__unit_id")
    return [
        UnitFigures(
            unit=u,
            figures=by_unit.get(u.pk, ThreadFigures()),
            politicians=politicians.get(u.pk, PoliticianFigures()),
        )
        for u in unit_list
    ]


def metrics_list_by_channel(
    *,
    municipality: Municipality,
    unit: Unit | None = None,
    include_subunits: bool = True,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
    horizon: datetime.timedelta = DEFAULT_HORIZON,
) -> list[ChannelFigures]:
    """The figures per channel in the scope, channels with questions or politicians' answers
    in the period only, most questions first. Four queries."""
    now = now or timezone.now()
    scope = _scope_of(
        municipality=municipality,
        unit=unit,
        include_subunits=include_subunits,
        channel=None,
        start=start,
        end=end,
    )
    by_channel = _thread_figures_by(scope, "channel", now=now, horizon=horizon)
    politicians = _politician_figures_by(scope, "thread__channel")
    rows = [
        ChannelFigures(
            channel=str(key),
            figures=by_channel.get(key, ThreadFigures()),
            politicians=politicians.get(key, PoliticianFigures()),
        )
        for key in by_channel.keys() | politicians.keys()
    ]
    return sorted(rows, key=lambda r: (-r.figures.questions, -r.politicians.answers, r.channel))


def metrics_list_by_month(
    *,
    municipality: Municipality,
    unit: Unit | None = None,
    include_subunits: bool = True,
    channel: str | None = None,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
    horizon: datetime.timedelta = DEFAULT_HORIZON,
) -> list[MonthFigures]:
    """The counts (reply rate, not percentiles) per calendar month in Norwegian time, every
    month that [start, end) touches, empty months included. The questions by the month they
    were asked, the politicians' answers by the month they were written. Three queries."""
    now = now or timezone.now()
    scope = _scope_of(
        municipality=municipality,
        unit=unit,
        include_subunits=include_subunits,
        channel=channel,
        start=start,
        end=end,
    )
    rows = (
        scope.asked()
        .order_by()
        .annotate(month=TruncMonth("first_resident_at", tzinfo=OSLO))
        .values("month")
        .annotate(**_aggregates(now, horizon))
    )
    found = {row["month"].astimezone(OSLO).date(): _figures(row, None) for row in rows}
    politicians = {
        month.astimezone(OSLO).date(): f
        for month, f in _politician_figures_by(scope, TruncMonth("created_at", tzinfo=OSLO)).items()
    }
    months = []
    day = start.astimezone(OSLO).date().replace(day=1)
    last = (end - datetime.timedelta(microseconds=1)).astimezone(OSLO).date()
    while day <= last:
        months.append(
            MonthFigures(
                month=day,
                figures=found.get(day, ThreadFigures()),
                politicians=politicians.get(day, PoliticianFigures()),
            )
        )
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months

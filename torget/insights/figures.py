"""The figures of the dialogue metrics, as the selectors return them (docs/metrics.md)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from torget.organisation.models import Unit


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Percentiles:
    """Median and 90th percentile of a duration in seconds (None without answered threads)."""

    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class ThreadFigures:
    """The figures over the threads whose first resident message falls in the period.

    See docs/metrics.md for each definition. `judged` is the reply rate's denominator,
    `answered_in_time` its numerator; `pending` threads are too young to judge; threads that
    needed no answer are counted in `no_answer_needed` and in neither.
    """

    questions: int = 0
    no_answer_needed: int = 0
    answered: int = 0
    answered_in_time: int = 0
    judged: int = 0
    two_way: int = 0
    within_goal: int = 0
    goal_judged: int = 0
    answer_seconds: Percentiles = field(default_factory=Percentiles)
    answer_working_seconds: Percentiles = field(default_factory=Percentiles)

    @property
    def pending(self) -> int:
        """Too young to judge: unanswered and asked less than the horizon ago."""
        return self.questions - self.no_answer_needed - self.judged

    @property
    def not_answered_in_time(self) -> int:
        """Judged, but not answered officially within the horizon (late or never)."""
        return self.judged - self.answered_in_time

    @property
    def reply_rate(self) -> float | None:
        return _share(self.answered_in_time, self.judged)

    @property
    def two_way_share(self) -> float | None:
        return _share(self.two_way, self.answered)

    @property
    def within_goal_share(self) -> float | None:
        return _share(self.within_goal, self.goal_judged)


@dataclass(frozen=True)
class PoliticianFigures:
    """Politicians' answers in the period, counted apart from the administration's.

    A politician's answer (Message.by_politician) is shown to residents but is not an official
    answer of the unit: it is in none of the ThreadFigures. These count the answers written in
    the period (by the answer's own time, not the question's), hidden ones left out: `answers`
    is one per thread (one answer linked to many threads counts in each), `threads` the threads
    with at least one, `politicians` the different politicians who wrote them.
    """

    answers: int = 0
    threads: int = 0
    politicians: int = 0


@dataclass(frozen=True)
class DialogueMetrics:
    """All dialogue figures of one scope (municipality, unit subtree, channel) and period.

    The period is [start, end). `posts` and `dialogue_posts` are None when no module has
    registered a post source or when a channel is chosen (posts belong to no channel).
    `goal_percent` is the unit's own goal when the scope is one unit, else None.
    """

    municipality_id: int
    unit_id: int | None
    include_subunits: bool
    channel: str | None
    start: datetime.datetime
    end: datetime.datetime
    now: datetime.datetime
    horizon: datetime.timedelta
    threads: ThreadFigures
    resident_messages: int
    residents_with_account: int
    residents_by_contact: int
    waiting_now: int
    overdue_now: int
    posts: int | None
    dialogue_posts: int | None
    goal_percent: int | None
    politicians: PoliticianFigures = field(default_factory=PoliticianFigures)

    @property
    def unique_residents(self) -> int:
        return self.residents_with_account + self.residents_by_contact

    @property
    def dialogue_post_share(self) -> float | None:
        if self.posts is None or self.dialogue_posts is None:
            return None
        return _share(self.dialogue_posts, self.posts)

    @property
    def reply_rate(self) -> float | None:
        return self.threads.reply_rate


@dataclass(frozen=True)
class UnitFigures:
    """One unit's own threads (not those of its sub-units): goal against practice."""

    unit: Unit
    figures: ThreadFigures
    politicians: PoliticianFigures = field(default_factory=PoliticianFigures)

    @property
    def goal_share(self) -> float:
        return self.unit.answer_goal_percent / 100

    @property
    def meets_goal(self) -> bool | None:
        share = self.figures.within_goal_share
        return None if share is None else share >= self.goal_share


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    figures: ThreadFigures
    politicians: PoliticianFigures = field(default_factory=PoliticianFigures)


@dataclass(frozen=True)
class MonthFigures:
    month: datetime.date  # the first day of the month, in Norwegian time
    figures: ThreadFigures
    politicians: PoliticianFigures = field(default_factory=PoliticianFigures)

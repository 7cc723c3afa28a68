"""Working time: due times and durations that count only a unit's opening hours.

A question asked on Friday at 16:45 to a unit open Monday–Friday 09–17, with a goal of 30
working minutes, is due on Monday at 09:15: the 15 minutes left on Friday count, the weekend
does not. Norwegian public holidays (the `holidays` package, which knows the moving ones such
as Easter and Whit Monday) are closed days. All arithmetic is done in Europe/Oslo local time, so
that opening hours stay 09–17 across the change to and from summer time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

OSLO = ZoneInfo("Europe/Oslo")
# Guard against a unit with no opening hours at all: search at most this far ahead.
MAX_DAYS = 3 * 366


@lru_cache(maxsize=64)
def _norwegian_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("NO", years=year).keys())


def is_holiday(day: datetime.date) -> bool:
    """True on a Norwegian public holiday (Sundays count only through opening hours)."""
    return day in _norwegian_holidays(day.year)


@dataclass(frozen=True)
class WeeklyHours:
    """Opening intervals per weekday (0 = Monday), each a sorted tuple of (opens, closes)."""

    days: tuple[tuple[tuple[datetime.time, datetime.time], ...], ...]

    @classmethod
    def from_intervals(
        cls, intervals: Iterable[tuple[int, datetime.time, datetime.time]]
    ) -> WeeklyHours:
        days: list[list[tuple[datetime.time, datetime.time]]] = [[] for _ in range(7)]
        for weekday, opens, closes in intervals:
            days[weekday].append((opens, closes))
        return cls(tuple(tuple(sorted(d)) for d in days))

    @property
    def is_empty(self) -> bool:
        return not any(self.days)

    def open_spans(
        self, start: datetime.datetime
    ) -> Iterable[tuple[datetime.datetime, datetime.datetime]]:
        """The open spans (local, aware) from `start` on, the first one clipped to `start`."""
        local = start.astimezone(OSLO)
        day = local.date()
        for _ in range(MAX_DAYS):
            if not is_holiday(day):
                for opens, closes in self.days[day.weekday()]:
                    span_start = datetime.datetime.combine(day, opens, OSLO)
                    span_end = datetime.datetime.combine(day, closes, OSLO)
                    if span_end <= local:
                        continue
                    yield max(span_start, local), span_end
            day += datetime.timedelta(days=1)


def add_working_time(
    start: datetime.datetime, duration: datetime.timedelta, hours: WeeklyHours
) -> datetime.datetime:
    """The moment `duration` of open time has passed after `start`.

    Without any opening hours the calendar is used instead, so that a goal never vanishes.
    """
    if hours.is_empty:
        return start + duration
    left = duration
    for span_start, span_end in hours.open_spans(start):
        length = span_end - span_start
        if left <= length:
            return (span_start + left).astimezone(datetime.UTC)
        left -= length
    return start + duration


def working_time_between(
    start: datetime.datetime, end: datetime.datetime, hours: WeeklyHours
) -> datetime.timedelta:
    """How much open time lies between `start` and `end` (zero if `end` is not later)."""
    if end <= start:
        return datetime.timedelta(0)
    if hours.is_empty:
        return end - start
    total = datetime.timedelta(0)
    local_end = end.astimezone(OSLO)
    for span_start, span_end in hours.open_spans(start):
        if span_start >= local_end:
            break
        total += min(span_end, local_end) - span_start
    return total

"""Due times and durations in working time."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from torget.organisation.workinghours import (
    OSLO,
    WeeklyHours,
    add_working_time,
    is_holiday,
    working_time_between,
)

WEEKDAYS_9_17 = WeeklyHours.from_intervals(
    [(d, datetime.time(9), datetime.time(17)) for d in range(5)]
)


def oslo(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=OSLO)


def test_friday_evening_question_is_due_monday_morning() -> None:
    # The test vector: Fri 16:45, goal 30 working minutes → Mon 09:15.
    asked = oslo(2026, 11, 27, 16, 45)
    due = add_working_time(asked, datetime.timedelta(minutes=30), WEEKDAYS_9_17)
    assert due == oslo(2026, 11, 30, 9, 15)
    assert working_time_between(asked, due, WEEKDAYS_9_17) == datetime.timedelta(minutes=30)


def test_question_before_opening_starts_counting_at_opening() -> None:
    due = add_working_time(oslo(2026, 11, 24, 6, 0), datetime.timedelta(hours=1), WEEKDAYS_9_17)
    assert due == oslo(2026, 11, 24, 10, 0)


def test_easter_and_may_17_are_closed() -> None:
    assert is_holiday(datetime.date(2026, 4, 2))  # Maundy Thursday
    assert is_holiday(datetime.date(2026, 4, 6))  # Easter Monday
    assert is_holiday(datetime.date(2026, 5, 17))
    # Wednesday before Easter 16:00 + 2 working hours → Tuesday after Easter 10:00
    due = add_working_time(oslo(2026, 4, 1, 16, 0), datetime.timedelta(hours=2), WEEKDAYS_9_17)
    assert due == oslo(2026, 4, 7, 10, 0)


def test_summer_time_change_keeps_local_opening_hours() -> None:
    # Clocks go forward on Sunday 29 March 2026; Monday still opens at 09:00 local time.
    due = add_working_time(oslo(2026, 3, 27, 16, 30), datetime.timedelta(hours=1), WEEKDAYS_9_17)
    assert due == oslo(2026, 3, 30, 9, 30)


def test_split_opening_hours_are_both_counted() -> None:
    hours = WeeklyHours.from_intervals(
        [(0, datetime.time(9), datetime.time(11)), (0, datetime.time(12), datetime.time(14))]
    )
    start, end = oslo(2026, 11, 23, 10, 0), oslo(2026, 11, 23, 13, 0)
    assert working_time_between(start, end, hours) == datetime.timedelta(hours=2)


def test_no_opening_hours_falls_back_to_calendar_time() -> None:
    empty = WeeklyHours.from_intervals([])
    start = oslo(2026, 11, 28, 12, 0)
    assert add_working_time(
        start, datetime.timedelta(hours=3), empty
    ) == start + datetime.timedelta(hours=3)


@given(
    start=st.datetimes(
        min_value=datetime.datetime(2025, 1, 1), max_value=datetime.datetime(2027, 12, 1)
    ),
    minutes=st.integers(min_value=0, max_value=5000),
)
def test_adding_then_measuring_working_time_round_trips(
    start: datetime.datetime, minutes: int
) -> None:
    aware = start.replace(tzinfo=OSLO)
    due = add_working_time(aware, datetime.timedelta(minutes=minutes), WEEKDAYS_9_17)
    assert due >= aware
    assert working_time_between(aware, due, WEEKDAYS_9_17) == datetime.timedelta(minutes=minutes)

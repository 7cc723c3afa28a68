"""Every definition of docs/metrics.md on hand-made threads, written through the services."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import municipality_make, unit_make
from torget.accounts.models import User
from torget.conversations import services
from torget.conversations.models import Thread
from torget.insights import registry
from torget.insights.percentiles import grouped_percentiles, percentile
from torget.insights.selectors import (
    DEFAULT_HORIZON,
    DialogueMetrics,
    metrics_for,
    metrics_list_by_channel,
    metrics_list_by_month,
    metrics_list_by_unit,
)
from torget.organisation.models import Municipality, Unit
from torget.organisation.workinghours import OSLO

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
MONDAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=OSLO)
START = datetime.datetime(2026, 3, 1, tzinfo=OSLO)
END = datetime.datetime(2026, 4, 1, tzinfo=OSLO)
LATER = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=OSLO)  # every March thread is judged


def ask(
    unit: Unit,
    at: datetime.datetime,
    *,
    actor: User | None = None,
    contact: str = "",
    channel: str = "web",
) -> Thread:
    """A question from a resident (without an account unless `actor` is given)."""
    return services.thread_open(
        unit=unit, channel=channel, body="Når?", actor=actor, contact=contact, at=at
    )


def answer(thread: Thread, staff: User, at: datetime.datetime) -> None:
    services.thread_answer(threads=[thread], actor=staff, body="Svar.", at=at)


def metrics(municipality: Municipality, **kwargs: Any) -> DialogueMetrics:
    kwargs.setdefault("start", START)
    kwargs.setdefault("end", END)
    kwargs.setdefault("now", LATER)
    return metrics_for(municipality=municipality, **kwargs)


@pytest.fixture
def no_post_source() -> Iterator[None]:
    """Run without a registered post source, whatever the installed apps registered."""
    saved = registry._post_source
    registry.register_post_source(None)
    yield
    registry.register_post_source(saved)


# --- reply rate -------------------------------------------------------------------------------


def test_reply_rate_counts_answers_within_horizon_and_keeps_young_threads_pending(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    now = datetime.datetime(2026, 3, 20, 12, 0, tzinfo=OSLO)
    in_time = ask(library, MONDAY)
    answer(in_time, communicator, MONDAY + 2 * HOUR)
    late = ask(library, MONDAY)
    answer(late, communicator, MONDAY + 8 * DAY)
    ask(library, MONDAY)  # never answered, old enough: counts against the rate
    ask(library, now - 2 * DAY)  # young and unanswered: pending
    young_answered = ask(library, now - DAY)
    answer(young_answered, communicator, now - DAY + HOUR)

    f = metrics(municipality, now=now).threads

    assert f.questions == 5
    assert f.answered_in_time == 2
    assert f.judged == 4
    assert f.pending == 1
    assert f.not_answered_in_time == 2
    assert f.reply_rate == 0.5
    assert f.answered == 3


def test_reply_rate_answer_exactly_at_horizon_counts_and_one_second_later_does_not(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    on_the_dot = ask(library, MONDAY)
    answer(on_the_dot, communicator, MONDAY + DEFAULT_HORIZON)
    too_late = ask(library, MONDAY)
    answer(too_late, communicator, MONDAY + DEFAULT_HORIZON + datetime.timedelta(seconds=1))

    f = metrics(municipality).threads

    assert (f.answered_in_time, f.judged) == (1, 2)


def test_reply_rate_horizon_is_configurable_per_call(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    thread = ask(library, MONDAY)
    answer(thread, communicator, MONDAY + 2 * DAY)

    assert metrics(municipality).threads.reply_rate == 1.0
    assert metrics(municipality, horizon=DAY).threads.reply_rate == 0.0


def test_no_answer_needed_is_reported_apart_and_left_out_of_the_rate(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    spam = ask(library, MONDAY)
    services.thread_mark_no_answer_needed(thread=spam, actor=communicator, reason="Reklame.")
    thanked = ask(library, MONDAY)
    answer(thanked, communicator, MONDAY + HOUR)
    # An answered thread later marked as needing no more answer keeps its answer.
    services.thread_mark_no_answer_needed(thread=thanked, actor=communicator, reason="Takk.")
    ask(library, MONDAY)  # unanswered

    f = metrics(municipality).threads

    assert f.questions == 3
    assert f.no_answer_needed == 1
    assert f.judged == 2
    assert f.answered_in_time == 1
    assert f.pending == 0
    assert f.reply_rate == 0.5
    assert f.goal_judged == 2


def test_politician_answer_is_not_an_official_answer(
    municipality: Municipality, library: Unit, politician: User
) -> None:
    thread = ask(library, MONDAY)
    answer(thread, politician, MONDAY + HOUR)

    f = metrics(municipality).threads

    assert (f.answered, f.answered_in_time, f.judged) == (0, 0, 1)
    assert f.answer_seconds.median is None


def test_residents_answering_each_other_do_not_answer_for_the_municipality(
    municipality: Municipality, library: Unit, resident: User, other_resident: User
) -> None:
    thread = ask(library, MONDAY, actor=resident)
    services.message_add_resident(
        thread=thread, actor=other_resident, body="Kl. 10, tror jeg.", at=MONDAY + HOUR
    )

    f = metrics(municipality).threads

    assert (f.answered, f.answered_in_time, f.judged, f.two_way) == (0, 0, 1, 0)


def test_threads_asked_outside_the_period_are_not_counted(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    before = ask(library, START - HOUR)
    answer(before, communicator, START + HOUR)  # answered inside, asked before the period
    ask(library, END)  # the end is exclusive
    ask(library, START)  # the start is inclusive

    assert metrics(municipality).threads.questions == 1


# --- time to first answer -----------------------------------------------------------------------


def test_percentiles_interpolate_linearly_between_ranks(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    # Asked on Monday at 07:00, two hours before the library opens; answered after 1…10 hours.
    seven = MONDAY - 2 * HOUR
    for hours in range(1, 11):
        thread = ask(library, seven)
        answer(thread, communicator, seven + hours * HOUR)

    f = metrics(municipality).threads

    # Calendar hours 1…10: median 5.5 h, 90th percentile 9 + 0.1 · (10 - 9) = 9.1 h.
    assert f.answer_seconds.median == 5.5 * 3600
    assert f.answer_seconds.p90 == pytest.approx(9.1 * 3600)
    # Working hours count from 09:00: 0, 0, 1, …, 8 h → median 3.5 h, 90th 7 + 0.1 = 7.1 h.
    assert f.answer_working_seconds.median == 3.5 * 3600
    assert f.answer_working_seconds.p90 == pytest.approx(7.1 * 3600)


def test_working_hours_leave_out_weekend_and_easter(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    # Wednesday before Easter 2026 at 16:00; Maundy Thursday to Easter Monday are closed.
    asked = datetime.datetime(2026, 4, 1, 16, 0, tzinfo=OSLO)
    answered = datetime.datetime(2026, 4, 7, 10, 0, tzinfo=OSLO)
    thread = ask(library, asked)
    answer(thread, communicator, answered)

    f = metrics(
        municipality,
        start=datetime.datetime(2026, 4, 1, tzinfo=OSLO),
        end=datetime.datetime(2026, 5, 1, tzinfo=OSLO),
    ).threads

    assert f.answer_seconds.median == (answered - asked).total_seconds()  # 138 h
    assert f.answer_working_seconds.median == 2 * 3600  # Wednesday 16–17, Tuesday 09–10
    assert f.answered_in_time == 1


def test_grouped_percentiles_of_small_and_uneven_sets(
    municipality: Municipality, library: Unit, school: Unit, communicator: User, case_officer: User
) -> None:
    only = ask(library, MONDAY)
    answer(only, communicator, MONDAY + HOUR)
    for minutes in (10, 20, 60):
        thread = ask(school, MONDAY)
        answer(thread, case_officer, MONDAY + datetime.timedelta(minutes=minutes))

    answered = Thread.objects.filter(first_answer_seconds__isnull=False)
    result = grouped_percentiles(answered, ["first_answer_seconds"], group="unit_id")

    assert result[library.pk]["first_answer_seconds"] == {50: 3600.0, 90: 3600.0}
    # 600, 1200, 3600 s: median 1200; h = 0.9 · 2 = 1.8 → 1200 + 0.8 · 2400 = 3120.
    assert result[school.pk]["first_answer_seconds"][50] == 1200.0
    assert result[school.pk]["first_answer_seconds"][90] == pytest.approx(3120.0)
    assert grouped_percentiles(answered.none(), ["first_answer_seconds"]) == {}


# --- goal, two-way, residents ---------------------------------------------------------------


def test_within_goal_share_counts_overdue_unanswered_and_leaves_out_not_yet_due(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    library.answer_goal_minutes = 60
    library.save()
    quick = ask(library, MONDAY)
    answer(quick, communicator, MONDAY + 30 * datetime.timedelta(minutes=1))
    slow = ask(library, MONDAY)
    answer(slow, communicator, MONDAY + 3 * HOUR)
    ask(library, MONDAY)  # unanswered and overdue at `now`: a miss
    now = MONDAY + 2 * DAY
    ask(library, now - datetime.timedelta(minutes=10))  # not due yet: not judged

    f = metrics(municipality, now=now).threads

    assert (f.within_goal, f.goal_judged) == (1, 3)
    assert f.within_goal_share == pytest.approx(1 / 3)
    by_unit = {
        row.unit.pk: row
        for row in metrics_list_by_unit(municipality=municipality, start=START, end=END, now=now)
    }
    assert by_unit[library.pk].meets_goal is False
    assert by_unit[library.pk].goal_share == 0.9


def test_two_way_share_counts_a_resident_writing_again_after_the_answer(
    municipality: Municipality, library: Unit, communicator: User, resident: User
) -> None:
    two_way = ask(library, MONDAY, actor=resident)
    answer(two_way, communicator, MONDAY + HOUR)
    services.message_add_resident(thread=two_way, actor=resident, body="Takk!", at=MONDAY + DAY)
    one_way = ask(library, MONDAY)
    answer(one_way, communicator, MONDAY + HOUR)
    unanswered = ask(library, MONDAY, actor=resident)
    services.message_add_resident(thread=unanswered, actor=resident, body="Hallo?", at=MONDAY + DAY)

    f = metrics(municipality).threads

    assert (f.two_way, f.answered) == (1, 2)
    assert f.two_way_share == 0.5


def test_resident_messages_and_unique_residents(
    municipality: Municipality,
    library: Unit,
    communicator: User,
    resident: User,
    other_resident: User,
) -> None:
    first = ask(library, MONDAY, actor=resident)
    services.message_add_resident(thread=first, actor=resident, body="Og?", at=MONDAY + HOUR)
    ask(library, MONDAY + DAY, actor=resident)
    ask(library, MONDAY, actor=other_resident)
    ask(library, MONDAY, contact="+4791234567", channel="sms")
    ask(library, MONDAY + DAY, contact="+4791234567", channel="sms")  # the same person
    ask(library, MONDAY, contact="", channel="sms")  # nobody to tell apart
    ask(library, START - DAY, actor=other_resident)  # before the period
    # Without an account, in a thread opened before the period: counted by its contact.
    earlier = ask(library, START - DAY, contact="+4798765432", channel="sms")
    services.message_add_resident(thread=earlier, actor=None, body="Svar?", at=MONDAY)
    answer(first, communicator, MONDAY + 2 * HOUR)  # staff messages are not resident messages
    services.note_add(thread=first, actor=communicator, body="Internt.", at=MONDAY + 3 * HOUR)

    m = metrics(municipality)

    assert m.resident_messages == 8
    assert m.residents_with_account == 2
    assert m.residents_by_contact == 2
    assert m.unique_residents == 4


def test_waiting_and_overdue_now_ignore_the_period(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    library.answer_goal_minutes = 60
    library.save()
    now = MONDAY + 3 * HOUR
    ask(library, START - 30 * DAY)  # long overdue, asked before the period
    ask(library, now - 30 * datetime.timedelta(minutes=1))  # waiting, due in 30 minutes
    answered = ask(library, MONDAY)
    answer(answered, communicator, MONDAY + HOUR)

    m = metrics(municipality, now=now)

    assert (m.waiting_now, m.overdue_now) == (2, 1)


# --- scope ------------------------------------------------------------------------------------


def test_unit_scope_covers_its_subtree_unless_told_otherwise(
    municipality: Municipality, library: Unit, school: Unit
) -> None:
    branch = unit_make(municipality, slug="filialen", name="Filialen", parent=library)
    ask(library, MONDAY)
    ask(branch, MONDAY)
    ask(school, MONDAY)

    def questions(unit: Unit | None, subunits: bool = True) -> int:
        return metrics(municipality, unit=unit, include_subunits=subunits).threads.questions

    assert questions(None) == 3
    assert questions(library) == 2
    assert questions(library, subunits=False) == 1
    assert questions(branch) == 1
    assert metrics(municipality, unit=library).goal_percent == 90


def test_channel_scope_and_per_channel_rows(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    web = ask(library, MONDAY, channel="web")
    answer(web, communicator, MONDAY + HOUR)
    ask(library, MONDAY, channel="sms", contact="+4790000000")
    ask(library, MONDAY, channel="sms", contact="+4790000001")

    assert metrics(municipality, channel="sms").threads.questions == 2
    assert metrics(municipality, channel="sms").resident_messages == 2
    rows = metrics_list_by_channel(municipality=municipality, start=START, end=END, now=LATER)
    assert [(r.channel, r.figures.questions, r.figures.reply_rate) for r in rows] == [
        ("sms", 2, 0.0),
        ("web", 1, 1.0),
    ]
    assert rows[1].figures.answer_seconds.median == 3600


def test_another_municipality_is_never_counted(
    municipality: Municipality, library: Unit, resident: User
) -> None:
    other = municipality_make(number="9997", name="Andrevik kommune", hostnames=("andrevik.test",))
    their_library = unit_make(other, slug="biblioteket", name="Andrevik bibliotek")
    ask(their_library, MONDAY, actor=resident)
    ask(their_library, MONDAY, contact="+4799999999")
    ask(library, MONDAY)

    m = metrics(municipality)

    assert m.threads.questions == 1
    assert m.resident_messages == 1
    assert m.unique_residents == 0
    assert m.waiting_now == 1
    units = metrics_list_by_unit(municipality=municipality, start=START, end=END, now=LATER)
    assert their_library.pk not in {row.unit.pk for row in units}
    with pytest.raises(ValueError):
        metrics(municipality, unit=their_library)


def test_months_include_empty_ones_in_norwegian_time(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    # 23:30 on 31 January in Oslo is still January, though it is 22:30 UTC.
    late_january = datetime.datetime(2026, 1, 31, 23, 30, tzinfo=OSLO)
    thread = ask(library, late_january)
    answer(thread, communicator, late_january + HOUR)
    ask(library, datetime.datetime(2026, 3, 10, 12, 0, tzinfo=OSLO))

    months = metrics_list_by_month(
        municipality=municipality,
        start=datetime.datetime(2026, 1, 1, tzinfo=OSLO),
        end=END,
        now=LATER,
    )

    assert [(m.month.isoformat(), m.figures.questions) for m in months] == [
        ("2026-01-01", 1),
        ("2026-02-01", 0),
        ("2026-03-01", 1),
    ]
    assert [m.figures.reply_rate for m in months] == [1.0, None, 0.0]


# --- posts ----------------------------------------------------------------------------------


def test_posts_are_not_available_without_a_registered_source(
    municipality: Municipality, library: Unit, no_post_source: None
) -> None:
    m = metrics(municipality)

    assert (m.posts, m.dialogue_posts, m.dialogue_post_share) == (None, None, None)


def test_posts_come_from_the_registered_source_for_the_units_in_scope(
    municipality: Municipality, library: Unit, no_post_source: None
) -> None:
    calls: list[dict[str, object]] = []

    def source(**kwargs: object) -> tuple[int, int]:
        calls.append(kwargs)
        return 8, 2

    registry.register_post_source(source)

    m = metrics(municipality, unit=library, now=END - DAY)

    assert (m.posts, m.dialogue_posts, m.dialogue_post_share) == (8, 2, 0.25)
    assert calls == [
        {"municipality": municipality, "unit_ids": [library.pk], "start": START, "end": END - DAY}
    ]
    assert metrics(municipality, channel="web").posts is None


# --- cost ---------------------------------------------------------------------------------------


def test_metrics_cost_a_fixed_number_of_queries(
    municipality: Municipality,
    library: Unit,
    school: Unit,
    communicator: User,
    no_post_source: None,
) -> None:
    for day in range(10):
        unit = library if day % 2 else school
        thread = ask(unit, MONDAY + day * DAY)
        if unit == library and day % 3:
            answer(thread, communicator, MONDAY + day * DAY + HOUR)

    with CaptureQueriesContext(connection) as queries:
        metrics(municipality)
    # units, thread counts, percentiles, messages (residents' and politicians'), waiting
    assert len(queries) == 5
    with CaptureQueriesContext(connection) as queries:
        metrics_list_by_unit(municipality=municipality, start=START, end=END, now=LATER)
    assert len(queries) == 4  # units, thread counts, percentiles, politicians' answers


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([7], 50, 7.0),
        ([7], 90, 7.0),
        ([1, 2], 50, 1.5),
        ([1, 2, 3, 4], 50, 2.5),
        (list(range(1, 11)), 50, 5.5),
        (list(range(1, 11)), 90, 9.1),
        ([0, 100], 90, 90.0),
        ([3, 3, 3], 90, 3.0),
        ([5, 10], 0, 5.0),
        ([5, 10], 100, 10.0),
    ],
)
def test_percentile_is_linear_interpolation_between_closest_ranks(
    values: list[int], percent: int, expected: float
) -> None:
    assert percentile(values, percent) == pytest.approx(expected)

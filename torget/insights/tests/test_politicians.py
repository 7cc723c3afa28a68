"""Politicians' answers in the dialogue metrics: counted apart, never in the reply rate."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory, unit_make
from torget.accounts.models import User
from torget.conversations import services
from torget.conversations.models import Thread
from torget.insights import registry
from torget.insights.selectors import (
    PoliticianFigures,
    metrics_for,
    metrics_list_by_channel,
    metrics_list_by_month,
    metrics_list_by_unit,
)
from torget.organisation import services as org
from torget.organisation.models import Municipality, Role, Unit
from torget.organisation.workinghours import OSLO

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
MONDAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=OSLO)
START = datetime.datetime(2026, 3, 1, tzinfo=OSLO)
END = datetime.datetime(2026, 5, 1, tzinfo=OSLO)
LATER = datetime.datetime(2026, 5, 10, 12, 0, tzinfo=OSLO)


@pytest.fixture
def no_post_source() -> Iterator[None]:
    saved = registry._post_source
    registry.register_post_source(None)
    yield
    registry.register_post_source(saved)


@pytest.fixture
def second_politician(root_unit: Unit) -> User:
    user = UserFactory(email="politiker2@example.no")
    org.membership_grant(user=user, unit=root_unit, role=Role.POLITICIAN)
    return user


def ask(unit: Unit, channel: str, at: datetime.datetime, resident: User | None = None) -> Thread:
    return services.thread_open(
        unit=unit,
        channel=channel,
        body="Hva mener dere?",
        actor=resident,
        contact="" if resident else "svar@example.no",
        at=at,
    )


def answer(threads: list[Thread], actor: User, at: datetime.datetime) -> None:
    services.thread_answer(threads=threads, actor=actor, body="Mitt svar.", at=at)


@pytest.fixture
def debate(
    library: Unit,
    school: Unit,
    communicator: User,
    politician: User,
    second_politician: User,
) -> dict[str, Thread]:
    """March: a hearing statement and a forum topic answered by politicians, a web question
    answered by the administration; April: one politician's answer linked to two hearing
    statements of the school."""
    hearing = ask(library, "hearing", MONDAY)
    answer([hearing], politician, MONDAY + HOUR)
    forum = ask(library, "forum", MONDAY)
    answer([forum], politician, MONDAY + 2 * HOUR)
    answer([forum], second_politician, MONDAY + 3 * HOUR)
    web = ask(library, "web", MONDAY)
    answer([web], communicator, MONDAY + HOUR)
    april = MONDAY + 30 * DAY
    first, second = ask(school, "hearing", april), ask(school, "hearing", april)
    answer([first, second], politician, april + HOUR)
    return {"hearing": hearing, "forum": forum, "web": web, "first": first, "second": second}


def test_politicians_answers_are_counted_apart_and_not_in_the_reply_rate(
    municipality: Municipality, debate: dict[str, Thread], no_post_source: None
) -> None:
    m = metrics_for(municipality=municipality, start=START, end=END, now=LATER)

    # Four answers in four threads by two politicians (the linked answer counts in each thread).
    assert m.politicians == PoliticianFigures(answers=5, threads=4, politicians=2)
    # Only the administration's web answer is an answer: the other four wait for the unit.
    assert (m.threads.questions, m.threads.answered, m.threads.answered_in_time) == (5, 1, 1)
    assert m.threads.judged == 5
    assert m.reply_rate == 0.2
    assert m.waiting_now == 4
    # Residents' messages are the questions only: no answer is counted as a resident's.
    assert m.resident_messages == 5


def test_the_administrations_answers_are_not_politicians_answers(
    municipality: Municipality, library: Unit, communicator: User, admin: User
) -> None:
    for channel in ("hearing", "forum", "web"):
        answer([ask(library, channel, MONDAY)], communicator, MONDAY + HOUR)
    answer([ask(library, "forum", MONDAY)], admin, MONDAY + HOUR)

    m = metrics_for(municipality=municipality, start=START, end=END, now=LATER)

    assert m.politicians == PoliticianFigures()
    assert m.threads.answered == 4
    channels = metrics_list_by_channel(municipality=municipality, start=START, end=END, now=LATER)
    assert {r.channel for r in channels} == {"hearing", "forum", "web"}
    assert all(r.politicians == PoliticianFigures() for r in channels)


def test_politicians_answers_per_channel_unit_and_month(
    municipality: Municipality, library: Unit, school: Unit, debate: dict[str, Thread]
) -> None:
    channels = metrics_list_by_channel(municipality=municipality, start=START, end=END, now=LATER)
    by_channel = {r.channel: r for r in channels}
    assert by_channel["hearing"].politicians == PoliticianFigures(3, 3, 1)
    assert by_channel["forum"].politicians == PoliticianFigures(2, 1, 2)
    assert by_channel["web"].politicians == PoliticianFigures()
    assert by_channel["hearing"].figures.answered == 0
    assert by_channel["web"].figures.answered == 1

    only_forum = metrics_for(
        municipality=municipality, channel="forum", start=START, end=END, now=LATER
    )
    assert only_forum.politicians == PoliticianFigures(2, 1, 2)

    units = {
        r.unit.slug: r.politicians
        for r in metrics_list_by_unit(municipality=municipality, start=START, end=END, now=LATER)
    }
    assert units["biblioteket"] == PoliticianFigures(3, 2, 2)
    assert units["skolen"] == PoliticianFigures(2, 2, 1)
    assert sum(p.answers for p in units.values()) == 5

    months = metrics_list_by_month(municipality=municipality, start=START, end=END, now=LATER)
    assert [(m.month.month, m.politicians.answers, m.politicians.threads) for m in months] == [
        (3, 3, 2),
        (4, 2, 2),
    ]


def test_the_period_counts_the_answer_when_it_was_written_and_hidden_answers_drop_out(
    municipality: Municipality,
    library: Unit,
    politician: User,
    moderator: User,
) -> None:
    before = ask(library, "forum", START - 3 * DAY)  # asked in February, answered in March
    answer([before], politician, MONDAY)
    hidden = ask(library, "forum", MONDAY)
    answer([hidden], politician, MONDAY + HOUR)
    message = hidden.messages.get(by_politician=True)
    services.message_hide(message=message, actor=moderator, reason="Personangrep.")

    m = metrics_for(municipality=municipality, start=START, end=END, now=LATER)

    assert m.politicians == PoliticianFigures(answers=1, threads=1, politicians=1)
    assert m.threads.questions == 1  # the February question is not March's


def test_another_municipalitys_politicians_are_never_counted(
    municipality: Municipality, debate: dict[str, Thread]
) -> None:
    from tests.factories import municipality_make

    other = municipality_make(number="9999", name="Annenvik kommune", hostnames=("annenvik.test",))
    m = metrics_for(municipality=other, start=START, end=END, now=LATER)
    assert m.politicians == PoliticianFigures()


def test_politician_figures_cost_one_query_per_list(
    municipality: Municipality, debate: dict[str, Thread], no_post_source: None
) -> None:
    common = {"municipality": municipality, "start": START, "end": END, "now": LATER}
    with CaptureQueriesContext(connection) as queries:
        metrics_for(**common)  # type: ignore[arg-type]
    assert len(queries) == 5  # politicians' answers share the residents' message query
    with CaptureQueriesContext(connection) as queries:
        metrics_list_by_channel(**common)  # type: ignore[arg-type]
    assert len(queries) == 4
    with CaptureQueriesContext(connection) as queries:
        metrics_list_by_month(**common)  # type: ignore[arg-type]
    assert len(queries) == 3


# --- the dashboard, the CSV and the open data ---------------------------------------------------


@pytest.fixture
def _frozen() -> Iterator[None]:
    with time_machine.travel(LATER, tick=False):
        yield


PARAMS = {"period": "custom", "start": "2026-03-01", "end": "2026-04-30", "subunits": "on"}


def test_dashboard_shows_politicians_apart_from_the_reply_rate(
    client: Client, communicator: User, debate: dict[str, Thread], _frozen: None
) -> None:
    client.force_login(communicator)
    response = client.get("/ansatt/innsikt/", PARAMS, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = " ".join(response.text.split())
    assert "Answers by politicians" in text
    assert (
        '<span class="insights-figure__value">5</span> in 4 threads '
        "(not counted in the reply rate)." in text
    )
    assert "Written by 2 different politicians." in text
    # The channel table: hearing and forum rows carry the politicians' answers.
    channel_table = text.split('id="channel-caption"')[1].split("</table>")[0]
    rows = {
        row.split("</th>")[0].rsplit(">", 1)[-1]: row
        for row in channel_table.split('<th scope="row">')[1:]
    }
    hearing_row = next(row for name, row in rows.items() if "earing" in name)
    forum_row = next(row for name, row in rows.items() if "orum" in name)
    assert "<td>3 in 3 threads</td>" in hearing_row
    assert "<td>2 in 1 thread</td>" in forum_row
    assert "20.0\u00a0%" in response.text  # the reply rate: one of five


def test_csv_and_open_data_carry_the_politicians_answers(
    client: Client,
    communicator: User,
    debate: dict[str, Thread],
    no_post_source: None,
) -> None:
    client.force_login(communicator)
    with time_machine.travel(LATER, tick=False):
        response = client.get("/ansatt/innsikt/eksport.csv", PARAMS, HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-2:] == [
        "Answers by politicians (not in the reply rate)",
        "Threads with an answer by a politician",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Testvik bibliotek"][-2:] == ["3", "2"]
    assert by_name["Total"][-2:] == ["5", "4"]

    # The open data covers the twelve whole months before now: March and April 2026.
    with time_machine.travel(datetime.datetime(2026, 6, 2, 12, 0, tzinfo=OSLO), tick=False):
        data = json.loads(client.get("/apne-data/dialog.json").content)
    assert data["total"]["politician_answers"] == {"answers": 5, "threads": 4, "politicians": 2}
    assert data["total"]["answered"] == 1
    units = {u["slug"]: u for u in data["units"]}
    assert units["skolen"]["politician_answers"]["answers"] == 2
    channels = {c["channel"]: c for c in data["channels"]}
    assert channels["hearing"]["politician_answers"] == {
        "answers": 3,
        "threads": 3,
        "politicians": 1,
    }
    assert channels["hearing"]["answered"] == 0
    assert channels["forum"]["politician_answers"]["politicians"] == 2
    assert channels["web"]["politician_answers"]["answers"] == 0
    months = {m["month"]: m for m in data["months"]}
    assert months["2026-03"]["politician_answers"]["threads"] == 2


def test_dashboard_queries_do_not_grow_with_politicians_answers(
    client: Client,
    communicator: User,
    politician: User,
    municipality: Municipality,
    debate: dict[str, Thread],
    _frozen: None,
) -> None:
    client.force_login(communicator)
    client.get("/ansatt/innsikt/", PARAMS)
    with CaptureQueriesContext(connection) as before:
        client.get("/ansatt/innsikt/", PARAMS)
    for i in range(4):
        unit = unit_make(municipality, slug=f"enhet-{i}")
        threads = [ask(unit, "hearing", MONDAY + i * DAY) for _ in range(3)]
        answer(threads, politician, MONDAY + i * DAY + HOUR)
    with CaptureQueriesContext(connection) as after:
        response = client.get("/ansatt/innsikt/", PARAMS, HTTP_ACCEPT_LANGUAGE="en")
    assert len(after) == len(before)
    text = " ".join(response.text.split())
    assert '<span class="insights-figure__value">17</span> in 16 threads' in text

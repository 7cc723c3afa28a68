"""The "My participation" section of Min side: the person's hearing statements, proposals and
forum follows, with links, an empty state and pages."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from torget.accounts.models import User
from torget.conversations.models import Channel, Visibility
from torget.conversations.services import thread_answer, thread_open
from torget.organisation.models import Municipality, Unit
from torget.participation.models import (
    ForumFollow,
    Hearing,
    Process,
    Proposal,
    ProposalStatus,
    Statement,
)
from torget.participation.selectors.mypage import participation_page_for_user
from torget.participation.tests.factories import forum_make, hearing_make, process_make

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _section(html: str) -> str:
    return html.split('<section aria-labelledby="participation-heading"', 1)[1].split(
        "</section>", 1
    )[0]


def _exists(name: str, *args: Any) -> bool:
    try:
        reverse(f"participation:{name}", args=args)
    except NoReverseMatch:
        return False
    return True


def _statement(hearing: Hearing, author: User, number: int, *, public: bool = True) -> Statement:
    thread = thread_open(
        unit=hearing.process.unit,
        channel=Channel.HEARING,
        body=f"Uttalelse nummer {number}.",
        # Many statements in a test: written as without an account (no rate limit); the
        # statement's author is who counts here.
        actor=None,
        author_name=author.name,
        visibility=Visibility.PUBLIC if public else Visibility.PRIVATE,
    )
    return Statement.objects.create(
        hearing=hearing,
        thread=thread,
        author=author,
        is_public=public,
        number=number,
        submitted_at=timezone.now() - datetime.timedelta(minutes=100 - number),
    )


def _proposal(process: Process, author: User, title: str, supports: int = 0) -> Proposal:
    thread = thread_open(
        unit=process.unit,
        channel=Channel.FORUM,
        body=f"{title}: begrunnelse.",
        actor=None,
        author_name=author.name,
    )
    return Proposal.objects.create(
        process=process,
        thread=thread,
        author=author,
        title=title,
        status=ProposalStatus.CONSIDERING,
        support_count=supports,
        created_at=timezone.now(),
    )


@pytest.fixture
def process(library: Unit) -> Process:
    return process_make(library, slug="veisystemet", title="Veisystemet i sentrum")


def test_my_participation_has_an_empty_state(
    client: Client, resident: User, municipality: Municipality
) -> None:
    client.force_login(resident)
    section = _section(client.get("/min-side/", **EN).text)
    assert '<h2 id="participation-heading">My participation</h2>' in section
    assert "You have not taken part in a hearing, a proposal or a forum yet." in section
    assert 'href="/medvirkning/"' in section


def test_my_participation_lists_statements_proposals_and_follows(
    client: Client,
    resident: User,
    other_resident: User,
    communicator: User,
    process: Process,
    library: Unit,
) -> None:
    hearing = hearing_make(process, title="Høring om ny trasé")
    answered = _statement(hearing, resident, 1)
    _statement(hearing, resident, 2, public=False)
    _statement(hearing, other_resident, 3)
    thread_answer(threads=[answered.thread], actor=communicator, body="Takk for innspillet.")
    proposal = _proposal(process, resident, "Sykkelvei langs elva", supports=3)
    _proposal(process, other_resident, "Ikke mitt forslag")
    forum = forum_make(library, process=process, slug="veiforum", title="Veiforum")
    ForumFollow.objects.create(user=resident, forum=forum)
    topic = thread_open(
        unit=library,
        channel=Channel.FORUM,
        body="Hvor skal bilene parkere?",
        actor=None,
        author_name="Noen",
        subject=forum,
        title="Parkering i sentrum",
    )
    ForumFollow.objects.create(user=resident, thread=topic, frequency="daily")

    client.force_login(resident)
    section = _section(client.get("/min-side/", **EN).text)
    assert "Statement 1 to “Høring om ny trasé”" in section
    assert "Statement 2 to “Høring om ny trasé”" in section
    assert "Statement 3" not in section and "Ikke mitt forslag" not in section
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
    by_title = {re.sub(r"<[^>]+>", "", row).split("\n")[1].strip(): row for row in rows[1:]}
    assert len(by_title) == 5
    first = next(row for row in rows if "Statement 1 " in row)
    assert "<td>Answered</td>" in first and "Veisystemet i sentrum" in first
    second = next(row for row in rows if "Statement 2 " in row)
    assert "<td>Not answered yet · Not public</td>" in second
    mine = next(row for row in rows if "Sykkelvei langs elva" in row)
    assert "<td>Being considered · 3 supporters</td>" in mine
    follow = next(row for row in rows if "Forum I follow" in row)
    assert ">Veiforum</a>" in follow and "<td>Project forum</td>" in follow
    # Links to the other parts' pages, where they exist.
    if _exists("statement-detail", process.slug, hearing.pk, 1):
        assert f'href="/medvirkning/veisystemet/horing/{hearing.pk}/uttalelse/1/"' in first
    if _exists("proposal-detail", process.slug, proposal.pk):
        assert f'href="/medvirkning/veisystemet/forslag/{proposal.pk}/"' in mine
    followed_topic = next(row for row in rows if "Parkering i sentrum" in row)
    assert "Topic I follow" in followed_topic and "<td>Veiforum</td>" in followed_topic
    if _exists("forum-detail", forum.slug):
        assert 'href="/forum/veiforum/"' in follow
    if _exists("topic-detail", forum.slug, topic.pk):
        assert f'href="/forum/veiforum/{topic.pk}/"' in followed_topic


def test_my_participation_pages_and_the_newest_come_first(
    client: Client, resident: User, process: Process
) -> None:
    hearing = hearing_make(process)
    for number in range(1, 13):
        _statement(hearing, resident, number)
    page = participation_page_for_user(user=resident, municipality=process.municipality)
    assert [entry.title.split(" ")[1] for entry in page] == [str(n) for n in range(12, 2, -1)]
    client.force_login(resident)
    html = client.get("/min-side/?participation_page=2", **EN).text
    section = _section(html)
    assert "Statement 2 to" in section and "Statement 1 to" in section
    assert "Statement 12 to" not in section
    assert "Page 2 of 2" in section
    assert 'href="?participation_page=1#participation"' in section


def test_my_participation_costs_a_bounded_number_of_queries(
    resident: User,
    process: Process,
    library: Unit,
    django_assert_max_num_queries: Any,
) -> None:
    hearing = hearing_make(process)
    for number in range(1, 4):
        _statement(hearing, resident, number)
        _proposal(process, resident, f"Forslag {number}")
    for number in range(3):
        forum = forum_make(library, slug=f"forum-{number}")
        ForumFollow.objects.create(user=resident, forum=forum)
    with django_assert_max_num_queries(7):
        page = participation_page_for_user(user=resident, municipality=process.municipality)
        assert len(list(page)) == 9

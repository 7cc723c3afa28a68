"""The demo's participation: two processes with real documents, an open and a closed hearing,
proposals, forums and short views with votes in two opinion groups; built once."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from torget.conversations.models import Message, Thread
from torget.demo import data, dialogue, participation
from torget.organisation.models import Municipality
from torget.participation import policies
from torget.participation.models import (
    Forum,
    ForumKind,
    Hearing,
    OpinionGroups,
    Phase,
    Process,
    ProcessDocument,
    Proposal,
    ProposalStatus,
    ProposalSupport,
    ShortView,
    ShortViewStatus,
    ShortViewVote,
    Statement,
    StatementAttachment,
)


def _counts() -> dict[str, Any]:
    return {
        "processes": Process.objects.count(),
        "phases": Phase.objects.count(),
        "documents": ProcessDocument.objects.count(),
        "hearings": Hearing.objects.count(),
        "statements": Statement.objects.count(),
        "attachments": StatementAttachment.objects.count(),
        "proposals": Proposal.objects.count(),
        "supports": ProposalSupport.objects.count(),
        "forums": Forum.objects.count(),
        "threads": Thread.objects.count(),
        "messages": Message.objects.count(),
        "short_views": ShortView.objects.count(),
        "votes": ShortViewVote.objects.count(),
        "opinion_groups": list(OpinionGroups.objects.values_list("computed_at", flat=True)),
    }


@pytest.fixture
def fast_passwords(settings: Any) -> None:
    """The demo hashes its people's passwords; a cheap hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def built(fast_passwords: None, db: None) -> Municipality:
    """Eksempel kommune with its people, the dialogue and the participation."""
    municipality, _created = data.municipality_ensure()
    data.people_ensure(municipality)
    dialogue.dialogue_ensure(municipality)
    participation.participation_ensure(municipality)
    return municipality


def test_running_the_demo_twice_creates_nothing_new(fast_passwords: None, db: None) -> None:
    call_command("demo", "--quiet")
    first = _counts()
    call_command("demo", "--quiet")
    assert _counts() == first
    assert first["processes"] == 2
    assert first["hearings"] == 2
    assert first["statements"] == 13
    assert first["attachments"] == 1
    assert first["proposals"] == 5
    assert first["forums"] == 6
    assert first["short_views"] == 10
    assert first["votes"] > 300
    assert first["opinion_groups"][0] is not None
    municipality = Municipality.objects.get(number="9999")
    assert participation.participation_ensure(municipality) == 0


def test_processes_have_phases_and_documents_that_open(built: Any) -> None:
    roads = Process.objects.get(slug="veisystemet-i-sentrum")
    housing = Process.objects.get(slug="gamle-industriomradet")
    assert roads.is_published and housing.is_published
    assert roads.title == "Omlegging av veisystemet i sentrum"
    assert roads.unit.slug == "veisystemet-i-sentrum"
    today = timezone.localdate()
    phases = {p.kind: p for p in roads.phases.all()}
    assert phases["information"].ends_on < today
    assert phases["input"].covers(today) and phases["input"].covers(today + datetime.timedelta(21))
    assert phases["processing"].starts_on > today
    assert policies.accepts_input(roads) and not policies.accepts_input(housing)
    assert policies.current_phase(list(housing.phases.all()), today).kind == "processing"

    magic = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n"}
    documents = list(ProcessDocument.objects.all())
    assert sorted(d.content_type for d in roads.documents.all()) == ["application/pdf", "image/png"]
    assert [d.content_type for d in housing.documents.all()] == ["application/pdf"]
    for document in documents:
        with document.file.open("rb") as handle:
            content = handle.read()
        assert content.startswith(magic[document.content_type])
        assert len(content) == document.size > 500
    pdf = roads.documents.get(content_type="application/pdf")
    with pdf.file.open("rb") as handle:
        from pypdf import PdfReader

        text = PdfReader(handle).pages[0].extract_text()
    assert "Omlegging av veisystemet i sentrum" in text
    png = roads.documents.get(content_type="image/png")
    from PIL import Image

    with png.file.open("rb") as handle, Image.open(handle) as image:
        assert image.size == (800, 560)


def test_the_open_hearing_accepts_statements_and_the_closed_one_has_its_result(
    built: Any,
) -> None:
    from torget.participation.services.hearings import statement_submit

    now = timezone.now()
    open_hearing = Hearing.objects.get(title="Høring: Omlegging av veisystemet i sentrum")
    assert open_hearing.is_open()
    assert open_hearing.closes_at > now + datetime.timedelta(days=20)
    assert [s.number + " " + s.heading for s in open_hearing.sections.all()] == [
        "1 Bakgrunn",
        "2 Ny trafikkløsning",
        "3 Parkering",
        "4 Gående og syklende",
    ]
    statements = list(open_hearing.statements.select_related("thread", "section"))
    assert len(statements) == 8
    assert [s.number for s in statements] == list(range(1, 9))
    assert any(s.on_behalf_of == "Sentrum velforening" for s in statements)
    assert sum(not s.is_public for s in statements) == 1
    assert sum(s.section is None for s in statements) == 1
    assert all(s.thread.channel == "hearing" and s.thread.subject == s for s in statements)
    shared = Message.objects.filter(
        thread__in=[s.thread for s in statements], answer_group__isnull=False
    )
    assert shared.count() == 2 and len({m.answer_group for m in shared}) == 1
    assert Message.objects.filter(
        thread__in=[s.thread for s in statements], by_politician=True
    ).exists()
    assert StatementAttachment.objects.filter(statement__hearing=open_hearing).count() == 1

    from torget.accounts.models import User

    newcomer = User.objects.get(email="deltaker-40@innbygger.eksempel.no")
    made = statement_submit(hearing=open_hearing, actor=newcomer, body="Et nytt innspill.")
    assert made.number == 9

    closed = Hearing.objects.get(process__slug="gamle-industriomradet")
    assert not closed.is_open() and closed.closes_at < now - datetime.timedelta(days=13)
    assert closed.result_published_at is not None and "Byggehøyde" in closed.result
    assert closed.statements.count() == 5


def test_proposals_forums_and_short_views(built: Any) -> None:
    roads = Process.objects.get(slug="veisystemet-i-sentrum")
    proposals = list(roads.proposals.all())
    assert len(proposals) == 3
    for proposal in proposals:
        assert proposal.support_count == proposal.supports.count() > 0
        assert proposal.thread.subject == proposal
    drawn = [p for p in proposals if p.geometry]
    assert len(drawn) == 1 and drawn[0].geometry["type"] == "LineString"
    considering = [p for p in proposals if p.status == ProposalStatus.CONSIDERING]
    assert len(considering) == 1 and considering[0].thread.first_official_at is not None
    housing = Process.objects.get(slug="gamle-industriomradet")
    assert sorted(housing.proposals.values_list("status", flat=True)) == [
        ProposalStatus.ADOPTED,
        ProposalStatus.NOT_ADOPTED,
    ]

    forum = Forum.objects.get(slug="veisystemet-i-sentrum")
    assert forum.kind == ForumKind.PROJECT and forum.process == roads
    topics = Thread.objects.filter(subject_id=forum.pk, channel="forum", title__gt="")
    topics = [t for t in topics if t.subject == forum]
    assert len(topics) == 3
    assert Message.objects.filter(thread__in=topics, by_politician=True).count() == 1
    assert Forum.objects.get(slug="gamle-industriomradet").kind == ForumKind.PROJECT
    topic_forums = Forum.objects.filter(kind=ForumKind.TOPIC)
    assert sorted(topic_forums.values_list("title", flat=True)) == [
        "Bolig",
        "Kultur",
        "Samferdsel",
        "Skole",
    ]

    views = ShortView.objects.filter(process=roads)
    assert views.filter(by_staff=True).count() == 8
    residents = views.filter(by_staff=False)
    assert sorted(residents.values_list("status", flat=True)) == [
        ShortViewStatus.PENDING,
        ShortViewStatus.PUBLISHED,
    ]
    voters = ShortViewVote.objects.filter(short_view__process=roads).values("user").distinct()
    assert voters.count() == 40
    for view in views.filter(status=ShortViewStatus.PUBLISHED):
        assert view.vote_count == view.votes.count() > 20


def test_opinion_groups_show_drivers_and_cyclists(built: Any) -> None:
    roads = Process.objects.get(slug="veisystemet-i-sentrum")
    groups = OpinionGroups.objects.get(process=roads)
    assert groups.computed_at is not None
    # Those who skipped too many statements (fewer than 7 votes) are not clustered.
    assert groups.participant_count >= 35
    assert groups.group_count == 2
    # The two groups are the drivers (deltaker-1 .. 22) and the cyclists (23 .. 40).
    from torget.accounts.models import User

    number = {
        u.pk: int(u.email.split("@")[0].split("-")[1])
        for u in User.objects.filter(email__startswith="deltaker-")
    }
    by_group: dict[int, list[bool]] = {}
    for pid, _x, _y, group in groups.result["points"]:
        if group is not None and group >= 0:
            by_group.setdefault(group, []).append(number[pid] <= participation.DRIVERS)
    assert len(by_group) == 2
    purities = sorted(sum(drives) / len(drives) for drives in by_group.values())
    assert purities[0] <= 0.1 and purities[1] >= 0.9


def test_politicians_answers_show_in_the_dialogue_metrics(built: Any) -> None:
    from torget.insights.selectors import metrics_list_by_channel

    municipality = Municipality.objects.get(number="9999")
    now = timezone.now()
    rows = metrics_list_by_channel(
        municipality=municipality, start=now - datetime.timedelta(days=30), end=now
    )
    by_channel = {r.channel: r.politicians for r in rows}
    assert by_channel["hearing"].answers == 1
    assert by_channel["forum"].answers == 1

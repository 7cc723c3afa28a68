"""Nobody without the right role for the right unit uses a staff page of participation.

The walk lists every URL pattern of the "participation" namespace under /ansatt/ (and the
proposal status form, a staff action under a public path), so URLs added later are walked too.
It fills in the ids of one unit's process, hearing, section, document, short view, proposal,
forum and ready PDF export, and tries each with GET and POST as a resident, as staff of another
unit, and as an anonymous visitor. Each must be refused (or sent to log in), and nothing may change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern

from tests.url_walk import patterns_in
from torget.accounts.models import User
from torget.conversations.models import Message, Thread
from torget.organisation.models import Unit
from torget.participation.models import (
    Forum,
    Hearing,
    HearingExport,
    HearingSection,
    Phase,
    Process,
    ProcessDocument,
    Proposal,
    ShortView,
    ShortViewStatus,
)
from torget.participation.services.proposals import proposal_submit
from torget.participation.tests.factories import forum_make, hearing_make, process_make

STAFF_ACTIONS_ELSEWHERE = {"proposal-status"}


def _staff_patterns() -> list[tuple[str, URLPattern]]:
    """(route, pattern) of every staff URL in the "participation" namespace."""
    return [
        (route, entry)
        for route, entry in patterns_in("participation")
        if route.startswith("ansatt/") or entry.name in STAFF_ACTIONS_ELSEWHERE
    ]


PATTERNS = _staff_patterns()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def things(library: Unit, resident: User, other_resident: User) -> dict[str, Any]:
    process = process_make(library, slug="veisystemet")
    hearing = hearing_make(process, sections=2)
    document = ProcessDocument(
        process=process,
        title="Planskisse",
        original_name="skisse.pdf",
        content_type="application/pdf",
        size=9,
    )
    document.file.save("skisse.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    view = ShortView.objects.create(
        process=process,
        text="Flere sykkelveier",
        author=resident,
        status=ShortViewStatus.PENDING,
        created_at=hearing.opens_at,
    )
    proposal = proposal_submit(
        process=process, actor=other_resident, title="Rundkjøring", body="Bygg en rundkjøring."
    )
    forum = forum_make(library, slug="samferdsel")
    export = HearingExport(
        hearing=hearing,
        language="nb",
        status=HearingExport.Status.READY,
        size=9,
        statements=0,
        requested_at=hearing.opens_at,
        enqueued_at=hearing.opens_at,
        finished_at=hearing.opens_at,
    )
    export.file.save("eksport.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return {
        "process": process,
        "hearing": hearing,
        "section": hearing.sections.first(),
        "document": document,
        "view": view,
        "proposal": proposal,
        "forum": forum,
        "export": export,
    }


def _path(route: str, pattern: URLPattern, things: dict[str, Any]) -> str:
    kwargs: dict[str, Any] = {}
    for name in pattern.pattern.converters:  # type: ignore[attr-defined]
        if name == "slug":
            forum = route.startswith("ansatt/forum/")
            kwargs[name] = things["forum"].slug if forum else things["process"].slug
        elif name == "export_pk":
            kwargs[name] = things["export"].pk
        elif name == "section_pk":
            kwargs[name] = things["section"].pk
        elif "horing/<int:pk>" in route:
            kwargs[name] = things["hearing"].pk
        elif "dokumenter/<int:pk>" in route:
            kwargs[name] = things["document"].pk
        elif "korte-synspunkter/<int:pk>" in route:
            kwargs[name] = things["view"].pk
        elif "forslag/<int:pk>" in route:
            kwargs[name] = things["proposal"].pk
        else:
            raise AssertionError(f"no id for {name} in {route}: teach the walk")
    path = route
    for name, value in kwargs.items():
        start = path.index("<")
        while name not in path[start : path.index(">", start)]:
            start = path.index("<", start + 1)
        path = path[:start] + str(value) + path[path.index(">", start) + 1 :]
    return "/" + path


def _snapshot(things: dict[str, Any]) -> tuple[Any, ...]:
    process = Process.objects.get(pk=things["process"].pk)
    hearing = Hearing.objects.get(pk=things["hearing"].pk)
    view = ShortView.objects.get(pk=things["view"].pk)
    proposal = Proposal.objects.get(pk=things["proposal"].pk)
    forum = Forum.objects.get(pk=things["forum"].pk)
    return (
        (process.title, process.is_published, process.summary),
        (hearing.title, hearing.closes_at, hearing.result, hearing.result_published_at),
        list(HearingSection.objects.order_by("pk").values_list("heading", "position")),
        list(Phase.objects.order_by("pk").values_list("kind", "starts_on", "ends_on")),
        list(ProcessDocument.objects.order_by("pk").values_list("title", "position")),
        (view.status, view.moderated_at),
        (proposal.status, proposal.support_count),
        (forum.title, forum.is_open),
        Process.objects.count(),
        Hearing.objects.count(),
        Forum.objects.count(),
        ShortView.objects.count(),
        list(HearingExport.objects.order_by("pk").values_list("pk", "status")),
        Thread.objects.count(),
        Message.objects.count(),
    )


def test_the_walk_covers_the_staff_urls() -> None:
    names = {pattern.name for _route, pattern in PATTERNS}
    for expected in (
        "staff-process-list",
        "staff-process-phases",
        "staff-document-delete",
        "staff-hearing-statements",
        "staff-hearing-export-csv",
        "staff-hearing-exports",
        "staff-hearing-export-download",
        "staff-hearing-result",
        "staff-section-delete",
        "staff-short-view-moderate",
        "staff-forum-edit",
        "proposal-status",
    ):
        assert expected in names
    assert len(PATTERNS) >= 20


@pytest.mark.parametrize("who", ["resident", "case_officer", "anonymous"])
def test_staff_pages_refuse_everyone_without_the_role_and_change_nothing(
    client: Client, things: dict[str, Any], who: str, resident: User, case_officer: User
) -> None:
    """A resident, and a case officer of the school (staff, but not of the library that runs
    the process and the forum), are refused on every staff URL; anonymous visitors are sent
    to log in or refused."""
    if who != "anonymous":
        client.force_login(resident if who == "resident" else case_officer)
    before = _snapshot(things)
    data = {
        "title": "Kapret",
        "summary": "Kapret",
        "body": "Kapret",
        "text": "Kapret",
        "heading": "Kapret",
        "reason": "Kapret",
        "approve": "1",
        "status": "adopted",
        "answer": "Kapret",
        "direction": "up",
        "publish": "1",
        "is_published": "on",
        "statements": [1],
    }
    refused = set()
    for route, pattern in PATTERNS:
        path = _path(route, pattern, things)
        for method in ("get", "post"):
            response = getattr(client, method)(path, data if method == "post" else None)
            if response.status_code == 405:
                continue  # a GET of a POST-only action or the reverse: refused before all else
            if who == "anonymous":
                assert response.status_code in (302, 403, 404), (method, path)
                if response.status_code == 302:
                    assert response["Location"].startswith("/konto/login/"), (method, path)
            else:
                assert response.status_code in (403, 404), (method, path, response.status_code)
            assert b"Kapret" not in response.content, (method, path)
            refused.add(path)
    assert len(refused) == len(PATTERNS)  # each URL was tried with the method it answers
    assert _snapshot(things) == before

"""Staff handle hearings: create and edit them and their sections (kept in the site search),
answer statements one by one or with one answer to many, and a politician's answer is shown
as a politician's without ending the wait. The public page costs the same queries for 5 and
for 20 statements."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import UserFactory
from torget.accounts.models import User
from torget.conversations.models import AuthorRole, Message, ThreadStatus
from torget.conversations.services import message_hide
from torget.core.models import SearchDocument
from torget.organisation.models import Unit
from torget.participation.models import Hearing, HearingSection, Process, Statement
from torget.participation.services import hearings as services
from torget.participation.tests.factories import hearing_make, process_make
from torget.participation.tests.test_hearings_support import EN, statement_make
from torget.participation.views.hearings import process_part, staff_process_part


@pytest.fixture
def process(library: Unit) -> Process:
    return process_make(library)


@pytest.fixture
def hearing(process: Process) -> Hearing:
    return hearing_make(process)


def _moment(days: int) -> str:
    return (timezone.localtime() + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _statements(hearing: Hearing, count: int) -> list[Statement]:
    made = []
    for number in range(count):
        person = UserFactory(
            email=f"innbygger{number}-{hearing.pk}@example.no", name=f"Innbygger {number}"
        )
        made.append(statement_make(hearing, person, body=f"Innspill nummer {number}"))
    return made


def test_create_a_hearing_and_refuse_a_closing_date_before_the_opening(
    client: Client, process: Process, communicator: User
) -> None:
    client.force_login(communicator)
    url = f"/ansatt/medvirkning/{process.slug}/horing/ny/"
    wrong = {"title": "Høring om sentrum", "intro": "Les *planen*.", "opens_at": _moment(2)}
    refused = client.post(url, {**wrong, "closes_at": _moment(1)}, **EN)
    assert refused.status_code == 422
    assert "The closing date must come after the opening." in refused.text
    assert 'value="Høring om sentrum"' in refused.text and not Hearing.objects.exists()
    created = client.post(url, {**wrong, "closes_at": _moment(30)})
    hearing = Hearing.objects.get()
    assert created.status_code == 302 and created["Location"].endswith(f"/horing/{hearing.pk}/")
    assert hearing.title == "Høring om sentrum" and hearing.intro == "Les *planen*."
    page = client.get(hearing.get_absolute_url(), **EN).text
    assert "<em>planen</em>" in page and "The hearing opens on" in page


def test_edit_the_hearing_and_its_sections(
    client: Client, hearing: Hearing, admin: User, resident: User
) -> None:
    client.force_login(admin)
    base = f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/"
    page = client.get(base, **EN).text
    assert "Sections of the plan document" in page and "Del 1" in page
    saved = client.post(
        base,
        {
            "title": "Ny tittel",
            "intro": "",
            "opens_at": _moment(-1),
            "closes_at": _moment(10),
        },
    )
    assert saved.status_code == 302
    hearing.refresh_from_db()
    assert hearing.title == "Ny tittel"
    no_heading = client.post(f"{base}deler/ny/", {"number": "3", "heading": ""}, **EN)
    assert no_heading.status_code == 422 and "Give the section a heading." in no_heading.text
    assert (
        client.post(f"{base}deler/ny/", {"number": "3", "heading": "Parkering"}).status_code == 302
    )
    first, second, third = HearingSection.objects.filter(hearing=hearing)
    assert third.heading == "Parkering"
    client.post(f"{base}deler/{third.pk}/flytt/", {"direction": "up"})
    assert [s.heading for s in HearingSection.objects.filter(hearing=hearing)] == [
        "Del 1",
        "Parkering",
        "Del 2",
    ]
    edited = client.post(
        f"{base}deler/{first.pk}/", {"number": "1", "heading": "Innledning", "body": "**Ny**"}
    )
    assert edited.status_code == 302
    statement = statement_make(hearing, resident, section=second)
    confirm = client.get(f"{base}deler/{second.pk}/slett/", **EN).text
    assert "1 statement was given on this section" in confirm
    assert client.post(f"{base}deler/{second.pk}/slett/").status_code == 302
    statement.refresh_from_db()
    assert statement.section is None
    assert [s.heading for s in HearingSection.objects.filter(hearing=hearing)] == [
        "Innledning",
        "Parkering",
    ]


def test_one_answer_to_many_counts_in_each_thread(
    client: Client, hearing: Hearing, communicator: User, smtp_server: Any
) -> None:
    first, second, third = _statements(hearing, 3)
    client.force_login(communicator)
    url = f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/uttalelser/"
    response = client.post(
        url, {"statements": [first.pk, third.pk], "body": "Vi ser på parkeringen."}, **EN
    )
    assert response.status_code == 302
    answers = list(Message.objects.filter(role=AuthorRole.OFFICIAL).order_by("thread_id"))
    assert [m.thread_id for m in answers] == [first.thread_id, third.thread_id]
    assert answers[0].answer_group is not None
    assert answers[0].answer_group == answers[1].answer_group
    for statement in (first, third):
        statement.thread.refresh_from_db()
        assert statement.thread.status == ThreadStatus.ANSWERED
        assert statement.thread.first_official_at is not None
    second.thread.refresh_from_db()
    assert second.thread.first_official_at is None
    public = client.get(hearing.get_absolute_url(), **EN).text
    assert public.count("Vi ser på parkeringen.") == 2
    assert "Answer from Testvik bibliotek" in public
    unanswered = client.get(f"{url}?answered=no", **EN).text
    assert "Innspill nummer 1" in unanswered and "Innspill nummer 0" not in unanswered
    answered = client.get(f"{url}?answered=yes", **EN).text
    assert "Innspill nummer 0" in answered and "Innspill nummer 1" not in answered


def test_answering_without_a_selection_or_text_keeps_what_was_typed(
    client: Client, hearing: Hearing, communicator: User
) -> None:
    (statement,) = _statements(hearing, 1)
    client.force_login(communicator)
    url = f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/uttalelser/"
    nothing = client.post(url, {"body": "Svaret mitt"}, **EN)
    assert nothing.status_code == 422
    assert "Tick at least one statement to answer." in nothing.text
    assert "Svaret mitt</textarea>" in nothing.text
    empty = client.post(url, {"statements": [statement.pk], "body": ""}, **EN)
    assert empty.status_code == 422 and "Write the answer before you send." in empty.text
    assert f'value="{statement.pk}" id="answer_statements_{statement.pk}" checked' in empty.text
    forged = client.post(url, {"statements": ["99999"], "body": "Svar"}, **EN)
    assert forged.status_code == 422
    assert not Message.objects.filter(role=AuthorRole.OFFICIAL).exists()


def test_a_politicians_answer_is_shown_as_such_and_the_wait_goes_on(
    client: Client, hearing: Hearing, politician: User
) -> None:
    (statement,) = _statements(hearing, 1)
    client.force_login(politician)
    url = f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/uttalelser/"
    assert (
        client.post(url, {"statements": [statement.pk], "body": "Jeg støtter deg."}).status_code
        == 302
    )
    answer = Message.objects.get(role=AuthorRole.OFFICIAL)
    assert answer.by_politician
    statement.thread.refresh_from_db()
    assert statement.thread.status == ThreadStatus.WAITING
    assert statement.thread.first_official_at is None
    page = client.get(hearing.get_absolute_url(), **EN).text
    assert "Jeg støtter deg." in page
    assert f"<strong>{politician}</strong> · Politician" in page


def test_staff_list_shows_private_and_hidden_statements_marked_and_filters_by_section(
    client: Client, hearing: Hearing, resident: User, other_resident: User, admin: User
) -> None:
    section = hearing.sections.first()
    private = statement_make(hearing, resident, body="Privat tekst", is_public=False)
    public = statement_make(hearing, other_resident, body="Stygg tekst", section=section)
    message_hide(message=public.thread.messages.get(), actor=admin, reason="Sjikane")
    client.force_login(admin)
    url = f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/uttalelser/"
    page = client.get(url, **EN).text
    assert "Privat tekst" in page and "Not published: only staff and the author see it" in page
    assert "Stygg tekst" in page and "Hidden by a moderator" in page
    assert f'href="/ansatt/samtaler/{private.thread_id}/"' in page
    on_section = client.get(f"{url}?section={section.pk}", **EN).text
    assert "Stygg tekst" in on_section and "Privat tekst" not in on_section
    whole = client.get(f"{url}?section=0", **EN).text
    assert "Privat tekst" in whole and "Stygg tekst" not in whole
    public_page = client.get(hearing.get_absolute_url(), **EN).text
    assert "Stygg tekst" not in public_page or "Hidden by a moderator" in public_page
    client.logout()
    anonymous = client.get(hearing.get_absolute_url(), **EN).text
    assert "Stygg tekst" not in anonymous
    assert "This message has been hidden by a moderator." in anonymous


def test_the_public_page_costs_the_same_queries_for_5_and_20_statements(
    client: Client, process: Process, communicator: User, resident: User
) -> None:
    def measure(hearing: Hearing) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(hearing.get_absolute_url(), **EN)
        assert response.status_code == 200
        return len(queries)

    small = hearing_make(process, title="Liten")
    large = hearing_make(process, title="Stor")
    _statements(small, 5)
    answered = _statements(large, 20)
    from torget.conversations.services import thread_answer

    thread_answer(threads=[s.thread for s in answered], actor=communicator, body="Svar til alle")
    with_file = answered[0]
    from torget.participation.models import StatementAttachment

    StatementAttachment.objects.create(
        statement=with_file,
        file="x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=3,
    )
    client.force_login(resident)  # logged in: the list is rendered on every request
    measure(small)  # warm the caches (content types, the municipality)
    few, many = measure(small), measure(large)
    assert many == few, f"{few} queries for 5 statements, {many} for 20"
    assert 0 < many <= 15
    assert "Svar til alle" in client.get(large.get_absolute_url(), **EN).text


def test_search_finds_a_published_hearing_and_not_a_draft(
    client: Client, process: Process, library: Unit, communicator: User
) -> None:
    now = timezone.now()
    hearing = services.hearing_create(
        process=process,
        actor=communicator,
        title="Høring om bussterminalen",
        intro="Planen for *kollektivknutepunktet*.",
        opens_at=now,
        closes_at=now + datetime.timedelta(days=20),
    )
    services.section_add(hearing=hearing, actor=communicator, heading="Sykkelparkering")
    document = SearchDocument.objects.get(kind="hearing", object_id=hearing.pk)
    assert "kollektivknutepunktet" in document.body and "Sykkelparkering" in document.body
    found = client.get("/sok/", {"q": "bussterminalen"}, **EN).text
    assert hearing.get_absolute_url() in found and "Hearings" in found
    draft = process_make(library, slug="utkast", published=False)
    hidden = services.hearing_create(
        process=draft,
        actor=communicator,
        title="Høring om fergekaia",
        opens_at=now,
        closes_at=now + datetime.timedelta(days=20),
    )
    assert not SearchDocument.objects.filter(kind="hearing", object_id=hidden.pk).exists()
    assert hidden.get_absolute_url() not in client.get("/sok/", {"q": "fergekaia"}).text


def test_process_parts_list_the_hearings(
    rf: Any, process: Process, hearing: Hearing, resident: User, communicator: User
) -> None:
    statement_make(hearing, resident)
    statement_make(hearing, resident, is_public=False)
    request = rf.get("/", HTTP_ACCEPT_LANGUAGE="en")
    request.user = resident
    request.municipality = process.municipality
    from django.utils import translation

    with translation.override("en"):
        public = process_part(request, process)
        assert hearing.title in public and "1 public statement" in public and "Open" in public
        request.user = communicator
        staff = staff_process_part(request, process)
    assert "New hearing" in staff and "2 statements" in staff
    assert f"/ansatt/medvirkning/{process.slug}/horing/{hearing.pk}/" in staff


def test_a_politician_sees_and_answers_only_public_statements(
    client: Client, hearing: Hearing, resident: User, other_resident: User, politician: User
) -> None:
    private = statement_make(hearing, resident, body="Bare for kommunen", is_public=False)
    public = statement_make(hearing, other_resident, body="Til alle")
    client.force_login(politician)
    url = f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/uttalelser/"
    page = client.get(url, **EN).text
    assert "Til alle" in page and "Bare for kommunen" not in page
    assert "/ansatt/samtaler/" not in page  # the staff thread page is not theirs
    forged = client.post(url, {"statements": [private.pk], "body": "Svar"}, **EN)
    assert forged.status_code == 422
    assert not Message.objects.filter(thread=private.thread, role=AuthorRole.OFFICIAL).exists()
    assert client.post(url, {"statements": [public.pk], "body": "Svar"}).status_code == 302


def test_reindex_documents_are_the_published_hearings(
    process: Process, hearing: Hearing, library: Unit
) -> None:
    from torget.participation.search import hearing_document_by_id, hearing_documents

    draft = hearing_make(process_make(library, slug="utkast", published=False))
    documents = list(hearing_documents(process.municipality))
    assert [d["object_id"] for d in documents] == [hearing.pk]
    assert documents[0]["kind"] == "hearing" and "Del 2" in documents[0]["body"]
    assert documents[0]["url"] == hearing.get_absolute_url()
    assert hearing_document_by_id(draft.pk) is None

"""The case pages: the resident's own case (status, history, answers, attachments, the
private conversation and its reply form), the attachment download, the staff list with
filters and paging, and the staff case page with its status, answer and note forms."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from torget.accounts.models import User
from torget.cases.models import Case, CaseStatus
from torget.cases.services.status import case_status_change
from torget.cases.tests.factories_cases import attachment_make, case_make, form_make
from torget.conversations import services as conversations
from torget.conversations.models import AuthorRole, Message, ThreadStatus, Visibility
from torget.organisation.models import Unit

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def case(school: Unit, resident: User) -> Case:
    return case_make(unit=school, applicant=resident)


def page(case: Case) -> str:
    return f"/saker/{case.reference}/"


def staff(case: Case, action: str = "") -> str:
    return f"/ansatt/saker/{case.pk}/{action}"


# --- the resident's case page ----------------------------------------------------------------


def test_case_page_sends_anonymous_visitor_to_login(client: Client, case: Case) -> None:
    response = client.get(page(case))
    assert response.status_code == 302
    assert response["Location"].startswith(f"/konto/login/?next={page(case)}")


def test_case_page_shows_status_history_answers_and_conversation(
    client: Client, case: Case, resident: User, case_officer: User
) -> None:
    case_status_change(
        case=case,
        actor=case_officer,
        status=CaseStatus.WAITING_FOR_RESIDENT,
        note="Send oss <b>legeattesten</b>.",
    )
    assert case.thread is not None
    conversations.thread_answer(threads=[case.thread], actor=case_officer, body="Hei Nora!")
    conversations.note_add(thread=case.thread, actor=case_officer, body="Intern vurdering")
    attachment = attachment_make(case)
    client.force_login(resident)
    response = client.get(page(case), **EN)
    assert response.status_code == 200
    text = response.text
    assert "Søknad om barnehageplass" in text and case.reference in text
    assert "Waiting for you" in text and "Received" in text
    assert "Send oss &lt;b&gt;legeattesten&lt;/b&gt;." in text  # the note, escaped
    assert "Expected decision by" in text
    assert "Child&#x27;s name" in text and "Ola Bakken" in text
    assert "1. Solsikken; 2. Trollskogen" in text
    assert f'href="/saker/{case.reference}/vedlegg/{attachment.pk}/"' in text
    assert "legeattest.pdf" in text
    assert "Hei Nora!" in text and "Answer from Testvik skole" in text
    assert "Intern vurdering" not in text
    assert 'name="body"' in text


def test_case_page_reply_moves_waiting_case_to_in_progress(
    client: Client, case: Case, resident: User, case_officer: User
) -> None:
    case_status_change(case=case, actor=case_officer, status=CaseStatus.WAITING_FOR_RESIDENT)
    client.force_login(resident)
    response = client.post(page(case), {"body": "Her er attesten."})
    assert response.status_code == 302
    message = Message.objects.get(body="Her er attesten.")
    assert response["Location"] == f"{page(case)}#melding-{message.pk}"
    assert message.role == AuthorRole.RESIDENT and message.visibility == Visibility.PRIVATE
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert "In progress" in client.get(page(case), **EN).text


def test_case_page_empty_or_too_long_reply_is_422_and_keeps_the_text(
    client: Client, case: Case, resident: User
) -> None:
    client.force_login(resident)
    empty = client.post(page(case), {"body": "   "}, **EN)
    assert empty.status_code == 422
    assert "Write something before you send." in empty.text
    assert 'aria-describedby="reply_body_error"' in empty.text
    assert "error-summary" in empty.text
    long_text = "lang tekst " * 600
    too_long = client.post(page(case), {"body": long_text}, **EN)
    assert too_long.status_code == 422
    assert "The text is too long" in too_long.text
    assert long_text.strip() in too_long.text
    assert case.thread is not None and case.thread.messages.count() == 1


def test_case_page_reply_is_rate_limited(client: Client, case: Case, resident: User) -> None:
    client.force_login(resident)
    sent = 0
    while client.post(page(case), {"body": f"Melding {sent}"}).status_code == 302:
        sent += 1
        assert sent <= 5, "no limit"
    assert sent >= 3  # a few in a row are fine (opening the thread counted as one)
    limited = client.post(page(case), {"body": "Enda en"}, **EN)
    assert limited.status_code == 422
    assert "You have written many messages in a short while" in limited.text
    assert "Enda en" in limited.text


def test_closed_case_page_has_no_reply_form(
    client: Client, case: Case, resident: User, case_officer: User
) -> None:
    case_status_change(case=case, actor=case_officer, status=CaseStatus.CLOSED)
    client.force_login(resident)
    response = client.get(page(case), **EN)
    assert "The case is closed, so the conversation is closed too." in response.text
    assert 'name="body"' not in response.text
    refused = client.post(page(case), {"body": "Hallo?"}, **EN)
    assert refused.status_code == 422
    assert "This conversation is closed" in refused.text


def test_case_page_queries_do_not_grow_with_history(
    client: Client, case: Case, resident: User, case_officer: User
) -> None:
    client.force_login(resident)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(case)).status_code == 200
        return len(queries)

    count()  # the first request also looks up the host and the session
    before = count()
    for status in (CaseStatus.IN_PROGRESS, CaseStatus.WAITING_FOR_RESIDENT, CaseStatus.DECIDED):
        case_status_change(case=case, actor=case_officer, status=status, note="n")
        assert case.thread is not None
        conversations.thread_answer(threads=[case.thread], actor=case_officer, body="svar")
        attachment_make(case, name=f"{status}.pdf")
    assert count() == before


# --- attachments ------------------------------------------------------------------------------


def test_attachment_download_for_applicant_and_unit_staff(
    client: Client, case: Case, resident: User, case_officer: User
) -> None:
    attachment = attachment_make(case, name="attest <x>.pdf", content=b"%PDF-1.4 hemmelig\n")
    url = f"/saker/{case.reference}/vedlegg/{attachment.pk}/"
    for person in (resident, case_officer):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 hemmelig\n"  # type: ignore[attr-defined]
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_attachment_of_another_case_with_this_reference_is_404(
    client: Client, school: Unit, case: Case, resident: User
) -> None:
    mine_too = case_make(unit=school, applicant=resident)
    other_file = attachment_make(mine_too)
    client.force_login(resident)
    # The attachment's own case must be the one in the URL.
    assert client.get(f"/saker/{case.reference}/vedlegg/{other_file.pk}/").status_code == 404


# --- the staff list ---------------------------------------------------------------------------


def test_staff_case_list_shows_the_units_cases_with_filters(
    client: Client,
    school: Unit,
    library: Unit,
    resident: User,
    other_resident: User,
    case_officer: User,
) -> None:
    old = case_make(
        unit=school,
        applicant=resident,
        submitted_at=timezone.now() - datetime.timedelta(days=60),
    )
    new = case_make(unit=school, applicant=other_resident, status=CaseStatus.IN_PROGRESS)
    library_form = form_make(library, slug="lanekort", title="Lånekort")
    elsewhere = case_make(unit=library, applicant=resident, form=library_form)
    client.force_login(case_officer)
    text = client.get("/ansatt/saker/", **EN).text
    assert old.reference in text and new.reference in text
    assert elsewhere.reference not in text
    assert text.index(new.reference) < text.index(old.reference)  # the newest first
    assert "Overdue" in text  # the old one is past its expected decision
    by_status = client.get("/ansatt/saker/?status=in_progress", **EN).text
    assert new.reference in by_status and old.reference not in by_status
    overdue = client.get("/ansatt/saker/?overdue=on", **EN).text
    assert old.reference in overdue and new.reference not in overdue
    other_form = form_make(school, slug="skoleskyss", title="Skoleskyss")
    by_form = client.get(f"/ansatt/saker/?form={other_form.pk}", **EN).text
    assert "No case matches these filters." in by_form
    # Another unit's form is no choice here: the filter is left out, nothing leaks.
    foreign = client.get(f"/ansatt/saker/?form={library_form.pk}", **EN).text
    assert elsewhere.reference not in foreign


def test_staff_case_list_pages_and_empty_state(
    client: Client, school: Unit, resident: User, case_officer: User
) -> None:
    client.force_login(case_officer)
    empty = client.get("/ansatt/saker/", **EN).text
    assert "Your units have received no applications yet." in empty
    for _ in range(26):
        case_make(unit=school, applicant=resident)
    first = client.get("/ansatt/saker/", **EN).text
    assert "Page 1 of 2" in first and "?page=2" in first
    second = client.get("/ansatt/saker/?page=2", **EN)
    assert len(re.findall(r'href="/ansatt/saker/\d+/"', second.text)) == 1  # 26 = 25 + 1
    with CaptureQueriesContext(connection) as queries:
        client.get("/ansatt/saker/")
    assert len(queries) < 20


def test_staff_home_links_to_the_case_list(client: Client, case_officer: User) -> None:
    client.force_login(case_officer)
    assert 'href="/ansatt/saker/"' in client.get("/ansatt/", **EN).text


# --- the staff case page ----------------------------------------------------------------------


def test_staff_case_page_shows_everything_with_notes(
    client: Client, case: Case, case_officer: User
) -> None:
    assert case.thread is not None
    conversations.note_add(thread=case.thread, actor=case_officer, body="Intern vurdering")
    attachment_make(case)
    client.force_login(case_officer)
    response = client.get(staff(case), **EN)
    text = response.text
    assert response.status_code == 200
    assert case.reference in text and "Nora Bakken" in text and "Ola Bakken" in text
    assert "legeattest.pdf" in text and "Intern vurdering" in text
    assert f'action="/ansatt/saker/{case.pk}/status/"' in text
    # Only the statuses the current one allows are offered, in the staff's words.
    assert 'value="in_progress"' in text and 'value="received"' not in text
    assert "Waiting for the resident" in text and "Waiting for you" not in text
    assert f'href="/ansatt/samtaler/{case.thread.pk}/"' in text


def test_staff_status_change_redirects_and_records(
    client: Client, case: Case, case_officer: User
) -> None:
    client.force_login(case_officer)
    response = client.post(staff(case, "status/"), {"status": "decided", "note": "Innvilget."})
    assert response.status_code == 302 and response["Location"] == staff(case)
    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED
    assert case.events.last().note == "Innvilget."  # type: ignore[union-attr]
    assert "Innvilget." in client.get(staff(case), **EN).text


def test_staff_status_change_refused_is_422_and_keeps_the_note(
    client: Client, case: Case, case_officer: User
) -> None:
    client.force_login(case_officer)
    response = client.post(
        staff(case, "status/"), {"status": "received", "note": "Min notat"}, **EN
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.text and "Min notat" in response.text
    missing = client.post(staff(case, "status/"), {"status": "", "note": "Notat 2"}, **EN)
    assert missing.status_code == 422 and "Choose a status." in missing.text
    assert "Notat 2" in missing.text
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED


def test_staff_answer_and_note_go_to_the_thread(
    client: Client, case: Case, case_officer: User
) -> None:
    client.force_login(case_officer)
    assert client.post(staff(case, "svar/"), {"body": "Vi har fått søknaden."}).status_code == 302
    assert client.post(staff(case, "notat/"), {"body": "Sjekk venteliste"}).status_code == 302
    assert case.thread is not None
    answer = case.thread.messages.get(body="Vi har fått søknaden.")
    assert answer.role == AuthorRole.OFFICIAL and answer.visibility == Visibility.PRIVATE
    note = case.thread.messages.get(body="Sjekk venteliste")
    assert note.visibility == Visibility.INTERNAL
    case.thread.refresh_from_db()
    assert case.thread.status == ThreadStatus.ANSWERED
    empty = client.post(staff(case, "svar/"), {"body": ""}, **EN)
    assert empty.status_code == 422 and "Write something before you send." in empty.text


def test_staff_of_another_unit_gets_404_and_changes_nothing(
    client: Client, case: Case, communicator: User, resident: User
) -> None:
    client.force_login(communicator)  # the library's communicator; the case is the school's
    assert client.get(staff(case)).status_code == 404
    for action, data in [
        ("status/", {"status": "in_progress"}),
        ("svar/", {"body": "Svar"}),
        ("notat/", {"body": "Notat"}),
    ]:
        assert client.post(staff(case, action), data).status_code == 404, action
    assert case.reference not in client.get("/ansatt/saker/", **EN).text
    client.force_login(resident)
    assert client.get(staff(case)).status_code == 403  # not staff at all
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED
    assert case.thread is not None and case.thread.messages.count() == 1


# --- from the inbox to the case --------------------------------------------------------------


def test_inbox_thread_of_a_case_links_to_the_staff_case_page(
    client: Client, case: Case, case_officer: User
) -> None:
    assert case.thread is not None
    client.force_login(case_officer)
    inbox = client.get("/ansatt/innboks/", **EN).text
    assert f'href="/ansatt/samtaler/{case.thread.pk}/"' in inbox
    thread_page = client.get(f"/ansatt/samtaler/{case.thread.pk}/", **EN).text
    assert f'href="/ansatt/saker/{case.pk}/"' in thread_page


def test_answer_email_from_case_thread_links_to_the_case_page(
    case: Case, case_officer: User, smtp_server: object
) -> None:
    from conftest import run_tasks

    assert case.thread is not None
    conversations.thread_answer(threads=[case.thread], actor=case_officer, body="Hei")
    run_tasks()
    [mail] = smtp_server.wait_for(1)  # type: ignore[attr-defined]
    assert f"/saker/{case.reference}/" in mail.get_content()


def test_blocked_resident_sees_why_the_reply_was_refused(
    client: Client, case: Case, resident: User, moderator: User
) -> None:
    conversations.user_block(
        municipality=case.municipality, user=resident, actor=moderator, reason="Trusler"
    )
    client.force_login(resident)
    response = client.post(page(case), {"body": "Hei"}, **EN)
    assert response.status_code == 422
    assert "Your account has been blocked from writing here." in response.text
    assert case.thread is not None and case.thread.messages.count() == 1


def test_staff_subject_path_only_for_registered_subjects(
    case: Case, library: Unit, resident: User, client: Client, communicator: User
) -> None:
    from torget.conversations.registry import staff_subject_path, thread_path

    assert case.thread is not None
    assert staff_subject_path(case.thread) == f"/ansatt/saker/{case.pk}/"
    assert thread_path(case.thread) == f"/saker/{case.reference}/"
    plain = conversations.thread_open(unit=library, channel="web", body="Hei", actor=resident)
    assert staff_subject_path(plain) is None
    client.force_login(communicator)
    page_text = client.get(f"/ansatt/samtaler/{plain.pk}/", **EN).text
    assert "/ansatt/saker/" not in page_text

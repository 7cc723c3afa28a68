"""Status changes of a case: the allowed transitions and the refused ones, the events and
moments they record, the thread closed and reopened with the case, the e-mail to the
resident (once per change, also when the task runs twice), and the resident's message that
moves a case waiting for them back to in progress."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_tasks
from torget.accounts.models import User
from torget.cases.models import CASE_TRANSITIONS, Case, CaseEvent, CaseStatus
from torget.cases.services.status import case_message_add, case_status_change
from torget.cases.tasks_status import notify_status
from torget.cases.tests.factories_cases import case_make
from torget.conversations.models import AuthorRole, ThreadStatus
from torget.core.errors import InvalidTransition
from torget.organisation.models import Unit

ALL = [s.value for s in CaseStatus]


@pytest.fixture
def case(school: Unit, resident: User) -> Case:
    return case_make(unit=school, applicant=resident)


def test_case_status_change_records_event_and_moments(case: Case, case_officer: User) -> None:
    event = case_status_change(
        case=case, actor=case_officer, status=CaseStatus.IN_PROGRESS, note="Vi ser på saken."
    )
    assert (event.status_from, event.status_to) == (CaseStatus.RECEIVED, CaseStatus.IN_PROGRESS)
    assert event.actor == case_officer and event.note == "Vi ser på saken."
    decided = case_status_change(case=case, actor=case_officer, status=CaseStatus.DECIDED)
    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED
    assert case.decided_at == decided.at and case.closed_at is None
    assert list(case.events.values_list("status_to", flat=True)) == [
        CaseStatus.RECEIVED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.DECIDED,
    ]


@pytest.mark.parametrize(
    ("start", "wanted"),
    [(start, wanted) for start in ALL for wanted in ALL if wanted not in CASE_TRANSITIONS[start]],
)
def test_case_status_change_refuses_what_the_transitions_forbid(
    school: Unit, resident: User, case_officer: User, start: str, wanted: str
) -> None:
    case = case_make(unit=school, applicant=resident, status=start)
    events = case.events.count()
    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        case_status_change(case=case, actor=case_officer, status=wanted)
    assert "cannot be set to" in str(refused.value.message)
    case.refresh_from_db()
    assert case.status == start and case.events.count() == events


def test_case_status_change_refuses_unknown_status_and_long_note(
    case: Case, case_officer: User
) -> None:
    with pytest.raises(ValidationError):
        case_status_change(case=case, actor=case_officer, status="approved")
    with pytest.raises(ValidationError):
        case_status_change(
            case=case, actor=case_officer, status=CaseStatus.IN_PROGRESS, note="x" * 2001
        )
    assert case.events.count() == 1


def test_case_status_change_needs_someone_who_answers_for_the_unit(
    case: Case, resident: User, communicator: User, moderator: User
) -> None:
    # The applicant, the library's communicator and a moderator (staff, but not answering).
    for person in (resident, communicator, moderator):
        with pytest.raises(PermissionDenied):
            case_status_change(case=case, actor=person, status=CaseStatus.IN_PROGRESS)
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED


def test_closing_closes_the_thread_and_reopening_opens_it(
    case: Case, case_officer: User, resident: User
) -> None:
    case_status_change(case=case, actor=case_officer, status=CaseStatus.DECIDED)
    case_status_change(case=case, actor=case_officer, status=CaseStatus.CLOSED, note="Ferdig.")
    case.refresh_from_db()
    assert case.closed_at is not None
    assert case.thread is not None and case.thread.status == ThreadStatus.CLOSED
    with pytest.raises(InvalidTransition):
        case_message_add(case=case, actor=resident, body="Hallo?")

    case_status_change(case=case, actor=case_officer, status=CaseStatus.IN_PROGRESS, note="Klage")
    case.refresh_from_db()
    assert case.closed_at is None and case.status == CaseStatus.IN_PROGRESS
    assert case.thread is not None and case.thread.status != ThreadStatus.CLOSED
    case_message_add(case=case, actor=resident, body="Takk for at dere ser på det igjen.")
    case.thread.refresh_from_db()
    assert case.thread.status == ThreadStatus.WAITING


def test_resident_message_moves_a_waiting_case_to_in_progress(
    case: Case, case_officer: User, resident: User
) -> None:
    case_status_change(
        case=case,
        actor=case_officer,
        status=CaseStatus.WAITING_FOR_RESIDENT,
        note="Send oss legeattesten.",
    )
    message = case_message_add(case=case, actor=resident, body="Legeattesten kommer i posten.")
    assert message.role == AuthorRole.RESIDENT
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    last = case.events.order_by("-at", "-pk").first()
    assert last is not None
    assert (last.status_from, last.status_to, last.actor) == (
        CaseStatus.WAITING_FOR_RESIDENT,
        CaseStatus.IN_PROGRESS,
        resident,
    )
    # The thread waits for the unit again: it is back in the inbox.
    assert case.thread is not None
    case.thread.refresh_from_db()
    assert case.thread.status == ThreadStatus.WAITING


def test_resident_message_leaves_other_statuses_alone(case: Case, resident: User) -> None:
    case_message_add(case=case, actor=resident, body="Et spørsmål om saken.")
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED and case.events.count() == 1


def test_only_the_applicant_writes_in_the_case(
    case: Case, other_resident: User, case_officer: User
) -> None:
    for person in (other_resident, case_officer):
        with pytest.raises(PermissionDenied):
            case_message_add(case=case, actor=person, body="Hei")
    assert case.thread is not None and case.thread.messages.count() == 1


def test_status_change_emails_the_resident_once_in_the_municipality_language(
    case: Case, case_officer: User, smtp_server: object
) -> None:
    event = case_status_change(
        case=case,
        actor=case_officer,
        status=CaseStatus.WAITING_FOR_RESIDENT,
        note="Vi trenger en legeattest.",
    )
    assert run_tasks() == 1
    [mail] = smtp_server.wait_for(1)  # type: ignore[attr-defined]
    assert mail["To"] == "nora@example.no"
    assert case.reference in mail["Subject"]
    assert mail["Message-ID"] == f"<case-status-{event.pk}@torget.9998>"
    assert mail["Content-Language"] == "nb"  # the municipality's målform: no language chosen
    body = mail.get_content()
    assert "Vi trenger en legeattest." in body
    assert f"http://testserver/saker/{case.reference}/" in body
    event.refresh_from_db()
    assert event.notified_at is not None
    notify_status.call(event_id=event.pk)  # a second run sends nothing more
    assert run_tasks() == 0
    assert len(smtp_server.messages) == 1  # type: ignore[attr-defined]


def test_status_email_is_written_in_the_residents_own_language(
    case: Case, resident: User, case_officer: User, smtp_server: object
) -> None:
    resident.language = "en"
    resident.save(update_fields=["language"])
    case_status_change(case=case, actor=case_officer, status=CaseStatus.DECIDED, note="Innvilget")
    run_tasks()
    [mail] = smtp_server.wait_for(1)  # type: ignore[attr-defined]
    assert mail["Content-Language"] == "en"
    assert mail["Subject"] == f"Your case {case.reference}: Decided"
    assert "New status: Decided" in mail.get_content()


def test_each_change_is_one_email(case: Case, case_officer: User, smtp_server: object) -> None:
    case_status_change(case=case, actor=case_officer, status=CaseStatus.IN_PROGRESS)
    case_status_change(case=case, actor=case_officer, status=CaseStatus.DECIDED)
    run_tasks()
    mails = smtp_server.wait_for(2)  # type: ignore[attr-defined]
    assert len({m["Message-ID"] for m in mails}) == 2
    assert CaseEvent.objects.filter(case=case, notified_at__isnull=True).count() == 0


def test_a_change_by_the_resident_is_not_emailed(
    case: Case, case_officer: User, resident: User, smtp_server: object
) -> None:
    case_status_change(case=case, actor=case_officer, status=CaseStatus.WAITING_FOR_RESIDENT)
    run_tasks()
    smtp_server.wait_for(1)  # type: ignore[attr-defined]
    case_message_add(case=case, actor=resident, body="Her er svaret.")
    assert run_tasks() == 0
    assert len(smtp_server.messages) == 1  # type: ignore[attr-defined]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.sampled_from(ALL), max_size=8))
def test_random_status_sequences_keep_the_moments_consistent(
    school: Unit, resident: User, case_officer: User, steps: list[str]
) -> None:
    # A new case per example (the fixtures' people and unit are shared between examples).
    case = case_make(unit=school, applicant=resident)
    changes = 0
    for wanted in steps:
        before = case.status
        try:
            case_status_change(case=case, actor=case_officer, status=wanted)
        except InvalidTransition:
            assert wanted not in CASE_TRANSITIONS[before]
        else:
            assert wanted in CASE_TRANSITIONS[before]
            changes += 1
        case.refresh_from_db()
        assert case.thread is not None
        case.thread.refresh_from_db()
        assert (case.status == CaseStatus.CLOSED) == (case.closed_at is not None)
        assert (case.status == CaseStatus.CLOSED) == (case.thread.status == ThreadStatus.CLOSED)
        if case.status == CaseStatus.DECIDED:
            assert case.decided_at is not None
    assert case.events.count() == 1 + changes

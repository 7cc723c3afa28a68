"""The conversation services: opening, answering, waiting, notes, assignment and moderation."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import run_tasks
from torget.accounts.models import User
from torget.conversations import services
from torget.conversations.models import (
    AuthorRole,
    Message,
    Thread,
    ThreadEvent,
    ThreadStatus,
    Visibility,
)
from torget.core.errors import InvalidTransition, RateLimited
from torget.organisation.models import Unit
from torget.organisation.workinghours import OSLO

FRIDAY_1645 = datetime.datetime(2026, 11, 27, 16, 45, tzinfo=OSLO)


def ask(unit: Unit, resident: User, body: str = "Når åpner biblioteket?", **kw: object) -> Thread:
    return services.thread_open(unit=unit, channel="web", body=body, actor=resident, **kw)  # type: ignore[arg-type]


def test_thread_open_waits_with_due_time_in_working_hours(library: Unit, resident: User) -> None:
    library.answer_goal_minutes = 30
    library.save()
    thread = ask(library, resident, at=FRIDAY_1645)
    assert thread.status == ThreadStatus.WAITING
    assert thread.waiting_since == FRIDAY_1645
    assert thread.due_at == datetime.datetime(2026, 11, 30, 9, 15, tzinfo=OSLO)
    message = thread.messages.get()
    assert (message.role, message.author, message.body) == (
        AuthorRole.RESIDENT,
        resident,
        "Når åpner biblioteket?",
    )
    assert thread.events.get().kind == ThreadEvent.Kind.OPENED


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 5001])
def test_thread_open_refuses_empty_or_oversized_text_and_stores_nothing(
    library: Unit, resident: User, body: str
) -> None:
    with pytest.raises(ValidationError):
        ask(library, resident, body=body)
    assert Thread.objects.count() == 0 and Message.objects.count() == 0


def test_thread_answer_records_first_official_answer(
    library: Unit, resident: User, communicator: User
) -> None:
    library.answer_goal_minutes = 30
    library.save()
    thread = ask(library, resident, at=FRIDAY_1645)
    monday_0910 = datetime.datetime(2026, 11, 30, 9, 10, tzinfo=OSLO)
    [answer] = services.thread_answer(
        threads=[thread], actor=communicator, body="Kl. 10.", at=monday_0910
    )
    thread.refresh_from_db()
    assert answer.role == AuthorRole.OFFICIAL and not answer.by_politician
    assert thread.status == ThreadStatus.ANSWERED
    assert thread.waiting_since is None and thread.due_at is None
    assert thread.first_official_at == monday_0910
    assert thread.first_answer_seconds == int((monday_0910 - FRIDAY_1645).total_seconds())
    assert thread.first_answer_working_seconds == 25 * 60  # 15 min Friday + 10 min Monday
    assert thread.first_answer_within_goal is True


def test_second_answer_does_not_move_first_answer_time(
    library: Unit, resident: User, communicator: User
) -> None:
    thread = ask(library, resident)
    services.thread_answer(threads=[thread], actor=communicator, body="Svar 1")
    thread.refresh_from_db()
    first = thread.first_official_at
    services.message_add_resident(thread=thread, actor=resident, body="Takk, men ...")
    services.thread_answer(threads=[thread], actor=communicator, body="Svar 2")
    thread.refresh_from_db()
    assert thread.first_official_at == first


def test_resident_message_after_answer_puts_thread_back_to_waiting(
    library: Unit, resident: User, communicator: User
) -> None:
    thread = ask(library, resident)
    services.thread_answer(threads=[thread], actor=communicator, body="Svar")
    services.message_add_resident(thread=thread, actor=resident, body="Oppfølging")
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.WAITING
    assert thread.waiting_since is not None
    assert thread.resident_after_official_at is not None  # a two-way thread


def test_one_answer_to_many_threads_counts_in_each(
    library: Unit, resident: User, other_resident: User, communicator: User
) -> None:
    threads = [ask(library, resident, body="A?"), ask(library, other_resident, body="B?")]
    answers = services.thread_answer(threads=threads, actor=communicator, body="Felles svar")
    assert len(answers) == 2
    assert answers[0].answer_group == answers[1].answer_group is not None
    for thread in threads:
        thread.refresh_from_db()
        assert thread.status == ThreadStatus.ANSWERED
        assert thread.first_official_at is not None


def test_staff_cannot_answer_for_another_unit(
    library: Unit, school: Unit, resident: User, communicator: User
) -> None:
    thread = ask(school, resident)
    with pytest.raises(PermissionDenied):
        services.thread_answer(threads=[thread], actor=communicator, body="Svar")
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.WAITING
    assert thread.messages.count() == 1


def test_one_answer_to_many_is_all_or_nothing(
    library: Unit, school: Unit, resident: User, communicator: User
) -> None:
    ours, theirs = ask(library, resident), ask(school, resident)
    with pytest.raises(PermissionDenied):
        services.thread_answer(threads=[ours, theirs], actor=communicator, body="Svar")
    assert Message.objects.filter(role=AuthorRole.OFFICIAL).count() == 0


def test_residents_cannot_answer_officially(
    library: Unit, resident: User, other_resident: User
) -> None:
    thread = ask(library, resident)
    with pytest.raises(PermissionDenied):
        services.thread_answer(threads=[thread], actor=other_resident, body="Jeg svarer")


def test_resident_reply_to_resident_is_not_an_answer(
    library: Unit, resident: User, other_resident: User
) -> None:
    thread = ask(library, resident)
    services.message_add_resident(thread=thread, actor=other_resident, body="Jeg tror kl. 10")
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.WAITING
    assert thread.first_official_at is None


def test_politician_answer_is_shown_but_unit_still_owes_one(
    library: Unit, resident: User, politician: User
) -> None:
    thread = ask(library, resident)
    [answer] = services.thread_answer(threads=[thread], actor=politician, body="Godt spørsmål!")
    thread.refresh_from_db()
    assert answer.by_politician
    assert thread.status == ThreadStatus.WAITING
    assert thread.first_official_at is None


def test_politician_cannot_answer_private_case_threads(
    library: Unit, resident: User, politician: User
) -> None:
    thread = services.thread_open(
        unit=library, channel="case", body="Min sak", actor=resident, visibility=Visibility.PRIVATE
    )
    with pytest.raises(PermissionDenied):
        services.thread_answer(threads=[thread], actor=politician, body="Svar")


def test_internal_note_changes_nothing_for_the_resident(
    library: Unit, resident: User, communicator: User
) -> None:
    thread = ask(library, resident)
    note = services.note_add(thread=thread, actor=communicator, body="Sjekk med lederen")
    thread.refresh_from_db()
    assert note.visibility == Visibility.INTERNAL
    assert thread.status == ThreadStatus.WAITING
    with pytest.raises(PermissionDenied):
        services.note_add(thread=thread, actor=resident, body="Jeg vil se notatene")


def test_assign_and_unassign(
    library: Unit, resident: User, communicator: User, admin: User
) -> None:
    thread = ask(library, resident)
    services.thread_assign(thread=thread, actor=admin, assignee=communicator)
    thread.refresh_from_db()
    assert thread.assignee == communicator
    with pytest.raises(ValidationError):
        services.thread_assign(thread=thread, actor=admin, assignee=resident)
    services.thread_assign(thread=thread, actor=admin, assignee=None)
    thread.refresh_from_db()
    assert thread.assignee is None
    kinds = list(thread.events.values_list("kind", flat=True))
    assert kinds == ["opened", "assigned", "unassigned"]


def test_no_answer_needed_needs_a_reason_and_is_not_answered(
    library: Unit, resident: User, communicator: User
) -> None:
    thread = ask(library, resident, body="Takk for en fin dag!")
    with pytest.raises(ValidationError):
        services.thread_mark_no_answer_needed(thread=thread, actor=communicator, reason=" ")
    services.thread_mark_no_answer_needed(thread=thread, actor=communicator, reason="Takk-melding")
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.NO_ANSWER_NEEDED
    assert thread.no_answer_reason == "Takk-melding"
    assert thread.first_official_at is None and thread.waiting_since is None


def test_closed_thread_refuses_messages_until_reopened(
    library: Unit, resident: User, communicator: User
) -> None:
    thread = ask(library, resident)
    services.thread_close(thread=thread, actor=communicator)
    with pytest.raises(InvalidTransition):
        services.message_add_resident(thread=thread, actor=resident, body="Hallo?")
    with pytest.raises(InvalidTransition):
        services.thread_answer(threads=[thread], actor=communicator, body="Svar")
    services.thread_reopen(thread=thread, actor=communicator)
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.WAITING  # the resident spoke last
    assert thread.messages.count() == 1


def test_move_to_another_unit_follows_its_goal(
    municipality: object, library: Unit, school: Unit, resident: User, admin: User
) -> None:
    from torget.organisation import services as org
    from torget.organisation.models import Role

    org.membership_grant(user=admin, unit=school, role=Role.COMMUNICATOR)
    school.answer_goal_minutes = 60
    school.save()
    with time_machine.travel(FRIDAY_1645, tick=False):
        thread = ask(library, resident)
        services.thread_move(thread=thread, actor=admin, unit=school)
    thread.refresh_from_db()
    assert thread.unit == school
    assert thread.due_at == datetime.datetime(2026, 11, 30, 9, 45, tzinfo=OSLO)


def test_private_thread_only_its_resident_writes(
    library: Unit, resident: User, other_resident: User
) -> None:
    thread = services.thread_open(
        unit=library, channel="case", body="Min sak", actor=resident, visibility=Visibility.PRIVATE
    )
    with pytest.raises(PermissionDenied):
        services.message_add_resident(thread=thread, actor=other_resident, body="Hei")


def test_writing_is_rate_limited(library: Unit, resident: User) -> None:
    for i in range(5):
        ask(library, resident, body=f"Spørsmål {i}")
    with pytest.raises(RateLimited):
        ask(library, resident, body="Ett til")
    assert Thread.objects.count() == 5


def test_hide_and_restore_keep_the_message(
    library: Unit, resident: User, other_resident: User, moderator: User, communicator: User
) -> None:
    thread = ask(library, resident, body="Stygg kommentar")
    message = thread.messages.get()
    report = services.message_report(message=message, actor=other_resident, reason="Hets")
    again = services.message_report(message=message, actor=other_resident, reason="Hets igjen")
    assert report.pk == again.pk
    with pytest.raises(PermissionDenied):
        services.message_hide(message=message, actor=communicator, reason="Nei")
    hidden = services.message_hide(
        message=message, actor=moderator, reason="Bryter kommentarreglene"
    )
    assert hidden.is_hidden and hidden.hidden_reason == "Bryter kommentarreglene"
    report.refresh_from_db()
    assert report.resolved_at is not None
    restored = services.message_restore(message=message, actor=moderator)
    assert not restored.is_hidden
    assert Message.objects.filter(pk=message.pk).exists()


def test_blocked_account_cannot_write(
    municipality: object, library: Unit, resident: User, moderator: User, communicator: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.user_block(
            municipality=library.municipality, user=resident, actor=communicator, reason="x"
        )
    services.user_block(
        municipality=library.municipality, user=resident, actor=moderator, reason="Spam"
    )
    with pytest.raises(PermissionDenied):
        ask(library, resident)
    services.user_unblock(municipality=library.municipality, user=resident, actor=moderator)
    assert ask(library, resident).pk


def test_answer_notifies_resident_by_email_once(
    library: Unit, resident: User, communicator: User, smtp_server: object
) -> None:
    thread = ask(library, resident)
    [answer] = services.thread_answer(threads=[thread], actor=communicator, body="Vi åpner kl. 10.")
    assert run_tasks() == 1
    [mail] = smtp_server.wait_for(1)  # type: ignore[attr-defined]
    assert mail["To"] == "nora@example.no"
    assert mail["Subject"] == "Svar fra Testvik bibliotek"
    body = mail.get_content()
    assert "Vi åpner kl. 10." in body
    assert f"/samtaler/{thread.pk}/" in body
    answer.refresh_from_db()
    assert answer.notified_at is not None
    from torget.conversations.tasks import notify_answer

    notify_answer.call(message_id=answer.pk)  # a second run sends nothing more
    assert len(smtp_server.messages) == 1  # type: ignore[attr-defined]


def test_internal_note_sends_no_email(
    library: Unit, resident: User, communicator: User, smtp_server: object
) -> None:
    thread = ask(library, resident)
    services.note_add(thread=thread, actor=communicator, body="Notat")
    assert run_tasks() == 0


def test_staff_and_oneself_cannot_be_blocked(
    library: Unit, moderator: User, communicator: User
) -> None:
    with pytest.raises(ValidationError):
        services.user_block(
            municipality=library.municipality, user=communicator, actor=moderator, reason="x"
        )
    with pytest.raises(ValidationError):
        services.user_block(
            municipality=library.municipality, user=moderator, actor=moderator, reason="x"
        )

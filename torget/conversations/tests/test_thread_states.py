"""The thread's states under random sequences of actions (property-based, with hypothesis).

A small model says what the status must be after each action; the services must agree, and the
recorded moments must stay consistent: a thread waits (with a due time) exactly when its status
is waiting, the first official answer is set once and never moves, and a resident speaking after
it makes the thread two-way.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import UserFactory
from torget.accounts.models import User
from torget.conversations import services
from torget.conversations.models import Thread, ThreadStatus
from torget.core.errors import InvalidTransition
from torget.organisation.models import Unit


@pytest.fixture
def residents(db: None) -> list[User]:
    return [UserFactory() for _ in range(4)]


ACTIONS = ["resident", "answer", "politician", "note", "no_answer", "close", "reopen"]


def _apply(action: str, thread: Thread, people: dict[str, User], step: int) -> None:
    if action == "resident":
        # Residents take turns, so that the write rate limit (5 a minute each) stays out of it.
        writer = people[f"resident{step % 4}"]
        services.message_add_resident(thread=thread, actor=writer, body="Og så?")
    elif action == "answer":
        services.thread_answer(threads=[thread], actor=people["staff"], body="Svar")
    elif action == "politician":
        services.thread_answer(threads=[thread], actor=people["politician"], body="Mitt syn")
    elif action == "note":
        services.note_add(thread=thread, actor=people["staff"], body="Notat")
    elif action == "no_answer":
        services.thread_mark_no_answer_needed(thread=thread, actor=people["staff"], reason="Takk")
    elif action == "close":
        services.thread_close(thread=thread, actor=people["staff"])
    elif action == "reopen":
        services.thread_reopen(thread=thread, actor=people["staff"])


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(st.sampled_from(ACTIONS), max_size=12))
def test_thread_states_follow_the_model(
    actions: list[str],
    library: Unit,
    resident: User,
    residents: list[User],
    communicator: User,
    politician: User,
) -> None:
    cache.clear()  # the write rate limit counts per account; each example starts afresh
    people = {"staff": communicator, "politician": politician}
    people.update({f"resident{i}": person for i, person in enumerate(residents)})
    thread = services.thread_open(unit=library, channel="web", body="Spørsmål", actor=resident)
    status, closed = ThreadStatus.WAITING, False
    last_speaker = "resident"  # the last resident or staff answer (politicians do not count)
    answered_once = resident_after = False
    first_official = None
    for step, action in enumerate(actions):
        refused = closed and action in ("resident", "answer", "politician", "no_answer")
        if refused:
            with pytest.raises(InvalidTransition):
                _apply(action, thread, people, step)
            continue
        _apply(action, thread, people, step)
        if action == "resident":
            status, last_speaker = ThreadStatus.WAITING, "resident"
            resident_after = resident_after or answered_once
        elif action == "answer":
            status, last_speaker, answered_once = ThreadStatus.ANSWERED, "staff", True
        elif action == "no_answer":
            status = ThreadStatus.NO_ANSWER_NEEDED
        elif action == "close":
            status, closed = ThreadStatus.CLOSED, True
        elif action == "reopen" and closed:
            closed = False
            status = ThreadStatus.WAITING if last_speaker == "resident" else ThreadStatus.ANSWERED
        thread.refresh_from_db()
        assert thread.status == status, (actions, action)
        waiting = thread.status == ThreadStatus.WAITING
        assert (thread.waiting_since is not None) == waiting
        assert (thread.due_at is not None) == waiting
        assert (thread.first_official_at is not None) == answered_once
        if first_official is not None:
            assert thread.first_official_at == first_official  # set once, never moves
        first_official = thread.first_official_at
        assert (thread.resident_after_official_at is not None) == resident_after

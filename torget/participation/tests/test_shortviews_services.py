"""Short views: statements, moderation, withdrawal, votes and the recompute requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from conftest import run_tasks
from torget.accounts.models import User
from torget.core.errors import RateLimited
from torget.organisation.models import Unit
from torget.participation.models import (
    OpinionGroups,
    Process,
    ShortView,
    ShortViewStatus,
    ShortViewVote,
)
from torget.participation.selectors import shortviews as sv_selectors
from torget.participation.services import shortviews as services
from torget.participation.tasks_shortviews import recompute
from torget.participation.tests.factories import process_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages are checked in English (the msgids), whatever the default language."""
    with translation.override("en"):
        yield


@pytest.fixture
def process(library: Unit) -> Process:
    return process_make(library)


def staff_view(
    process: Process, communicator: User, text: str = "Sentrum bør bli bilfritt"
) -> ShortView:
    return services.short_view_add(process=process, actor=communicator, text=text)


def pending_tasks() -> int:
    return DBTaskResult.objects.ready().count()


# --- statements and moderation -----------------------------------------------------------------


def test_staff_statement_is_published_at_once(process: Process, communicator: User) -> None:
    view = staff_view(process, communicator, text="  Sentrum   bør bli bilfritt ")
    assert view.status == ShortViewStatus.PUBLISHED
    assert view.by_staff
    assert view.text == "Sentrum bør bli bilfritt"


def test_resident_statement_waits_and_is_hidden_from_others(
    process: Process, resident: User, other_resident: User
) -> None:
    view = services.short_view_add(process=process, actor=resident, text="Flere sykkelveier")
    assert view.status == ShortViewStatus.PENDING and not view.by_staff
    assert view not in sv_selectors.short_view_list_published(process)
    assert sv_selectors.short_view_list_own_pending(process, other_resident) == []
    assert sv_selectors.short_view_list_own_pending(process, resident) == [view]
    assert sv_selectors.short_view_next_for(process, other_resident) is None


def test_moderator_approves_then_everybody_sees_it(
    process: Process, resident: User, moderator: User, other_resident: User
) -> None:
    view = services.short_view_add(process=process, actor=resident, text="Flere sykkelveier")
    services.short_view_moderate(short_view=view, actor=moderator, approve=True)
    view.refresh_from_db()
    assert view.status == ShortViewStatus.PUBLISHED and view.moderated_by == moderator
    assert sv_selectors.short_view_next_for(process, other_resident) == view


def test_rejecting_needs_a_reason(process: Process, resident: User, communicator: User) -> None:
    view = services.short_view_add(process=process, actor=resident, text="Flere sykkelveier")
    with pytest.raises(ValidationError) as excinfo:
        services.short_view_moderate(short_view=view, actor=communicator, approve=False, reason=" ")
    assert "reason" in excinfo.value.message_dict
    services.short_view_moderate(
        short_view=view, actor=communicator, approve=False, reason="Personangrep"
    )
    view.refresh_from_db()
    assert view.status == ShortViewStatus.REJECTED and view.rejection_reason == "Personangrep"
    with pytest.raises(ValidationError, match="already been moderated"):
        services.short_view_moderate(short_view=view, actor=communicator, approve=True)


def test_only_moderators_of_the_unit_moderate(
    process: Process, resident: User, case_officer: User, politician: User, other_resident: User
) -> None:
    view = services.short_view_add(process=process, actor=resident, text="Flere sykkelveier")
    for someone in (case_officer, politician, other_resident, resident):
        with pytest.raises(PermissionDenied):
            services.short_view_moderate(short_view=view, actor=someone, approve=True)
    view.refresh_from_db()
    assert view.status == ShortViewStatus.PENDING


def test_communicator_of_another_unit_cannot_moderate(
    school: Unit, resident: User, communicator: User
) -> None:
    process = process_make(school, slug="skolen")
    view = services.short_view_add(process=process, actor=resident, text="Lengre friminutt")
    with pytest.raises(PermissionDenied):
        services.short_view_moderate(short_view=view, actor=communicator, approve=True)


def test_resident_refused_outside_the_input_phase(
    library: Unit, resident: User, communicator: User
) -> None:
    process = process_make(library, phases="processing")
    with pytest.raises(ValidationError, match="not in its input phase"):
        services.short_view_add(process=process, actor=resident, text="For sent")
    assert staff_view(process, communicator).status == ShortViewStatus.PUBLISHED
    assert not ShortView.objects.filter(author=resident).exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Write your statement"), ("x" * 141, "at most 140 characters")],
)
def test_statement_text_is_checked(
    process: Process, resident: User, text: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        services.short_view_add(process=process, actor=resident, text=text)


def test_duplicates_are_refused_ignoring_case_and_spaces(
    process: Process, communicator: User, resident: User
) -> None:
    staff_view(process, communicator, text="Sentrum bør bli bilfritt")
    with pytest.raises(ValidationError, match="already been made"):
        services.short_view_add(process=process, actor=resident, text=" SENTRUM  bør bli BILFRITT")
    assert ShortView.objects.count() == 1


def test_residents_are_rate_limited(process: Process, resident: User) -> None:
    for number in range(services.RESIDENT_LIMIT):
        services.short_view_add(process=process, actor=resident, text=f"Forslag nummer {number}")
    with pytest.raises(RateLimited):
        services.short_view_add(process=process, actor=resident, text="Ett for mye")


# --- votes -------------------------------------------------------------------------------------


def test_one_vote_per_account_and_a_second_changes_the_first(
    process: Process, communicator: User, resident: User
) -> None:
    view = staff_view(process, communicator)
    services.vote_cast(short_view=view, actor=resident, choice=1)
    services.vote_cast(short_view=view, actor=resident, choice=1)
    view.refresh_from_db()
    assert (view.agree_count, view.disagree_count, view.pass_count) == (1, 0, 0)
    services.vote_cast(short_view=view, actor=resident, choice=-1)
    view.refresh_from_db()
    assert (view.agree_count, view.disagree_count, view.pass_count) == (0, 1, 0)
    assert ShortViewVote.objects.get().choice == -1
    assert sv_selectors.short_view_next_for(process, resident) is None


def test_vote_on_withdrawn_statement_is_refused_with_the_message(
    process: Process, communicator: User, resident: User, other_resident: User
) -> None:
    view = staff_view(process, communicator)
    services.vote_cast(short_view=view, actor=other_resident, choice=1)
    services.short_view_withdraw(short_view=view, actor=communicator)
    with pytest.raises(ValidationError) as excinfo:
        services.vote_cast(short_view=view, actor=resident, choice=1)
    assert excinfo.value.messages == [
        "This statement has been withdrawn; your vote was not counted."
    ]
    view.refresh_from_db()
    assert view.agree_count == 1  # the earlier vote is kept
    assert ShortViewVote.objects.count() == 1


def test_vote_on_pending_or_rejected_statement_is_refused(
    process: Process, resident: User, other_resident: User, moderator: User
) -> None:
    view = services.short_view_add(process=process, actor=resident, text="Flere sykkelveier")
    with pytest.raises(ValidationError, match="not open for votes"):
        services.vote_cast(short_view=view, actor=other_resident, choice=1)
    services.short_view_moderate(short_view=view, actor=moderator, approve=False, reason="Nei")
    with pytest.raises(ValidationError, match="not open for votes"):
        services.vote_cast(short_view=view, actor=other_resident, choice=1)
    assert not ShortViewVote.objects.exists()


def test_vote_refused_when_the_process_is_closed(
    library: Unit, communicator: User, resident: User
) -> None:
    process = process_make(library, phases="decision")
    view = staff_view(process, communicator)
    with pytest.raises(ValidationError, match="Voting is closed"):
        services.vote_cast(short_view=view, actor=resident, choice=0)


def test_only_managers_withdraw(process: Process, communicator: User, moderator: User) -> None:
    view = staff_view(process, communicator)
    with pytest.raises(PermissionDenied):
        services.short_view_withdraw(short_view=view, actor=moderator)
    services.short_view_withdraw(short_view=view, actor=communicator)
    assert ShortView.objects.get().status == ShortViewStatus.WITHDRAWN


# --- recompute requests ------------------------------------------------------------------------


def test_many_votes_make_one_pending_task(process: Process, communicator: User) -> None:
    views = [staff_view(process, communicator, text=f"Påstand {n}") for n in range(3)]
    voters = [User.objects.create(email=f"velger{n}@example.no") for n in range(10)]
    for voter in voters:
        for view in views:
            services.vote_cast(short_view=view, actor=voter, choice=1)
    assert pending_tasks() == 1
    assert OpinionGroups.objects.get(process=process).requested_at is not None
    run_tasks()
    groups = OpinionGroups.objects.get(process=process)
    assert groups.requested_at is None and groups.computed_at is not None
    assert groups.vote_count == 30 and groups.participant_count == 10
    assert pending_tasks() == 0
    services.vote_cast(short_view=views[0], actor=voters[0], choice=-1)
    assert pending_tasks() == 1


@pytest.mark.parametrize("clock", ["running", "standing still"])
def test_a_vote_during_the_computation_asks_for_one_more(
    process: Process,
    communicator: User,
    resident: User,
    other_resident: User,
    monkeypatch: pytest.MonkeyPatch,
    clock: str,
) -> None:
    """With the clock standing still too: the request is told apart by a count, not by its
    time, so the vote that came during the computation is not taken for the one served."""
    from torget.participation import tasks_shortviews

    view = staff_view(process, communicator)
    real_matrix = tasks_shortviews.vote_matrix

    def matrix_then_a_vote(process_id: int):  # type: ignore[no-untyped-def]
        found = real_matrix(process_id)
        services.vote_cast(short_view=view, actor=other_resident, choice=-1)
        return found

    with time_machine.travel(timezone.now(), tick=clock == "running"):
        services.vote_cast(short_view=view, actor=resident, choice=1)
        assert pending_tasks() == 1
        monkeypatch.setattr(tasks_shortviews, "vote_matrix", matrix_then_a_vote)
        recompute(process.pk)
    groups = OpinionGroups.objects.get(process=process)
    assert groups.requested_at is not None  # the new vote's request survived
    assert groups.request_count == 2 and groups.vote_count == 1
    monkeypatch.setattr(tasks_shortviews, "vote_matrix", real_matrix)
    run_tasks()  # the first task (already served) and the one more it enqueued
    groups.refresh_from_db()
    assert groups.requested_at is None and groups.vote_count == 2
    assert pending_tasks() == 0


def test_recompute_twice_is_safe(process: Process, communicator: User, resident: User) -> None:
    view = staff_view(process, communicator)
    services.vote_cast(short_view=view, actor=resident, choice=1)
    first = recompute(process.pk)
    second = recompute(process.pk)
    assert first == second
    assert OpinionGroups.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_votes_of_one_account_count_once(
    process: Process, communicator: User, resident: User
) -> None:
    """Two requests of the same account at the same moment: the unique constraint stops the
    second insert, which then changes the first vote; the counts stay equal to the votes."""
    from django.db import connections

    view = staff_view(process, communicator)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def cast(choice: int) -> None:
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):
                services.vote_cast(short_view=view, actor=resident, choice=choice)
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cast, args=(choice,)) for choice in (1, -1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert ShortViewVote.objects.filter(short_view=view).count() == 1
    view.refresh_from_db()
    assert view.vote_count == 1
    assert (view.agree_count, view.disagree_count) in ((1, 0), (0, 1))
    assert pending_tasks() == 1

"""The proposal services: proposing (in the input phase only), one support per account,
withdrawing, and the official status with an answer that reaches the author by e-mail."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import translation

from conftest import run_tasks
from tests.factories import UserFactory
from torget.accounts.models import User
from torget.conversations.models import (
    AuthorRole,
    Channel,
    Message,
    ThreadEvent,
    ThreadStatus,
    Visibility,
)
from torget.conversations.registry import staff_subject_path, thread_path
from torget.conversations.selectors import thread_event_list
from torget.organisation.models import Unit
from torget.participation.models import Process, Proposal, ProposalStatus, ProposalSupport
from torget.participation.services.proposals import (
    proposal_status_set,
    proposal_submit,
    proposal_support,
    proposal_support_withdraw,
)
from torget.participation.tests.factories import process_make

POINT = {"type": "Point", "coordinates": [10.746, 59.912]}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def process(library: Unit) -> Process:
    return process_make(library, phases="input")


@pytest.fixture
def proposal(process: Process, resident: User) -> Proposal:
    return proposal_submit(
        process=process,
        actor=resident,
        title="Behold den gamle brua",
        body="Bruk brua til gående og syklende i stedet for å rive den.",
        geometry=POINT,
    )


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_proposal_submit_opens_a_public_forum_thread_with_the_proposal_as_subject(
    proposal: Proposal, resident: User, library: Unit
) -> None:
    thread = proposal.thread
    assert thread.channel == Channel.FORUM
    assert thread.visibility == Visibility.PUBLIC
    assert thread.unit == library
    assert thread.title == "Behold den gamle brua"
    assert thread.status == ThreadStatus.WAITING  # the unit owes an answer
    assert thread.subject == proposal
    first = thread.messages.get()
    assert first.role == AuthorRole.RESIDENT and first.author == resident
    assert first.body.startswith("Bruk brua til gående")
    assert proposal.geometry == POINT
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.support_count == 0
    # the conversation registry links the thread to the proposal's page (residents and staff)
    assert thread_path(thread) == f"/medvirkning/{proposal.process.slug}/forslag/{proposal.pk}/"
    assert staff_subject_path(thread) == f"{thread_path(thread)}#status"


def test_proposal_submit_stores_a_checked_picture_under_our_own_name(
    process: Process, resident: User
) -> None:
    upload = SimpleUploadedFile("min brua.png", png_bytes(), content_type="image/png")
    proposal = proposal_submit(
        process=process,
        actor=resident,
        title="Brua med blomster",
        body="Se bildet.",
        image=upload,
        image_alt="Brua sett fra elva, med blomsterkasser langs rekkverket.",
    )
    assert proposal.image_type == "image/png"
    assert proposal.image_name == "min brua.png"
    assert proposal.image_size == len(png_bytes())
    assert proposal.image.name.endswith(".png") and "min brua" not in proposal.image.name
    with proposal.image.open("rb") as handle:
        assert handle.read() == png_bytes()


@pytest.mark.parametrize("phase", ["information", "processing", "decision"])
def test_proposal_submit_is_refused_outside_the_input_phase(
    library: Unit, resident: User, phase: str
) -> None:
    process = process_make(library, phases=phase)
    with pytest.raises(ValidationError) as caught:
        proposal_submit(process=process, actor=resident, title="For sent", body="Tekst.")
    message = caught.value.messages[0]
    if phase == "information":
        assert message.startswith("Proposals and support are possible in the input phase, from")
    else:
        assert message.startswith("The input phase ended on")
    assert not Proposal.objects.exists()
    assert not Message.objects.exists()


def test_proposal_submit_names_the_wrong_fields_and_stores_nothing(
    process: Process, resident: User
) -> None:
    html = SimpleUploadedFile("bilde.png", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError) as caught:
        proposal_submit(process=process, actor=resident, title=" ", body="Tekst.", image=html)
    errors = caught.value.message_dict
    assert errors["title"] == ["Give the proposal a title."]
    assert "does not match its file type" in errors["image"][0]
    assert errors["image_alt"] == [
        "Describe the picture in a sentence, for those who cannot see it."
    ]
    assert not Proposal.objects.exists()


def test_proposal_submit_needs_an_account(process: Process) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        proposal_submit(process=process, actor=AnonymousUser(), title="T", body="Tekst.")


def test_one_support_per_account_second_is_refused_and_changes_nothing(
    proposal: Proposal, other_resident: User
) -> None:
    proposal_support(proposal=proposal, actor=other_resident)
    assert proposal.support_count == 1
    with pytest.raises(ValidationError) as caught:
        proposal_support(proposal=proposal, actor=other_resident)
    assert caught.value.messages == ["You already support this proposal."]
    proposal.refresh_from_db()
    assert proposal.support_count == 1
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 1


def test_withdraw_and_support_again(proposal: Proposal, other_resident: User) -> None:
    proposal_support(proposal=proposal, actor=other_resident)
    proposal_support_withdraw(proposal=proposal, actor=other_resident)
    proposal.refresh_from_db()
    assert proposal.support_count == 0
    assert not ProposalSupport.objects.exists()
    with pytest.raises(ValidationError) as caught:
        proposal_support_withdraw(proposal=proposal, actor=other_resident)
    assert caught.value.messages == ["You do not support this proposal."]
    proposal_support(proposal=proposal, actor=other_resident)
    proposal.refresh_from_db()
    assert proposal.support_count == 1


def test_support_count_follows_many_accounts(proposal: Proposal) -> None:
    people = UserFactory.create_batch(5)
    for person in people:
        proposal_support(proposal=proposal, actor=person)
    proposal_support_withdraw(proposal=proposal, actor=people[0])
    proposal.refresh_from_db()
    assert proposal.support_count == 4 == ProposalSupport.objects.filter(proposal=proposal).count()


def test_the_unique_constraint_holds_without_the_service(
    proposal: Proposal, other_resident: User
) -> None:
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    ProposalSupport.objects.create(
        proposal=proposal, user=other_resident, created_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposalSupport.objects.create(
            proposal=proposal, user=other_resident, created_at=timezone.now()
        )


def test_the_author_does_not_support_their_own_proposal(proposal: Proposal, resident: User) -> None:
    with pytest.raises(ValidationError) as caught:
        proposal_support(proposal=proposal, actor=resident)
    assert caught.value.messages == ["This is your own proposal; its supports come from others."]
    proposal.refresh_from_db()
    assert proposal.support_count == 0


def test_supports_are_refused_outside_the_input_phase(
    proposal: Proposal, other_resident: User, resident: User
) -> None:
    third = UserFactory()
    proposal_support(proposal=proposal, actor=third)
    proposal.process.phases.filter(kind="input").update(
        starts_on="2020-01-01", ends_on="2020-01-10"
    )
    proposal.process = Process.objects.get(pk=proposal.process_id)  # phases read again
    with pytest.raises(ValidationError) as caught:
        proposal_support(proposal=proposal, actor=other_resident)
    assert caught.value.messages == [
        "The input phase ended on 10 January 2020 (it began on 1 January 2020); proposals and "
        "support are no longer possible."
    ]
    with pytest.raises(ValidationError):
        proposal_support_withdraw(proposal=proposal, actor=third)
    proposal.refresh_from_db()
    assert proposal.support_count == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_supports_by_one_account_make_one(library: Unit) -> None:
    """Two requests of the same account at the same moment, each in its own connection and
    transaction: the unique pair lets one in; the other is refused with the message."""
    process = process_make(library, phases="input")
    author, supporter = UserFactory(), UserFactory()
    proposal = proposal_submit(process=process, actor=author, title="Samtidig", body="Tekst.")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            mine = Proposal.objects.select_related("process").get(pk=proposal.pk)
            list(mine.process.phases.all())
            barrier.wait(timeout=10)
            with translation.override("en"):
                proposal_support(proposal=mine, actor=supporter)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        except Exception as exc:  # noqa: BLE001 - reported in the assertion below
            outcomes.append(f"error: {exc!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["You already support this proposal.", "ok"], (
        connection.vendor,
        outcomes,
    )
    proposal.refresh_from_db()
    assert proposal.support_count == 1
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 1


def test_status_set_by_the_process_staff_with_an_official_answer_by_email(
    proposal: Proposal, communicator: User, resident: User, smtp_server: Any
) -> None:
    proposal_status_set(
        proposal=proposal,
        actor=communicator,
        status=ProposalStatus.CONSIDERING,
        answer="Takk! Vi vurderer forslaget i reguleringsplanen.",
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.CONSIDERING
    assert proposal.status_changed_at is not None
    answer = proposal.thread.messages.get(role=AuthorRole.OFFICIAL)
    assert answer.body == "Takk! Vi vurderer forslaget i reguleringsplanen."
    assert answer.by_politician is False
    thread = proposal.thread
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.ANSWERED
    assert thread.first_official_at == answer.created_at  # counts as the unit's answer
    run_tasks()
    mail = smtp_server.wait_for(1)[0]
    assert mail["To"] == resident.email
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Takk! Vi vurderer forslaget i reguleringsplanen." in body
    assert f"/medvirkning/{proposal.process.slug}/forslag/{proposal.pk}/" in body


def test_status_set_without_an_answer_changes_only_the_status(
    proposal: Proposal, admin: User
) -> None:
    proposal_status_set(proposal=proposal, actor=admin, status=ProposalStatus.ADOPTED)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ADOPTED
    assert proposal.thread.messages.count() == 1
    with pytest.raises(ValidationError) as caught:
        proposal_status_set(proposal=proposal, actor=admin, status="maybe")
    assert caught.value.message_dict == {"status": ["Choose one of the statuses."]}


def test_each_status_change_is_in_the_threads_audit_trail(
    proposal: Proposal, admin: User, communicator: User
) -> None:
    """Who changed the status, from what to what, when; setting the same status again is no
    change and leaves nothing."""
    proposal_status_set(proposal=proposal, actor=communicator, status=ProposalStatus.CONSIDERING)
    proposal_status_set(proposal=proposal, actor=admin, status=ProposalStatus.CONSIDERING)
    proposal_status_set(proposal=proposal, actor=admin, status=ProposalStatus.PARTLY_ADOPTED)
    events = [
        (event.actor, event.detail["reason"])
        for event in thread_event_list(thread=proposal.thread)
        if event.kind == ThreadEvent.Kind.STATUS_CHANGED
    ]
    assert events == [
        (communicator, "Submitted → Being considered"),
        (admin, "Being considered → Partly adopted"),
    ]


@pytest.mark.parametrize("who", ["resident", "other_resident", "case_officer", "moderator"])
def test_status_set_is_refused_to_others(
    proposal: Proposal, who: str, request: pytest.FixtureRequest
) -> None:
    """Residents, staff of another unit (the school's case officer) and a moderator (who
    moderates but does not run processes) may not set a status."""
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        proposal_status_set(
            proposal=proposal, actor=actor, status=ProposalStatus.ADOPTED, answer="Ja."
        )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED
    assert proposal.thread.messages.count() == 1

"""A written "what did you miss?" lands in the unit's inbox, and the answer reaches the resident
by e-mail."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from conftest import run_tasks
from torget.accounts.models import User
from torget.conversations import services as conversations
from torget.conversations.models import Channel, ThreadStatus, Visibility
from torget.conversations.registry import thread_path
from torget.conversations.selectors import InboxFilter, thread_list_waiting
from torget.core.errors import InvalidTransition, RateLimited
from torget.organisation.models import Unit
from torget.services import feedback
from torget.services.models import InfoPage, PageFeedback
from torget.services.tests.factories import page_make


@pytest.fixture
def page(library: Unit) -> InfoPage:
    return page_make(library)


def test_written_answer_opens_a_private_feedback_thread_in_the_unit_s_inbox(
    page: InfoPage, communicator: User, case_officer: User
) -> None:
    given = feedback.page_feedback_give(
        page=page,
        actor=None,
        helpful=False,
        text="Hva koster kost i barnehagen?",
        contact="kari@example.no",
        client="10.0.0.1",
    )
    thread = given.thread
    assert thread is not None
    assert (thread.unit, thread.channel, thread.visibility) == (
        page.unit,
        Channel.FEEDBACK,
        Visibility.PRIVATE,
    )
    assert (thread.subject, thread.title, thread.contact) == (
        page,
        "Barnehageplass",
        "kari@example.no",
    )
    assert thread.status == ThreadStatus.WAITING
    assert thread.messages.get().body == "Hva koster kost i barnehagen?"
    waiting = list(
        thread_list_waiting(
            viewer=communicator,
            municipality=page.municipality,
            filters=InboxFilter(channel=Channel.FEEDBACK),
        )
    )
    assert waiting == [thread]
    # Staff of another unit do not see it.
    assert not thread_list_waiting(
        viewer=case_officer, municipality=page.municipality, filters=InboxFilter()
    ).exists()


def test_official_answer_is_e_mailed_to_the_address_left(
    page: InfoPage, communicator: User, smtp_server: Any
) -> None:
    given = feedback.page_feedback_give(
        page=page,
        actor=None,
        helpful=False,
        text="Når er fristen for høstopptaket?",
        contact="kari@example.no",
        client="10.0.0.1",
    )
    assert given.thread is not None
    conversations.thread_answer(
        threads=[given.thread], actor=communicator, body="Vi har løpende opptak om høsten."
    )
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "kari@example.no"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Vi har løpende opptak om høsten." in body
    assert "/tjenester/side/barnehageplass/#tilbakemelding" in body


def test_a_logged_in_resident_gets_the_answer_at_their_account_and_a_link_to_the_thread(
    page: InfoPage, resident: User, communicator: User, smtp_server: Any
) -> None:
    given = feedback.page_feedback_give(
        page=page, actor=resident, helpful=False, text="Mangler priser", client="10.0.0.2"
    )
    thread = given.thread
    assert thread is not None and thread.opened_by == resident
    assert thread_path(thread) == f"/samtaler/{thread.pk}/"
    conversations.thread_answer(threads=[thread], actor=communicator, body="Nå er de lagt inn.")
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "nora@example.no"


def test_thread_path_of_an_anonymous_feedback_thread_is_the_page(page: InfoPage) -> None:
    given = feedback.page_feedback_give(
        page=page, actor=None, helpful=False, text="Savner kart", client="x"
    )
    assert given.thread is not None
    assert thread_path(given.thread) == "/tjenester/side/barnehageplass/#tilbakemelding"


def test_a_yes_never_carries_text_or_opens_a_thread(page: InfoPage) -> None:
    given = feedback.page_feedback_give(
        page=page, actor=None, helpful=True, text="Flott", contact="a@b.no", client="x"
    )
    assert (given.text, given.thread) == ("", None)


def test_an_e_mail_address_without_text_is_refused(page: InfoPage) -> None:
    with pytest.raises(ValidationError) as caught:
        feedback.page_feedback_give(
            page=page, actor=None, helpful=False, contact="kari@example.no", client="x"
        )
    assert "text" in caught.value.message_dict
    assert not PageFeedback.objects.exists()


def test_explain_adds_the_text_to_the_earlier_no_once(page: InfoPage) -> None:
    vote = feedback.page_feedback_give(page=page, actor=None, helpful=False, client="x")
    feedback.page_feedback_explain(feedback=vote, actor=None, text="Savner skjema", client="x")
    vote.refresh_from_db()
    assert vote.text == "Savner skjema" and vote.thread is not None
    with pytest.raises(InvalidTransition):
        feedback.page_feedback_explain(feedback=vote, actor=None, text="Igjen", client="x")


def test_written_answers_are_limited_per_address(page: InfoPage) -> None:
    for number in range(feedback.WRITTEN_LIMITS[0][0]):
        feedback.page_feedback_give(
            page=page, actor=None, helpful=False, text=f"Svar {number}", client="10.9.9.9"
        )
    with pytest.raises(RateLimited):
        feedback.page_feedback_give(
            page=page, actor=None, helpful=False, text="Ett til", client="10.9.9.9"
        )
    # Another address may still write, and the refused one wrote nothing.
    feedback.page_feedback_give(page=page, actor=None, helpful=False, text="Hei", client="10.1.1.1")
    assert PageFeedback.objects.filter(text__gt="").count() == feedback.WRITTEN_LIMITS[0][0] + 1

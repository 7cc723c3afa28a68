"""The staff thread page: every message with internal notes, and its forms (answer with canned
replies, note, assign, no answer needed, close/reopen, move), each a POST that redirects."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import _staff
from tests.factories import municipality_make, unit_make
from torget.accounts.models import User
from torget.conversations import services
from torget.conversations.models import (
    CannedReply,
    Message,
    Thread,
    ThreadEvent,
    ThreadStatus,
    Visibility,
)
from torget.organisation.models import Role, Unit

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def thread(library: Unit, resident: User) -> Thread:
    return services.thread_open(
        unit=library, channel="web", body="Når åpner biblioteket?", actor=resident, title="Tider"
    )


def url(thread: Thread, action: str = "") -> str:
    return f"/ansatt/samtaler/{thread.pk}/{action}"


# --- access ----------------------------------------------------------------------------------


def test_staff_thread_sends_anonymous_visitor_to_login(client: Client, thread: Thread) -> None:
    response = client.get(url(thread))
    assert response.status_code == 302
    assert response["Location"].startswith(f"/konto/login/?next={url(thread)}")


def test_staff_thread_refuses_resident(client: Client, thread: Thread, resident: User) -> None:
    client.force_login(resident)  # even the resident who opened it: this is the staff page
    assert client.get(url(thread)).status_code == 403


def test_staff_thread_of_another_unit_is_refused_and_nothing_stored(
    client: Client, school: Unit, resident: User, communicator: User
) -> None:
    at_school = services.thread_open(unit=school, channel="web", body="Skole?", actor=resident)
    client.force_login(communicator)  # the library's communicator
    assert client.get(url(at_school)).status_code == 403
    for action, data in [
        ("svar/", {"body": "Svar"}),
        ("notat/", {"body": "Notat"}),
        ("tildel/", {"assignee": communicator.pk}),
        ("trenger-ikke-svar/", {"reason": "Spam"}),
        ("lukk/", {}),
        ("flytt/", {"unit": school.pk}),
    ]:
        assert client.post(url(at_school, action), data).status_code == 403, action
    at_school.refresh_from_db()
    assert at_school.status == ThreadStatus.WAITING and at_school.assignee is None
    assert at_school.messages.count() == 1


def test_staff_thread_unknown_or_foreign_id_is_404(
    client: Client, thread: Thread, communicator: User
) -> None:
    elsewhere = municipality_make(number="9997", name="Annenvik kommune", hostnames=("annen",))
    foreign = services.thread_open(
        unit=unit_make(elsewhere, slug="bib"), channel="web", body="Hei", actor=None
    )
    client.force_login(communicator)
    assert client.get("/ansatt/samtaler/999999/").status_code == 404
    assert client.get(url(foreign)).status_code == 404
    assert client.post(url(foreign, "svar/"), {"body": "Svar"}).status_code == 404
    assert not Message.objects.filter(role="official").exists()


def test_staff_thread_actions_refuse_get(
    client: Client, thread: Thread, communicator: User
) -> None:
    client.force_login(communicator)
    assert client.get(url(thread, "svar/")).status_code == 405
    assert client.get(url(thread, "lukk/")).status_code == 405


# --- the page --------------------------------------------------------------------------------


def test_staff_thread_shows_messages_internal_notes_and_history(
    client: Client, thread: Thread, communicator: User
) -> None:
    services.note_add(thread=thread, actor=communicator, body="Sjekk med Kari først")
    client.force_login(communicator)
    response = client.get(url(thread), **EN)
    assert response.status_code == 200
    assert "Når åpner biblioteket?" in response.text
    assert "Internal note" in response.text and "Sjekk med Kari først" in response.text
    assert "Waiting for an answer" in response.text and "Testvik bibliotek" in response.text
    assert f'href="/samtaler/{thread.pk}/"' in response.text  # where residents see it
    assert "History" in response.text and "Opened" in response.text
    assert 'id="answer_body"' in response.text and 'id="note_body"' in response.text


def test_staff_thread_moderator_without_answer_role_sees_no_answer_form(
    client: Client, thread: Thread, moderator: User
) -> None:
    client.force_login(moderator)
    page = client.get(url(thread), **EN)
    assert "Your role does not answer on behalf of this unit." in page.text
    assert 'id="answer_body"' not in page.text
    assert client.post(url(thread, "svar/"), {"body": "Svar"}).status_code == 403
    assert not thread.messages.filter(role="official").exists()


# --- answer ----------------------------------------------------------------------------------


def test_staff_thread_answer_redirects_back_with_a_message(
    client: Client, thread: Thread, communicator: User
) -> None:
    client.force_login(communicator)
    response = client.post(
        url(thread, "svar/"), {"action": "send", "body": "Kl. 10 i morgen."}, **EN
    )
    answer = thread.messages.get(role="official")
    assert response.status_code == 302
    assert response["Location"] == f"{url(thread)}#melding-{answer.pk}"
    assert answer.body == "Kl. 10 i morgen." and answer.author == communicator
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.ANSWERED
    page = client.get(response["Location"], **EN)
    assert "Your answer has been sent." in page.text
    assert "Answer from Testvik bibliotek" in page.text


@pytest.mark.parametrize(
    ("body", "error"),
    [("   ", "Write something before you send."), ("x" * 5001, "The text is too long")],
)
def test_staff_thread_answer_refused_is_422_and_keeps_the_text(
    client: Client, thread: Thread, communicator: User, body: str, error: str
) -> None:
    client.force_login(communicator)
    response = client.post(url(thread, "svar/"), {"action": "send", "body": body}, **EN)
    assert response.status_code == 422
    assert error in response.text
    assert 'aria-describedby="answer_body_error"' in response.text
    if body.strip():
        assert body in response.text
    assert not thread.messages.filter(role="official").exists()


def test_staff_thread_answer_in_closed_thread_is_422_with_clear_message(
    client: Client, thread: Thread, communicator: User
) -> None:
    services.thread_close(thread=thread, actor=communicator)
    client.force_login(communicator)
    response = client.post(url(thread, "svar/"), {"action": "send", "body": "Likevel"}, **EN)
    assert response.status_code == 422
    assert "The conversation is closed; reopen it to answer." in response.text
    assert ">\nLikevel</textarea>" in response.text
    assert not thread.messages.filter(role="official").exists()


# --- canned replies --------------------------------------------------------------------------


def test_staff_thread_canned_reply_fills_the_answer_box_without_javascript(
    client: Client, thread: Thread, library: Unit, root_unit: Unit, communicator: User
) -> None:
    reply = CannedReply.objects.create(
        unit=library, title="Åpningstider", body="Vi har åpent 10–19 på hverdager."
    )
    CannedReply.objects.create(unit=root_unit, title="Takk", body="Takk for at du tok kontakt.")
    client.force_login(communicator)
    page = client.get(url(thread), **EN)
    assert "Åpningstider" in page.text and "Takk" in page.text  # the unit's and the root's
    assert 'data-body="Vi har åpent 10–19 på hverdager."' in page.text  # for the script
    assert "Use this canned reply" in page.text

    response = client.post(
        url(thread, "svar/"),
        {"action": "use-canned", "canned": reply.pk, "body": "Hei Nora,"},
        **EN,
    )

    assert response.status_code == 200
    assert ">\nHei Nora,\n\nVi har åpent 10–19 på hverdager.</textarea>" in response.text
    assert f'value="{reply.pk}" data-body="Vi har åpent 10–19 på hverdager." selected' in (
        response.text
    )
    assert not thread.messages.filter(role="official").exists()  # nothing sent yet
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.WAITING


@pytest.mark.parametrize("choice", ["", "other-unit"])
def test_staff_thread_canned_reply_not_chosen_or_foreign_is_422(
    client: Client, thread: Thread, school: Unit, communicator: User, choice: str
) -> None:
    foreign = CannedReply.objects.create(unit=school, title="Skole", body="Skolesvar")
    CannedReply.objects.create(unit=thread.unit, title="Bibliotek", body="Biblioteksvar")
    client.force_login(communicator)
    canned = str(foreign.pk) if choice else ""
    response = client.post(
        url(thread, "svar/"),
        {"action": "use-canned", "canned": canned, "body": "Mitt utkast"},
        **EN,
    )
    assert response.status_code == 422
    assert "Skolesvar" not in response.text
    assert ">\nMitt utkast</textarea>" in response.text
    if not choice:
        assert "Choose a canned reply to use." in response.text


# --- note, assign, no answer needed, close/reopen, move --------------------------------------


def test_staff_thread_note_is_internal_and_changes_no_status(
    client: Client, thread: Thread, communicator: User
) -> None:
    client.force_login(communicator)
    response = client.post(url(thread, "notat/"), {"body": "Ring henne i morgen"}, **EN)
    note = thread.messages.get(visibility=Visibility.INTERNAL)
    assert response.status_code == 302 and response["Location"].endswith(f"#melding-{note.pk}")
    assert note.body == "Ring henne i morgen"
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.WAITING
    assert "The note has been saved." in client.get(response["Location"], **EN).text
    empty = client.post(url(thread, "notat/"), {"body": ""}, **EN)
    assert empty.status_code == 422 and "Write something before you send." in empty.text


def test_staff_thread_assign_to_colleague_then_nobody(
    client: Client, thread: Thread, communicator: User, admin: User
) -> None:
    client.force_login(communicator)
    response = client.post(url(thread, "tildel/"), {"assignee": admin.pk}, **EN)
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.assignee == admin
    page = client.get(url(thread), **EN)
    assert f"The conversation is assigned to {admin}." in page.text
    assert f'<option value="{admin.pk}" selected>' in page.text
    client.post(url(thread, "tildel/"), {"assignee": ""})
    thread.refresh_from_db()
    assert thread.assignee is None
    assert thread.events.filter(kind=ThreadEvent.Kind.UNASSIGNED).exists()


def test_staff_thread_assign_to_someone_outside_the_unit_is_422(
    client: Client, thread: Thread, communicator: User, case_officer: User
) -> None:
    client.force_login(communicator)
    response = client.post(url(thread, "tildel/"), {"assignee": case_officer.pk}, **EN)
    assert response.status_code == 422
    assert "Select a valid choice." in response.text
    thread.refresh_from_db()
    assert thread.assignee is None


def test_staff_thread_no_answer_needed_needs_a_reason(
    client: Client, thread: Thread, communicator: User
) -> None:
    client.force_login(communicator)
    refused = client.post(url(thread, "trenger-ikke-svar/"), {"reason": " "}, **EN)
    assert refused.status_code == 422 and "Give a reason." in refused.text
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.WAITING
    done = client.post(url(thread, "trenger-ikke-svar/"), {"reason": "Bare en takk"}, **EN)
    assert done.status_code == 302
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.NO_ANSWER_NEEDED
    assert thread.no_answer_reason == "Bare en takk"
    assert "marked as needing no answer" in client.get(done["Location"], **EN).text


def test_staff_thread_close_and_reopen(client: Client, thread: Thread, communicator: User) -> None:
    client.force_login(communicator)
    assert client.post(url(thread, "lukk/"), **EN).status_code == 302
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.CLOSED
    page = client.get(url(thread), **EN)
    assert "The conversation is closed." in page.text and "Reopen" in page.text
    assert client.post(url(thread, "gjenapne/"), **EN).status_code == 302
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.WAITING  # the resident spoke last
    assert "The conversation is open again." in client.get(url(thread), **EN).text


def test_staff_thread_move_to_a_unit_one_does_not_serve_goes_back_to_the_inbox(
    client: Client, thread: Thread, school: Unit, communicator: User
) -> None:
    client.force_login(communicator)
    response = client.post(url(thread, "flytt/"), {"unit": school.pk}, **EN)
    assert response.status_code == 302 and response["Location"] == "/ansatt/innboks/"
    thread.refresh_from_db()
    assert thread.unit == school
    assert "The conversation has been moved to Testvik skole." in (
        client.get(response["Location"], **EN).text
    )
    assert client.get(url(thread)).status_code == 403  # now the school's


def test_staff_thread_move_stays_on_the_page_for_staff_of_both_units(
    client: Client, thread: Thread, school: Unit, root_unit: Unit
) -> None:
    everyone = _staff(root_unit, Role.COMMUNICATOR, "alle@example.no")
    client.force_login(everyone)
    response = client.post(url(thread, "flytt/"), {"unit": school.pk})
    assert response["Location"] == url(thread)


def test_staff_thread_move_to_a_forged_unit_is_422_and_moves_nothing(
    client: Client, thread: Thread, library: Unit, communicator: User
) -> None:
    elsewhere = municipality_make(number="9997", name="Annenvik kommune", hostnames=("annen",))
    foreign = unit_make(elsewhere, slug="bib")
    client.force_login(communicator)
    for forged in (foreign.pk, 999999, "x", ""):
        response = client.post(url(thread, "flytt/"), {"unit": forged}, **EN)
        assert response.status_code == 422, forged
    thread.refresh_from_db()
    assert thread.unit == library

"""Moderation, one mechanism for every channel: report, the queue, hide with a reason, restore,
dismiss, and blocking an account from writing."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from torget.accounts.models import User
from torget.conversations import services
from torget.conversations.models import (
    Block,
    Message,
    MessageReport,
    Thread,
    ThreadEvent,
    Visibility,
)
from torget.organisation.models import Municipality, Unit

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RUDE = "Dere er helt udugelige alle sammen"


@pytest.fixture
def thread(library: Unit, resident: User) -> Thread:
    return services.thread_open(unit=library, channel="forum", body=RUDE, actor=resident)


@pytest.fixture
def rude(thread: Thread) -> Message:
    return thread.messages.get()


def report(client: Client, message: Message, reason: str = "Personangrep", **extra: str) -> object:
    return client.post(
        f"/samtaler/meldinger/{message.pk}/meld-fra/",
        {"reason": reason, "next": f"/samtaler/{message.thread_id}/", **extra},
        **EN,
    )


def test_moderation_flow_report_queue_hide_and_restore(
    client: Client,
    thread: Thread,
    rude: Message,
    resident: User,
    other_resident: User,
    moderator: User,
) -> None:
    # A resident who is not the author sees "Report" and reports.
    client.force_login(other_resident)
    page = client.get(f"/samtaler/{thread.pk}/", **EN)
    assert "Report this message" in page.text and "Hide this message" not in page.text
    response = report(client, rude)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == f"/samtaler/{thread.pk}/"  # type: ignore[index]
    assert MessageReport.objects.get(message=rude).reason == "Personangrep"
    assert "Thank you. The moderators will look at the message." in (
        client.get(f"/samtaler/{thread.pk}/", **EN).text
    )

    # The moderator finds it in the queue, with the reason.
    client.force_login(moderator)
    queue = client.get("/ansatt/moderering/", **EN)
    assert queue.status_code == 200
    assert RUDE in queue.text and "Personangrep" in queue.text and "1 report" in queue.text

    # ... and hides it with a reason.
    hidden = client.post(
        f"/samtaler/meldinger/{rude.pk}/skjul/",
        {"reason": "Personangrep mot ansatte", "next": "/ansatt/moderering/"},
        **EN,
    )
    assert hidden.status_code == 302 and hidden["Location"] == "/ansatt/moderering/"
    rude.refresh_from_db()
    assert rude.is_hidden and rude.hidden_reason == "Personangrep mot ansatte"
    assert rude.hidden_by == moderator
    assert MessageReport.objects.get(message=rude).resolved_at is not None
    after = client.get("/ansatt/moderering/", **EN)
    assert "The message is hidden." in after.text and "No open reports." in after.text

    # The moderator still sees the text, marked hidden, with a Restore button.
    as_moderator = client.get(f"/samtaler/{thread.pk}/", **EN)
    assert RUDE in as_moderator.text and "Hidden by a moderator" in as_moderator.text
    assert "Personangrep mot ansatte" in as_moderator.text
    assert "Restore this message" in as_moderator.text

    # The author sees that it is hidden, and why, but not the text.
    client.force_login(resident)
    as_author = client.get(f"/samtaler/{thread.pk}/", **EN)
    assert "This message has been hidden by a moderator." in as_author.text
    assert "Reason: Personangrep mot ansatte" in as_author.text
    assert RUDE not in as_author.text

    # Everyone else sees only that a moderator hid it.
    client.force_login(other_resident)
    as_other = client.get(f"/samtaler/{thread.pk}/", **EN)
    assert "This message has been hidden by a moderator." in as_other.text
    assert "Personangrep mot ansatte" not in as_other.text and RUDE not in as_other.text
    client.logout()
    cache.clear()
    as_public = client.get(f"/samtaler/{thread.pk}/", **EN)
    assert "This message has been hidden by a moderator." in as_public.text
    assert RUDE not in as_public.text

    # Restore: shown again to all; the audit trail has both.
    client.force_login(moderator)
    restored = client.post(
        f"/samtaler/meldinger/{rude.pk}/gjenopprett/", {"next": f"/samtaler/{thread.pk}/"}
    )
    assert restored.status_code == 302
    client.logout()
    cache.clear()
    assert RUDE in client.get(f"/samtaler/{thread.pk}/").text
    assert list(thread.events.values_list("kind", flat=True)) == [
        ThreadEvent.Kind.OPENED,
        ThreadEvent.Kind.HIDDEN,
        ThreadEvent.Kind.RESTORED,
    ]


def test_message_report_goes_back_only_to_this_site(
    client: Client, thread: Thread, rude: Message, other_resident: User
) -> None:
    client.force_login(other_resident)
    response = report(client, rude, next="https://evil.example/")
    assert response["Location"] == f"/samtaler/{thread.pk}/#melding-{rude.pk}"  # type: ignore[index]


def test_message_report_without_reason_is_422_and_keeps_where_to_go_back(
    client: Client, thread: Thread, rude: Message, other_resident: User
) -> None:
    client.force_login(other_resident)
    response = report(client, rude, reason=" ")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Give a reason." in response.text  # type: ignore[attr-defined]
    assert f'name="next" value="/samtaler/{thread.pk}/"' in response.text  # type: ignore[attr-defined]
    assert not MessageReport.objects.exists()


def test_message_report_needs_login_and_a_visible_message(
    client: Client, thread: Thread, rude: Message, other_resident: User, communicator: User
) -> None:
    anonymous = report(client, rude)
    assert anonymous.status_code == 302  # type: ignore[attr-defined]
    assert anonymous["Location"].startswith("/konto/login/")  # type: ignore[index]
    note = services.note_add(thread=thread, actor=communicator, body="Internt")
    client.force_login(other_resident)
    assert report(client, note).status_code == 404  # type: ignore[attr-defined]
    assert client.post("/samtaler/meldinger/999999/meld-fra/", {"reason": "x"}).status_code == 404
    assert not MessageReport.objects.exists()


def test_report_form_is_not_offered_to_the_author_or_anonymous(
    client: Client, thread: Thread, resident: User
) -> None:
    page = client.get(f"/samtaler/{thread.pk}/", **EN)
    assert "Report this message" not in page.text
    client.force_login(resident)
    assert "Report this message" not in client.get(f"/samtaler/{thread.pk}/", **EN).text


def test_message_hide_by_someone_who_does_not_moderate_is_403(
    client: Client, rude: Message, communicator: User, other_resident: User
) -> None:
    for person in (communicator, other_resident):
        client.force_login(person)
        response = client.post(f"/samtaler/meldinger/{rude.pk}/skjul/", {"reason": "Nei"})
        assert response.status_code == 403
        assert client.post(f"/samtaler/meldinger/{rude.pk}/gjenopprett/").status_code == 403
    rude.refresh_from_db()
    assert not rude.is_hidden


def test_message_hide_without_reason_is_422(client: Client, rude: Message, moderator: User) -> None:
    client.force_login(moderator)
    form = client.get(f"/samtaler/meldinger/{rude.pk}/skjul/", **EN)
    assert form.status_code == 200 and "Hide a message" in form.text and RUDE in form.text
    response = client.post(f"/samtaler/meldinger/{rude.pk}/skjul/", {"reason": ""}, **EN)
    assert response.status_code == 422 and "Give a reason." in response.text
    rude.refresh_from_db()
    assert not rude.is_hidden


def test_moderation_queue_is_for_moderators_of_the_unit(
    client: Client,
    municipality: Municipality,
    library: Unit,
    school: Unit,
    rude: Message,
    other_resident: User,
    communicator: User,
    admin: User,
) -> None:
    at_school = services.thread_open(unit=school, channel="web", body="Skolebråk", actor=None)
    for message in (rude, at_school.messages.get()):
        services.message_report(message=message, actor=other_resident, reason="Stygt")
    assert client.get("/ansatt/moderering/").status_code == 302
    client.force_login(other_resident)
    assert client.get("/ansatt/moderering/").status_code == 403
    client.force_login(communicator)  # staff, but no moderator
    assert client.get("/ansatt/moderering/").status_code == 403
    client.force_login(admin)  # the library's unit administrator moderates the library
    queue = client.get("/ansatt/moderering/", **EN)
    assert RUDE in queue.text and "Skolebråk" not in queue.text
    assert "Block account" not in queue.text  # blocking is for the whole municipality
    assert (
        client.post(
            f"/ansatt/moderering/meldinger/{at_school.messages.get().pk}/avvis/"
        ).status_code
        == 403
    )


def test_moderation_dismiss_keeps_the_message(
    client: Client, thread: Thread, rude: Message, other_resident: User, moderator: User
) -> None:
    services.message_report(message=rude, actor=other_resident, reason="Uenig")
    client.force_login(moderator)
    response = client.post(f"/ansatt/moderering/meldinger/{rude.pk}/avvis/", **EN)
    assert response.status_code == 302 and response["Location"] == "/ansatt/moderering/"
    rude.refresh_from_db()
    assert not rude.is_hidden
    assert MessageReport.objects.get().resolved_at is not None
    assert thread.events.filter(kind=ThreadEvent.Kind.REPORTS_DISMISSED).exists()
    page = client.get("/ansatt/moderering/", **EN)
    assert "The reports are dismissed; the message stays." in page.text
    assert "No open reports." in page.text


def test_block_prevents_writing_until_unblocked(
    client: Client,
    thread: Thread,
    rude: Message,
    resident: User,
    other_resident: User,
    moderator: User,
) -> None:
    services.message_report(message=rude, actor=other_resident, reason="Trusler")
    client.force_login(moderator)
    response = client.post(
        "/ansatt/moderering/blokker/",
        {"user": resident.pk, "message": rude.pk, "reason": "Gjentatte trusler"},
        **EN,
    )
    assert response.status_code == 302
    block = Block.objects.get(user=resident, lifted_at__isnull=True)
    assert block.reason == "Gjentatte trusler" and block.blocked_by == moderator
    page = client.get("/ansatt/moderering/", **EN)
    assert f"{resident} can no longer write here." in page.text
    assert "Blocked accounts" in page.text and "Gjentatte trusler" in page.text
    assert "The author is blocked." in page.text

    client.force_login(resident)
    refused = client.post(f"/samtaler/{thread.pk}/", {"body": "Nå da?"}, **EN)
    assert refused.status_code == 422
    assert "Your account has been blocked from writing here." in refused.text
    assert not thread.messages.filter(body="Nå da?").exists()

    client.force_login(moderator)
    assert client.post(f"/ansatt/moderering/blokker/{resident.pk}/opphev/", **EN).status_code == 302
    assert f"{resident} can write again." in client.get("/ansatt/moderering/", **EN).text
    client.force_login(resident)
    assert client.post(f"/samtaler/{thread.pk}/", {"body": "Unnskyld"}).status_code == 302


def test_block_without_reason_is_422_and_forged_user_is_404(
    client: Client, rude: Message, resident: User, other_resident: User, moderator: User
) -> None:
    services.message_report(message=rude, actor=other_resident, reason="Trusler")
    client.force_login(moderator)
    refused = client.post(
        "/ansatt/moderering/blokker/",
        {"user": resident.pk, "message": rude.pk, "reason": ""},
        **EN,
    )
    assert refused.status_code == 422 and "Give a reason." in refused.text
    assert f'aria-describedby="block-{rude.pk}_error"' in refused.text
    # An account that never wrote here, or no account at all.
    for forged in (other_resident.pk, 999999, "x"):
        response = client.post("/ansatt/moderering/blokker/", {"user": forged, "reason": "x"})
        assert response.status_code == 404, forged
    assert client.post("/ansatt/moderering/blokker/999999/opphev/").status_code == 404
    assert not Block.objects.exists()


def test_block_by_a_unit_moderator_is_403(
    client: Client, rude: Message, resident: User, admin: User
) -> None:
    client.force_login(admin)
    response = client.post(
        "/ansatt/moderering/blokker/", {"user": resident.pk, "reason": "Trusler"}
    )
    assert response.status_code == 403
    assert not Block.objects.exists()


def test_private_messages_are_moderated_the_same_way(
    client: Client, library: Unit, resident: User, moderator: User
) -> None:
    private = services.thread_open(
        unit=library, channel="case", body="Privat tekst", actor=resident, visibility="private"
    )
    message = private.messages.get()
    client.force_login(moderator)
    client.post(f"/samtaler/meldinger/{message.pk}/skjul/", {"reason": "Personopplysninger"})
    message.refresh_from_db()
    assert message.is_hidden and message.visibility == Visibility.PRIVATE
    client.force_login(resident)
    page = client.get(f"/samtaler/{private.pk}/", **EN)
    assert "Reason: Personopplysninger" in page.text and "Privat tekst" not in page.text

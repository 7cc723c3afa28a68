"""Answers to alerts by SMS and e-mail reach the sending unit's inbox; STOP unsubscribes."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from torget.alerts.models import Inbound, Subscription
from torget.alerts.services.inbound import inbound_email_receive, inbound_receive
from torget.alerts.tests.factories import alert_sent_make, subscription_make
from torget.conversations.models import AuthorRole, Thread, ThreadStatus, Visibility
from torget.conversations.selectors import InboxFilter, thread_list_waiting
from torget.organisation.models import Unit

pytestmark = pytest.mark.django_db

PHONE = "+4791234567"


def test_sms_answer_becomes_a_private_waiting_thread_in_the_sending_units_inbox(
    library: Unit, communicator: object
) -> None:
    alert = alert_sent_make(library, destinations={PHONE: "sms"})

    inbound = inbound_receive(
        medium="sms", provider="smpp", external_id="mo-1", sender=PHONE, body="Gjelder det nr 12?"
    )

    assert inbound.result == Inbound.Result.THREAD
    thread = Thread.objects.get()
    assert (thread.unit, thread.channel, thread.visibility) == (library, "sms", Visibility.PRIVATE)
    assert thread.subject == alert
    assert thread.status == ThreadStatus.WAITING
    assert thread.contact == PHONE
    message = thread.messages.get()
    assert (message.role, message.body, message.author) == (
        AuthorRole.RESIDENT,
        "Gjelder det nr 12?",
        None,
    )
    assert thread in list(
        thread_list_waiting(
            viewer=communicator, municipality=library.municipality, filters=InboxFilter()
        )
    )


def test_the_same_message_twice_is_stored_and_handled_once(library: Unit) -> None:
    alert_sent_make(library, destinations={PHONE: "sms"})

    first = inbound_receive(
        medium="sms", provider="smpp", external_id="mo-7", sender=PHONE, body="Hei"
    )
    again = inbound_receive(
        medium="sms", provider="smpp", external_id="mo-7", sender=PHONE, body="Hei"
    )

    assert first.pk == again.pk
    assert Inbound.objects.count() == 1
    assert Thread.objects.get().messages.count() == 1


def test_a_second_answer_joins_the_same_thread_and_it_waits_again(library: Unit) -> None:
    alert_sent_make(library, destinations={PHONE: "sms"})
    inbound_receive(medium="sms", provider="smpp", external_id="a", sender=PHONE, body="Første")
    inbound_receive(medium="sms", provider="smpp", external_id="b", sender=PHONE, body="Andre")

    thread = Thread.objects.get()
    assert [m.body for m in thread.messages.all()] == ["Første", "Andre"]


def test_stop_unsubscribes_the_number_and_opens_no_thread(library: Unit) -> None:
    alert_sent_make(library, destinations={PHONE: "sms"})
    subscription = subscription_make(library.municipality, destination=PHONE)
    other = subscription_make(library.municipality, destination="+4799999999")

    inbound = inbound_receive(
        medium="sms", provider="smpp", external_id="s", sender=PHONE, body=" stopp "
    )

    assert inbound.result == Inbound.Result.UNSUBSCRIBED
    subscription.refresh_from_db()
    other.refresh_from_db()
    assert subscription.status == Subscription.Status.UNSUBSCRIBED
    assert other.status == Subscription.Status.ACTIVE
    assert not Thread.objects.exists()


def test_an_answer_from_someone_who_got_no_alert_is_kept_but_ignored(library: Unit) -> None:
    alert_sent_make(library, destinations={PHONE: "sms"})

    inbound = inbound_receive(
        medium="sms", provider="smpp", external_id="x", sender="+4740000000", body="?"
    )

    assert inbound.result == Inbound.Result.IGNORED
    assert inbound.body == "?"
    assert not Thread.objects.exists()


def _email(*, sender: str, in_reply_to: str = "", body: str, auto: bool = False) -> bytes:
    message = EmailMessage()
    message["From"] = f"Nora <{sender}>"
    message["To"] = "svar@testvik.kommune.no"
    message["Subject"] = "Re: Vannlekkasje"
    message["Message-ID"] = f"<{abs(hash(body))}@mail.example.no>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if auto:
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(body)
    return message.as_bytes()


def test_email_answer_follows_in_reply_to_to_the_right_alert(library: Unit, school: Unit) -> None:
    older = alert_sent_make(library, destinations={"nora@example.no": "email"})
    alert_sent_make(school, destinations={"nora@example.no": "email"}, title="Veien er stengt")
    delivery = older.deliveries.get()
    reference = f"<delivery-{delivery.pk}.{older.identifier}@testserver>"

    inbound = inbound_email_receive(
        _email(
            sender="Nora@Example.no",
            in_reply_to=reference,
            body="Takk!\n\n> Vannlekkasje i Storgata",
        )
    )

    assert inbound is not None and inbound.result == Inbound.Result.THREAD
    thread = Thread.objects.get()
    assert (thread.unit, thread.channel, thread.subject) == (library, "email", older)
    assert thread.messages.get().body == "Takk!"


def test_automatic_replies_never_reach_the_inbox(library: Unit) -> None:
    alert_sent_make(library, destinations={"nora@example.no": "email"})

    inbound = inbound_email_receive(
        _email(sender="nora@example.no", body="Jeg er på ferie", auto=True)
    )

    assert inbound is not None and inbound.result == Inbound.Result.IGNORED
    assert not Thread.objects.exists()


def test_the_official_answer_to_an_sms_goes_back_by_sms(
    library: Unit, communicator: object, settings: object
) -> None:
    from torget.alerts.models import OutboxMessage
    from torget.conversations.services import thread_answer
    from torget.conversations.tasks import notify_answer

    settings.ALERT_SMS_PROVIDER = "outbox"  # type: ignore[attr-defined]
    alert_sent_make(library, destinations={PHONE: "sms"})
    inbound_receive(medium="sms", provider="smpp", external_id="q", sender=PHONE, body="Når?")
    thread = Thread.objects.get()

    [answer] = thread_answer(threads=[thread], actor=communicator, body="Før kl. 18.")  # type: ignore[arg-type]
    notify_answer.call(message_id=answer.pk)
    notify_answer.call(message_id=answer.pk)  # marked as notified: a second run sends nothing

    sent = OutboxMessage.objects.get(medium="sms")
    assert sent.destination == PHONE
    assert "Før kl. 18." in sent.body and "Testvik bibliotek" in sent.body


def test_mail_gateway_posts_an_answer_with_the_shared_secret(
    client: object, library: Unit, settings: object
) -> None:
    settings.EMAIL_INBOUND_SECRET = "s3cret"  # type: ignore[attr-defined]
    alert_sent_make(library, destinations={"nora@example.no": "email"})
    raw = _email(sender="nora@example.no", body="Er vannet trygt å drikke?")

    refused = client.post(  # type: ignore[attr-defined]
        "/varsler/epost/innkommende/",
        raw,
        content_type="message/rfc822",
        HTTP_X_TORGET_SECRET="nei",
    )
    accepted = client.post(  # type: ignore[attr-defined]
        "/varsler/epost/innkommende/",
        raw,
        content_type="message/rfc822",
        HTTP_X_TORGET_SECRET="s3cret",
    )

    assert refused.status_code == 403
    assert accepted.json()["result"] == "thread"
    assert Thread.objects.get().messages.get().body == "Er vannet trygt å drikke?"


def test_receive_email_command_reads_the_message_from_standard_input(library: Unit) -> None:
    import io
    import sys

    from django.core.management import call_command

    alert_sent_make(library, destinations={"nora@example.no": "email"})
    raw = _email(sender="nora@example.no", body="Hvor kan jeg hente vann?")
    stdin, out = sys.stdin, io.StringIO()
    sys.stdin = io.TextIOWrapper(io.BytesIO(raw))
    try:
        call_command("receive_email", stdout=out)
    finally:
        sys.stdin = stdin

    assert out.getvalue().startswith("thread")
    assert Thread.objects.get().channel == "email"

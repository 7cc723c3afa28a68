"""The development outbox page (/ansatt/varsler/utboks/): staff of the municipality see what
the outbox provider kept, newest first, paginated; nobody else does."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from tests.factories import municipality_make, unit_make
from torget.accounts.models import User
from torget.alerts.models import Alert, Delivery, OutboxMessage
from torget.alerts.tests.factories import alert_make
from torget.alerts.views.outbox import PER_PAGE
from torget.organisation.models import Unit

URL = "/ansatt/varsler/utboks/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _kept(unit: Unit, count: int, *, title: str = "Vannlekkasje i Storgata") -> Alert:
    alert = alert_make(unit, status=Alert.Status.SENT, sent_at=timezone.now(), title=title)
    for i in range(count):
        delivery = Delivery.objects.create(
            alert=alert,
            medium="sms",
            destination=f"+4790000{i:03d}",
            status=Delivery.Status.DELIVERED,
            next_attempt_at=timezone.now(),
        )
        OutboxMessage.objects.create(
            medium="sms", destination=delivery.destination, body=f"Melding {i}", delivery=delivery
        )
    return alert


def test_outbox_lists_messages_newest_first_for_staff(
    client: Client, communicator: User, library: Unit
) -> None:
    _kept(library, PER_PAGE + 3)
    client.force_login(communicator)
    page = client.get(URL, **EN)
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Melding {PER_PAGE + 2}" in text and "Vannlekkasje i Storgata" in text
    # Newest first: the first page ends before the three oldest.
    assert "Melding 2<" not in text and "Page 1 of 2" in text
    older = client.get(URL, {"page": 2}, **EN).content.decode()
    assert "Melding 0<" in older and f"Melding {PER_PAGE + 2}" not in older


def test_outbox_shows_only_this_municipalitys_messages(
    client: Client, communicator: User, library: Unit
) -> None:
    other = municipality_make(number="9999", name="Annenby kommune", hostnames=("annenby.test",))
    _kept(unit_make(other, slug="vann"), 1, title="Annenbys varsel")
    _kept(library, 1)
    client.force_login(communicator)
    text = client.get(URL, **EN).content.decode()
    assert "Vannlekkasje i Storgata" in text and "Annenbys varsel" not in text


def test_outbox_refuses_residents_and_sends_anonymous_to_log_in(
    client: Client, resident: User, municipality: object
) -> None:
    assert client.get(URL).status_code == 302
    client.force_login(resident)
    assert client.get(URL).status_code == 403


def test_outbox_says_when_it_is_empty(client: Client, communicator: User) -> None:
    client.force_login(communicator)
    assert "The outbox is empty." in client.get(URL, **EN).content.decode()

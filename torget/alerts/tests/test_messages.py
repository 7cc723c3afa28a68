"""What an alert says by SMS and e-mail, and the links it carries."""

from __future__ import annotations

import pytest

from torget.alerts.messages import AlertMessages, delivery_id_from_message_id, sms_text
from torget.alerts.tests.factories import alert_sent_make
from torget.organisation.models import Unit

pytestmark = pytest.mark.django_db


def test_each_email_links_its_own_subscription_and_names_its_delivery(library: Unit) -> None:
    alert = alert_sent_make(
        library, destinations={"a@example.no": "email", "b@example.no": "email"}
    )
    first, second = alert.deliveries.order_by("pk")
    messages = AlertMessages(alert)

    one = messages.outgoing(first, token="tok-one")
    two = messages.outgoing(second, token="")

    assert "http://testserver/varsler/abonnement/tok-one/" in one.body
    assert one.headers["List-Unsubscribe"] == "<http://testserver/varsler/abonnement/tok-one/>"
    assert "http://testserver/varsler/abonner/" in two.body and "tok-one" not in two.body
    assert delivery_id_from_message_id(one.headers["Message-ID"]) == first.pk
    assert one.subject == "Vannlekkasje i Storgata"
    assert f"http://testserver/varsler/{alert.pk}/" in one.body


def test_the_sms_is_counted_as_sent_with_its_link_and_how_to_answer(library: Unit) -> None:
    alert = alert_sent_make(
        library, destinations={"+4791234567": "sms"}, contact_phone="+4722000050"
    )

    text = sms_text(alert, "en")

    assert text.splitlines()[0] == "Vannlekkasje i Storgata"
    assert f"http://testserver/varsler/{alert.pk}/" in text
    assert "+4722000050" in text
    assert text.endswith("Answer this SMS to reply. STOP ends the alerts.")

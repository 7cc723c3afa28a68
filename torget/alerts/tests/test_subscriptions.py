"""Subscriptions to alerts: double opt-in by e-mail link and by SMS code, no alerts before
confirmation, change, unsubscribe by link, STOP, and a form that keeps what was typed."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conftest import run_tasks
from torget.accounts.models import User
from torget.alerts import geo, targeting
from torget.alerts.models import Address, Medium, OutboxMessage, Subscription, Topic
from torget.alerts.services import subscriptions as services
from torget.alerts.tests.factories import INSIDE, OUTSIDE, SQUARE, alert_make, subscription_make
from torget.alerts.views import subscriptions as views
from torget.organisation.models import Municipality, Unit

SUBSCRIBE = "/varsler/abonner/"


def _address(
    municipality: Municipality, street: str, number: str, lonlat: tuple[float, float]
) -> Address:
    x, y = geo.to_25833(*lonlat)
    return Address.objects.create(
        municipality=municipality,
        street=street,
        number=number,
        postcode="0150",
        place="Oslo",
        search_key=f"{street} {number}".lower(),
        x=x,
        y=y,
        lon=lonlat[0],
        lat=lonlat[1],
    )


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages of services called directly are read in English, their message ids."""
    with translation.override("en"):
        yield


@pytest.fixture
def client() -> Client:
    """A browser that asks for English, so that the tests read the message ids."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def storgata(municipality: Municipality) -> Address:
    return _address(municipality, "Storgata", "5", INSIDE)


def _form(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "place_kind": "address",
        "address": "Storgata 5",
        "lat": "",
        "lon": "",
        "radius_m": "0",
        "topics": [str(Topic.WATER.value), str(Topic.ROADS.value)],
        "phone": "",
        "email": "",
    }
    data.update(fields)
    return data


def _recipients(municipality: Municipality, topic: int = Topic.WATER) -> set[str]:
    return {
        r.destination
        for r in targeting.subscriptions_in_area(
            municipality=municipality, area=SQUARE, topic=topic, media=[Medium.SMS, Medium.EMAIL]
        )
    }


def _sms_code(destination: str) -> str:
    message = OutboxMessage.objects.filter(destination=destination, medium=Medium.SMS).first()
    assert message is not None, "no SMS in the outbox"
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, message.body
    return match.group(1)


# --- e-mail: a link -------------------------------------------------------------------------


def test_subscribe_by_email_is_confirmed_by_the_link_in_the_email(
    client: Client,
    municipality: Municipality,
    storgata: Address,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SUBSCRIBE, _form(email="Nora@Example.no"))
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:subscription-check-email")
    page = client.get(response["Location"])
    assert "nora@example.no" in page.content.decode()

    subscription = Subscription.objects.get()
    assert subscription.status == Subscription.Status.PENDING
    assert subscription.destination == "nora@example.no"
    assert subscription.address == storgata
    assert subscription.topics == Topic.WATER | Topic.ROADS
    assert subscription.language == "en"
    # The confirmation link is not shown to the browser that signed up.
    assert subscription.token not in page.content.decode()
    assert _recipients(municipality) == set()

    run_tasks()
    (mail,) = smtp_server.wait_for(1)
    assert mail["To"] == "nora@example.no"
    assert "Confirm your alerts from Testvik kommune" in mail["Subject"]
    body = mail.get_content()
    assert "Storgata 5" in body
    link = re.search(r"http://testserver(/varsler/abonnement/\S+/bekreft/)", body)
    assert link, body
    assert subscription.token in mail["List-Unsubscribe"]

    confirm_page = client.get(link.group(1))
    assert confirm_page.status_code == 200
    assert "Yes, start the alerts" in confirm_page.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PENDING  # a GET confirms nothing

    done = client.post(link.group(1))
    assert done.status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.confirmed_at is not None
    assert _recipients(municipality) == {"nora@example.no"}
    # Roads is subscribed, power is not.
    assert _recipients(municipality, Topic.ROADS) == {"nora@example.no"}
    assert _recipients(municipality, Topic.POWER) == set()


def test_confirmation_task_twice_sends_the_same_message_and_nothing_once_confirmed(
    municipality: Municipality, storgata: Address, smtp_server: Any
) -> None:
    from torget.alerts import subscription_tasks as tasks

    (subscription,) = services.subscription_start(
        municipality=municipality,
        actor=None,
        place=services.Place(address=storgata),
        topics=Topic.WATER,
        email="a@example.no",
    )
    assert tasks.send_subscription_confirmation.call(subscription.pk) is True
    assert tasks.send_subscription_confirmation.call(subscription.pk) is True
    first, second = smtp_server.wait_for(2)
    assert first["Message-ID"] == second["Message-ID"]
    services.subscription_confirm_link(token=subscription.token)
    assert tasks.send_subscription_confirmation.call(subscription.pk) is False


def test_pending_subscription_gets_no_alert(
    municipality: Municipality, library: Unit, storgata: Address
) -> None:
    (pending,) = services.subscription_start(
        municipality=municipality,
        actor=None,
        place=services.Place(address=storgata),
        topics=Topic.WATER,
        phone="91234567",
    )
    alert = alert_make(library)
    assert targeting.recipients_for(alert) == []
    subscription_make(municipality, destination="+4790000001")
    assert [r.destination for r in targeting.recipients_for(alert)] == ["+4790000001"]
    assert pending.status == Subscription.Status.PENDING


# --- SMS: a code ----------------------------------------------------------------------------


def test_subscribe_by_sms_is_confirmed_by_the_code_and_wrong_codes_are_limited(
    client: Client,
    municipality: Municipality,
    storgata: Address,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.ALERT_SMS_PROVIDER = "outbox"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SUBSCRIBE, _form(phone="912 34 567"))
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    code_url = reverse("alerts:subscription-code", args=[subscription.token])
    assert response["Location"] == code_url
    assert subscription.destination == "+4791234567"
    assert subscription.code_hash and subscription.code_attempts == 0

    run_tasks()
    code = _sms_code("+4791234567")
    assert code not in subscription.code_hash  # the code itself is never stored
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for left in range(services.MAX_CODE_ATTEMPTS - 1, 0, -1):
        page = client.post(code_url, {"code": wrong, "action": "confirm"})
        assert page.status_code == 422
        assert f"Wrong code. {left} tries left." in page.content.decode()
    page = client.post(code_url, {"code": wrong, "action": "confirm"})
    assert "no tries are left" in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.code_attempts == services.MAX_CODE_ATTEMPTS
    # Even the right code is refused now.
    page = client.post(code_url, {"code": code, "action": "confirm"})
    assert page.status_code == 422
    assert "Too many wrong codes" in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PENDING
    assert _recipients(municipality) == set()

    # A new code starts over.
    with django_capture_on_commit_callbacks(execute=True):
        resend = client.post(code_url, {"action": "resend"})
    assert resend.status_code == 302
    run_tasks()
    assert OutboxMessage.objects.filter(destination="+4791234567").count() == 2
    new_code = _sms_code("+4791234567")  # the newest message first
    confirmed = client.post(code_url, {"code": new_code, "action": "confirm"})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("alerts:subscription-manage", args=[subscription.token])
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.code_hash == ""
    assert _recipients(municipality) == {"+4791234567"}


def test_sms_code_expires(municipality: Municipality, storgata: Address) -> None:
    from torget.alerts.services.subscriptions import subscription_code

    start = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        (subscription,) = services.subscription_start(
            municipality=municipality,
            actor=None,
            place=services.Place(address=storgata),
            topics=Topic.WATER,
            phone="+47 912 34 567",
        )
        code = subscription_code(subscription)
    later = start + services.CODE_LIFETIME + datetime.timedelta(seconds=1)
    with time_machine.travel(later), pytest.raises(ValidationError) as caught:
        services.subscription_confirm_code(subscription=subscription, code=code)
    assert "expired" in str(caught.value)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PENDING


def test_subscribe_with_both_media_makes_one_row_each_and_shows_the_code_step(
    client: Client, municipality: Municipality, storgata: Address
) -> None:
    response = client.post(SUBSCRIBE, _form(phone="91234567", email="x@example.no"))
    assert response.status_code == 302
    assert set(Subscription.objects.values_list("medium", "destination")) == {
        ("sms", "+4791234567"),
        ("email", "x@example.no"),
    }
    page = client.get(response["Location"])
    text = page.content.decode()
    assert "Enter the code from the SMS" in text
    assert "We have also sent a link to x@example.no" in text
    email_token = Subscription.objects.get(medium="email").token
    assert email_token not in text


# --- the form -------------------------------------------------------------------------------


def test_invalid_phone_number_is_shown_beside_the_field_and_the_form_keeps_what_was_typed(
    client: Client, municipality: Municipality, storgata: Address
) -> None:
    response = client.post(
        SUBSCRIBE, _form(phone="12345", topics=[str(Topic.POWER.value)], radius_m="250")
    )
    assert response.status_code == 422
    text = response.content.decode()
    error = re.search(r'id="id_phone_error">(.*?)</ul>', text, re.S)
    assert error and "is not a valid Norwegian or international phone number" in error.group(1)
    assert 'aria-invalid="true"' in text
    assert 'value="12345"' in text
    assert 'value="Storgata 5"' in text
    assert 'value="250"' in text
    assert re.search(r'value="4"[^>]*checked', text)
    assert not re.search(r'value="1"[^>]*checked', text)
    assert Subscription.objects.count() == 0


def test_address_search_offers_the_matches_to_choose_from(
    client: Client, municipality: Municipality, storgata: Address
) -> None:
    other = _address(municipality, "Storgata", "7", OUTSIDE)
    response = client.post(SUBSCRIBE, _form(address="storgata", email="y@example.no"))
    assert response.status_code == 422
    text = response.content.decode()
    assert "Several addresses match" in text
    assert f'value="{other.pk}"' in text and f'value="{storgata.pk}"' in text

    chosen = client.post(
        SUBSCRIBE,
        _form(address="storgata", address_choice=str(other.pk), email="y@example.no"),
    )
    assert chosen.status_code == 302
    assert Subscription.objects.get().address == other

    unknown = client.post(SUBSCRIBE, _form(address="Ukjentveien 1", email="y(at)example.no"))
    assert unknown.status_code == 422
    text = unknown.content.decode()
    # Every error at once: the address and the e-mail address.
    assert "No address in the register matches" in text
    assert "“y(at)example.no” is not an e-mail address." in text


def test_a_point_with_a_radius_is_a_place_too(client: Client, municipality: Municipality) -> None:
    response = client.post(
        SUBSCRIBE,
        _form(
            place_kind="point",
            address="",
            lat="59.9205",
            lon="10.7450",
            radius_m="800",
            email="p@example.no",
        ),
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.address is None
    assert (subscription.lat, subscription.lon, subscription.radius_m) == (59.9205, 10.745, 800)
    x, y = geo.to_25833(10.745, 59.9205)
    assert abs(subscription.x - x) < 0.01 and abs(subscription.y - y) < 0.01

    too_wide = client.post(
        SUBSCRIBE,
        _form(place_kind="point", lat="59.92", lon="10.74", radius_m="5001", email="p@example.no"),
    )
    assert too_wide.status_code == 422
    abroad = client.post(
        SUBSCRIBE,
        _form(place_kind="point", lat="10.74", lon="59.92", email="p@example.no"),
    )
    assert abroad.status_code == 422
    assert "not in Norway" in abroad.content.decode()
    assert Subscription.objects.count() == 1


def test_subscribe_is_rate_limited_per_address(
    client: Client, municipality: Municipality, storgata: Address, monkeypatch: Any
) -> None:
    monkeypatch.setattr(views, "SUBSCRIBES_PER_IP_PER_HOUR", 2)
    for number in range(2):
        assert client.post(SUBSCRIBE, _form(email=f"r{number}@example.no")).status_code == 302
    refused = client.post(SUBSCRIBE, _form(email="r9@example.no"))
    assert refused.status_code == 429
    assert "Many sign-ups have come from here" in refused.content.decode()
    assert Subscription.objects.count() == 2


# --- change and unsubscribe -----------------------------------------------------------------


def test_change_of_topics_radius_and_place_by_the_token_page(
    client: Client, municipality: Municipality, storgata: Address
) -> None:
    subscription = subscription_make(
        municipality, destination="c@example.no", medium="email", address=storgata
    )
    url = reverse("alerts:subscription-manage", args=[subscription.token])
    page = client.get(url)
    assert page.status_code == 200
    assert "Change the subscription" in page.content.decode()

    response = client.post(
        url,
        {"place_kind": "keep", "address": "", "radius_m": "300", "topics": ["4", "8"]},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.topics == Topic.POWER | Topic.OTHER
    assert subscription.radius_m == 300
    assert subscription.address == storgata
    assert _recipients(municipality, Topic.WATER) == set()
    assert _recipients(municipality, Topic.POWER) == {"c@example.no"}

    far = _address(municipality, "Fjellveien", "2", (10.9, 59.95))
    moved = client.post(
        url,
        {"place_kind": "address", "address": "Fjellveien 2", "radius_m": "0", "topics": ["4"]},
    )
    assert moved.status_code == 302
    subscription.refresh_from_db()
    assert subscription.address == far and subscription.radius_m == 0
    assert _recipients(municipality, Topic.POWER) == set()

    none_chosen = client.post(url, {"place_kind": "keep", "radius_m": "0"})
    assert none_chosen.status_code == 422
    assert "Choose at least one topic." in none_chosen.content.decode()


def test_change_refused_without_the_token_or_ownership(
    municipality: Municipality, resident: User, other_resident: User
) -> None:
    subscription = subscription_make(municipality, destination="+4791234567", user=resident)
    with pytest.raises(PermissionDenied):
        services.subscription_change(
            subscription=subscription, actor=other_resident, token="wrong", topics=Topic.POWER
        )
    changed = services.subscription_change(
        subscription=subscription, actor=resident, topics=Topic.POWER
    )
    assert changed.topics == Topic.POWER


def test_unsubscribe_by_link_asks_first_then_ends_it_and_one_can_subscribe_again(
    client: Client, municipality: Municipality, storgata: Address
) -> None:
    subscription = subscription_make(municipality, destination="u@example.no", medium="email")
    url = reverse("alerts:subscription-unsubscribe", args=[subscription.token])
    question = client.get(url)
    assert question.status_code == 200
    assert "Unsubscribe from alerts?" in question.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE

    done = client.post(url)
    assert done.status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.UNSUBSCRIBED
    assert subscription.unsubscribed_at is not None
    assert _recipients(municipality) == set()
    page = client.get(done["Location"])
    text = page.content.decode()
    assert "You have unsubscribed" in text
    assert "Subscribe again" in text
    assert "Change the subscription" not in text

    again = client.post(SUBSCRIBE, _form(email="u@example.no"))
    assert again.status_code == 302
    assert Subscription.objects.filter(
        destination="u@example.no", status=Subscription.Status.PENDING
    ).exists()


def test_stop_unsubscribes_every_subscription_of_the_number_in_the_municipality(
    municipality: Municipality,
) -> None:
    from tests.factories import municipality_make

    elsewhere = municipality_make(number="9997", name="Annenvik kommune", hostnames=("annen",))
    mine = [
        subscription_make(municipality, destination="+4791234567"),
        subscription_make(municipality, destination="+4791234567", lonlat=OUTSIDE),
        subscription_make(
            municipality, destination="+4791234567", status=Subscription.Status.PENDING
        ),
    ]
    other_number = subscription_make(municipality, destination="+4790000002")
    other_place = subscription_make(elsewhere, destination="+4791234567")

    assert services.subscriptions_stop(municipality=municipality, destination="91234567") == 3
    for subscription in mine:
        subscription.refresh_from_db()
        assert subscription.status == Subscription.Status.UNSUBSCRIBED
    other_number.refresh_from_db()
    other_place.refresh_from_db()
    assert other_number.status == Subscription.Status.ACTIVE
    assert other_place.status == Subscription.Status.ACTIVE
    assert _recipients(municipality) == {"+4790000002"}
    # Twice is harmless.
    assert services.subscriptions_stop(municipality=municipality, destination="+4791234567") == 0


# --- Min side -------------------------------------------------------------------------------


def test_min_side_subscription_to_a_verified_address_is_active_at_once_and_listed(
    client: Client,
    municipality: Municipality,
    storgata: Address,
    resident: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    EmailAddress.objects.create(user=resident, email=resident.email, verified=True, primary=True)
    client.force_login(resident)
    form = client.get(SUBSCRIBE)
    assert f'value="{resident.email}"' in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(SUBSCRIBE, _form(email=resident.email))
    assert callbacks == []  # no confirmation e-mail
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:my-page")
    subscription = Subscription.objects.get()
    assert subscription.user == resident
    assert subscription.status == Subscription.Status.ACTIVE

    page = client.get(response["Location"])
    text = page.content.decode()
    assert "My alert subscriptions" in text
    assert "Storgata 5" in text
    assert reverse("alerts:subscription-manage", args=[subscription.token]) in text


def test_min_side_subscription_to_an_unverified_address_still_needs_the_link(
    client: Client, municipality: Municipality, storgata: Address, resident: User
) -> None:
    client.force_login(resident)
    response = client.post(SUBSCRIBE, _form(email="annen@example.no"))
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.status == Subscription.Status.PENDING
    page = client.get(reverse("accounts:my-page")).content.decode()
    assert "open the link we sent by e-mail to confirm" in page
    assert subscription.token not in page


def test_code_confirmation_is_rate_limited_per_address(
    client: Client, municipality: Municipality, storgata: Address, monkeypatch: Any
) -> None:
    monkeypatch.setattr(views, "CODE_TRIES_PER_IP_PER_HOUR", 1)
    (subscription,) = services.subscription_start(
        municipality=municipality,
        actor=None,
        place=services.Place(address=storgata),
        topics=Topic.WATER,
        phone="91234567",
    )
    url = reverse("alerts:subscription-code", args=[subscription.token])
    code = services.subscription_code(subscription)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert client.post(url, {"code": wrong, "action": "confirm"}).status_code == 422
    refused = client.post(url, {"code": code, "action": "confirm"})
    assert refused.status_code == 429
    assert "Too many tries from here" in refused.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PENDING


def test_address_suggestions_and_a_chosen_suggestion_with_its_postcode(
    client: Client, municipality: Municipality, storgata: Address
) -> None:
    twin = _address(municipality, "Storgata", "5", OUTSIDE)
    twin.postcode = "0160"
    twin.save()
    _address(municipality, "Storgata", "50", OUTSIDE)
    data = client.get(reverse("alerts:address-suggest"), {"q": "storgata 5"}).json()
    assert data == {"addresses": ["Storgata 5, 0150 Oslo", "Storgata 5, 0160 Oslo"]}
    prefix = client.get(reverse("alerts:address-suggest"), {"q": "Storg"}).json()
    assert len(prefix["addresses"]) == 3
    assert client.get(reverse("alerts:address-suggest"), {"q": ""}).json() == {"addresses": []}

    response = client.post(SUBSCRIBE, _form(address="Storgata 5, 0160 Oslo", email="z@example.no"))
    assert response.status_code == 302
    assert Subscription.objects.get().address == twin

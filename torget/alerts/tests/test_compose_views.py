"""The staff pages of alerts: list, compose (typed area, zone, addresses), the preview with the
recipients per channel, sending, approval, follow-ups, progress, zones; and who may see them."""

from __future__ import annotations

import datetime
import html
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from torget.accounts.models import User
from torget.alerts import geo
from torget.alerts.messages import sms_text
from torget.alerts.models import Address, Alert, AlertSettings, Delivery, Zone
from torget.alerts.services import alerts as services
from torget.alerts.services.inbound import inbound_receive
from torget.alerts.tests import compose_support
from torget.alerts.tests.compose_support import (
    CROSSING_TEXT,
    SQUARE_TEXT,
    SWAPPED_TEXT,
    TWO_POINTS_TEXT,
    draft_data,
    form_data,
)
from torget.alerts.tests.factories import SQUARE, alert_make, subscription_make
from torget.conversations.models import Thread
from torget.organisation.models import Municipality, Unit

pytestmark = pytest.mark.django_db

approver = compose_support.approver
school_communicator = compose_support.school_communicator
root_communicator = compose_support.root_communicator
approval_required = compose_support.approval_required

LIST = "/ansatt/varsler/"
CREATE = "/ansatt/varsler/ny/"


def _client(user: User) -> Client:
    client = Client(headers={"Accept-Language": "en"})  # the tests read English text
    client.force_login(user)
    return client


def _text(response: Any) -> str:
    """The page's text with tags dropped and entities undone, spaces squeezed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


@pytest.fixture
def people(municipality: Municipality) -> None:
    """Two SMS subscribers and one e-mail subscriber inside SQUARE, one SMS subscriber out."""
    subscription_make(municipality, destination="+4790000001")
    subscription_make(municipality, destination="+4790000002", lonlat=(10.75, 59.92))  # corner
    subscription_make(municipality, destination="nora@example.no", medium="email")
    subscription_make(municipality, destination="+4790000009", lonlat=(10.76, 59.915))


def _draft(communicator: User, library: Unit, **data: Any) -> Alert:
    return services.alert_draft_save(
        actor=communicator, unit=library, data=draft_data(**data), area=SQUARE_TEXT
    )


# --- the list ---------------------------------------------------------------------------------


def test_alert_list_shows_the_empty_state_and_the_way_to_write_one(communicator: User) -> None:
    response = _client(communicator).get(LIST)

    assert response.status_code == 200
    assert "No alerts yet." in _text(response)
    assert f'href="{CREATE}"' in response.content.decode()


def test_alert_list_shows_drafts_waiting_and_sent_alerts_of_the_units_one_serves(
    library: Unit, school: Unit, communicator: User
) -> None:
    alert_make(library, title="Utkast om vann", status=Alert.Status.DRAFT)
    alert_make(library, title="Venter på godkjenning", status=Alert.Status.PENDING_APPROVAL)
    alert_make(library, title="Sendt om vann", status=Alert.Status.SENT, sent_at=timezone.now())
    alert_make(school, title="Skolens varsel", status=Alert.Status.DRAFT)

    text = _text(_client(communicator).get(LIST))

    assert re.search(r"Waiting for approval .*Venter på godkjenning", text)
    assert re.search(r"Drafts .*Utkast om vann", text)
    assert re.search(r"Sent .*Sendt om vann", text)
    assert "Skolens varsel" not in text


def test_alert_list_is_paginated(library: Unit, communicator: User) -> None:
    now = timezone.now()
    for number in range(30):
        alert_make(
            library,
            title=f"Varsel {number:02d}",
            status=Alert.Status.SENT,
            sent_at=now - datetime.timedelta(minutes=number),
        )

    first = _text(_client(communicator).get(LIST))
    second = _text(_client(communicator).get(LIST + "?page=2"))

    assert "Varsel 00" in first and "Varsel 24" in first and "Varsel 25" not in first
    assert "Varsel 25" in second and "Varsel 29" in second and "Page 2 of 2" in second


def test_staff_who_may_not_send_alerts_are_refused_and_visitors_must_log_in(
    moderator: User,
) -> None:
    assert _client(moderator).get(LIST).status_code == 403
    assert _client(moderator).get(CREATE).status_code == 403
    response = Client().get(LIST)
    assert response.status_code == 302
    assert "/konto/login/" in response["Location"]


# --- composing --------------------------------------------------------------------------------


def test_compose_page_has_the_map_the_typed_area_field_and_the_sms_counter(
    communicator: User, library: Unit
) -> None:
    response = _client(communicator).get(CREATE)
    page = response.content.decode()

    assert response.status_code == 200
    assert "data-area-map hidden" in page  # only JavaScript shows the map
    assert 'name="area"' in page and "data-area-field" in page
    assert re.search(r"/static/leaflet/draw/leaflet\.draw\.\w+\.js", page)
    assert re.search(r"/static/js/alert_compose\.\w+\.js", page)
    assert f'data-url="{reverse("alerts:staff-sms-length")}"' in page
    assert "GSM-7" in _text(response) and "UCS-2" in _text(response)
    # The counter's frame is the SMS as sent, with stand-ins for what is typed.
    script = re.search(r'id="sms-frame"[^>]*>(.*?)</script>', page, re.S)
    assert script is not None
    frame = json.loads(script.group(1))
    assert "\x01title\x01" in frame and "\x01text\x01" in frame and "/varsler/" in frame
    assert f'<option value="{library.pk}" selected>Testvik bibliotek</option>' in page


def test_compose_saves_a_draft_and_the_preview_shows_recipients_sms_and_email(
    communicator: User, library: Unit, people: None
) -> None:
    client = _client(communicator)

    response = client.post(CREATE, form_data(library, contact_phone="22 11 22 33"))
    alert = Alert.objects.get()
    preview = client.get(response["Location"])
    text = _text(preview)

    assert response.status_code == 302
    assert response["Location"] == f"/ansatt/varsler/{alert.pk}/"
    assert alert.status == Alert.Status.DRAFT and alert.area == SQUARE
    assert alert.contact_phone == "+4722112233"
    assert "SMS 2 E-mail 1 In all 3" in text
    assert html.escape(sms_text(alert)) in preview.content.decode()
    assert "+4722112233" in sms_text(alert)  # the SMS is in the municipality's language
    assert "characters in GSM-7: 1 SMS." in text or "characters in GSM-7: 2 SMS parts." in text
    assert "Subject: Vannlekkasje i Storgata" in text
    assert "Send the alert" in text


def test_a_bad_area_gives_the_error_beside_the_field_and_keeps_what_was_typed(
    communicator: User, library: Unit
) -> None:
    client = _client(communicator)
    for area, message in [
        (TWO_POINTS_TEXT, "An area needs at least three distinct corners."),
        (CROSSING_TEXT, "The area's edges cross each other"),
        (SWAPPED_TEXT, "are latitude and longitude swapped"),
    ]:
        response = client.post(CREATE, form_data(library, area=area, title="Brudd på vannledning"))
        page = response.content.decode()

        assert response.status_code == 422
        errors = re.search(r'<ul class="errorlist" id="id_area_error">(.*?)</ul>', page, re.S)
        assert errors and message in html.unescape(errors.group(1))
        assert f">\n{area}</textarea>" in html.unescape(page)  # kept as typed
        assert 'value="Brudd på vannledning"' in page
        assert 'aria-invalid="true"' in page
    assert not Alert.objects.exists()


def test_an_sms_over_ten_segments_is_refused_on_the_text_field(
    communicator: User, library: Unit
) -> None:
    long_text = "Vannet er stengt i hele sentrum. " * 60

    response = _client(communicator).post(CREATE, form_data(library, text=long_text))
    page = html.unescape(response.content.decode())

    assert response.status_code == 422
    errors = re.search(r'<ul class="errorlist" id="id_text_error">(.*?)</ul>', page, re.S)
    assert errors and "at most 10 are allowed" in errors.group(1)
    assert long_text.strip() in page
    assert not Alert.objects.exists()


def test_compose_with_a_zone_or_with_streets_from_the_address_register(
    municipality: Municipality, communicator: User, library: Unit, people: None
) -> None:
    zone = Zone.objects.create(municipality=municipality, name="Sentrum", area=SQUARE)
    for number, (lon, lat) in enumerate([(10.745, 59.915), (10.7452, 59.9151)], start=1):
        x, y = geo.to_25833(lon, lat)
        Address.objects.create(
            municipality=municipality,
            street="Storgata",
            number=str(number),
            search_key=f"storgata {number}",
            x=x,
            y=y,
            lat=lat,
            lon=lon,
        )
    client = _client(communicator)

    by_zone = client.post(
        CREATE, form_data(library, area_source="zone", zone=str(zone.pk), area="")
    )
    by_street = client.post(
        CREATE,
        form_data(library, area_source="addresses", area_addresses="Storgata", area=""),
    )
    unknown = client.post(
        CREATE,
        form_data(library, area_source="addresses", area_addresses="Ukjentveien 3", area=""),
    )
    no_zone = client.post(CREATE, form_data(library, area_source="zone", area=""))

    zoned, streets = Alert.objects.order_by("pk")
    assert by_zone.status_code == by_street.status_code == 302
    assert zoned.zone == zone and zoned.area == SQUARE
    assert "SMS 2 E-mail 1" in _text(client.get(f"/ansatt/varsler/{zoned.pk}/"))
    # 30 m around Storgata reaches the subscriber at the first address only.
    assert "SMS 1 E-mail 1" in _text(client.get(f"/ansatt/varsler/{streets.pk}/"))
    assert unknown.status_code == 422
    assert "Not found in the address register: Ukjentveien 3" in _text(unknown)
    assert no_zone.status_code == 422
    assert "Choose a zone." in _text(no_zone)


def test_editing_a_draft_shows_what_it_holds_and_saves_the_change(
    communicator: User, library: Unit, people: None
) -> None:
    alert = _draft(communicator, library)
    client = _client(communicator)

    page = client.get(f"/ansatt/varsler/{alert.pk}/endre/").content.decode()
    response = client.post(
        f"/ansatt/varsler/{alert.pk}/endre/",
        form_data(library, title="Vannlekkasje, oppdatert tittel"),
    )

    assert 'value="Vannlekkasje i Storgata"' in page
    assert html.escape(json.dumps(SQUARE)) in page or "&quot;Polygon&quot;" in page
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.title == "Vannlekkasje, oppdatert tittel"
    assert Alert.objects.count() == 1


# --- the preview and sending ------------------------------------------------------------------


def test_an_alert_that_reaches_no_one_cannot_be_sent_and_says_why(
    communicator: User, library: Unit
) -> None:
    alert = _draft(communicator, library)
    client = _client(communicator)

    preview = _text(client.get(f"/ansatt/varsler/{alert.pk}/"))
    refused = client.post(f"/ansatt/varsler/{alert.pk}/send/", follow=True)

    assert "The alert reaches no one, so it cannot be sent." in preview
    assert "No one has an active subscription in this area." in preview
    assert "Send the alert" not in preview
    assert "No one subscribes to this topic by the chosen media in this area." in _text(refused)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DRAFT


def test_sending_writes_the_deliveries_and_the_page_shows_their_progress(
    communicator: User, library: Unit, people: None
) -> None:
    alert = _draft(communicator, library)
    client = _client(communicator)

    response = client.post(f"/ansatt/varsler/{alert.pk}/send/", follow=True)
    Delivery.objects.filter(alert=alert, destination="+4790000001").update(
        status=Delivery.Status.DELIVERED
    )
    Delivery.objects.filter(alert=alert, destination="+4790000002").update(
        status=Delivery.Status.FAILED, error="Unknown subscriber (SMPP status 0x0B)", attempts=1
    )
    status = client.get(f"/ansatt/varsler/{alert.pk}/status.json").json()
    page = client.get(f"/ansatt/varsler/{alert.pk}/")
    text = _text(page)

    assert "The alert is sent. Its deliveries are on their way." in _text(response)
    assert "0 of 3 delivered so far." in _text(response)
    assert '<progress id="delivery-progress"' in response.content.decode()
    assert status == {
        "total": 3,
        "delivered": 1,
        "counts": {"queued": 1, "claimed": 0, "sent": 0, "delivered": 1, "failed": 1},
        "finished": False,
        "summary": "1 of 3 delivered so far.",
    }
    assert 'max="3" value="1"' in page.content.decode()
    assert "Queued 1 Being sent 0 Sent 0 Delivered 1 Failed 1" in text
    assert "SMS +4790000002 1 Unknown subscriber (SMPP status 0x0B)" in text
    assert "Refresh the counts" in text
    assert "Write an update" in text and "Give the all-clear" in text


def test_progress_says_finished_when_nothing_is_left_to_send(
    communicator: User, library: Unit, people: None
) -> None:
    alert = services.alert_send(alert=_draft(communicator, library), actor=communicator)
    Delivery.objects.filter(alert=alert).update(status=Delivery.Status.DELIVERED)

    status = _client(communicator).get(f"/ansatt/varsler/{alert.pk}/status.json").json()

    assert status["finished"] is True
    assert status["summary"] == "Finished: all 3 delivered."


def test_failures_are_listed_a_page_at_a_time(
    communicator: User, library: Unit, people: None
) -> None:
    alert = services.alert_send(alert=_draft(communicator, library), actor=communicator)
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            alert=alert,
            medium="sms",
            destination=f"+47911{n:05d}",
            status="failed",
            error=f"Reason {n}",
            next_attempt_at=now,
        )
        for n in range(60)
    )
    client = _client(communicator)

    first = _text(client.get(f"/ansatt/varsler/{alert.pk}/"))
    second = _text(client.get(f"/ansatt/varsler/{alert.pk}/?page=2"))

    assert "Reason 0 " in first and "Reason 49 " in first and "Reason 50 " not in first
    assert "Reason 59 " in second and "Page 2 of 2" in second


# --- approval ---------------------------------------------------------------------------------


def test_approval_by_a_second_person_through_the_pages(
    communicator: User,
    approver: User,
    library: Unit,
    people: None,
    approval_required: AlertSettings,
) -> None:
    alert = _draft(communicator, library)
    author, second = _client(communicator), _client(approver)

    before = _text(author.get(f"/ansatt/varsler/{alert.pk}/"))
    asked = author.post(f"/ansatt/varsler/{alert.pk}/send/", follow=True)
    own = author.post(f"/ansatt/varsler/{alert.pk}/godkjenn/")
    listed = _text(second.get(LIST))
    approved = second.post(f"/ansatt/varsler/{alert.pk}/godkjenn/", follow=True)

    assert "Ask for approval" in before and "Send the alert" not in before
    assert "A second person who may send for the unit must now approve it." in _text(asked)
    assert "Approve and send" not in _text(asked)
    assert own.status_code == 403
    assert "Waits for your approval" in listed
    assert "Approved. The alert is sent." in _text(approved)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.SENT and alert.approved_by == approver
    assert Delivery.objects.filter(alert=alert).count() == 3


def test_the_approver_can_send_an_alert_back_as_a_draft(
    communicator: User,
    approver: User,
    library: Unit,
    people: None,
    approval_required: AlertSettings,
) -> None:
    alert = services.alert_submit(alert=_draft(communicator, library), actor=communicator)
    second = _client(approver)

    page = _text(second.get(f"/ansatt/varsler/{alert.pk}/"))
    back = second.post(f"/ansatt/varsler/{alert.pk}/send-tilbake/", follow=True)

    assert "asks you to approve this alert" in page and "Approve and send" in page
    assert "The alert is sent back as a draft." in _text(back)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DRAFT
    assert not Delivery.objects.exists()


# --- updates and the all-clear ----------------------------------------------------------------


def test_an_update_and_the_all_clear_go_to_the_originals_recipients(
    municipality: Municipality, communicator: User, library: Unit, people: None
) -> None:
    original = services.alert_send(alert=_draft(communicator, library), actor=communicator)
    subscription_make(municipality, destination="+4790000010")  # came after the alert
    client = _client(communicator)

    form = _text(client.get(f"/ansatt/varsler/{original.pk}/oppdatering/"))
    saved = client.post(
        f"/ansatt/varsler/{original.pk}/oppdatering/",
        {
            "severity": "Moderate",
            "title": "Vannlekkasje i Storgata",
            "text": "Reparert kl. 20. Kok vannet til i morgen.",
            "by_sms": "on",
            "by_email": "on",
        },
    )
    update = Alert.objects.get(original=original)
    preview_page = client.get(saved["Location"])
    preview = _text(preview_page)
    client.post(f"/ansatt/varsler/{update.pk}/send/")
    all_clear_saved = client.post(
        f"/ansatt/varsler/{original.pk}/klarsignal/",
        {
            "severity": "Minor",
            "title": "Vannet er tilbake",
            "text": "Alt er normalt.",
            "by_sms": "on",
        },
    )
    all_clear = Alert.objects.get(original=original, kind=Alert.Kind.CANCEL)
    client.post(f"/ansatt/varsler/{all_clear.pk}/send/")
    original_page = _text(client.get(f"/ansatt/varsler/{original.pk}/"))

    def reached(alert: Alert) -> set[str]:
        return set(Delivery.objects.filter(alert=alert).values_list("destination", flat=True))

    assert "It goes to the 3 recipients the alert “Vannlekkasje i Storgata” reached" in form
    assert saved.status_code == 302 and all_clear_saved.status_code == 302
    assert update.kind == Alert.Kind.UPDATE
    assert "SMS 2 E-mail 1 In all 3" in preview
    assert html.escape(sms_text(update)) in preview_page.content.decode()
    assert reached(update) == reached(original) == {"+4790000001", "+4790000002", "nora@example.no"}
    assert reached(all_clear) == {"+4790000001", "+4790000002"}
    assert "The all-clear was given" in original_page
    assert "Give the all-clear" not in original_page
    assert "Update: Vannlekkasje i Storgata" in original_page


# --- who may see what -------------------------------------------------------------------------


def test_a_communicator_of_another_unit_finds_none_of_the_librarys_alert_pages(
    communicator: User, school_communicator: User, library: Unit, people: None
) -> None:
    draft = _draft(communicator, library)
    sent = services.alert_send(alert=_draft(communicator, library), actor=communicator)
    outsider = _client(school_communicator)

    for url in [
        f"/ansatt/varsler/{draft.pk}/",
        f"/ansatt/varsler/{draft.pk}/endre/",
        f"/ansatt/varsler/{sent.pk}/status.json",
        f"/ansatt/varsler/{sent.pk}/oppdatering/",
    ]:
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"/ansatt/varsler/{draft.pk}/send/").status_code == 404
    assert (
        outsider.post(f"/ansatt/varsler/{draft.pk}/endre/", form_data(library)).status_code == 404
    )
    listed = outsider.get(LIST).content.decode()
    assert f"/ansatt/varsler/{draft.pk}/" not in listed
    assert f"/ansatt/varsler/{sent.pk}/" not in listed
    draft.refresh_from_db()
    assert draft.status == Alert.Status.DRAFT


def test_one_cannot_compose_for_a_unit_one_does_not_serve(communicator: User, school: Unit) -> None:
    response = _client(communicator).post(CREATE, form_data(school))

    assert response.status_code == 422
    assert "Select a valid choice." in _text(response)
    assert not Alert.objects.exists()


# --- zones ------------------------------------------------------------------------------------


def test_the_municipalitys_communicator_draws_names_and_removes_zones(
    root_communicator: User, municipality: Municipality
) -> None:
    client = _client(root_communicator)
    zones = reverse("alerts:staff-zone-list")

    created = client.post(zones, {"name": "Sentrum", "area": json.dumps(SQUARE)})
    listed = _text(client.get(zones))
    bad = client.post(zones, {"name": "Nord", "area": CROSSING_TEXT})
    zone = Zone.objects.get()
    removed = client.post(reverse("alerts:staff-zone-delete", args=[zone.pk]))

    assert created.status_code == 302
    assert "Sentrum 4 Remove Sentrum" in listed
    assert bad.status_code == 422
    assert "edges cross each other" in _text(bad)
    assert f">\n{CROSSING_TEXT}</textarea>" in bad.content.decode()
    assert removed.status_code == 302
    assert not Zone.objects.exists()


def test_a_units_communicator_may_not_keep_zones(
    communicator: User, municipality: Municipality
) -> None:
    zone = Zone.objects.create(municipality=municipality, name="Sentrum", area=SQUARE)
    client = _client(communicator)

    assert client.get(reverse("alerts:staff-zone-list")).status_code == 403
    assert client.post(reverse("alerts:staff-zone-delete", args=[zone.pk])).status_code == 403
    assert Zone.objects.filter(pk=zone.pk).exists()


def test_a_sent_alerts_page_leads_to_the_residents_answers(
    communicator: User, library: Unit, people: None
) -> None:
    alert = services.alert_send(alert=_draft(communicator, library), actor=communicator)
    client = _client(communicator)
    before = _text(client.get(f"/ansatt/varsler/{alert.pk}/"))
    Delivery.objects.filter(alert=alert).update(status=Delivery.Status.DELIVERED)

    inbound_receive(
        medium="sms",
        provider="outbox",
        external_id="svar-1",
        sender="+4790000001",
        body="Når kommer vannet tilbake?",
    )
    page = client.get(f"/ansatt/varsler/{alert.pk}/").content.decode()
    thread = Thread.objects.get()

    assert "No one has answered yet." in before
    assert f'href="{reverse("conversations:staff-thread", args=[thread.pk])}"' in page
    assert "No one has answered yet." not in page


def test_the_map_uses_the_configured_tiles_or_none(communicator: User, settings: Any) -> None:
    settings.TORGET_MAP_TILES_URL = "https://tiles.example/{z}/{x}/{y}.png"
    with_tiles = _client(communicator).get(CREATE).content.decode()
    settings.TORGET_MAP_TILES_URL = ""
    without = _client(communicator).get(CREATE).content.decode()

    assert 'data-tiles-url="https://tiles.example/{z}/{x}/{y}.png"' in with_tiles
    assert 'data-tiles-url=""' in without


def test_a_follow_up_draft_is_changed_in_its_own_form_and_a_sent_alert_not_at_all(
    communicator: User, library: Unit, people: None
) -> None:
    original = services.alert_send(alert=_draft(communicator, library), actor=communicator)
    update = services.alert_follow_up_save(
        follow_up=services.alert_follow_up_start(
            original=original, actor=communicator, kind=Alert.Kind.UPDATE
        ),
        actor=communicator,
        data={"text": "Første utkast."},
    )
    client = _client(communicator)

    form = _text(client.get(f"/ansatt/varsler/{update.pk}/endre/"))
    saved = client.post(
        f"/ansatt/varsler/{update.pk}/endre/",
        {
            "severity": "Minor",
            "title": "Vannlekkasje i Storgata",
            "text": "Andre utkast.",
            "by_sms": "on",
        },
    )
    sent_edit = client.get(f"/ansatt/varsler/{original.pk}/endre/", follow=True)

    assert "Write an update" in form and "Første utkast." in form
    assert saved.status_code == 302
    update.refresh_from_db()
    assert update.text == "Andre utkast." and update.area == original.area
    assert update.by_sms is True and update.by_email is False
    assert "This alert has been sent and can no longer be changed." in _text(sent_edit)


def test_the_error_summary_links_to_each_field_with_an_error(
    communicator: User, library: Unit
) -> None:
    response = _client(communicator).post(
        CREATE, form_data(library, topic=None, title="", area=TWO_POINTS_TEXT)
    )
    page = response.content.decode()

    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary"(.*?)</div>', page, re.S)
    assert summary is not None
    links = re.findall(r'<a href="#([\w-]+)">', summary.group(1))
    assert links == ["id_topic_0", "id_title", "id_area"]
    for target in links:
        assert f'id="{target}"' in page


def test_the_progress_poll_costs_a_few_queries_however_many_deliveries(
    communicator: User, library: Unit, people: None, django_assert_max_num_queries: Any
) -> None:
    alert = services.alert_send(alert=_draft(communicator, library), actor=communicator)
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(alert=alert, medium="email", destination=f"p{n}@example.no", next_attempt_at=now)
        for n in range(500)
    )
    client = _client(communicator)
    client.get(f"/ansatt/varsler/{alert.pk}/status.json")  # the session and the host, cached

    with django_assert_max_num_queries(10):
        status = client.get(f"/ansatt/varsler/{alert.pk}/status.json").json()

    assert status["total"] == 503
    assert status["counts"]["queued"] == 503


def test_a_draft_can_be_deleted_but_a_sent_alert_cannot(
    communicator: User, school_communicator: User, library: Unit, people: None
) -> None:
    draft = _draft(communicator, library, title="Feil utkast")
    sent = services.alert_send(alert=_draft(communicator, library), actor=communicator)
    client = _client(communicator)

    outsider = _client(school_communicator).post(f"/ansatt/varsler/{draft.pk}/slett/")
    deleted = client.post(f"/ansatt/varsler/{draft.pk}/slett/", follow=True)
    refused = client.post(f"/ansatt/varsler/{sent.pk}/slett/", follow=True)

    assert outsider.status_code == 404
    assert "The draft “Feil utkast” is deleted." in _text(deleted)
    assert not Alert.objects.filter(pk=draft.pk).exists()
    assert "can no longer be changed" in _text(refused)
    assert Alert.objects.filter(pk=sent.pk).exists()
    assert Delivery.objects.filter(alert=sent).count() == 3

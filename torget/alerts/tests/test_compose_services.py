"""Composing through the services: an area typed or drawn decides who is reached (inside, on
the border, circles touching it; topics and media), bad areas and over-long SMS are refused by
field, approval needs a second person with the role, and a follow-up goes to exactly the
original's recipients."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from conftest import run_tasks
from torget.accounts.models import User
from torget.alerts import staff_selectors
from torget.alerts.models import Alert, AlertSettings, Delivery, Topic, Zone
from torget.alerts.services import alerts as services
from torget.alerts.tests import compose_support
from torget.alerts.tests.compose_support import (
    CROSSING_TEXT,
    SQUARE_TEXT,
    SWAPPED_TEXT,
    TWO_POINTS_TEXT,
    draft_data,
)
from torget.alerts.tests.factories import SQUARE, subscription_make
from torget.organisation.models import Municipality, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The services' messages in English, which the assertions read."""
    with translation.override("en"):
        yield


approver = compose_support.approver
school_communicator = compose_support.school_communicator
root_communicator = compose_support.root_communicator
approval_required = compose_support.approval_required


def _draft(communicator: User, library: Unit, area: object = SQUARE_TEXT, **data: object) -> Alert:
    return services.alert_draft_save(
        actor=communicator,
        unit=library,
        data=draft_data(**data),
        area=area,  # type: ignore[arg-type]
    )


def _destinations(alert: Alert) -> set[tuple[str, str]]:
    return set(Delivery.objects.filter(alert=alert).values_list("medium", "destination"))


# --- who is reached ---------------------------------------------------------------------------


def test_alert_send_reaches_inside_and_on_the_border_of_a_typed_area_but_not_outside(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    subscription_make(municipality, destination="+4790000001", lonlat=(10.745, 59.915))
    subscription_make(municipality, destination="+4790000002", lonlat=(10.75, 59.92))  # corner
    subscription_make(municipality, destination="+4790000003", lonlat=(10.745, 59.91))  # edge
    subscription_make(municipality, destination="+4790000004", lonlat=(10.74, 59.915))  # edge
    subscription_make(municipality, destination="+4790000005", lonlat=(10.7502, 59.915))  # 11 m
    subscription_make(municipality, destination="+4790000006", lonlat=(10.76, 59.915))

    alert = _draft(communicator, library)
    preview = staff_selectors.alert_recipient_preview(alert)
    sent = services.alert_send(alert=alert, actor=communicator)

    assert preview.counts == {"sms": 4, "email": 0}
    assert preview.reason == ""
    assert _destinations(sent) == {
        ("sms", "+4790000001"),
        ("sms", "+4790000002"),
        ("sms", "+4790000003"),
        ("sms", "+4790000004"),
    }
    assert sent.recipient_count == 4
    assert sent.status == Alert.Status.SENT


def test_a_drawn_geojson_area_is_stored_checked_and_targets_like_typed_corners(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    subscription_make(municipality, destination="+4790000001", lonlat=(10.745, 59.915))
    drawn = json.dumps(SQUARE)  # what the map writes into the field

    alert = _draft(communicator, library, area=drawn)

    assert alert.area == SQUARE
    assert alert.area_source == Alert.AreaSource.DRAWN
    assert staff_selectors.alert_recipient_preview(alert).counts["sms"] == 1


def test_a_circle_subscription_counts_when_it_touches_the_area(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    # 0.0004° of longitude east of the edge is about 22 m at this latitude.
    subscription_make(
        municipality,
        destination="a@example.no",
        medium="email",
        lonlat=(10.7504, 59.915),
        radius_m=30,
    )
    subscription_make(
        municipality,
        destination="b@example.no",
        medium="email",
        lonlat=(10.7504, 59.915),
        radius_m=10,
    )

    alert = _draft(communicator, library)

    assert staff_selectors.alert_recipient_preview(alert).counts == {"sms": 0, "email": 1}
    assert _destinations(services.alert_send(alert=alert, actor=communicator)) == {
        ("email", "a@example.no")
    }


def test_topic_and_medium_choose_the_recipients(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    subscription_make(municipality, destination="+4790000001", topics=Topic.WATER)
    subscription_make(municipality, destination="+4790000002", topics=Topic.ROADS)
    subscription_make(municipality, destination="nora@example.no", medium="email")

    water_by_sms = _draft(communicator, library, by_email=False)
    roads_by_both = _draft(communicator, library, topic=Topic.ROADS)

    assert staff_selectors.alert_recipient_preview(water_by_sms).counts == {"sms": 1}
    assert staff_selectors.alert_recipient_preview(roads_by_both).counts == {"sms": 1, "email": 1}
    assert _destinations(services.alert_send(alert=roads_by_both, actor=communicator)) == {
        ("sms", "+4790000002"),
        ("email", "nora@example.no"),
    }


def test_an_area_with_no_recipients_is_refused_with_the_reason(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    empty = _draft(communicator, library)
    preview = staff_selectors.alert_recipient_preview(empty)

    with pytest.raises(ValidationError) as refused:
        services.alert_send(alert=empty, actor=communicator)

    assert preview.total == 0
    assert "No one has an active subscription in this area." in preview.reason
    assert "No one subscribes" in refused.value.messages[0]
    empty.refresh_from_db()
    assert empty.status == Alert.Status.DRAFT
    assert not Delivery.objects.filter(alert=empty).exists()


def test_the_reason_names_the_topic_or_the_media_nobody_subscribes_to(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    subscription_make(
        municipality, destination="nora@example.no", medium="email", topics=Topic.POWER
    )

    wrong_topic = _draft(communicator, library, topic=Topic.ROADS)
    wrong_medium = _draft(communicator, library, topic=Topic.POWER, by_email=False)

    assert "Roads and traffic" in staff_selectors.alert_recipient_preview(wrong_topic).reason
    assert "not by the chosen media" in staff_selectors.alert_recipient_preview(wrong_medium).reason


def test_a_zone_gives_its_area_to_the_alert(
    municipality: Municipality, library: Unit, communicator: User, root_communicator: User
) -> None:
    subscription_make(municipality, destination="+4790000001")
    zone = services.zone_create(
        actor=root_communicator, municipality_id=municipality.pk, name="Sentrum", area=SQUARE_TEXT
    )

    alert = services.alert_draft_save(
        actor=communicator,
        unit=library,
        data=draft_data(),
        area_source=Alert.AreaSource.ZONE,
        zone=zone,
    )

    assert alert.zone == zone
    assert alert.area == zone.area == SQUARE
    assert staff_selectors.alert_recipient_preview(alert).counts["sms"] == 1


# --- refused input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "message"),
    [
        (TWO_POINTS_TEXT, "at least three distinct corners"),
        (CROSSING_TEXT, "edges cross each other"),
        (SWAPPED_TEXT, "are latitude and longitude swapped"),
        ("", "Draw or describe the area."),
        ("59.91 10.74\nsomewhere", 'Line 2 is not a "latitude, longitude" pair'),
    ],
)
def test_a_bad_area_is_refused_on_the_area_field(
    library: Unit, communicator: User, area: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _draft(communicator, library, area=area)

    assert list(refused.value.error_dict) == ["area"]
    assert message in " ".join(refused.value.message_dict["area"])
    assert not Alert.objects.exists()


def test_an_sms_over_ten_segments_is_refused_but_the_same_text_by_email_is_not(
    library: Unit, communicator: User
) -> None:
    long_text = "Vannet er stengt. " * 100  # 1,800 GSM-7 characters: 12 parts and more

    with pytest.raises(ValidationError) as refused:
        _draft(communicator, library, text=long_text)
    by_email = _draft(communicator, library, text=long_text, by_sms=False)

    assert "at most 10 are allowed" in " ".join(refused.value.message_dict["text"])
    assert by_email.pk is not None
    assert by_email.status == Alert.Status.DRAFT
    assert len(by_email.text) > 1500


def test_no_channel_and_an_end_before_the_start_are_refused_by_field(
    library: Unit, communicator: User
) -> None:
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        _draft(
            communicator,
            library,
            by_sms=False,
            by_email=False,
            onset=now,
            expires=now - datetime.timedelta(hours=1),
        )

    assert set(refused.value.error_dict) == {"by_sms", "expires"}


def test_the_contact_phone_may_be_a_landline_and_is_stored_in_e164(
    library: Unit, communicator: User
) -> None:
    alert = _draft(communicator, library, contact_phone="22 11 22 33")

    assert alert.contact_phone == "+4722112233"


def test_a_contact_phone_that_is_no_number_is_refused_on_its_field(
    library: Unit, communicator: User
) -> None:
    with pytest.raises(ValidationError) as refused:
        _draft(communicator, library, contact_phone="12")

    assert "contact_phone" in refused.value.error_dict


# --- who may ----------------------------------------------------------------------------------


def test_a_communicator_of_another_unit_may_not_write_or_move_the_librarys_alert(
    library: Unit, school: Unit, communicator: User, school_communicator: User
) -> None:
    alert = _draft(communicator, library)

    with pytest.raises(PermissionDenied):
        _draft(school_communicator, library)
    with pytest.raises(PermissionDenied):
        services.alert_draft_save(
            actor=school_communicator,
            unit=school,
            data=draft_data(),
            area=SQUARE_TEXT,
            alert=alert,
        )
    with pytest.raises(PermissionDenied):
        services.alert_send(alert=alert, actor=school_communicator)

    alert.refresh_from_db()
    assert alert.unit == library


def test_a_sent_alert_can_no_longer_be_changed(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    subscription_make(municipality, destination="+4790000001")
    alert = services.alert_send(alert=_draft(communicator, library), actor=communicator)

    with pytest.raises(ValidationError):
        services.alert_draft_save(
            actor=communicator,
            unit=library,
            data=draft_data(title="Ny"),
            area=SQUARE_TEXT,
            alert=alert,
        )
    with pytest.raises(ValidationError):
        services.alert_send(alert=alert, actor=communicator)

    assert Delivery.objects.filter(alert=alert).count() == 1


# --- approval ---------------------------------------------------------------------------------


def test_with_approval_required_the_author_asks_and_a_second_communicator_sends(
    municipality: Municipality,
    library: Unit,
    communicator: User,
    approver: User,
    approval_required: AlertSettings,
) -> None:
    subscription_make(municipality, destination="+4790000001")
    alert = _draft(communicator, library)

    with pytest.raises(ValidationError):
        services.alert_send(alert=alert, actor=communicator)
    waiting = services.alert_submit(alert=alert, actor=communicator)
    with pytest.raises(PermissionDenied):
        services.alert_approve(alert=waiting, actor=communicator)  # not one's own
    assert not Delivery.objects.exists()
    sent = services.alert_approve(alert=waiting, actor=approver)

    assert waiting.status == Alert.Status.PENDING_APPROVAL
    assert sent.status == Alert.Status.SENT
    assert sent.approved_by == approver
    assert _destinations(sent) == {("sms", "+4790000001")}


def test_the_approver_must_hold_a_sending_role_for_the_unit(
    municipality: Municipality,
    library: Unit,
    communicator: User,
    school_communicator: User,
    moderator: User,
    approval_required: AlertSettings,
) -> None:
    subscription_make(municipality, destination="+4790000001")
    waiting = services.alert_submit(alert=_draft(communicator, library), actor=communicator)

    for outsider in (school_communicator, moderator):
        with pytest.raises(PermissionDenied):
            services.alert_approve(alert=waiting, actor=outsider)
        with pytest.raises(PermissionDenied):
            services.alert_reject(alert=waiting, actor=outsider)

    waiting.refresh_from_db()
    assert waiting.status == Alert.Status.PENDING_APPROVAL


def test_an_alert_sent_back_is_a_draft_and_cannot_be_approved_until_asked_again(
    municipality: Municipality,
    library: Unit,
    communicator: User,
    approver: User,
    approval_required: AlertSettings,
) -> None:
    subscription_make(municipality, destination="+4790000001")
    alert = _draft(communicator, library)
    stale = services.alert_submit(alert=alert, actor=communicator)

    back = services.alert_reject(alert=stale, actor=approver)
    # The approver's page still says "waiting": the service looks again.
    stale.status = Alert.Status.PENDING_APPROVAL
    with pytest.raises(ValidationError):
        services.alert_approve(alert=stale, actor=approver)
    with pytest.raises(ValidationError):
        services.alert_reject(alert=back, actor=approver)

    assert back.status == Alert.Status.DRAFT
    assert not Delivery.objects.exists()


def test_changing_a_waiting_alert_makes_it_a_draft_again(
    library: Unit, communicator: User, approval_required: AlertSettings
) -> None:
    waiting = services.alert_submit(alert=_draft(communicator, library), actor=communicator)

    changed = services.alert_draft_save(
        actor=communicator,
        unit=library,
        data=draft_data(title="Ny tittel"),
        area=SQUARE_TEXT,
        alert=waiting,
    )

    assert changed.status == Alert.Status.DRAFT
    assert changed.title == "Ny tittel"


# --- updates and the all-clear ----------------------------------------------------------------


def test_a_follow_up_goes_to_exactly_the_originals_recipients(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    subscription_make(municipality, destination="+4790000001")
    subscription_make(municipality, destination="nora@example.no", medium="email")
    original = services.alert_send(alert=_draft(communicator, library), actor=communicator)
    # Someone subscribes in the area after the alert went out: the update is not for them.
    subscription_make(municipality, destination="+4790000009")

    update = services.alert_follow_up_start(
        original=original, actor=communicator, kind=Alert.Kind.UPDATE
    )
    update = services.alert_follow_up_save(
        follow_up=update, actor=communicator, data={"text": "Reparasjonen tar til kl. 20."}
    )
    sent_update = services.alert_send(alert=update, actor=communicator)
    all_clear = services.alert_follow_up_start(
        original=original, actor=communicator, kind=Alert.Kind.CANCEL
    )
    all_clear = services.alert_follow_up_save(
        follow_up=all_clear,
        actor=communicator,
        data={"text": "Vannet er tilbake.", "by_email": False},
    )
    sent_all_clear = services.alert_send(alert=all_clear, actor=communicator)

    assert (
        _destinations(sent_update)
        == _destinations(original)
        == {
            ("sms", "+4790000001"),
            ("email", "nora@example.no"),
        }
    )
    assert _destinations(sent_all_clear) == {("sms", "+4790000001")}
    assert sent_update.original == original and sent_update.kind == Alert.Kind.UPDATE
    original.refresh_from_db()
    assert original.ended_at == sent_all_clear.sent_at
    with pytest.raises(ValidationError):
        services.alert_follow_up_start(original=original, actor=communicator, kind="Update")


def test_a_follow_up_keeps_the_originals_area_and_cannot_be_moved(
    municipality: Municipality, library: Unit, communicator: User
) -> None:
    subscription_make(municipality, destination="+4790000001")
    original = services.alert_send(alert=_draft(communicator, library), actor=communicator)
    update = services.alert_follow_up_save(
        follow_up=services.alert_follow_up_start(
            original=original, actor=communicator, kind=Alert.Kind.UPDATE
        ),
        actor=communicator,
        data={"text": "Mer."},
    )

    with pytest.raises(ValidationError):
        services.alert_draft_save(
            actor=communicator,
            unit=library,
            data=draft_data(),
            area=TWO_POINTS_TEXT,
            alert=update,
        )

    update.refresh_from_db()
    assert update.area == original.area


# --- zones ------------------------------------------------------------------------------------


def test_only_the_municipalitys_own_communicators_keep_zones(
    municipality: Municipality, communicator: User, root_communicator: User
) -> None:
    zone = services.zone_create(
        actor=root_communicator,
        municipality_id=municipality.pk,
        name=" Sentrum ",
        area=SQUARE_TEXT,
    )

    with pytest.raises(PermissionDenied):
        services.zone_create(
            actor=communicator, municipality_id=municipality.pk, name="Nord", area=SQUARE_TEXT
        )
    with pytest.raises(PermissionDenied):
        services.zone_delete(actor=communicator, zone=zone)

    assert zone.name == "Sentrum"
    assert zone.area == SQUARE
    assert list(Zone.objects.values_list("name", flat=True)) == ["Sentrum"]


def test_a_zone_needs_a_good_area_and_a_new_name(
    municipality: Municipality, root_communicator: User
) -> None:
    services.zone_create(
        actor=root_communicator, municipality_id=municipality.pk, name="Sentrum", area=SQUARE_TEXT
    )

    with pytest.raises(ValidationError) as crossing:
        services.zone_create(
            actor=root_communicator,
            municipality_id=municipality.pk,
            name="Nord",
            area=CROSSING_TEXT,
        )
    with pytest.raises(ValidationError) as taken:
        services.zone_create(
            actor=root_communicator,
            municipality_id=municipality.pk,
            name="sentrum",
            area=SQUARE_TEXT,
        )

    assert "edges cross" in " ".join(crossing.value.message_dict["area"])
    assert "exists already" in " ".join(taken.value.message_dict["name"])
    assert Zone.objects.count() == 1


def test_deleting_a_zone_leaves_the_alerts_that_used_it_their_area(
    municipality: Municipality, library: Unit, communicator: User, root_communicator: User
) -> None:
    zone = services.zone_create(
        actor=root_communicator, municipality_id=municipality.pk, name="Sentrum", area=SQUARE_TEXT
    )
    alert = services.alert_draft_save(
        actor=communicator, unit=library, data=draft_data(), area_source="zone", zone=zone
    )

    services.zone_delete(actor=root_communicator, zone=zone)

    alert.refresh_from_db()
    assert alert.zone is None
    assert alert.area == SQUARE
    assert not Zone.objects.exists()


def test_those_who_may_approve_are_told_by_email_but_not_the_author_or_others(
    municipality: Municipality,
    library: Unit,
    communicator: User,
    approver: User,
    root_communicator: User,
    school_communicator: User,
    approval_required: AlertSettings,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alert = _draft(communicator, library)

    with django_capture_on_commit_callbacks(execute=True):
        services.alert_submit(alert=alert, actor=communicator)
    run_tasks()
    mails = smtp_server.wait_for(2)
    run_tasks()  # nothing more is queued; running again sends nothing

    assert sorted(str(m["To"]) for m in mails) == ["sentral@example.no", "vakt@example.no"]
    assert len(smtp_server.messages) == 2
    mail = mails[0]
    assert "Vannlekkasje i Storgata" in str(mail["Subject"])
    assert f"/ansatt/varsler/{alert.pk}/" in mail.get_content()
    assert f"approval-{alert.identifier}-" in str(mail["Message-ID"])


def test_an_alert_no_longer_waiting_tells_no_one(
    library: Unit, communicator: User, approver: User, approval_required: AlertSettings
) -> None:
    from torget.alerts.approval_tasks import notify_approval_wanted

    waiting = services.alert_submit(alert=_draft(communicator, library), actor=communicator)
    services.alert_reject(alert=waiting, actor=approver)

    assert notify_approval_wanted.call(waiting.pk) == 0

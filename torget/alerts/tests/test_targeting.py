"""Targeting: inside, outside and on the border of an area; circles; topics and media."""

from __future__ import annotations

import pytest

from torget.alerts.models import Topic
from torget.alerts.targeting import subscriptions_in_area
from torget.alerts.tests.factories import SQUARE, subscription_make
from torget.organisation.models import Municipality

pytestmark = pytest.mark.django_db


def _reached(municipality: Municipality, topic: int = Topic.WATER) -> set[str]:
    found = subscriptions_in_area(
        municipality=municipality, area=SQUARE, topic=topic, media=["sms", "email"]
    )
    return {r.destination for r in found}


@pytest.mark.parametrize(
    ("lonlat", "inside"),
    [
        ((10.745, 59.915), True),  # well inside
        ((10.745, 59.91), True),  # on the southern edge
        ((10.74, 59.915), True),  # on the western edge
        ((10.75, 59.92), True),  # on a corner
        ((10.745, 59.9099), False),  # 11 m south of the edge
        ((10.7502, 59.915), False),  # 11 m east of the edge
        ((10.76, 59.915), False),  # far outside
    ],
)
def test_a_point_is_reached_inside_and_on_the_border_but_not_outside(
    municipality: Municipality, lonlat: tuple[float, float], inside: bool
) -> None:
    subscription_make(municipality, destination="+4791234567", lonlat=lonlat)

    assert (_reached(municipality) == {"+4791234567"}) is inside


def test_a_circle_outside_the_area_is_reached_when_it_touches_it(
    municipality: Municipality,
) -> None:
    # 0.0002° of longitude east of the edge is about 11 m at this latitude.
    subscription_make(
        municipality, destination="+4790000001", lonlat=(10.7502, 59.915), radius_m=20
    )
    subscription_make(municipality, destination="+4790000002", lonlat=(10.7502, 59.915), radius_m=5)

    assert _reached(municipality) == {"+4790000001"}


def test_topics_media_and_status_filter_the_recipients(municipality: Municipality) -> None:
    subscription_make(municipality, destination="+4790000001", topics=Topic.WATER | Topic.POWER)
    subscription_make(municipality, destination="+4790000002", topics=Topic.ROADS)
    subscription_make(municipality, destination="+4790000003", status="pending")
    subscription_make(municipality, destination="+4790000004", status="unsubscribed")
    subscription_make(municipality, destination="nora@example.no", medium="email")

    assert _reached(municipality, Topic.WATER) == {"+4790000001", "nora@example.no"}
    assert _reached(municipality, Topic.ROADS) == {"+4790000002", "nora@example.no"}
    only_sms = subscriptions_in_area(
        municipality=municipality, area=SQUARE, topic=Topic.WATER, media=["sms"]
    )
    assert [r.destination for r in only_sms] == ["+4790000001"]


def test_one_message_per_destination_even_with_two_subscriptions(
    municipality: Municipality,
) -> None:
    subscription_make(municipality, destination="+4790000001", lonlat=(10.745, 59.915))
    subscription_make(municipality, destination="+4790000001", lonlat=(10.746, 59.916))

    found = subscriptions_in_area(
        municipality=municipality, area=SQUARE, topic=Topic.WATER, media=["sms"]
    )
    assert len(found) == 1


def test_a_follow_up_skips_those_who_unsubscribed_after_the_original(library: object) -> None:
    from django.utils import timezone

    from torget.alerts.models import Alert, Delivery, Subscription
    from torget.alerts.targeting import recipients_for
    from torget.alerts.tests.factories import alert_sent_make

    original = alert_sent_make(library, destinations={})  # type: ignore[arg-type]
    kept = subscription_make(original.municipality, destination="+4790000001")
    stopped = subscription_make(original.municipality, destination="+4790000002")
    for subscription in (kept, stopped):
        Delivery.objects.create(
            alert=original,
            medium="sms",
            destination=subscription.destination,
            subscription=subscription,
            next_attempt_at=timezone.now(),
        )
    Subscription.objects.filter(pk=stopped.pk).update(status=Subscription.Status.UNSUBSCRIBED)
    follow_up = Alert(
        municipality=original.municipality,
        unit=original.unit,
        original=original,
        kind=Alert.Kind.CANCEL,
        topic=original.topic,
        by_sms=True,
        by_email=False,
    )

    assert [r.destination for r in recipients_for(follow_up)] == ["+4790000001"]

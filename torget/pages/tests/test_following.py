"""Followers hear of new posts by e-mail, at once or in a daily digest; never twice."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from conftest import free_port, run_tasks
from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.organisation.workinghours import OSLO
from torget.pages import services
from torget.pages.models import DigestSent, FollowFrequency, Post, PostKind, PostNotice
from torget.pages.tasks import notify_followers, send_daily_digest
from torget.pages.tests.factories import post_make

MONDAY_0900 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=OSLO)


def follow(user: User, unit: Unit, frequency: str = FollowFrequency.IMMEDIATE) -> None:
    services.follow_set(unit=unit, actor=user, frequency=frequency)


def publish(unit: Unit, actor: User, title: str = "Lesekveld torsdag", **kw: Any) -> Post:
    return services.post_create(
        unit=unit,
        actor=actor,
        title=title,
        body=kw.pop("body", "Velkommen til lesekveld kl. 18."),
        kind=kw.pop("kind", PostKind.DIALOGUE),
        **kw,
    )


def test_new_post_emails_immediate_followers_once(
    library: Unit,
    communicator: User,
    resident: User,
    other_resident: User,
    smtp_server: Any,
) -> None:
    resident.language = "en"
    resident.save()
    follow(resident, library)
    follow(other_resident, library, FollowFrequency.DAILY)  # waits for the digest
    post = publish(library, communicator)
    assert run_tasks() == 1
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "nora@example.no"
    assert mail["Subject"] == "New from Testvik bibliotek: Lesekveld torsdag"
    assert mail["Message-ID"] == f"<post-{post.pk}-{resident.pk}@torget.9998>"
    body = mail.get_content()
    assert "Velkommen til lesekveld kl. 18." in body
    assert f"http://testserver/innlegg/{post.pk}/" in body
    assert "http://testserver/enheter/biblioteket/" in body
    assert PostNotice.objects.filter(post=post).count() == 1
    # Running the task again (a retry, a second worker) sends nothing more.
    assert notify_followers.call(post_id=post.pk) == 0
    assert len(smtp_server.messages) == 1


def test_emails_are_in_the_persons_language_or_the_municipality_malform(
    library: Unit, resident: User, other_resident: User, smtp_server: Any
) -> None:
    library.municipality.malform = "nn"
    library.municipality.save()
    other_resident.language = "en"
    other_resident.save()
    follow(resident, library, FollowFrequency.DAILY)
    follow(other_resident, library, FollowFrequency.DAILY)
    post_make(library, published_at=MONDAY_0900)
    assert send_daily_digest.call(day="2026-03-02") == 2
    subjects = {m["To"]: m["Subject"] for m in smtp_server.wait_for(2)}
    assert subjects["nora@example.no"].endswith("2. mars 2026")  # Nynorsk dates
    assert subjects["emil@example.no"] == "New posts on 2 March 2026"


def test_author_and_followers_of_other_units_get_no_notice(
    library: Unit, school: Unit, communicator: User, resident: User, smtp_server: Any
) -> None:
    follow(communicator, library)
    follow(resident, school)
    post = publish(library, communicator)
    run_tasks()
    assert notify_followers.call(post_id=post.pk) == 0
    assert smtp_server.messages == [] and PostNotice.objects.count() == 0


def test_failed_sending_keeps_no_notice_and_a_later_run_sends(
    library: Unit, communicator: User, resident: User, smtp_server: Any, settings: Any
) -> None:
    follow(resident, library)
    post = publish(library, communicator)
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens: the SMTP connection fails
    with pytest.raises(OSError):
        notify_followers.call(post_id=post.pk)
    assert PostNotice.objects.count() == 0
    settings.EMAIL_PORT = working_port
    assert notify_followers.call(post_id=post.pk) == 1
    assert len(smtp_server.wait_for(1)) == 1
    assert PostNotice.objects.count() == 1


def test_post_dated_in_the_future_is_noticed_when_published(
    library: Unit, communicator: User, resident: User, smtp_server: Any
) -> None:
    follow(resident, library)
    with time_machine.travel(MONDAY_0900, tick=False):
        publish(library, communicator, published_at=MONDAY_0900 + datetime.timedelta(hours=3))
        assert run_tasks() == 0  # the task waits for the publication time
    with time_machine.travel(MONDAY_0900 + datetime.timedelta(hours=3, minutes=1), tick=False):
        assert run_tasks() == 1
    assert len(smtp_server.wait_for(1)) == 1


def test_daily_digest_lists_the_days_posts_once_per_person(
    library: Unit,
    school: Unit,
    resident: User,
    other_resident: User,
    smtp_server: Any,
) -> None:
    other_resident.language = "en"
    other_resident.save()
    follow(other_resident, library, FollowFrequency.DAILY)
    follow(other_resident, school, FollowFrequency.DAILY)
    follow(resident, school)  # immediate: no digest
    morning = post_make(library, title="Morgenåpent", published_at=MONDAY_0900)
    evening = post_make(
        school,
        title="Foreldremøte",
        kind=PostKind.DIALOGUE,
        published_at=datetime.datetime(2026, 3, 2, 23, 30, tzinfo=OSLO),
    )
    post_make(
        library, title="Søndagsinnlegg", published_at=MONDAY_0900 - datetime.timedelta(days=1)
    )
    post_make(
        library, title="Tirsdagsinnlegg", published_at=MONDAY_0900 + datetime.timedelta(days=1)
    )

    assert send_daily_digest.call(day="2026-03-02") == 1
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "emil@example.no"
    assert mail["Subject"] == "New posts on 2 March 2026"
    body = mail.get_content()
    assert body.index("Testvik bibliotek: Morgenåpent") < body.index(
        "Testvik skole: Foreldremøte (invites dialogue)"
    )
    assert f"http://testserver/innlegg/{morning.pk}/" in body
    assert f"http://testserver/innlegg/{evening.pk}/" in body
    assert "Søndagsinnlegg" not in body and "Tirsdagsinnlegg" not in body
    sent = DigestSent.objects.get()
    assert (sent.user, sent.day, sent.post_count) == (other_resident, datetime.date(2026, 3, 2), 2)
    # Once per person and day, however often it runs.
    assert send_daily_digest.call(day="2026-03-02") == 0
    assert len(smtp_server.messages) == 1


def test_daily_digest_skips_followers_whose_units_did_not_post(
    library: Unit, school: Unit, resident: User, smtp_server: Any
) -> None:
    follow(resident, school, FollowFrequency.DAILY)
    post_make(library, published_at=MONDAY_0900)
    assert send_daily_digest.call(day="2026-03-02") == 0
    assert smtp_server.messages == [] and DigestSent.objects.count() == 0


def test_send_digests_command_sends_yesterdays_digest(
    library: Unit, resident: User, smtp_server: Any
) -> None:
    follow(resident, library, FollowFrequency.DAILY)
    post_make(library, title="Mandagsnytt", published_at=MONDAY_0900)
    out = StringIO()
    with time_machine.travel(MONDAY_0900 + datetime.timedelta(days=1), tick=False):
        call_command("send_digests", stdout=out)
        call_command("send_digests", "--day", "2026-03-02", stdout=out)
    assert "Sent 1 digest(s) for 2026-03-02." in out.getvalue()
    assert "Sent 0 digest(s) for 2026-03-02." in out.getvalue()
    [mail] = smtp_server.wait_for(1)
    assert "Mandagsnytt" in mail.get_content()

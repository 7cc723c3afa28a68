"""Followers of forums and topics hear of new posts by e-mail, at once or in a daily digest;
never twice, never of their own posts."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from conftest import free_port, run_tasks
from torget.accounts.models import User
from torget.conversations.models import Thread
from torget.organisation.models import Unit
from torget.organisation.workinghours import OSLO
from torget.pages.models import FollowFrequency
from torget.participation.models import Forum, ForumDigestSent, ForumFollow, ForumNotice
from torget.participation.services import forums as services
from torget.participation.tasks_forums import notify_forum_followers, send_forum_daily_digest
from torget.participation.tests.factories import forum_make

MONDAY_0900 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=OSLO)


def _english(*users: User) -> None:
    for user in users:
        user.language = "en"
        user.save(update_fields=["language"])


def _topic(forum: Forum, author: User, title: str = "Lesekveld", body: str = "Når?") -> Thread:
    return services.topic_start(forum=forum, actor=author, title=title, body=body)


def test_forum_follower_gets_an_email_at_once_on_a_new_topic(
    library: Unit, resident: User, other_resident: User, smtp_server: Any
) -> None:
    _english(resident)
    forum = forum_make(library, slug="kultur", title="Kultur")
    services.follow_set(user=resident, forum=forum)
    thread = _topic(forum, other_resident, title="Strikkekafé", body="Kan vi få en strikkekafé?")
    assert run_tasks() == 1
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "nora@example.no"
    assert mail["Subject"] == "New topic in Kultur: Strikkekafé"
    message = thread.messages.get()
    assert mail["Message-ID"] == f"<forum-{message.pk}-{resident.pk}@torget.9998>"
    body = mail.get_content()
    assert "Emil has started a new topic in the forum Kultur" in body
    assert "Kan vi få en strikkekafé?" in body
    assert f"http://testserver/forum/kultur/{thread.pk}/#melding-{message.pk}" in body
    assert "http://testserver/forum/folger/" in body  # to stop or change how often
    assert ForumNotice.objects.filter(message=message, user=resident).count() == 1


def test_reply_and_official_answer_reach_forum_followers(
    library: Unit,
    resident: User,
    other_resident: User,
    communicator: User,
    smtp_server: Any,
) -> None:
    _english(other_resident)
    forum = forum_make(library, slug="kultur", title="Kultur")
    thread = _topic(forum, resident)
    run_tasks()  # nobody follows yet: the topic's notice goes to nobody
    services.follow_set(user=other_resident, forum=forum)
    assert smtp_server.messages == []
    services.topic_reply(thread=thread, actor=resident, body="Noen som vet?")
    services.topic_reply(thread=thread, actor=communicator, body="Torsdag kl. 18.")
    run_tasks()
    mails = smtp_server.wait_for(3)  # two notices to the follower, the answer to the starter
    to_follower = [m for m in mails if m["To"] == "emil@example.no"]
    subjects = sorted(m["Subject"] for m in to_follower)
    assert subjects == ["Answer from Testvik bibliotek: Lesekveld", "New reply: Lesekveld"]
    official = next(m for m in to_follower if m["Subject"].startswith("Answer"))
    assert "Testvik bibliotek has answered in a topic you follow" in official.get_content()


def test_topic_follower_only_hears_of_that_topic(
    library: Unit, resident: User, other_resident: User, smtp_server: Any
) -> None:
    forum = forum_make(library, slug="kultur")
    followed = _topic(forum, other_resident, title="Fulgt")
    other = _topic(forum, other_resident, title="Ikke fulgt")
    run_tasks()  # before anyone follows
    services.follow_set(user=resident, thread=followed)
    services.topic_reply(thread=other, actor=other_resident, body="Mer om dette")
    services.topic_reply(thread=followed, actor=other_resident, body="Oppdatering")
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert "Oppdatering" in mail.get_content()
    assert ForumNotice.objects.filter(user=resident).count() == 1


def test_follower_of_forum_and_topic_gets_one_email_and_the_author_none(
    library: Unit, resident: User, other_resident: User, smtp_server: Any
) -> None:
    forum = forum_make(library, slug="kultur")
    thread = _topic(forum, other_resident)
    run_tasks()  # before anyone follows
    services.follow_set(user=resident, forum=forum)
    services.follow_set(user=resident, thread=thread)
    services.follow_set(user=other_resident, forum=forum)  # the author follows too
    message = services.topic_reply(thread=thread, actor=other_resident, body="Ny info")
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "nora@example.no"
    assert ForumNotice.objects.filter(message=message).count() == 1
    # Running the task again (a retry, a second worker) sends nothing more.
    assert notify_forum_followers.call(message_id=message.pk) == 0
    assert len(smtp_server.messages) == 1


def test_daily_follower_gets_no_email_at_once_and_hidden_posts_go_to_nobody(
    library: Unit, resident: User, other_resident: User, moderator: User, smtp_server: Any
) -> None:
    from torget.conversations.services import message_hide

    forum = forum_make(library, slug="kultur")
    services.follow_set(user=resident, forum=forum, frequency=FollowFrequency.DAILY)
    services.follow_set(user=moderator, forum=forum)
    thread = _topic(forum, other_resident)
    message_hide(message=thread.messages.get(), actor=moderator, reason="Spam")
    run_tasks()
    assert smtp_server.messages == [] and not ForumNotice.objects.exists()


def test_failed_sending_keeps_no_notice_and_a_later_run_sends(
    library: Unit, resident: User, other_resident: User, smtp_server: Any, settings: Any
) -> None:
    forum = forum_make(library, slug="kultur")
    services.follow_set(user=resident, forum=forum)
    message = _topic(forum, other_resident).messages.get()
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens: the SMTP connection fails
    with pytest.raises(OSError):
        notify_forum_followers.call(message_id=message.pk)
    assert not ForumNotice.objects.exists()
    settings.EMAIL_PORT = working_port
    assert notify_forum_followers.call(message_id=message.pk) == 1
    assert len(smtp_server.wait_for(1)) == 1


def test_daily_digest_lists_the_days_posts_once_per_person(
    library: Unit,
    school: Unit,
    resident: User,
    other_resident: User,
    communicator: User,
    smtp_server: Any,
) -> None:
    _english(resident)
    kultur = forum_make(library, slug="kultur", title="Kultur")
    skole = forum_make(school, slug="skole", title="Skole")
    stille = forum_make(school, slug="stille", title="Stille")
    services.follow_set(user=resident, forum=kultur, frequency=FollowFrequency.DAILY)
    services.follow_set(user=resident, forum=stille, frequency=FollowFrequency.DAILY)
    with time_machine.travel(MONDAY_0900, tick=False):
        thread = _topic(kultur, other_resident, title="Lesekveld", body="Når er lesekvelden?")
        services.follow_set(
            user=resident,
            thread=_topic(skole, other_resident, title="Skolevei"),
            frequency=FollowFrequency.DAILY,
        )
    with time_machine.travel(MONDAY_0900 + datetime.timedelta(hours=3), tick=False):
        services.topic_reply(thread=thread, actor=communicator, body="Torsdag kl. 18.")
        _topic(kultur, resident, title="Mitt eget emne")  # her own: not in her digest
    with time_machine.travel(MONDAY_0900 + datetime.timedelta(days=1), tick=False):
        _topic(kultur, other_resident, title="Tirsdagsemne")  # another day
    assert send_forum_daily_digest.call(day="2026-03-02") == 1
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "nora@example.no"
    assert mail["Subject"] == "New in the forums you follow on 2 March 2026"
    body = mail.get_content()
    assert "Kultur: Lesekveld" in body and "New topic by Emil" in body
    assert "Answer from Testvik bibliotek: Torsdag kl. 18." in body
    assert "Skole: Skolevei" in body  # a topic followed on its own
    assert "Mitt eget emne" not in body and "Tirsdagsemne" not in body
    assert f"http://testserver/forum/kultur/{thread.pk}/#melding-" in body
    assert "http://testserver/forum/folger/stopp/" in body
    assert ForumDigestSent.objects.get(user=resident).message_count == 3
    # Once per day: a second run sends nothing.
    assert send_forum_daily_digest.call(day="2026-03-02") == 0
    assert len(smtp_server.messages) == 1


def test_digest_command_sends_yesterdays_digest_and_nothing_when_nothing(
    library: Unit, resident: User, other_resident: User, smtp_server: Any
) -> None:
    forum = forum_make(library, slug="kultur")
    services.follow_set(user=resident, forum=forum, frequency=FollowFrequency.DAILY)
    with time_machine.travel(MONDAY_0900, tick=False):
        _topic(forum, other_resident)
    out = StringIO()
    with time_machine.travel(MONDAY_0900 + datetime.timedelta(days=1), tick=False):
        call_command("send_forum_digests", stdout=out)
    assert "Sent 1 forum digest(s) for 2026-03-02." in out.getvalue()
    out = StringIO()
    call_command("send_forum_digests", "--day", "2026-03-03", stdout=out)
    assert "Sent 0 forum digest(s) for 2026-03-03." in out.getvalue()
    assert len(smtp_server.wait_for(1)) == 1


def test_the_stop_link_in_an_email_stops_those_follows_without_log_in(
    client: Any, library: Unit, resident: User, other_resident: User, smtp_server: Any
) -> None:
    import re

    forum = forum_make(library, slug="kultur", title="Kultur")
    thread = _topic(forum, other_resident)
    run_tasks()
    services.follow_set(user=resident, forum=forum)
    services.follow_set(user=resident, thread=thread)
    services.topic_reply(thread=thread, actor=other_resident, body="Ny info")
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    link = re.search(r"http://testserver(/forum/folger/stopp/[^/]+/)", mail.get_content())
    assert link is not None
    path = link.group(1)
    page = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "the forum Kultur" in page and "the topic “Lesekveld”" in page
    assert ForumFollow.objects.filter(user=resident).count() == 2  # a GET stops nothing
    done = client.post(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "you no longer get these e-mails" in done
    assert not ForumFollow.objects.filter(user=resident).exists()
    forged = path.replace("stopp/", "stopp/x")
    assert client.post(forged).status_code == 404

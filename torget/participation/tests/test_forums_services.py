"""Forum services: topics and replies through the conversation services, official and
politicians' answers, closed forums, follows, and who may run a forum."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from torget.accounts.models import User
from torget.conversations.models import AuthorRole, Channel, Thread, ThreadStatus, Visibility
from torget.core.errors import InvalidTransition
from torget.organisation.models import Unit
from torget.pages.models import FollowFrequency
from torget.participation.models import Forum, ForumFollow, ForumKind
from torget.participation.services import forums as services
from torget.participation.tests.factories import forum_make, process_make


def _queued(task_name: str) -> int:
    return DBTaskResult.objects.filter(task_path__endswith=task_name).count()


def test_topic_start_opens_a_public_forum_thread_about_the_forum(
    library: Unit, resident: User
) -> None:
    forum = forum_make(library, slug="kultur")
    thread = services.topic_start(
        forum=forum, actor=resident, title="  Mer   lesesal  ", body="Kan dere åpne lørdag?"
    )
    thread = Thread.objects.get(pk=thread.pk)
    assert thread.channel == Channel.FORUM
    assert thread.visibility == Visibility.PUBLIC
    assert thread.subject == forum and thread.unit == library
    assert thread.title == "Mer lesesal"
    assert thread.status == ThreadStatus.WAITING  # a question waits in the unit's inbox
    [message] = thread.messages.all()
    assert message.role == AuthorRole.RESIDENT and message.body == "Kan dere åpne lørdag?"
    assert _queued("notify_forum_followers") == 1  # queued with the post, in its transaction


def test_topic_start_refuses_an_empty_title_and_text_by_field(
    library: Unit, resident: User
) -> None:
    forum = forum_make(library)
    with pytest.raises(ValidationError) as caught:
        services.topic_start(forum=forum, actor=resident, title=" ", body="")
    assert set(caught.value.error_dict) == {"title", "body"}
    assert not Thread.objects.exists() and _queued("notify_forum_followers") == 0


def test_closed_forum_refuses_topics_and_residents_replies_but_takes_answers(
    library: Unit, resident: User, other_resident: User, communicator: User
) -> None:
    forum = forum_make(library)
    thread = services.topic_start(forum=forum, actor=resident, title="Åpningstider", body="Når?")
    Forum.objects.filter(pk=forum.pk).update(is_open=False)
    forum.refresh_from_db()
    with translation.override("en"):
        with pytest.raises(InvalidTransition, match="closed for new posts"):
            services.topic_start(forum=forum, actor=resident, title="Ny", body="Tekst")
        with pytest.raises(InvalidTransition, match="closed for new posts"):
            services.topic_reply(thread=thread, actor=other_resident, body="Enig!")
    answer = services.topic_reply(thread=thread, actor=communicator, body="Fra 10 til 16.")
    assert answer.role == AuthorRole.OFFICIAL
    assert Thread.objects.count() == 1 and thread.messages.count() == 2


def test_resident_reply_is_a_resident_message_and_the_staff_reply_an_official_answer(
    library: Unit, resident: User, other_resident: User, communicator: User
) -> None:
    forum = forum_make(library)
    thread = services.topic_start(forum=forum, actor=resident, title="Lesekveld", body="Når?")
    reply = services.topic_reply(thread=thread, actor=other_resident, body="Lurer på det samme")
    assert reply.role == AuthorRole.RESIDENT
    answer = services.topic_reply(thread=thread, actor=communicator, body="Torsdag kl. 18.")
    assert answer.role == AuthorRole.OFFICIAL and not answer.by_politician
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.ANSWERED and thread.first_official_at is not None
    assert _queued("notify_forum_followers") == 3
    assert _queued("notify_answer") == 1  # the starter hears of the answer (conversations)


def test_politician_answer_is_by_politician_and_does_not_end_the_wait(
    library: Unit, resident: User, politician: User
) -> None:
    forum = forum_make(library)
    thread = services.topic_start(forum=forum, actor=resident, title="Bybibliotek", body="Nytt?")
    answer = services.topic_reply(thread=thread, actor=politician, body="Vi jobber med saken.")
    assert answer.role == AuthorRole.OFFICIAL and answer.by_politician
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.WAITING and thread.first_official_at is None


def test_staff_of_another_unit_write_as_residents(
    library: Unit, school: Unit, resident: User, case_officer: User
) -> None:
    forum = forum_make(library)
    thread = services.topic_start(forum=forum, actor=resident, title="Lesekveld", body="Når?")
    message = services.topic_reply(thread=thread, actor=case_officer, body="Jeg kommer også")
    assert message.role == AuthorRole.RESIDENT


def test_topic_reply_refuses_a_thread_that_is_no_forum_topic(library: Unit, resident: User) -> None:
    from torget.conversations.services import thread_open

    other = thread_open(unit=library, channel=Channel.WEB, body="Hei", actor=resident)
    with pytest.raises(PermissionDenied):
        services.topic_reply(thread=other, actor=resident, body="Svar")


def test_start_with_follow_follows_the_topic(library: Unit, resident: User) -> None:
    forum = forum_make(library)
    thread = services.topic_start(
        forum=forum, actor=resident, title="Lesekveld", body="Når?", follow=True
    )
    follow = ForumFollow.objects.get(user=resident)
    assert follow.thread == thread and follow.frequency == FollowFrequency.IMMEDIATE


def test_follow_set_is_idempotent_and_changes_frequency_and_remove_stops(
    library: Unit, resident: User
) -> None:
    forum = forum_make(library)
    services.follow_set(user=resident, forum=forum, frequency=FollowFrequency.IMMEDIATE)
    services.follow_set(user=resident, forum=forum, frequency=FollowFrequency.DAILY)
    assert ForumFollow.objects.get().frequency == FollowFrequency.DAILY
    with pytest.raises(ValidationError):
        services.follow_set(user=resident, forum=forum, frequency="hourly")
    assert services.follow_remove(user=resident, forum=forum) == 1
    assert services.follow_remove(user=resident, forum=forum) == 0
    assert not ForumFollow.objects.exists()


def test_forum_create_by_role_and_unit(
    library: Unit, school: Unit, communicator: User, admin: User, case_officer: User
) -> None:
    forum = services.forum_create(
        actor=communicator, unit=library, kind=ForumKind.TOPIC, slug="kultur", title="Kultur"
    )
    assert forum.municipality_id == library.municipality_id and forum.is_open
    with pytest.raises(PermissionDenied):  # a communicator of the library, not of the school
        services.forum_create(
            actor=communicator, unit=school, kind=ForumKind.TOPIC, slug="skole", title="Skole"
        )
    with pytest.raises(PermissionDenied):  # a case officer runs no forums
        services.forum_create(
            actor=case_officer, unit=school, kind=ForumKind.TOPIC, slug="skole", title="Skole"
        )
    with pytest.raises(ValidationError) as caught:
        services.forum_create(
            actor=admin, unit=library, kind=ForumKind.TOPIC, slug="kultur", title=""
        )
    assert set(caught.value.error_dict) == {"slug", "title"}
    with pytest.raises(ValidationError) as caught:
        services.forum_create(
            actor=admin, unit=library, kind=ForumKind.TOPIC, slug="folger", title="Følger"
        )
    assert set(caught.value.error_dict) == {"slug"}


def test_forum_process_only_for_project_forums_of_the_same_municipality(
    library: Unit, communicator: User
) -> None:
    process = process_make(library)
    with pytest.raises(ValidationError) as caught:
        services.forum_create(
            actor=communicator,
            unit=library,
            kind=ForumKind.TOPIC,
            slug="vei",
            title="Vei",
            process=process,
        )
    assert set(caught.value.error_dict) == {"process"}
    forum = services.forum_create(
        actor=communicator,
        unit=library,
        kind=ForumKind.PROJECT,
        slug="vei",
        title="Vei",
        process=process,
    )
    updated = services.forum_update(
        forum=forum,
        actor=communicator,
        unit=library,
        kind=ForumKind.PROJECT,
        slug="veisystemet",
        title="Veisystemet",
        process=process,
        is_open=False,
    )
    assert updated.slug == "veisystemet" and not updated.is_open


def test_forum_of_an_unpublished_process_takes_no_topics_from_residents(
    library: Unit, resident: User
) -> None:
    forum = forum_make(library, process=process_make(library, published=False))
    with pytest.raises(PermissionDenied):
        services.topic_start(forum=forum, actor=resident, title="Tidlig", body="Hei")

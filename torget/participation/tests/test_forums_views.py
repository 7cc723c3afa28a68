"""Forum pages: the list, a forum with its topics and the start form, a topic with its
messages and the reply form (resident, official, politician), following, and the staff pages."""

from __future__ import annotations

import datetime

from django.test import Client
from django.utils import timezone

from torget.accounts.models import User
from torget.conversations.models import AuthorRole, Channel, Message, Thread
from torget.conversations.services import thread_open
from torget.organisation.models import Membership, Role, Unit
from torget.pages.models import FollowFrequency
from torget.participation.models import Forum, ForumFollow, ForumKind
from torget.participation.services import forums as services
from torget.participation.tests.factories import forum_make, process_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _topic(forum: Forum, author: User, title: str = "Lesekveld", body: str = "Når?") -> Thread:
    return services.topic_start(forum=forum, actor=author, title=title, body=body)


def test_forum_list_groups_open_forums_by_kind_with_counts(
    client: Client, library: Unit, root_unit: Unit, resident: User
) -> None:
    future = forum_make(root_unit, slug="framtida", title="Framtidas Testvik", kind="future")
    forum_make(library, slug="kultur", title="Kultur og bibliotek")
    forum_make(library, slug="vei", title="Nytt veisystem", process=process_make(library))
    closed = forum_make(library, slug="gammel", title="Gammelt forum")
    Forum.objects.filter(pk=closed.pk).update(is_open=False)
    _topic(future, resident)
    html = client.get("/forum/", **EN).content.decode()
    assert html.index("The municipality&#x27;s future") < html.index("Topic forum")
    assert html.index("Topic forum") < html.index("Project forum") < html.index("Closed forums")
    assert "Framtidas Testvik" in html and "1 topic" in html and "0 topics" in html
    assert html.index("Gammelt forum") > html.index("Closed forums")


def test_forum_list_empty_state(client: Client, municipality: object) -> None:
    html = client.get("/forum/", **EN).content.decode()
    assert "No open forums yet." in html


def test_forum_page_lists_topics_with_starter_replies_and_answer_state(
    client: Client,
    library: Unit,
    resident: User,
    other_resident: User,
    communicator: User,
    politician: User,
) -> None:
    forum = forum_make(library, slug="kultur", title="Kultur")
    answered = _topic(forum, resident, title="Åpent lørdag?")
    services.topic_reply(thread=answered, actor=other_resident, body="Gjerne!")
    services.topic_reply(thread=answered, actor=communicator, body="Ja, fra mars.")
    debated = _topic(forum, other_resident, title="Nytt bibliotek")
    services.topic_reply(thread=debated, actor=politician, body="Vi ser på det.")
    html = client.get("/forum/kultur/", **EN).content.decode()
    assert "Started by Nora" in html and "Started by Emil" in html
    assert "2 replies" in html and "1 reply" in html
    assert "Answered by the municipality" in html and "Politician took part" in html
    # the most recently active first
    assert html.index("Nytt bibliotek") < html.index("Åpent lørdag?")


def test_forum_page_pages_topics_by_twenty(client: Client, library: Unit) -> None:
    forum = forum_make(library, slug="kultur")
    start = timezone.now() - datetime.timedelta(days=1)
    for number in range(21):
        # Residents without an account (as if imported): no rate limit for 21 posts.
        thread_open(
            unit=library,
            channel=Channel.FORUM,
            body="Tekst",
            actor=None,
            author_name="Gjest",
            subject=forum,
            title=f"Emne nummer {number:02d}",
            at=start + datetime.timedelta(minutes=number),
        )
    first = client.get("/forum/kultur/", **EN).content.decode()
    assert "Emne nummer 20" in first and "Emne nummer 01" in first
    assert "Emne nummer 00" not in first and "Page 1 of 2" in first
    second = client.get("/forum/kultur/?page=2", **EN).content.decode()
    assert "Emne nummer 00" in second and "Emne nummer 20" not in second


def test_resident_starts_a_topic_and_replies(
    client: Client, library: Unit, resident: User, other_resident: User
) -> None:
    forum = forum_make(library, slug="kultur")
    client.force_login(resident)
    response = client.post(
        "/forum/kultur/",
        {"title": "Strikkekafé", "body": "Kan vi få en strikkekafé?", "follow": "on"},
        **EN,
    )
    thread = Thread.objects.get(title="Strikkekafé")
    assert response.status_code == 302
    assert response["Location"] == f"/forum/kultur/{thread.pk}/"
    assert ForumFollow.objects.filter(user=resident, thread=thread).exists()
    client.force_login(other_resident)
    response = client.post(f"/forum/kultur/{thread.pk}/", {"body": "Ja takk!"}, **EN)
    assert response.status_code == 302
    html = client.get(f"/forum/kultur/{thread.pk}/", **EN).content.decode()
    assert "Kan vi få en strikkekafé?" in html and "Ja takk!" in html
    assert "Report this message" in html  # the shared report flow, for others' messages
    assert thread.messages.filter(role=AuthorRole.RESIDENT).count() == 2
    assert forum.pk == thread.subject_id


def test_official_answer_is_shown_as_answer_from_the_unit(
    client: Client, library: Unit, resident: User, communicator: User
) -> None:
    forum = forum_make(library, slug="kultur")
    thread = _topic(forum, resident)
    client.force_login(communicator)
    page = client.get(f"/forum/kultur/{thread.pk}/", **EN).content.decode()
    assert "Answer as Testvik bibliotek (official)" in page
    response = client.post(f"/forum/kultur/{thread.pk}/", {"body": "Torsdag kl. 18."}, **EN)
    assert response.status_code == 302
    client.logout()
    html = client.get(f"/forum/kultur/{thread.pk}/", **EN).content.decode()
    assert "Answer from Testvik bibliotek" in html and "Torsdag kl. 18." in html
    assert "Answered by the municipality" in html


def test_politician_answer_is_shown_with_name_title_and_politician(
    client: Client, library: Unit, resident: User, politician: User
) -> None:
    User.objects.filter(pk=politician.pk).update(name="Kari Nordmann")
    Membership.objects.filter(user=politician, role=Role.POLITICIAN).update(title="Mayor")
    forum = forum_make(library, slug="kultur")
    thread = _topic(forum, resident)
    client.force_login(politician)
    page = client.get(f"/forum/kultur/{thread.pk}/", **EN).content.decode()
    assert "Answer as politician" in page
    client.post(f"/forum/kultur/{thread.pk}/", {"body": "Jeg tar det opp i utvalget."}, **EN)
    client.logout()
    html = client.get(f"/forum/kultur/{thread.pk}/", **EN).content.decode()
    assert "Kari Nordmann, Mayor</strong> · Politician" in html
    answer = Message.objects.get(role=AuthorRole.OFFICIAL)
    assert answer.by_politician
    thread.refresh_from_db()
    assert thread.status == "waiting" and thread.first_official_at is None
    assert "Politician took part" in client.get("/forum/kultur/", **EN).content.decode()
    assert User.objects.get(pk=politician.pk).name == "Kari Nordmann"  # the account untouched


def test_closed_forum_refuses_with_a_message_and_keeps_the_text(
    client: Client, library: Unit, resident: User, other_resident: User
) -> None:
    forum = forum_make(library, slug="kultur")
    thread = _topic(forum, resident)
    Forum.objects.filter(pk=forum.pk).update(is_open=False)
    client.force_login(other_resident)
    response = client.post("/forum/kultur/", {"title": "Sent ute", "body": "Min lange tekst"}, **EN)
    html = response.content.decode()
    assert response.status_code == 422
    assert "This forum is closed for new posts." in html
    assert "Min lange tekst" in html and 'value="Sent ute"' in html
    response = client.post(f"/forum/kultur/{thread.pk}/", {"body": "Mitt svar her"}, **EN)
    assert response.status_code == 422
    html = response.content.decode()
    assert "This forum is closed for new posts." in html and "Mitt svar her" in html
    assert Thread.objects.count() == 1 and thread.messages.count() == 1


def test_empty_reply_answers_422_with_the_error_next_to_the_field(
    client: Client, library: Unit, resident: User
) -> None:
    forum = forum_make(library, slug="kultur")
    thread = _topic(forum, resident)
    client.force_login(resident)
    response = client.post(f"/forum/kultur/{thread.pk}/", {"body": "  "}, **EN)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Write something before you send." in html
    assert 'href="#reply_body"' in html and 'aria-invalid="true"' in html


def test_topic_of_another_forum_is_404(client: Client, library: Unit, resident: User) -> None:
    forum_make(library, slug="kultur")
    other = forum_make(library, slug="skole")
    thread = _topic(other, resident)
    assert client.get(f"/forum/kultur/{thread.pk}/").status_code == 404
    assert client.get(f"/forum/skole/{thread.pk}/").status_code == 200
    comment = thread_open(unit=library, channel=Channel.WEB, body="Hei", actor=resident)
    assert client.get(f"/forum/skole/{comment.pk}/").status_code == 404


def test_follow_and_unfollow_a_forum_and_a_topic(
    client: Client, library: Unit, resident: User, other_resident: User
) -> None:
    forum = forum_make(library, slug="kultur", title="Kultur")
    thread = _topic(forum, other_resident)
    client.force_login(resident)
    response = client.post("/forum/kultur/folg/", {"frequency": "daily"}, **EN)
    assert response.status_code == 302 and response["Location"] == "/forum/kultur/"
    assert ForumFollow.objects.get(forum=forum).frequency == FollowFrequency.DAILY
    client.post(f"/forum/kultur/{thread.pk}/folg/", {"frequency": "immediate"}, **EN)
    assert ForumFollow.objects.get(thread=thread).frequency == FollowFrequency.IMMEDIATE
    html = client.get("/forum/folger/", **EN).content.decode()
    assert "Kultur" in html and "Lesekveld" in html
    client.post("/forum/kultur/folg/", {"action": "unfollow"}, **EN)
    client.post(f"/forum/kultur/{thread.pk}/folg/", {"action": "unfollow"}, **EN)
    assert not ForumFollow.objects.exists()
    assert "You follow no forum." in client.get("/forum/folger/", **EN).content.decode()


def test_staff_forum_list_and_create_need_a_manager_role_of_the_unit(
    client: Client,
    library: Unit,
    school: Unit,
    communicator: User,
    case_officer: User,
    resident: User,
) -> None:
    forum_make(library, slug="kultur", title="Kultur")
    forum_make(school, slug="skole", title="Skoleforum")
    client.force_login(resident)
    assert client.get("/ansatt/forum/").status_code == 403
    client.force_login(case_officer)  # staff, but runs no forums
    assert client.get("/ansatt/forum/").status_code == 403
    client.force_login(communicator)
    html = client.get("/ansatt/forum/", **EN).content.decode()
    assert "Kultur" in html and "Skoleforum" not in html
    assert client.get("/ansatt/forum/skole/").status_code == 404
    # the unit field offers only the library: the school is an invalid choice
    response = client.post(
        "/ansatt/forum/ny/",
        {"kind": "topic", "slug": "lesing", "title": "Lesing", "unit": school.pk},
        **EN,
    )
    assert response.status_code == 422 and not Forum.objects.filter(slug="lesing").exists()
    response = client.post(
        "/ansatt/forum/ny/",
        {
            "kind": "topic",
            "slug": "lesing",
            "title": "Lesing",
            "unit": library.pk,
            "description": "Om **bøker**.",
            "is_open": "on",
        },
        **EN,
    )
    assert response.status_code == 302
    forum = Forum.objects.get(slug="lesing")
    assert forum.unit == library and forum.kind == ForumKind.TOPIC and forum.is_open
    assert "<strong>bøker</strong>" in client.get("/forum/lesing/").content.decode()


def test_staff_forum_edit_closes_a_forum_and_keeps_a_taken_slug_typed(
    client: Client, library: Unit, admin: User
) -> None:
    forum_make(library, slug="kultur", title="Kultur")
    forum_make(library, slug="lesing", title="Lesing")
    client.force_login(admin)
    data = {"kind": "topic", "slug": "lesing", "title": "Kultur og lesing", "unit": library.pk}
    response = client.post("/ansatt/forum/kultur/", data, **EN)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Another forum has this address name" in html and "Kultur og lesing" in html
    data["slug"] = "kultur"
    assert client.post("/ansatt/forum/kultur/", data, **EN).status_code == 302
    forum = Forum.objects.get(slug="kultur")
    assert forum.title == "Kultur og lesing" and not forum.is_open


def test_process_parts_show_project_forums_and_the_create_link(
    library: Unit, resident: User, communicator: User
) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from torget.participation.views.forums import process_part, staff_process_part

    process = process_make(library, slug="veisystemet")
    forum = forum_make(library, slug="vei", title="Veiforum", process=process)
    _topic(forum, resident, title="Rundkjøring ved skolen")
    request = RequestFactory().get("/medvirkning/veisystemet/")
    request.user = AnonymousUser()
    request.municipality = library.municipality  # type: ignore[attr-defined]
    html = process_part(request, process)
    assert "Veiforum" in html and "Rundkjøring ved skolen" in html
    assert staff_process_part(request, process) == ""
    request.user = communicator
    staff_html = staff_process_part(request, process)
    assert "/ansatt/forum/ny/?process=veisystemet" in staff_html


def test_inbox_and_min_side_link_a_topic_to_its_page(library: Unit, resident: User) -> None:
    from torget.conversations.registry import staff_subject_path, thread_path

    forum = forum_make(library, slug="kultur")
    thread = _topic(forum, resident)
    assert thread_path(thread) == f"/forum/kultur/{thread.pk}/"
    assert staff_subject_path(thread) == f"/forum/kultur/{thread.pk}/"


def test_forum_and_topic_pages_cost_the_same_queries_for_more_posts(
    client: Client, library: Unit, resident: User, other_resident: User, politician: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    forum = forum_make(library, slug="kultur")
    thread = _topic(forum, resident)
    services.topic_reply(thread=thread, actor=politician, body="Ett svar")

    def cost(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    client.force_login(other_resident)
    cost("/forum/kultur/")  # warm the caches of the host and the content types
    before = (cost("/forum/kultur/"), cost(f"/forum/kultur/{thread.pk}/"))
    for number in range(4):
        thread_open(
            unit=library,
            channel=Channel.FORUM,
            body="Tekst",
            actor=None,
            author_name="Gjest",
            subject=forum,
            title=f"Emne {number}",
        )
    services.topic_reply(thread=thread, actor=other_resident, body="Svar 1")
    services.topic_reply(thread=thread, actor=politician, body="Svar 2")
    services.topic_reply(thread=thread, actor=resident, body="Svar 3")
    after = (cost("/forum/kultur/"), cost(f"/forum/kultur/{thread.pk}/"))
    assert after == before


def test_blocked_resident_gets_the_reason_and_keeps_the_text(
    client: Client, library: Unit, resident: User, moderator: User
) -> None:
    from torget.conversations.services import user_block

    forum_make(library, slug="kultur")
    user_block(municipality=library.municipality, user=resident, actor=moderator, reason="Hets")
    client.force_login(resident)
    response = client.post("/forum/kultur/", {"title": "Emne", "body": "Min tekst"}, **EN)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Your account has been blocked from writing here." in html and "Min tekst" in html
    assert not Thread.objects.exists()


def test_forum_of_an_unpublished_process_is_hidden_from_residents(
    client: Client, library: Unit, communicator: User
) -> None:
    forum_make(
        library, slug="vei", title="Veiforum", process=process_make(library, published=False)
    )
    assert client.get("/forum/vei/").status_code == 404
    assert "Veiforum" not in client.get("/forum/", **EN).content.decode()
    client.force_login(communicator)
    assert "Veiforum" in client.get("/forum/vei/", **EN).content.decode()

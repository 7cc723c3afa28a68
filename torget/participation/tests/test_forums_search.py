"""Forum topics in the site search (kind "topic"): found while everybody may read them, gone
while a moderator hides the opening message or the forum's process is withdrawn."""

from __future__ import annotations

from django.test import Client

from torget.accounts.models import User
from torget.conversations import services as conversations
from torget.core.models import SearchDocument
from torget.core.search.tasks import index_object
from torget.organisation.models import Unit
from torget.participation.search_topics import topic_documents
from torget.participation.services import forums as services
from torget.participation.services import processes as process_services
from torget.participation.tests.factories import forum_make, process_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _found(client: Client, query: str) -> str:
    return client.get("/sok/", {"q": query}, **EN).text


def test_a_new_topic_is_found_by_its_title_and_opening_text(
    client: Client, library: Unit, resident: User, other_resident: User
) -> None:
    forum = forum_make(library, slug="kultur")
    thread = services.topic_start(
        forum=forum,
        actor=resident,
        title="Lesesal om kvelden",
        body="Kan biblioteket holde lesesalen åpen til midnatt i eksamenstida?",
    )
    services.topic_reply(thread=thread, actor=other_resident, body="Ja, gjerne sjakkbrett også")
    url = f"/forum/kultur/{thread.pk}/"
    document = SearchDocument.objects.get(kind="topic", object_id=thread.pk)
    assert document.url == url and document.title == "Lesesal om kvelden"
    assert document.unit_id == library.pk
    assert url in _found(client, "eksamenstida") and "Forum topics" in _found(client, "lesesal")
    assert url not in _found(client, "sjakkbrett")  # replies are read on the topic's page


def test_a_hidden_opening_message_takes_the_topic_out_until_it_is_restored(
    client: Client, library: Unit, resident: User, moderator: User
) -> None:
    forum = forum_make(library)
    thread = services.topic_start(
        forum=forum, actor=resident, title="Kjøp brukte sykler", body="Billige sykler på torget"
    )
    opening = thread.messages.get()
    conversations.message_hide(message=opening, actor=moderator, reason="Reklame")
    assert not SearchDocument.objects.filter(kind="topic", object_id=thread.pk).exists()
    assert f"/{thread.pk}/" not in _found(client, "sykler")
    assert index_object.call(kind="topic", object_id=thread.pk) is False  # a rebuild agrees
    assert list(topic_documents(library.municipality)) == []
    conversations.message_restore(message=opening, actor=moderator)
    assert SearchDocument.objects.filter(kind="topic", object_id=thread.pk).exists()


def test_hiding_a_reply_leaves_the_topic_found(
    library: Unit, resident: User, other_resident: User, moderator: User
) -> None:
    forum = forum_make(library)
    thread = services.topic_start(forum=forum, actor=resident, title="Bybane", body="Når?")
    reply = services.topic_reply(thread=thread, actor=other_resident, body="Tull og tøys")
    conversations.message_hide(message=reply, actor=moderator, reason="Usaklig")
    assert SearchDocument.objects.filter(kind="topic", object_id=thread.pk).exists()


def test_project_forum_topics_follow_their_process_and_forum_address(
    client: Client, library: Unit, resident: User, communicator: User
) -> None:
    process = process_make(library, slug="sentrum")
    forum = forum_make(library, process=process, slug="sentrum-forum")
    thread = services.topic_start(
        forum=forum, actor=resident, title="Gatetun i Storgata", body="Plantekasser og benker"
    )
    assert SearchDocument.objects.filter(kind="topic", object_id=thread.pk).exists()
    fields = process_services.ProcessFields(
        title=process.title, slug=process.slug, kind=process.kind, is_published=False
    )
    process_services.process_update(process=process, actor=communicator, fields=fields)
    assert not SearchDocument.objects.filter(kind="topic", object_id=thread.pk).exists()
    assert "Gatetun" not in _found(client, "plantekasser")
    fields = process_services.ProcessFields(
        title=process.title, slug=process.slug, kind=process.kind, is_published=True
    )
    process_services.process_update(process=process, actor=communicator, fields=fields)
    services.forum_update(
        forum=forum,
        actor=communicator,
        unit=library,
        kind=forum.kind,
        slug="storgata",
        title=forum.title,
        process=process,
    )
    document = SearchDocument.objects.get(kind="topic", object_id=thread.pk)
    assert document.url == f"/forum/storgata/{thread.pk}/"
    assert [d["object_id"] for d in topic_documents(library.municipality)] == [thread.pk]


def test_a_rebuild_reads_the_topics_in_the_same_few_queries_however_many(
    library: Unit, resident: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    forum = forum_make(library)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            documents = list(topic_documents(library.municipality))
        assert len(documents) == forum_topics()
        return len(queries)

    def forum_topics() -> int:
        from torget.conversations.models import Thread

        return Thread.objects.filter(subject_id=forum.pk).count()

    services.topic_start(forum=forum, actor=resident, title="Én", body="Første")
    few = count()
    for n in range(5):  # each by another resident: one writer is rate limited
        writer = User.objects.create(email=f"skribent{n}@example.no")
        services.topic_start(forum=forum, actor=writer, title=f"Emne {n}", body="Tekst")
    assert count() == few

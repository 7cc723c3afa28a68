"""What the site search holds of the forums: the topics residents and staff start (kind "topic").

A topic is in the index while everybody may read it: its forum is public (not the project
forum of an unpublished process) and its opening message is not hidden by a moderator. The
title is the topic's, the body its opening message (replies are not indexed: the topic's
page shows them). The forum services call `topic_index` when a topic starts,
`topic_index_forum` when a forum changes (its address, its process), the process services
`topic_index_process` when a process is published or withdrawn, and conversations' moderation
listener (hooks/forums.py) calls `topic_index` when a message is hidden or restored.
`topic_documents` gives every such topic of a municipality, for rebuilding the index.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from torget.conversations.models import Message, Thread, Visibility
from torget.core.search.index import document_delete, document_upsert
from torget.organisation.models import Municipality
from torget.participation.models import Forum, Process
from torget.participation.selectors.forums import forum_type

KIND = "topic"


def _public_forums() -> QuerySet[Forum]:
    return Forum.objects.filter(Q(process__isnull=True) | Q(process__is_published=True))


def _topics(forums: QuerySet[Forum]) -> QuerySet[Thread]:
    """The public topics of `forums`, each with its opening message's text and hidden time
    read in the same query (`opening_body`, `opening_hidden_at`)."""
    opening = Message.objects.filter(thread=OuterRef("pk")).order_by("created_at", "pk")
    return (
        Thread.objects.filter(
            subject_type=forum_type(),
            subject_id__in=forums.values("pk"),
            visibility=Visibility.PUBLIC,
        )
        .select_related("municipality")
        .annotate(
            opening_body=Subquery(opening.values("body")[:1]),
            opening_hidden_at=Subquery(opening.values("hidden_at")[:1]),
        )
    )


def topic_document(thread: Thread, forum: Forum) -> dict[str, Any] | None:
    """The keyword arguments of `document_upsert` for the topic `thread` of `forum` (read by
    `_topics`), or None when its opening message is hidden (or gone)."""
    body: str | None = thread.opening_body  # type: ignore[attr-defined]
    if body is None or thread.opening_hidden_at is not None:  # type: ignore[attr-defined]
        return None
    return {
        "municipality_id": thread.municipality_id,
        "kind": KIND,
        "object_id": thread.pk,
        "title": thread.title or forum.title,
        "body": body.strip(),
        "url": reverse("participation:topic-detail", args=[forum.slug, thread.pk]),
        "language": thread.municipality.malform,
        "unit_id": forum.unit_id,
    }


def topic_documents(municipality: Municipality) -> Iterator[dict[str, Any]]:
    """One document per readable topic of `municipality`'s public forums."""
    forums = {f.pk: f for f in _public_forums().filter(municipality=municipality)}
    for thread in _topics(_public_forums().filter(municipality=municipality)).order_by("pk"):
        document = topic_document(thread, forums[thread.subject_id])  # type: ignore[index]
        if document is not None:
            yield document


def topic_document_by_id(object_id: int) -> dict[str, Any] | None:
    """The document of one topic, or None when it must not be found."""
    thread = _topics(_public_forums()).filter(pk=object_id).first()
    if thread is None or thread.subject_id is None:
        return None
    forum = Forum.objects.get(pk=thread.subject_id)
    return topic_document(thread, forum)


def _reindex(pks: list[int]) -> None:
    for pk in pks:
        document = topic_document_by_id(pk)
        if document is not None:
            document_upsert(**document)
        else:
            document_delete(kind=KIND, object_id=pk)


def topic_index(thread: Thread) -> None:
    """Put the topic `thread` in the index while everybody may read it, else take it out. Call
    it in the transaction that changed it."""
    _reindex([thread.pk])


def topic_index_forum(forum: Forum) -> None:
    """(Re)index or remove every topic of `forum` (after its address or process changed)."""
    topics = Thread.objects.filter(subject_type=forum_type(), subject_id=forum.pk)
    _reindex(list(topics.values_list("pk", flat=True)))


def topic_index_process(process: Process) -> None:
    """(Re)index or remove the topics of `process`'s project forums (published or withdrawn)."""
    forums = Forum.objects.filter(process=process).values("pk")
    topics = Thread.objects.filter(subject_type=forum_type(), subject_id__in=forums)
    _reindex(list(topics.values_list("pk", flat=True)))

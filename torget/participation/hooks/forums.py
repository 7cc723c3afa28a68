"""What the forums part registers with other modules (see hooks/__init__.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def topic_path(thread: object) -> str:
    """Where a forum topic is shown: its page under its forum (the inbox, Min side and the
    answer e-mails link here)."""
    from django.urls import reverse

    from torget.participation.models import Forum

    forum = Forum.objects.only("slug").get(pk=thread.subject_id)  # type: ignore[attr-defined]
    return reverse("participation:topic-detail", args=[forum.slug, thread.pk])  # type: ignore[attr-defined]


def topic_moderated(message: object) -> None:
    """A message was hidden or restored: a topic whose opening message is hidden leaves the
    site search, and comes back when it is restored."""
    from torget.participation.search_topics import topic_index
    from torget.participation.selectors.forums import forum_type

    thread = message.thread  # type: ignore[attr-defined]
    if thread.subject_type_id == forum_type().pk:
        topic_index(thread)


def register() -> None:
    """Called once from ParticipationConfig.ready()."""
    from torget.conversations.registry import (
        register_moderation_listener,
        register_staff_subject,
        register_subject,
    )
    from torget.core.search.registry import register_kind
    from torget.participation.models import Forum
    from torget.participation.search_topics import KIND, topic_document_by_id, topic_documents

    register_subject(Forum, topic_path)
    # Staff answer a topic in place, on its page, where the whole discussion is.
    register_staff_subject(Forum, topic_path)
    register_kind(
        KIND,
        label=_("Forum topics"),
        order=35,
        documents=topic_documents,
        document=topic_document_by_id,
    )
    register_moderation_listener(topic_moderated)

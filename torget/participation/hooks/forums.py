"""What the forums part registers with other modules (see hooks/__init__.py)."""

from __future__ import annotations


def topic_path(thread: object) -> str:
    """Where a forum topic is shown: its page under its forum (the inbox, Min side and the
    answer e-mails link here)."""
    from django.urls import reverse

    from torget.participation.models import Forum

    forum = Forum.objects.only("slug").get(pk=thread.subject_id)  # type: ignore[attr-defined]
    return reverse("participation:topic-detail", args=[forum.slug, thread.pk])  # type: ignore[attr-defined]


def register() -> None:
    """Called once from ParticipationConfig.ready()."""
    from torget.conversations.registry import register_staff_subject, register_subject
    from torget.participation.models import Forum

    register_subject(Forum, topic_path)
    # Staff answer a topic in place, on its page, where the whole discussion is.
    register_staff_subject(Forum, topic_path)

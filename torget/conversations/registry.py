"""Where a thread is shown, by its subject.

Modules above `conversations` (pages, cases, alerts, ...) register how to link to a thread
about their subjects; `conversations` itself never imports them (DESIGN.md §2).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse

from torget.conversations.models import Message, Thread

ThreadUrl = Callable[[Thread], str]
_resolvers: dict[str, ThreadUrl] = {}


def register_subject(model: type[models.Model], resolver: ThreadUrl) -> None:
    """Say how to link to a thread whose subject is an instance of `model`."""
    _resolvers[model._meta.label_lower] = resolver


def thread_path(thread: Thread) -> str:
    """The path where the resident sees `thread`: on its subject's page if the subject's module
    registered one, else on the generic conversation page."""
    if thread.subject_type_id is not None:
        label = ContentType.objects.get_for_id(thread.subject_type_id).model_class()
        if label is not None:
            resolver = _resolvers.get(label._meta.label_lower)
            if resolver is not None:
                return resolver(thread)
    return reverse("conversations:thread-detail", args=[thread.pk])


_staff_resolvers: dict[str, ThreadUrl] = {}


def register_staff_subject(model: type[models.Model], resolver: ThreadUrl) -> None:
    """Say where staff handle the subject of a thread about an instance of `model` (a case's
    page for its case officer), so that the staff thread page links to it."""
    _staff_resolvers[model._meta.label_lower] = resolver


def staff_subject_path(thread: Thread) -> str | None:
    """The staff page of the thread's subject, if its module registered one, else None."""
    if thread.subject_type_id is None:
        return None
    model = ContentType.objects.get_for_id(thread.subject_type_id).model_class()
    if model is None:
        return None
    resolver = _staff_resolvers.get(model._meta.label_lower)
    return resolver(thread) if resolver is not None else None


AnswerSender = Callable[[Message], None]
_answer_senders: dict[str, AnswerSender] = {}


def register_answer_sender(channel: str, sender: AnswerSender) -> None:
    """Say how an official answer reaches a resident without an account who wrote through
    `channel` (an SMS answer to an alert is answered by SMS). Without one, the answer goes by
    e-mail to the thread's contact address, if it has one."""
    _answer_senders[channel] = sender


def answer_sender(channel: str) -> AnswerSender | None:
    return _answer_senders.get(channel)


ModerationListener = Callable[[Message], None]
_moderation_listeners: list[ModerationListener] = []


def register_moderation_listener(listener: ModerationListener) -> None:
    """Be told, inside the moderator's transaction, when a message is hidden or restored (its
    `hidden_at` says which): participation takes a forum topic whose opening message is hidden
    out of the site search, and puts it back when restored."""
    if listener not in _moderation_listeners:
        _moderation_listeners.append(listener)


def moderation_listeners() -> list[ModerationListener]:
    return list(_moderation_listeners)

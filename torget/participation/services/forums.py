"""Writes of the forums part: forums (staff), topics and replies (everyone logged in), follows.

A topic is a public thread (channel `forum`) whose subject is the forum, opened through
`conversations.services.thread_open`; replies are `message_add_resident` for residents and
`thread_answer` for those who answer for the forum's unit (staff, and politicians, whose answers
are shown and counted apart). Every new post puts the followers' notice task on the queue inside
the same transaction, so the task row commits, or rolls back, with the post.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.conversations import policies as conversation_policies
from torget.conversations import services as conversations
from torget.conversations.models import Channel, Message, Thread, Visibility
from torget.core.errors import InvalidTransition
from torget.organisation.models import Unit
from torget.organisation.policies import has_role
from torget.pages.models import FollowFrequency
from torget.participation import tasks_forums
from torget.participation.models import Forum, ForumFollow, ForumKind, Process
from torget.participation.policies import MANAGER_ROLES
from torget.participation.search_topics import topic_index, topic_index_forum
from torget.participation.selectors.forums import can_view_forum, topic_forum

MAX_TITLE = 200
# Paths under /forum/ that are pages of their own, not forums.
RESERVED_SLUGS = frozenset({"folger"})


# --- forums (staff) -----------------------------------------------------------------------------


def _clean_forum(
    *,
    unit: Unit,
    kind: str,
    slug: str,
    title: str,
    process: Process | None,
    exclude_pk: int | None = None,
) -> dict[str, str]:
    errors: dict[str, Any] = {}
    if kind not in ForumKind.values:
        errors["kind"] = _("Choose a kind of forum.")
    if not slug:
        errors["slug"] = _("Give the forum an address name.")
    elif slug in RESERVED_SLUGS:
        errors["slug"] = _("This address name is taken by another page; choose another.")
    elif (
        Forum.objects.filter(municipality_id=unit.municipality_id, slug=slug)
        .exclude(pk=exclude_pk or 0)
        .exists()
    ):
        errors["slug"] = _("Another forum has this address name; choose another.")
    if not title.strip():
        errors["title"] = _("Give the forum a title.")
    elif len(title.strip()) > MAX_TITLE:
        errors["title"] = _("The title is too long: at most %(max)d characters.") % {
            "max": MAX_TITLE
        }
    if process is not None:
        if process.municipality_id != unit.municipality_id:
            errors["process"] = _("Choose a process of this municipality.")
        elif kind != ForumKind.PROJECT:
            errors["process"] = _("Only a project forum belongs to a process.")
    if errors:
        raise ValidationError(errors)
    return {"slug": slug, "title": title.strip()}


@transaction.atomic
def forum_create(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    slug: str,
    title: str,
    description: str = "",
    process: Process | None = None,
    is_open: bool = True,
) -> Forum:
    """Open a forum of `unit`. `actor` must be a communicator or unit administrator of the unit
    (or above it): PermissionDenied otherwise. ValidationError (by field) for a taken or
    reserved address name, an empty title, or a process of another municipality or on a forum
    that is not a project forum."""
    if not has_role(actor, unit, MANAGER_ROLES):
        raise PermissionDenied
    cleaned = _clean_forum(unit=unit, kind=kind, slug=slug, title=title, process=process)
    return Forum.objects.create(
        municipality_id=unit.municipality_id,
        unit=unit,
        process=process,
        kind=kind,
        description=description.strip(),
        is_open=is_open,
        **cleaned,
    )


@transaction.atomic
def forum_update(
    *,
    forum: Forum,
    actor: User,
    unit: Unit,
    kind: str,
    slug: str,
    title: str,
    description: str = "",
    process: Process | None = None,
    is_open: bool = True,
) -> Forum:
    """Change a forum (also open or close it, or hand it to another unit). `actor` must manage
    both the forum's present unit and the new one: PermissionDenied otherwise. Errors as in
    `forum_create`. Topics already written stay where they are."""
    forum = Forum.objects.select_for_update().select_related("unit").get(pk=forum.pk)
    if not has_role(actor, forum.unit, MANAGER_ROLES) or not has_role(actor, unit, MANAGER_ROLES):
        raise PermissionDenied
    if unit.municipality_id != forum.municipality_id:
        raise PermissionDenied
    cleaned = _clean_forum(
        unit=unit, kind=kind, slug=slug, title=title, process=process, exclude_pk=forum.pk
    )
    forum.unit = unit
    forum.kind = kind
    forum.process = process
    forum.description = description.strip()
    forum.is_open = is_open
    forum.slug = cleaned["slug"]
    forum.title = cleaned["title"]
    forum.save()
    topic_index_forum(forum)  # the topics' addresses, and whether they may be found
    return forum


# --- topics and replies -------------------------------------------------------------------------


def _closed() -> InvalidTransition:
    return InvalidTransition(
        _("This forum is closed for new posts. What is written here can still be read.")
    )


def _enqueue_notice(message: Message) -> None:
    # Enqueued inside the transaction: with the database queue the task row commits (or rolls
    # back) together with the post, so no notice is lost or sent for a post that never was.
    tasks_forums.notify_forum_followers.enqueue(message_id=message.pk)


@transaction.atomic
def topic_start(
    *, forum: Forum, actor: User, title: str, body: str, follow: bool = False
) -> Thread:
    """Start a topic in `forum`: a public thread of the forum's unit, channel `forum`, with
    `body` as its first message; it waits for the municipality's answer like any question.
    With `follow`, `actor` follows the topic (e-mail at once).

    Raises ValidationError (by field: `title`, `body`) for an empty or too long title or text,
    InvalidTransition in a closed forum, PermissionDenied for a forum the actor may not see or
    a blocked account, RateLimited for a flood.
    """
    if not can_view_forum(actor, forum):
        raise PermissionDenied
    if not forum.is_open:
        raise _closed()
    errors: dict[str, Any] = {}
    clean_title = " ".join((title or "").split())
    if not clean_title:
        errors["title"] = _("Give the topic a title.")
    elif len(clean_title) > MAX_TITLE:
        errors["title"] = _("The title is too long: at most %(max)d characters.") % {
            "max": MAX_TITLE
        }
    try:
        conversations.clean_body(body)
    except ValidationError as exc:
        errors["body"] = exc.messages
    if errors:
        raise ValidationError(errors)
    thread = conversations.thread_open(
        unit=forum.unit,
        channel=Channel.FORUM,
        body=body,
        actor=actor,
        visibility=Visibility.PUBLIC,
        subject=forum,
        title=clean_title,
    )
    first = thread.messages.get()
    topic_index(thread)
    if follow:
        follow_set(user=actor, thread=thread, frequency=FollowFrequency.IMMEDIATE)
    _enqueue_notice(first)
    return thread


def may_answer_topic(user: Any, thread: Thread) -> bool:
    """True when what `user` writes in the topic is an official answer: staff of the unit, and
    politicians (forums are a public debate channel, see conversations.policies)."""
    return conversation_policies.can_answer_thread(user, thread)


@transaction.atomic
def topic_reply(*, thread: Thread, actor: User, body: str) -> Message:
    """Write in a topic. One service for both kinds of writer: for those who may answer for the
    forum's unit (may_answer_topic) it is an official answer (`thread_answer`: staff end the
    wait, a politician's answer is marked by_politician and does not); for everyone else it is
    a resident's reply (`message_add_resident`, which puts the topic back to waiting).

    A closed forum takes no residents' replies (InvalidTransition); official answers are still
    taken there, so that open questions can be answered. Raises PermissionDenied if `thread`
    is no forum topic the actor may see (or for a blocked account), ValidationError for an
    empty or too long text, InvalidTransition for a closed thread, RateLimited for a flood.
    """
    forum = topic_forum(thread)
    if forum is None or not can_view_forum(actor, forum):
        raise PermissionDenied
    if may_answer_topic(actor, thread):
        message = conversations.thread_answer(threads=[thread], actor=actor, body=body)[0]
    else:
        if not forum.is_open:
            raise _closed()
        message = conversations.message_add_resident(thread=thread, actor=actor, body=body)
    _enqueue_notice(message)
    return message


# --- follows ------------------------------------------------------------------------------------


@transaction.atomic
def follow_set(
    *,
    user: User,
    forum: Forum | None = None,
    thread: Thread | None = None,
    frequency: str = FollowFrequency.IMMEDIATE,
) -> ForumFollow:
    """`user` follows `forum`, or the topic `thread` (exactly one of them), by e-mail at once or
    in a daily digest. Idempotent: a second call changes the frequency. Raises ValueError unless
    exactly one target is given, ValidationError for an unknown frequency, PermissionDenied for
    an inactive account, a thread that is no forum topic, or a forum the user may not see."""
    if (forum is None) == (thread is None):
        raise ValueError("Follow a forum or a topic.")
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    if frequency not in FollowFrequency.values:
        raise ValidationError(_("Choose how often you want e-mail."), code="frequency")
    target = forum if forum is not None else topic_forum(thread)  # type: ignore[arg-type]
    if target is None or not can_view_forum(user, target):
        raise PermissionDenied
    lookup: dict[str, Any] = {"forum": forum} if forum is not None else {"thread": thread}
    try:
        with transaction.atomic():
            follow, _created = ForumFollow.objects.update_or_create(
                user=user, **lookup, defaults={"frequency": frequency}
            )
    except IntegrityError:
        # Two clicks at once: the other request made the row; set the frequency on it.
        follow = ForumFollow.objects.get(user=user, **lookup)
        follow.frequency = frequency
        follow.save(update_fields=["frequency"])
    return follow


@transaction.atomic
def follow_remove(*, user: User, forum: Forum | None = None, thread: Thread | None = None) -> int:
    """`user` stops following `forum` or the topic `thread` (idempotent). Returns how many
    follows were removed (0 or 1)."""
    if (forum is None) == (thread is None):
        raise ValueError("Unfollow a forum or a topic.")
    lookup: dict[str, Any] = {"forum": forum} if forum is not None else {"thread": thread}
    deleted, _rows = ForumFollow.objects.filter(user_id=user.pk, **lookup).delete()
    return deleted


@transaction.atomic
def follow_remove_listed(*, user_id: int, follow_ids: list[int]) -> int:
    """Stop the follows `follow_ids` of the person `user_id` (from the signed link in a forum
    e-mail: the token is the permission). Returns how many were removed."""
    deleted, _rows = ForumFollow.objects.filter(user_id=user_id, pk__in=follow_ids).delete()
    return deleted

"""Reads of the forums part: forums, their topics (public forum threads whose subject is the
forum), follows, and the predicates of who may see and run a forum.

Every list is built in a bounded number of queries, whatever the number of forums, topics or
messages (DESIGN.md §3).
"""

from __future__ import annotations

import copy
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from torget.accounts.models import User
from torget.conversations.models import AuthorRole, Channel, Message, Thread, Visibility
from torget.conversations.selectors import visible_messages
from torget.organisation.models import Membership, Municipality, Role, Unit
from torget.organisation.policies import has_role
from torget.organisation.selectors import unit_list_under_roles
from torget.participation.models import Forum, ForumFollow, ForumKind, Process
from torget.participation.policies import MANAGER_ROLES, can_view_process
from torget.services.markdown import markdown_to_text

AnyUser = User | AnonymousUser
TOPICS_PER_PAGE = 20
MESSAGES_PER_PAGE = 50
STAFF_FORUMS_PER_PAGE = 50


# --- predicates ---------------------------------------------------------------------------------
# (Kept with the forum reads: participation/policies.py belongs to the processes part.)


def can_manage_forum(user: AnyUser, forum: Forum) -> bool:
    """Communicators and unit administrators of the forum's unit (or above it) run it."""
    return has_role(user, forum.unit, MANAGER_ROLES)


def can_view_forum(user: AnyUser, forum: Forum) -> bool:
    """Every forum is public, except a project forum of a process that is not yet published:
    that one only those who run the process (or the forum) see."""
    if forum.process is None or forum.process.is_published:
        return True
    return can_view_process(user, forum.process) or can_manage_forum(user, forum)


# --- forums -------------------------------------------------------------------------------------


def forum_type() -> ContentType:
    return ContentType.objects.get_for_model(Forum)


def _topics(forum_ids: list[int]) -> QuerySet[Thread]:
    return Thread.objects.filter(
        subject_type=forum_type(),
        subject_id__in=forum_ids,
        channel=Channel.FORUM,
        visibility=Visibility.PUBLIC,
    )


@dataclass
class ForumRow:
    """A forum with what the lists show about it."""

    forum: Forum
    topic_count: int = 0
    last_activity: datetime.datetime | None = None
    latest: list[Thread] = field(default_factory=list)
    summary: str = ""  # the description as plain text (it is Markdown)


@dataclass
class ForumGroup:
    kind: str
    label: str
    rows: list[ForumRow]


def _rows(forums: list[Forum]) -> list[ForumRow]:
    """Each forum with its number of topics and last activity (one query for all)."""
    stats = {
        row["subject_id"]: row
        for row in _topics([f.pk for f in forums])
        .values("subject_id")
        .annotate(count=Count("pk"), last=Max("last_message_at"))
        .order_by()
    }
    return [
        ForumRow(
            forum=forum,
            topic_count=stats.get(forum.pk, {}).get("count", 0),
            last_activity=stats.get(forum.pk, {}).get("last"),
            summary=markdown_to_text(forum.description) if forum.description else "",
        )
        for forum in forums
    ]


def _visible_forums(*, municipality: Municipality, viewer: AnyUser) -> list[Forum]:
    forums = list(
        Forum.objects.filter(municipality=municipality)
        .select_related("unit", "process")
        .order_by("kind", "title", "pk")
    )
    hidden = [f for f in forums if f.process is not None and not f.process.is_published]
    if not hidden:
        return forums
    allowed = {f.pk for f in hidden if can_view_forum(viewer, f)}
    return [f for f in forums if f.process is None or f.process.is_published or f.pk in allowed]


def forum_list_grouped(
    *, municipality: Municipality, viewer: AnyUser
) -> tuple[list[ForumGroup], list[ForumRow]]:
    """The forums `viewer` may see: the open ones grouped by kind (the future, topic forums,
    project forums, in that order; empty groups left out), and the closed ones apart."""
    rows = _rows(_visible_forums(municipality=municipality, viewer=viewer))
    order = [ForumKind.FUTURE, ForumKind.TOPIC, ForumKind.PROJECT]
    groups = []
    for kind in order:
        members = [r for r in rows if r.forum.is_open and r.forum.kind == kind]
        if members:
            groups.append(ForumGroup(kind=kind, label=str(ForumKind(kind).label), rows=members))
    closed = [r for r in rows if not r.forum.is_open]
    return groups, closed


def forum_get(*, municipality: Municipality, slug: str, viewer: AnyUser) -> Forum:
    """The forum `slug` of `municipality`. Raises Http404 when it does not exist here or the
    viewer may not see it (a forum of an unpublished process)."""
    forum = (
        Forum.objects.select_related("unit", "process", "municipality")
        .filter(municipality=municipality, slug=slug)
        .first()
    )
    if forum is None or not can_view_forum(viewer, forum):
        raise Http404("forum")
    return forum


def _annotated_topics(forum_ids: list[int]) -> QuerySet[Thread]:
    """Topics with their number of replies (public messages shown, less the first) and whether
    a politician took part."""
    public = Q(messages__visibility=Visibility.PUBLIC)
    return (
        _topics(forum_ids)
        .select_related("opened_by")
        .annotate(
            message_count=Count("messages", filter=public),
            politician_took_part=Exists(
                Message.objects.filter(
                    thread=OuterRef("pk"),
                    role=AuthorRole.OFFICIAL,
                    by_politician=True,
                    visibility=Visibility.PUBLIC,
                    hidden_at__isnull=True,
                )
            ),
        )
        .order_by("-last_message_at", "-pk")
    )


def topic_page(*, forum: Forum, page: Any) -> Page:
    """One page (TOPICS_PER_PAGE) of the forum's topics, the most recently active first.
    Each topic has `message_count`, `reply_count`, `politician_took_part` and `opened_by`."""
    result = Paginator(_annotated_topics([forum.pk]), TOPICS_PER_PAGE).get_page(page)
    for topic in result.object_list:
        topic.reply_count = max(topic.message_count - 1, 0)
    return result


def forum_list_for_process(*, process: Process, viewer: AnyUser, latest: int = 3) -> list[ForumRow]:
    """The project forums of `process` the viewer may see, each with its `latest` most recently
    active topics (three queries in all)."""
    forums = [
        f
        for f in Forum.objects.filter(process=process).select_related("unit", "process")
        if can_view_forum(viewer, f)
    ]
    rows = _rows(forums)
    if not rows:
        return rows
    by_forum: dict[int, list[Thread]] = defaultdict(list)
    # A bounded read: at most `latest` per forum are kept, and a process has a few forums.
    for topic in _topics([f.pk for f in forums]).order_by("-last_message_at", "-pk")[
        : latest * len(forums) * 4
    ]:
        if len(by_forum[topic.subject_id or 0]) < latest:
            by_forum[topic.subject_id or 0].append(topic)
    for row in rows:
        row.latest = by_forum.get(row.forum.pk, [])
    return rows


def topic_get(*, forum: Forum, pk: int) -> Thread:
    """The topic `pk` of `forum`. Raises Http404 for any thread that is not a public topic of
    this very forum (a topic of another forum, a comment, a case)."""
    thread = (
        _topics([forum.pk]).select_related("unit", "unit__municipality", "opened_by").filter(pk=pk)
    ).first()
    if thread is None:
        raise Http404("topic")
    return thread


def topic_forum(thread: Thread) -> Forum | None:
    """The forum a thread is a topic of, or None when it is no forum topic."""
    if (
        thread.channel != Channel.FORUM
        or thread.subject_id is None
        or thread.subject_type_id != forum_type().pk
    ):
        return None
    return Forum.objects.select_related("unit", "process").filter(pk=thread.subject_id).first()


def message_page_for_topic(*, thread: Thread, viewer: AnyUser, page: Any) -> Page:
    """One page (MESSAGES_PER_PAGE) of the topic's messages the viewer may read, oldest first,
    each with `thread` set (for the shared partial) and a politician's name carrying their
    title from their membership (e.g. "Kari Nordmann, Mayor"), in one query more."""
    messages = (
        visible_messages(viewer, thread)
        .filter(thread=thread)
        .exclude(visibility=Visibility.INTERNAL)
        .order_by("created_at", "pk")
    )
    result = Paginator(messages, MESSAGES_PER_PAGE).get_page(page)
    listed = list(result.object_list)
    for message in listed:
        message.thread = thread
    _with_titles(listed, municipality_id=thread.municipality_id)
    result.object_list = listed
    return result


def message_path(message: Message, forum: Forum) -> str:
    """Where `message` is shown: the page of its topic that holds it, at its anchor."""
    before = (
        Message.objects.filter(thread_id=message.thread_id, visibility=Visibility.PUBLIC)
        .filter(
            Q(created_at__lt=message.created_at)
            | Q(created_at=message.created_at, pk__lt=message.pk)
        )
        .count()
    )
    path = reverse("participation:topic-detail", args=[forum.slug, message.thread_id])
    page = before // MESSAGES_PER_PAGE + 1
    return (
        f"{path}?page={page}#melding-{message.pk}" if page > 1 else f"{path}#melding-{message.pk}"
    )


def official_titles(*, user_ids: list[int], municipality_id: int) -> dict[int, str]:
    """The title of each person's membership (e.g. "Mayor", "Leader of the planning
    committee"), politician titles first; people without one are left out."""
    titles: dict[int, str] = {}
    rows = (
        Membership.objects.filter(
            user_id__in=user_ids, unit__municipality_id=municipality_id, role=Role.POLITICIAN
        )
        .exclude(title="")
        .order_by("unit__path", "pk")
        .values_list("user_id", "title")
    )
    for user_id, title in rows:
        titles.setdefault(user_id, title)
    return titles


def _with_titles(messages: list[Message], *, municipality_id: int) -> None:
    """Give politicians' answers their title. The shared partial prints the author of such an
    answer as "<name> · Politician"; the name shown is a copy of the author with the title
    added, so the shared template needs no change and the account is never touched."""
    authors = [m.author_id for m in messages if m.by_politician and m.author_id]
    if not authors:
        return
    titles = official_titles(user_ids=authors, municipality_id=municipality_id)
    for message in messages:
        title = titles.get(message.author_id or 0)
        if message.by_politician and message.author is not None and title:
            shown = copy.copy(message.author)
            shown.name = f"{message.author.get_full_name()}, {title}"
            message.author = shown


# --- follows ------------------------------------------------------------------------------------


def follow_get(
    *, user: AnyUser, forum: Forum | None = None, thread: Thread | None = None
) -> ForumFollow | None:
    """The viewer's follow of `forum` or of `thread` (None for an anonymous visitor)."""
    if not user.is_authenticated:
        return None
    if forum is not None:
        return ForumFollow.objects.filter(user_id=user.pk, forum=forum).first()
    return ForumFollow.objects.filter(user_id=user.pk, thread=thread).first()


def follow_list_for_user(*, user: User, municipality: Municipality) -> list[ForumFollow]:
    """What `user` follows in `municipality`'s forums: forums first, then topics (with the
    topic's forum as `topic_forum`)."""
    follows = list(
        ForumFollow.objects.filter(user=user)
        .filter(Q(forum__municipality=municipality) | Q(thread__municipality=municipality))
        .select_related("forum", "thread")
        .order_by("thread_id", "pk")
    )
    forum_ids = {f.thread.subject_id for f in follows if f.thread is not None}
    forums = Forum.objects.in_bulk([i for i in forum_ids if i])
    for follow in follows:
        if follow.thread is not None:
            follow.topic_forum = forums.get(follow.thread.subject_id or 0)  # type: ignore[attr-defined]
    return [f for f in follows if f.forum is not None or getattr(f, "topic_forum", None)]


# --- stopping e-mails from a link, without logging in ----------------------------------------

UNSUBSCRIBE_SALT = "torget.participation.forums.unsubscribe"


def unsubscribe_token(*, user_id: int, follow_ids: list[int]) -> str:
    """A signed token that lets the holder of the e-mail stop these follows of `user_id`
    (the follows that brought the e-mail), without logging in."""
    return signing.dumps({"u": user_id, "f": sorted(follow_ids)}, salt=UNSUBSCRIBE_SALT)


def follow_list_for_token(token: str) -> tuple[int, list[ForumFollow]] | None:
    """The person and the follows that `token` names (those still there), or None for a
    token that was not made here."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id = int(data["u"])
        follow_ids = [int(pk) for pk in data["f"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    follows = list(
        ForumFollow.objects.filter(user_id=user_id, pk__in=follow_ids)
        .select_related("forum", "thread")
        .order_by("pk")
    )
    return user_id, follows


# --- staff --------------------------------------------------------------------------------------


def units_managed(*, viewer: AnyUser, municipality: Municipality) -> list[Unit]:
    """The units where `viewer` runs forums: those of their communicator or unit administrator
    roles, and every unit below them."""
    return unit_list_under_roles(viewer=viewer, municipality=municipality, roles=MANAGER_ROLES)


def forum_page_for_staff(*, units: list[Unit], page: Any) -> Page:
    """The forums of `units`, by kind and title, with their number of topics and last
    activity (STAFF_FORUMS_PER_PAGE a page)."""
    forums = (
        Forum.objects.filter(unit__in=[u.pk for u in units])
        .select_related("unit", "process")
        .order_by("kind", "title", "pk")
    )
    result = Paginator(forums, STAFF_FORUMS_PER_PAGE).get_page(page)
    result.object_list = _rows(list(result.object_list))  # type: ignore[assignment]
    return result


def forum_get_for_staff(*, municipality: Municipality, slug: str, viewer: AnyUser) -> Forum:
    """The forum `slug` if `viewer` runs it. Raises Http404 otherwise (also for a forum of a
    unit they do not manage: its existence is not the question)."""
    forum = (
        Forum.objects.select_related("unit", "process")
        .filter(municipality=municipality, slug=slug)
        .first()
    )
    if forum is None or not can_manage_forum(viewer, forum):
        raise Http404("forum")
    return forum


def process_choices(*, municipality: Municipality) -> QuerySet[Process]:
    """The processes a project forum may belong to: those of the municipality."""
    return Process.objects.filter(municipality=municipality).order_by("title", "pk")

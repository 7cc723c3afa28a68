"""Reads of threads and messages, with what the viewer may see applied."""

from __future__ import annotations

import datetime
import functools
import operator
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from torget.accounts.models import User
from torget.conversations import policies
from torget.conversations.models import (
    AuthorRole,
    Block,
    CannedReply,
    Message,
    MessageReport,
    Thread,
    ThreadEvent,
    ThreadStatus,
    Visibility,
)
from torget.organisation.models import STAFF_ROLES, Membership, Municipality, Role, Unit
from torget.organisation.selectors import unit_list_under_roles

AnyUser = User | AnonymousUser
THREADS_PER_PAGE = 20
INBOX_PER_PAGE = 25


def _served_paths(*, viewer: AnyUser, municipality: Municipality) -> list[str]:
    """The tree paths of the units where `viewer` holds a staff role (one query)."""
    if not viewer.is_authenticated:
        return []
    return list(
        Membership.objects.filter(
            user_id=viewer.pk, unit__municipality=municipality, role__in=list(STAFF_ROLES)
        ).values_list("unit__path", flat=True)
    )


def _under_paths(paths: list[str], prefix: str = "") -> Q:
    """Units at or below any of `paths` (not empty; `prefix` reaches the unit through a
    relation)."""
    return functools.reduce(
        operator.or_, (Q(**{f"{prefix}path__startswith": path}) for path in paths)
    )


def units_served(*, viewer: AnyUser, municipality: Municipality) -> QuerySet[Unit]:
    """The units a staff member works for: those of their staff roles and every unit below."""
    paths = _served_paths(viewer=viewer, municipality=municipality)
    if not paths:
        return Unit.objects.none()
    return Unit.objects.filter(_under_paths(paths), municipality=municipality).order_by("path")


def visible_messages(viewer: AnyUser, thread: Thread | None = None) -> QuerySet[Message]:
    """Messages the viewer may read. Staff of the thread's unit see all (internal notes too);
    others see public ones, and private ones of threads they opened. Hidden messages stay in
    the list: templates show them as hidden (with the reason to their author and staff)."""
    queryset = Message.objects.select_related("author")
    if thread is not None and policies.is_staff_for_thread(viewer, thread):
        return queryset
    own = Q(thread__opened_by_id=viewer.pk) if viewer.is_authenticated else Q(pk__in=[])
    return queryset.filter(
        Q(visibility=Visibility.PUBLIC) | (Q(visibility=Visibility.PRIVATE) & own)
    )


def thread_get_for_viewer(*, municipality: Municipality, pk: int, viewer: AnyUser) -> Thread:
    """The thread `pk` of `municipality` if `viewer` may see it.

    Raises Http404 for a thread of another municipality or one that does not exist (so that
    ids cannot be probed), PermissionDenied for a private thread of someone else.
    """
    thread = (
        Thread.objects.select_related("unit", "unit__municipality", "opened_by", "assignee")
        .filter(municipality=municipality, pk=pk)
        .first()
    )
    if thread is None:
        raise Http404("thread")
    if not policies.can_view_thread(viewer, thread):
        raise PermissionDenied
    return thread


def message_list_for_thread(*, thread: Thread, viewer: AnyUser) -> list[Message]:
    """The thread's messages the viewer may read, oldest first (each with its thread and unit,
    which the shared partial shows, already loaded)."""
    return list(
        visible_messages(viewer, thread)
        .filter(thread=thread)
        .select_related("thread__unit")
        .order_by("created_at", "pk")
    )


def thread_page_for_subject(
    *,
    subject: models.Model,
    viewer: AnyUser,
    page: int | str | None,
    per_page: int = THREADS_PER_PAGE,
) -> Page:
    """One page of the public threads about `subject` (e.g. the comments under a post), newest
    first, each with its visible messages prefetched: a bounded number of queries per page,
    however many comments the subject has."""
    content_type = ContentType.objects.get_for_model(subject)
    threads = (
        Thread.objects.filter(
            subject_type=content_type, subject_id=subject.pk, visibility=Visibility.PUBLIC
        )
        .select_related("unit")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=visible_messages(viewer)
                .exclude(visibility=Visibility.INTERNAL)
                .order_by("created_at", "pk"),
                to_attr="visible",
            )
        )
        .order_by("-opened_at", "-pk")
    )
    return Paginator(threads, per_page).get_page(page)


INBOX_ROW_FIELDS = (
    "id",
    "municipality_id",
    "unit_id",
    "channel",
    "visibility",
    "title",
    "status",
    "opened_at",
    "waiting_since",
    "due_at",
    "first_official_at",
    "assignee_id",
    "opened_by_id",
    "unit__id",
    "unit__name",
    "unit__slug",
    "unit__path",
    "assignee__id",
    "assignee__name",
    "assignee__email",
)


@dataclass(frozen=True)
class InboxFilter:
    unit: int | None = None
    channel: str = ""
    assignee: str = ""  # "", "me", "none" or a user id
    overdue: bool = False
    never_answered: bool = False


def thread_list_waiting(
    *,
    viewer: AnyUser,
    municipality: Municipality,
    filters: InboxFilter,
    now: datetime.datetime | None = None,
) -> QuerySet[Thread]:
    """The inbox: threads that wait for the municipality in the units `viewer` serves, across
    channels, the oldest wait first."""
    # The unit is joined for the row anyway, so its path is checked in the same query.
    paths = _served_paths(viewer=viewer, municipality=municipality)
    if not paths:
        return Thread.objects.none()
    threads = Thread.objects.filter(
        _under_paths(paths, prefix="unit__"), municipality=municipality, status=ThreadStatus.WAITING
    )
    if filters.unit:
        threads = threads.filter(unit_id=filters.unit)
    if filters.channel:
        threads = threads.filter(channel=filters.channel)
    if filters.assignee == "me":
        threads = threads.filter(assignee_id=viewer.pk)
    elif filters.assignee == "none":
        threads = threads.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        threads = threads.filter(assignee_id=int(filters.assignee))
    if filters.overdue:
        threads = threads.filter(due_at__lt=now or timezone.now())
    if filters.never_answered:
        threads = threads.filter(first_official_at__isnull=True)
    # Only the columns an inbox row shows: the row list is the hottest staff query, and whole
    # joined rows (users with password hashes, unit descriptions) cost more than the query.
    return (
        threads.select_related("unit", "assignee")
        .only(*INBOX_ROW_FIELDS)
        .order_by("waiting_since", "pk")
    )


def thread_count_waiting(*, viewer: AnyUser, municipality: Municipality) -> int:
    return thread_list_waiting(
        viewer=viewer, municipality=municipality, filters=InboxFilter()
    ).count()


# --- the staff side: inbox, staff thread page, moderation queue --------------------------------
# Everything below serves the staff pages. Each page computes what it needs once (the units the
# viewer answers for, moderates, ...) so that rendering a row or a message costs no query.

ANSWER_ROLES = frozenset({Role.COMMUNICATOR, Role.CASE_OFFICER, Role.UNIT_ADMIN})
MODERATE_ROLES = frozenset({Role.MODERATOR, Role.UNIT_ADMIN})
# How much of the last resident message the inbox row shows (cut in the database).
INBOX_EXCERPT_CHARS = 160


def _unit_ids_with_roles(
    viewer: AnyUser, municipality: Municipality, roles: frozenset[str]
) -> set[int]:
    """Ids of the units where `viewer` holds one of `roles`, and of every unit below them."""
    units = unit_list_under_roles(viewer=viewer, municipality=municipality, roles=roles)
    return {unit.pk for unit in units}


def unit_ids_answered(*, viewer: AnyUser, municipality: Municipality) -> set[int]:
    """Ids of the units `viewer` answers for as staff (policies.can_answer_for_unit, in bulk)."""
    return _unit_ids_with_roles(viewer, municipality, ANSWER_ROLES)


def unit_ids_moderated(*, viewer: AnyUser, municipality: Municipality) -> set[int]:
    """Ids of the units `viewer` moderates (policies.can_moderate_unit, in bulk)."""
    return _unit_ids_with_roles(viewer, municipality, MODERATE_ROLES)


def _ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def staff_list_for_units(*, units: list[Unit]) -> list[User]:
    """The active people with a staff role in any of `units` or in a unit above one of them:
    those a thread of these units may be assigned to. Ordered by name."""
    ids: set[int] = set()
    for unit in units:
        ids.update(_ancestor_ids(unit.path))
    if not ids:
        return []
    return list(
        User.objects.filter(
            is_active=True,
            memberships__unit_id__in=ids,
            memberships__role__in=list(STAFF_ROLES),
        )
        .distinct()
        .order_by("name", "email")
    )


def thread_page_inbox(
    *,
    viewer: AnyUser,
    municipality: Municipality,
    filters: InboxFilter,
    page: int | str | None,
    now: datetime.datetime | None = None,
    per_page: int = INBOX_PER_PAGE,
) -> Page:
    """One page of the inbox (`thread_list_waiting`, the oldest wait first), each thread
    annotated with `last_resident_text`: the start of the last message a resident wrote in
    it. Two queries (count and page) however many threads wait."""
    last_resident = (
        Message.objects.filter(thread_id=models.OuterRef("pk"), role=AuthorRole.RESIDENT)
        .exclude(visibility=Visibility.INTERNAL)
        .order_by("-created_at", "-pk")
        .values("body")[:1]
    )
    threads = thread_list_waiting(
        viewer=viewer, municipality=municipality, filters=filters, now=now
    ).annotate(
        last_resident_text=Substr(
            models.Subquery(last_resident, output_field=models.TextField()),
            1,
            INBOX_EXCERPT_CHARS,
        )
    )
    return Paginator(threads, per_page).get_page(page)


@dataclass(frozen=True)
class InboxStatus:
    count: int
    newest: datetime.datetime | None
    last_id: int | None
    new_messages: int


def thread_status_inbox(
    *,
    viewer: AnyUser,
    municipality: Municipality,
    filters: InboxFilter,
    since: datetime.datetime | None,
    now: datetime.datetime | None = None,
) -> InboxStatus:
    """What the inbox poller needs: how many threads wait under `filters`, the newest wait,
    the highest thread id, and how many resident messages arrived in them after `since`.
    Two queries."""
    waiting = thread_list_waiting(
        viewer=viewer, municipality=municipality, filters=filters, now=now
    ).order_by()
    summary = waiting.aggregate(
        count=models.Count("pk"), newest=models.Max("waiting_since"), last_id=models.Max("pk")
    )
    new_messages = 0
    if since is not None and summary["count"]:
        new_messages = Message.objects.filter(
            thread__in=waiting.values("pk"), role=AuthorRole.RESIDENT, created_at__gt=since
        ).count()
    return InboxStatus(
        count=summary["count"],
        newest=summary["newest"],
        last_id=summary["last_id"],
        new_messages=new_messages,
    )


def thread_list_for_staff_by_ids(
    *, viewer: AnyUser, municipality: Municipality, ids: list[int]
) -> list[Thread]:
    """The threads with `ids` among those of the units `viewer` serves, whatever their status.
    A caller compares the length with `ids`: a missing one does not exist for this viewer."""
    served = units_served(viewer=viewer, municipality=municipality)
    return list(
        Thread.objects.filter(municipality=municipality, unit__in=served, pk__in=ids)
        .select_related("unit")
        .order_by("pk")
    )


def thread_get_for_staff(*, municipality: Municipality, pk: int, viewer: AnyUser) -> Thread:
    """The thread `pk` of `municipality` for the staff page, if `viewer` is staff of its unit.

    Raises Http404 if it does not exist in this municipality, PermissionDenied if `viewer`
    holds no staff role in its unit (or above it).
    """
    thread = (
        Thread.objects.select_related("unit", "opened_by", "assignee")
        .filter(municipality=municipality, pk=pk)
        .first()
    )
    if thread is None:
        raise Http404("thread")
    if not policies.is_staff_for_thread(viewer, thread):
        raise PermissionDenied
    return thread


def message_list_for_page(*, thread: Thread, viewer: AnyUser) -> list[Message]:
    """`message_list_for_thread`, with each message's thread set to `thread` so that the shared
    partial reads the unit's name without a query per message."""
    messages = message_list_for_thread(thread=thread, viewer=viewer)
    for message in messages:
        message.thread = thread
    return messages


def thread_event_list(*, thread: Thread) -> list[ThreadEvent]:
    """The audit trail of `thread`, oldest first (for staff)."""
    return list(thread.events.select_related("actor").order_by("created_at", "pk"))


def canned_reply_list(*, unit: Unit) -> list[CannedReply]:
    """The canned replies staff may start from in `unit`: its own and those of the units
    above it, by title."""
    return list(
        CannedReply.objects.filter(unit_id__in=_ancestor_ids(unit.path)).order_by("title", "pk")
    )


def message_get_for_viewer(*, municipality: Municipality, pk: int, viewer: AnyUser) -> Message:
    """The message `pk` of `municipality` if `viewer` may read it, with its thread and unit.

    Raises Http404 otherwise (also for an internal note a resident guesses the id of).
    """
    message = (
        Message.objects.select_related("thread__unit", "author")
        .filter(thread__municipality=municipality, pk=pk)
        .first()
    )
    if message is None or not policies.can_view_message(viewer, message):
        raise Http404("message")
    return message


def message_page_reported(
    *, viewer: AnyUser, municipality: Municipality, page: int | str | None
) -> Page:
    """The moderation queue: messages with open reports (not yet resolved) in the units
    `viewer` moderates, the longest-waiting report first. Each message carries
    `open_reports` (with the reporters) and its thread and unit: bounded queries per page."""
    unit_ids = unit_ids_moderated(viewer=viewer, municipality=municipality)
    open_reports = MessageReport.objects.filter(resolved_at__isnull=True)
    of_message = open_reports.filter(message_id=models.OuterRef("pk"))
    messages = (
        Message.objects.filter(
            models.Exists(of_message),
            thread__municipality=municipality,
            thread__unit_id__in=unit_ids,
        )
        .annotate(
            first_reported_at=models.Subquery(
                of_message.order_by("created_at").values("created_at")[:1]
            )
        )
        .select_related("thread__unit", "author")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=open_reports.select_related("reporter").order_by("created_at", "pk"),
                to_attr="open_reports",
            )
        )
        .order_by("first_reported_at", "pk")
    )
    return Paginator(messages, INBOX_PER_PAGE).get_page(page)


def block_list_active(*, municipality: Municipality) -> list[Block]:
    """The accounts blocked from writing in `municipality` now, the latest block first."""
    return list(
        Block.objects.filter(municipality=municipality, lifted_at__isnull=True)
        .select_related("user", "blocked_by")
        .order_by("-created_at", "-pk")
    )


def user_get_blockable(*, municipality: Municipality, pk: int) -> User:
    """The account `pk` if it has written in `municipality` (so that a moderator can block
    it). Raises Http404 for any other id."""
    user = User.objects.filter(pk=pk, messages__thread__municipality=municipality).first()
    if user is None:
        raise Http404("user")
    return user

"""Reads of threads and messages, with what the viewer may see applied."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from torget.accounts.models import User
from torget.conversations import policies
from torget.conversations.models import Message, Thread, ThreadStatus, Visibility
from torget.organisation.models import STAFF_ROLES, Membership, Municipality, Unit

AnyUser = User | AnonymousUser
THREADS_PER_PAGE = 20
INBOX_PER_PAGE = 25


def units_served(*, viewer: AnyUser, municipality: Municipality) -> QuerySet[Unit]:
    """The units a staff member works for: those of their staff roles and every unit below."""
    if not viewer.is_authenticated:
        return Unit.objects.none()
    paths = list(
        Membership.objects.filter(
            user_id=viewer.pk, unit__municipality=municipality, role__in=list(STAFF_ROLES)
        ).values_list("unit__path", flat=True)
    )
    if not paths:
        return Unit.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Unit.objects.filter(condition, municipality=municipality).order_by("path")


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
    """The thread's messages the viewer may read, oldest first."""
    return list(visible_messages(viewer, thread).filter(thread=thread).order_by("created_at", "pk"))


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
    served = units_served(viewer=viewer, municipality=municipality)
    threads = Thread.objects.filter(
        municipality=municipality, status=ThreadStatus.WAITING, unit__in=served
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
    return threads.select_related("unit", "assignee", "opened_by").order_by("waiting_since", "pk")


def thread_count_waiting(*, viewer: AnyUser, municipality: Municipality) -> int:
    return thread_list_waiting(
        viewer=viewer, municipality=municipality, filters=InboxFilter()
    ).count()

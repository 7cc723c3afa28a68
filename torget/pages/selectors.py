"""Reads of posts, their comments and follows, always scoped to one municipality."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from torget.accounts.models import User
from torget.conversations.models import Thread, Visibility
from torget.conversations.selectors import THREADS_PER_PAGE
from torget.organisation.models import Municipality, Unit
from torget.organisation.selectors import unit_list_under_roles
from torget.pages import policies
from torget.pages.models import Follow, Post, PostAttachment, PostKind

AnyUser = User | AnonymousUser
POSTS_PER_PAGE = 20
LATEST_POSTS = 5


def _published(now: datetime.datetime | None = None) -> Q:
    return Q(published_at__lte=now or timezone.now())


def post_queryset() -> QuerySet[Post]:
    """Posts with what a list or a page of them shows (unit, attachments) loaded up front."""
    return Post.objects.select_related("unit", "municipality").prefetch_related(
        Prefetch("attachments", queryset=PostAttachment.objects.order_by("position", "pk"))
    )


def post_get(*, municipality: Municipality, pk: int, viewer: AnyUser) -> Post:
    """The post `pk` of `municipality` as `viewer` may see it.

    A post not yet published is shown only to those who may publish for its unit. Raises
    Http404 for a post of another municipality, one that does not exist, or one not yet
    published that the viewer may not see (so that ids cannot be probed).
    """
    post = post_queryset().filter(municipality=municipality, pk=pk).first()
    if post is None:
        raise Http404("post")
    if post.published_at > timezone.now() and not policies.can_publish_for_unit(viewer, post.unit):
        raise Http404("post")
    return post


def post_get_for_edit(*, municipality: Municipality, pk: int) -> Post:
    """The post `pk` of `municipality` for its edit form, published or not. Raises Http404."""
    post = post_queryset().filter(municipality=municipality, pk=pk).first()
    if post is None:
        raise Http404("post")
    return post


def post_page_for_unit(*, unit: Unit, page: int | str | None) -> Page:
    """One page (20 posts) of the unit's published posts, newest first."""
    posts = post_queryset().filter(_published(), unit=unit).order_by("-published_at", "-pk")
    return Paginator(posts, POSTS_PER_PAGE).get_page(page)


def post_list_latest(
    *, municipality: Municipality, unit: Unit | None = None, limit: int = LATEST_POSTS
) -> list[Post]:
    """The latest published posts of `unit`, or of every unit of `municipality` when `unit` is
    None (the front page)."""
    posts = Post.objects.select_related("unit").filter(_published(), municipality=municipality)
    if unit is not None:
        posts = posts.filter(unit=unit)
    return list(posts.order_by("-published_at", "-pk")[:limit])


def post_list_published_between(
    *, units: QuerySet[Unit] | list[int], start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Post]:
    """Posts of `units` published in [start, end), oldest first (for the daily digest)."""
    return (
        Post.objects.select_related("unit", "municipality")
        .filter(unit__in=units, published_at__gte=start, published_at__lt=end)
        .filter(_published())
        .order_by("published_at", "pk")
    )


def thread_get_for_post(*, post: Post, pk: int | str | None) -> Thread:
    """The public comment thread `pk` under `post`.

    Raises Http404 for a thread that does not exist or belongs to another post (or another
    municipality): a forged id in a form finds nothing and stores nothing.
    """
    try:
        thread_pk = int(pk or 0)
    except (TypeError, ValueError) as exc:
        raise Http404("thread") from exc
    thread = (
        Thread.objects.select_related("unit", "unit__municipality")
        .filter(
            pk=thread_pk,
            municipality_id=post.municipality_id,
            subject_type=ContentType.objects.get_for_model(Post),
            subject_id=post.pk,
            visibility=Visibility.PUBLIC,
        )
        .first()
    )
    if thread is None:
        raise Http404("thread")
    return thread


def unit_list_publishable(*, viewer: AnyUser, municipality: Municipality) -> list[Unit]:
    """The units whose page `viewer` may write on (those of their communicator and unit
    administrator roles and every unit below them), in tree order. Two queries."""
    return unit_list_under_roles(
        viewer=viewer, municipality=municipality, roles=policies.PUBLISHER_ROLES
    )


def follow_get(*, user: AnyUser, unit: Unit) -> Follow | None:
    """The viewer's follow of `unit`, or None (always None for an anonymous visitor)."""
    if not user.is_authenticated:
        return None
    return Follow.objects.filter(user_id=user.pk, unit=unit).first()


def thread_path_on_post(thread: Thread) -> str:
    """Where the comment `thread` is shown: on its post's page, on the page of comments that
    holds it (newest first, THREADS_PER_PAGE a page), at its anchor. One query."""
    newer = Thread.objects.filter(
        subject_type_id=thread.subject_type_id,
        subject_id=thread.subject_id,
        visibility=Visibility.PUBLIC,
    ).filter(Q(opened_at__gt=thread.opened_at) | Q(opened_at=thread.opened_at, pk__gt=thread.pk))
    page = newer.count() // THREADS_PER_PAGE + 1
    path = reverse("pages:post-detail", args=[thread.subject_id])
    query = f"?page={page}" if page > 1 else ""
    return f"{path}{query}#samtale-{thread.pk}"


def post_count_for_metrics(
    *,
    municipality: Municipality,
    unit_ids: Sequence[int],
    start: datetime.datetime,
    end: datetime.datetime,
) -> tuple[int, int]:
    """(posts, posts that invite dialogue) published in [start, end) by the units `unit_ids`:
    the post figures of the dialogue metrics (registered with insights in PagesConfig.ready)."""
    counts = Post.objects.filter(
        municipality=municipality,
        unit_id__in=list(unit_ids),
        published_at__gte=start,
        published_at__lt=end,
    ).aggregate(posts=Count("id"), dialogue=Count("id", filter=Q(kind=PostKind.DIALOGUE)))
    return counts["posts"], counts["dialogue"]

"""E-mail to the followers of a unit's page: at once per post, or one digest a day.

Both tasks take plain values, re-read, and are safe to run twice (or on two workers at once):
each e-mail is sent inside the transaction that inserts its unique row (PostNotice for a post
and a person, DigestSent for a person and a day). A second run finds the row and sends
nothing; a send that fails rolls its row back, so a later run sends it. A worker killed after
the SMTP server took the e-mail but before the commit sends it again on the next run, with the
same Message-ID, so that mail clients show it once (at least once, like answer notices).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from typing import Any

from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from torget.core.links import absolute_url

logger = logging.getLogger(__name__)


class NoticeFailed(Exception):
    """Some e-mails could not be sent; a later run of the task sends those (and only those)."""


def notice_language(user: Any, municipality: Any) -> str:
    """The language of an e-mail to `user`: their own, else the municipality's målform."""
    return str(user.language or municipality.malform)


def send_notice_email(
    connection: BaseEmailBackend,
    *,
    template: str,
    context: dict[str, Any],
    language: str,
    to: str,
    message_id: str,
) -> None:
    """Render `<template>_subject.txt` and `<template>_body.txt` (a template path without the
    ending, e.g. "pages/email/post") in `language` and send them to `to`, with a stable
    Message-ID so that a resend shows once in mail clients."""
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}_body.txt", context)
    EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        to=[to],
        headers={"Message-ID": message_id},
        connection=connection,
    ).send()


@task()
def notify_followers(post_id: int) -> int:
    """E-mail each follower of the post's unit who wants e-mail at once. Returns how many were
    sent by this run. Does nothing for a post not yet published (a later run sends)."""
    from torget.pages.models import Follow, FollowFrequency, Post, PostNotice

    post = Post.objects.select_related("unit", "municipality").filter(pk=post_id).first()
    if post is None or post.published_at > timezone.now():
        return 0
    followers = (
        Follow.objects.filter(
            unit_id=post.unit_id, frequency=FollowFrequency.IMMEDIATE, user__is_active=True
        )
        .exclude(user_id=post.author_id or 0)
        .exclude(user_id__in=PostNotice.objects.filter(post=post).values("user_id"))
        .select_related("user")
        .order_by("pk")
    )
    context = {
        "post": post,
        "unit": post.unit,
        "link": absolute_url(post.municipality, post.get_absolute_url()),
        "unit_link": absolute_url(
            post.municipality, reverse("organisation:unit-detail", args=[post.unit.slug])
        ),
    }
    sent = failed = 0
    with get_connection() as connection:
        for follow in followers:
            user = follow.user
            try:
                with transaction.atomic():
                    _notice, created = PostNotice.objects.get_or_create(
                        post=post, user=user, defaults={"sent_at": timezone.now()}
                    )
                    if not created:
                        continue
                    send_notice_email(
                        connection,
                        template="pages/email/post",
                        context={**context, "user": user},
                        language=notice_language(user, post.municipality),
                        to=user.email,
                        message_id=f"<post-{post.pk}-{user.pk}@torget.{post.municipality.number}>",
                    )
                sent += 1
            except Exception:
                # One bad address must not hold back the other followers' e-mails.
                logger.exception("post notice failed", extra={"post": post.pk, "user": user.pk})
                failed += 1
    if failed:
        raise NoticeFailed(f"{failed} of {sent + failed} notices of post {post.pk} failed")
    return sent


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The start and end of `day` in the project's time zone (Europe/Oslo), DST-safe."""
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return start, end


@task()
def send_daily_digest(day: str) -> int:
    """E-mail each follower who wants a daily digest one e-mail listing the posts published on
    `day` (ISO date, Oslo time) by the units they follow. Nobody gets two digests for one day;
    someone whose units posted nothing that day gets none. Returns how many were sent."""
    from torget.pages.models import DigestSent, Follow, FollowFrequency
    from torget.pages.selectors import post_list_published_between

    date = datetime.date.fromisoformat(day)
    start, end = day_bounds(date)
    follows = (
        Follow.objects.filter(frequency=FollowFrequency.DAILY, user__is_active=True)
        .exclude(user_id__in=DigestSent.objects.filter(day=date).values("user_id"))
        .values_list("user_id", "unit_id")
    )
    units_by_user: dict[int, set[int]] = defaultdict(set)
    for user_id, unit_id in follows:
        units_by_user[user_id].add(unit_id)
    if not units_by_user:
        return 0
    all_units = sorted({u for units in units_by_user.values() for u in units})
    posts_by_unit: dict[int, list[Any]] = defaultdict(list)
    for post in post_list_published_between(units=all_units, start=start, end=end):
        posts_by_unit[post.unit_id].append(post)
    if not posts_by_unit:
        return 0
    from torget.accounts.models import User

    users = User.objects.in_bulk(
        [u for u, units in units_by_user.items() if units & set(posts_by_unit)]
    )
    sent = failed = 0
    with get_connection() as connection:
        for user_id, user in sorted(users.items()):
            posts = sorted(
                (p for unit in units_by_user[user_id] for p in posts_by_unit.get(unit, [])),
                key=lambda p: (p.published_at, p.pk),
            )
            municipality = posts[0].municipality
            items = [
                {"post": p, "link": absolute_url(p.municipality, p.get_absolute_url())}
                for p in posts
            ]
            try:
                with transaction.atomic():
                    _row, created = DigestSent.objects.get_or_create(
                        user=user,
                        day=date,
                        defaults={"sent_at": timezone.now(), "post_count": len(posts)},
                    )
                    if not created:
                        continue
                    send_notice_email(
                        connection,
                        template="pages/email/digest",
                        context={"user": user, "day": date, "items": items},
                        language=notice_language(user, municipality),
                        to=user.email,
                        message_id=f"<digest-{date.isoformat()}-{user.pk}@torget.{municipality.number}>",
                    )
                sent += 1
            except Exception:
                logger.exception("digest failed", extra={"day": day, "user": user_id})
                failed += 1
    if failed:
        raise NoticeFailed(f"{failed} of {sent + failed} digests for {day} failed")
    return sent

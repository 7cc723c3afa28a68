"""E-mail to the followers of forums and topics: at once per post, or one digest a day.

The pattern is that of the page-follow e-mails (torget/pages/tasks.py): the tasks take plain
values, re-read, and are safe to run twice or on two workers at once, because each e-mail is
sent inside the transaction that inserts its unique row (ForumNotice for a post and a person,
ForumDigestSent for a person and a day). A second run finds the row and sends nothing; a send
that fails rolls its row back, so a later run sends it. A worker killed after the SMTP server
took the e-mail but before the commit sends it again, with the same Message-ID, so that mail
clients show it once.

Who gets a notice of a post: the people who follow its forum or its topic with "at once",
once each even when they follow both; never its author, nor someone who may not see the forum
(a project forum of an unpublished process), nor an inactive account. The resident who started
the topic hears of an official answer through conversations' answer notice, so this task
leaves them out of official answers (one e-mail, not two).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from typing import Any

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from torget.core.links import absolute_url
from torget.pages.tasks import NoticeFailed, day_bounds, notice_language, send_notice_email
from torget.participation.selectors import forums as forum_selectors

logger = logging.getLogger(__name__)


def _stop_link(municipality: Any, user_id: int, follow_ids: list[int]) -> str:
    token = forum_selectors.unsubscribe_token(user_id=user_id, follow_ids=follow_ids)
    return absolute_url(municipality, reverse("participation:forum-unsubscribe", args=[token]))


def _post_context(message: Any, forum: Any) -> dict[str, Any]:
    thread = message.thread
    # thread_open writes the thread and its first message with the same moment.
    is_first = message.role == "resident" and message.created_at == thread.opened_at
    return {
        "message": message,
        "thread": thread,
        "forum": forum,
        "unit": thread.unit,
        "is_new_topic": is_first,
        "is_official": message.role == "official",
        "author_name": (
            message.author.get_full_name()
            if message.author is not None and message.by_politician
            else (message.author.get_short_name() if message.author else message.author_name)
        ),
    }


@task()
def notify_forum_followers(message_id: int) -> int:
    """E-mail each follower of the message's forum or topic who wants e-mail at once. Returns
    how many were sent by this run. A message that is no longer public (hidden by a moderator
    before the task ran) is sent to nobody."""
    from torget.conversations.models import AuthorRole, Message, Visibility
    from torget.pages.models import FollowFrequency
    from torget.participation.models import ForumFollow, ForumNotice

    message = (
        Message.objects.select_related("thread__unit__municipality", "author")
        .filter(pk=message_id, visibility=Visibility.PUBLIC, hidden_at__isnull=True)
        .first()
    )
    if message is None:
        return 0
    thread = message.thread
    forum = forum_selectors.topic_forum(thread)
    if forum is None:
        return 0
    municipality = thread.unit.municipality
    follows = (
        ForumFollow.objects.filter(
            Q(forum=forum) | Q(thread=thread),
            frequency=FollowFrequency.IMMEDIATE,
            user__is_active=True,
        )
        .exclude(user_id=message.author_id or 0)
        .exclude(user_id__in=ForumNotice.objects.filter(message=message).values("user_id"))
        .select_related("user")
        .order_by("user_id", "pk")
    )
    if message.role == AuthorRole.OFFICIAL:
        follows = follows.exclude(user_id=thread.opened_by_id or 0)
    context = {
        **_post_context(message, forum),
        "link": absolute_url(municipality, forum_selectors.message_path(message, forum)),
        "manage_link": absolute_url(municipality, reverse("participation:forum-follows")),
    }
    # Someone who follows both the forum and the topic gets one e-mail, whose link stops both.
    follows_by_user: dict[int, list[Any]] = {}
    for follow in follows:
        follows_by_user.setdefault(follow.user_id, []).append(follow)
    sent = failed = 0
    with get_connection() as connection:
        for user_follows in follows_by_user.values():
            user = user_follows[0].user
            if not forum_selectors.can_view_forum(user, forum):
                continue
            stop = _stop_link(municipality, user.pk, [f.pk for f in user_follows])
            try:
                with transaction.atomic():
                    _notice, created = ForumNotice.objects.get_or_create(
                        message=message, user=user, defaults={"sent_at": timezone.now()}
                    )
                    if not created:
                        continue
                    send_notice_email(
                        connection,
                        template="participation/forums/email/notice",
                        context={**context, "user": user, "stop_link": stop},
                        language=notice_language(user, municipality),
                        to=user.email,
                        message_id=f"<forum-{message.pk}-{user.pk}@torget.{municipality.number}>",
                    )
                sent += 1
            except Exception:
                # One bad address must not hold back the other followers' e-mails.
                logger.exception(
                    "forum notice failed", extra={"forum_message": message.pk, "user": user.pk}
                )
                failed += 1
    if failed:
        raise NoticeFailed(f"{failed} of {sent + failed} notices of message {message.pk} failed")
    return sent


@task()
def send_forum_daily_digest(day: str) -> int:
    """E-mail each person who follows forums or topics with "once a day" one e-mail listing the
    posts written on `day` (ISO date, Oslo time) in what they follow. Nobody gets two digests
    for one day; someone with nothing new gets none; their own posts, and posts they were
    already e-mailed about at once (a topic followed at once in a forum followed daily), are
    left out. Returns how many were sent."""
    from torget.accounts.models import User
    from torget.conversations.models import Channel, Message, Visibility
    from torget.pages.models import FollowFrequency
    from torget.participation.models import Forum, ForumDigestSent, ForumFollow, ForumNotice

    date = datetime.date.fromisoformat(day)
    start, end = day_bounds(date)
    forums_by_user: dict[int, set[int]] = defaultdict(set)
    threads_by_user: dict[int, set[int]] = defaultdict(set)
    follow_ids_by_user: dict[int, list[int]] = defaultdict(list)
    for follow_id, user_id, forum_id, thread_id in (
        ForumFollow.objects.filter(frequency=FollowFrequency.DAILY, user__is_active=True)
        .exclude(user_id__in=ForumDigestSent.objects.filter(day=date).values("user_id"))
        .values_list("pk", "user_id", "forum_id", "thread_id")
    ):
        follow_ids_by_user[user_id].append(follow_id)
        if forum_id:
            forums_by_user[user_id].add(forum_id)
        if thread_id:
            threads_by_user[user_id].add(thread_id)
    people = set(forums_by_user) | set(threads_by_user)
    if not people:
        return 0
    all_forums = {f for fs in forums_by_user.values() for f in fs}
    all_threads = {t for ts in threads_by_user.values() for t in ts}
    messages = list(
        Message.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            visibility=Visibility.PUBLIC,
            hidden_at__isnull=True,
            thread__channel=Channel.FORUM,
            thread__visibility=Visibility.PUBLIC,
            thread__subject_type=forum_selectors.forum_type(),
        )
        .filter(Q(thread__subject_id__in=all_forums) | Q(thread_id__in=all_threads))
        .select_related("thread__unit", "author")
        .order_by("created_at", "pk")
    )
    if not messages:
        return 0
    forums = Forum.objects.select_related("municipality", "unit", "process").in_bulk(
        {m.thread.subject_id for m in messages}
    )
    noticed = set(
        ForumNotice.objects.filter(message__in=[m.pk for m in messages]).values_list(
            "message_id", "user_id"
        )
    )
    users = User.objects.in_bulk(sorted(people))
    sent = failed = 0
    with get_connection() as connection:
        for user_id, user in sorted(users.items()):
            items = []
            for message in messages:
                forum = forums.get(message.thread.subject_id or 0)
                if forum is None or message.author_id == user_id:
                    continue
                if (message.pk, user_id) in noticed:
                    continue
                if (
                    forum.pk not in forums_by_user[user_id]
                    and message.thread_id not in threads_by_user[user_id]
                ):
                    continue
                if not forum_selectors.can_view_forum(user, forum):
                    continue
                items.append(
                    {
                        **_post_context(message, forum),
                        "link": absolute_url(
                            forum.municipality, forum_selectors.message_path(message, forum)
                        ),
                    }
                )
            if not items:
                continue
            municipality = items[0]["forum"].municipality
            try:
                with transaction.atomic():
                    _row, created = ForumDigestSent.objects.get_or_create(
                        user=user,
                        day=date,
                        defaults={"sent_at": timezone.now(), "message_count": len(items)},
                    )
                    if not created:
                        continue
                    send_notice_email(
                        connection,
                        template="participation/forums/email/digest",
                        context={
                            "user": user,
                            "day": date,
                            "items": items,
                            "manage_link": absolute_url(
                                municipality, reverse("participation:forum-follows")
                            ),
                            "stop_link": _stop_link(
                                municipality, user_id, follow_ids_by_user[user_id]
                            ),
                        },
                        language=notice_language(user, municipality),
                        to=user.email,
                        message_id=(
                            f"<forum-digest-{date.isoformat()}-{user.pk}"
                            f"@torget.{municipality.number}>"
                        ),
                    )
                sent += 1
            except Exception:
                logger.exception("forum digest failed", extra={"day": day, "user": user_id})
                failed += 1
    if failed:
        raise NoticeFailed(f"{failed} of {sent + failed} forum digests for {day} failed")
    return sent

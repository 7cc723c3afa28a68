"""What conversations adds to Min side and "my data": the questions a person asked in any
channel with the latest official answer, and the threads and messages they wrote.

Registered from ConversationsConfig.ready() (`register()`).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _

from torget.accounts import mypage
from torget.accounts.models import User
from torget.conversations.models import (
    AuthorRole,
    Block,
    Message,
    MessageReport,
    Thread,
    Visibility,
)
from torget.conversations.registry import thread_path
from torget.organisation.models import Municipality

QUESTIONS_PER_PAGE = 10


def _official_answers() -> models.QuerySet[Message]:
    return (
        Message.objects.filter(
            thread_id=models.OuterRef("pk"), role=AuthorRole.OFFICIAL, hidden_at__isnull=True
        )
        .exclude(visibility=Visibility.INTERNAL)
        .order_by("-created_at", "-pk")
    )


def thread_page_opened_by(
    *,
    user: User,
    municipality: Municipality,
    page: int | str | None,
    per_page: int = QUESTIONS_PER_PAGE,
) -> Page:
    """One page of the threads `user` opened in `municipality`, across channels, the latest
    activity first; each with `latest_answer_text`/`latest_answer_at` (the latest official
    answer that is not an internal note), `first_text` (their first words) and `path` (where
    the resident reads it). The answers come in the same query as the threads."""
    first = Message.objects.filter(thread_id=models.OuterRef("pk")).order_by("created_at", "pk")
    threads = (
        Thread.objects.filter(opened_by_id=user.pk, municipality=municipality)
        .select_related("unit")
        # The subjects' modules build the links from them: one query per kind of subject.
        .prefetch_related("subject")
        .annotate(
            latest_answer_text=models.Subquery(_official_answers().values("body")[:1]),
            latest_answer_at=models.Subquery(_official_answers().values("created_at")[:1]),
            first_text=models.Subquery(first.values("body")[:1]),
        )
        .order_by("-last_message_at", "-pk")
    )
    page_obj = Paginator(threads, per_page).get_page(page)
    for thread in page_obj:
        thread.path = thread_path(thread)  # type: ignore[attr-defined]
    return page_obj


def section_context(user: User, municipality: Municipality, page: str | None) -> dict[str, Any]:
    return {"page_obj": thread_page_opened_by(user=user, municipality=municipality, page=page)}


def personal_data_threads(user: User) -> list[dict[str, Any]]:
    """The threads the person opened (what they are about, not what others wrote in them)."""
    return [
        {
            "id": thread.pk,
            "municipality": thread.municipality.name,
            "unit": thread.unit.name,
            "channel": thread.channel,
            "visibility": thread.visibility,
            "title": thread.title,
            "status": thread.status,
            "opened_at": thread.opened_at,
            "contact": thread.contact,
        }
        for thread in Thread.objects.filter(opened_by=user)
        .select_related("municipality", "unit")
        .order_by("opened_at", "pk")
    ]


def personal_data_messages(user: User) -> list[dict[str, Any]]:
    """Every message the person wrote (never internal notes: those are the staff's)."""
    return [
        {
            "id": message.pk,
            "thread": message.thread_id,
            "role": message.role,
            "visibility": message.visibility,
            "body": message.body,
            "created_at": message.created_at,
            "hidden_at": message.hidden_at,
            "hidden_reason": message.hidden_reason,
        }
        for message in Message.objects.filter(author=user)
        .exclude(visibility=Visibility.INTERNAL)
        .order_by("created_at", "pk")
    ]


def personal_data_reports(user: User) -> list[dict[str, Any]]:
    """The messages the person reported to the moderators, and why."""
    return [
        {
            "message": report.message_id,
            "reason": report.reason,
            "created_at": report.created_at,
            "resolved_at": report.resolved_at,
        }
        for report in MessageReport.objects.filter(reporter=user).order_by("created_at", "pk")
    ]


def personal_data_blocks(user: User) -> list[dict[str, Any]]:
    """When the person was blocked from writing, where, and why (not by whom: staff)."""
    return [
        {
            "municipality": block.municipality.name,
            "reason": block.reason,
            "created_at": block.created_at,
            "lifted_at": block.lifted_at,
        }
        for block in Block.objects.filter(user=user)
        .select_related("municipality")
        .order_by("created_at", "pk")
    ]


def register() -> None:
    mypage.register_section(
        "questions",
        _("My questions and answers"),
        "accounts/mypage_questions.html",
        section_context,
        order=20,
    )
    mypage.register_personal_data("threads", personal_data_threads)
    mypage.register_personal_data("messages", personal_data_messages)
    mypage.register_personal_data("message_reports", personal_data_reports)
    mypage.register_personal_data("blocks", personal_data_blocks)

"""Reads for a hearing's results: every statement as the case file needs it, and the counts.

The export is for the unit's staff, so nothing is filtered by visibility: public, private and
hidden statements are all in it. A statement's text is the first resident message of its
thread; its official answers (the administration's and politicians') are the thread's
official messages that are not internal notes. Three queries however many statements there are.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from torget.conversations.models import AuthorRole, Message, Visibility
from torget.participation.models import Hearing, Statement, StatementAttachment


@dataclass(frozen=True)
class ExportAnswer:
    """One official answer in a statement's thread."""

    body: str
    author: str  # the name of who answered; "" for a deleted account
    at: datetime.datetime
    by_politician: bool


@dataclass
class ExportStatement:
    """One statement with everything the case file records about it."""

    number: int
    submitted_at: datetime.datetime
    name: str  # the submitter's name (or e-mail); "" when the account is deleted
    email: str
    on_behalf_of: str
    section: str
    is_public: bool
    hidden: bool
    hidden_reason: str
    text: str
    attachments: list[StatementAttachment] = field(default_factory=list)
    answers: list[ExportAnswer] = field(default_factory=list)


@dataclass(frozen=True)
class HearingCounts:
    total: int
    public: int
    private: int
    answered: int
    hidden: int


def _person(user: object | None, fallback: str = "") -> str:
    if user is None:
        return fallback
    return str(getattr(user, "name", "") or getattr(user, "email", ""))


def statement_list_for_export(*, hearing: Hearing) -> list[ExportStatement]:
    """Every statement of `hearing` in number order, with its text, attachments and official
    answers. For staff who manage the hearing's process (the caller checks that)."""
    statements = list(
        Statement.objects.filter(hearing=hearing)
        .select_related("author", "section")
        .order_by("number")
    )
    attachments: dict[int, list[StatementAttachment]] = defaultdict(list)
    for attachment in StatementAttachment.objects.filter(statement__hearing=hearing).order_by(
        "statement_id", "pk"
    ):
        attachments[attachment.statement_id].append(attachment)
    messages: dict[int, list[Message]] = defaultdict(list)
    thread_ids = Statement.objects.filter(hearing=hearing).values("thread_id")
    for message in (
        Message.objects.filter(thread_id__in=thread_ids)
        .exclude(visibility=Visibility.INTERNAL)
        .filter(role__in=[AuthorRole.RESIDENT, AuthorRole.OFFICIAL])
        .select_related("author")
        .order_by("thread_id", "created_at", "pk")
    ):
        messages[message.thread_id].append(message)

    out: list[ExportStatement] = []
    for statement in statements:
        thread_messages = messages.get(statement.thread_id, [])
        first = next((m for m in thread_messages if m.role == AuthorRole.RESIDENT), None)
        section = statement.section
        out.append(
            ExportStatement(
                number=statement.number,
                submitted_at=statement.submitted_at,
                name=_person(statement.author),
                email=statement.author.email if statement.author else "",
                on_behalf_of=statement.on_behalf_of,
                section=str(section) if section else "",
                is_public=statement.is_public,
                hidden=first is not None and first.hidden_at is not None,
                hidden_reason=first.hidden_reason if first is not None else "",
                text=first.body if first is not None else "",
                attachments=attachments.get(statement.pk, []),
                answers=[
                    ExportAnswer(
                        body=m.body,
                        author=_person(m.author, m.author_name),
                        at=m.created_at,
                        by_politician=m.by_politician,
                    )
                    for m in thread_messages
                    if m.role == AuthorRole.OFFICIAL
                ],
            )
        )
    return out


def hearing_counts(statements: list[ExportStatement]) -> HearingCounts:
    """Statements in total, public, private (only staff see them), answered (at least one
    official answer) and hidden by moderation."""
    return HearingCounts(
        total=len(statements),
        public=sum(1 for s in statements if s.is_public),
        private=sum(1 for s in statements if not s.is_public),
        answered=sum(1 for s in statements if s.answers),
        hidden=sum(1 for s in statements if s.hidden),
    )

"""What participation holds about a person, in "my data" (Min side) under the key
"participation": their hearing statements (the text is in "messages", through the thread),
proposals and supports, short views and votes, and what they follow in the forums.

On deletion of the account, supports, votes and follows go with it (CASCADE); statements,
proposals and short views stay as part of the public record without the person's name
(SET_NULL), as threads and messages do.
"""

from __future__ import annotations

from typing import Any

from torget.accounts import mypage
from torget.accounts.models import User
from torget.participation.models import (
    ForumFollow,
    ProposalSupport,
    ShortView,
    ShortViewVote,
    Statement,
)
from torget.participation.models.proposals import Proposal


def _file(name: str, content_type: str, size: int | None) -> dict[str, Any]:
    return {"file_name": name, "content_type": content_type, "size": size}


def personal_data(user: User) -> dict[str, Any]:
    statements = (
        Statement.objects.filter(author=user)
        .select_related("hearing", "section")
        .prefetch_related("attachments")
        .order_by("submitted_at", "pk")
    )
    proposals = (
        Proposal.objects.filter(author=user).select_related("process").order_by("created_at", "pk")
    )
    supports = (
        ProposalSupport.objects.filter(user=user)
        .select_related("proposal")
        .order_by("created_at", "pk")
    )
    short_views = (
        ShortView.objects.filter(author=user).select_related("process").order_by("created_at")
    )
    votes = (
        ShortViewVote.objects.filter(user=user)
        .select_related("short_view")
        .order_by("created_at", "pk")
    )
    follows = (
        ForumFollow.objects.filter(user=user)
        .select_related("forum", "thread")
        .order_by("created_at", "pk")
    )
    return {
        "statements": [
            {
                "hearing": s.hearing.title,
                "number": s.number,
                "section": str(s.section) if s.section else None,
                "on_behalf_of": s.on_behalf_of,
                "public": s.is_public,
                "submitted_at": s.submitted_at,
                "thread": s.thread_id,
                "attachments": [
                    _file(a.original_name, a.content_type, a.size) for a in s.attachments.all()
                ],
            }
            for s in statements
        ],
        "proposals": [
            {
                "process": p.process.title,
                "title": p.title,
                "status": p.status,
                "supports": p.support_count,
                "drawing": p.geometry,
                "image": _file(p.image_name, p.image_type, p.image_size) if p.image else None,
                "created_at": p.created_at,
                "thread": p.thread_id,
            }
            for p in proposals
        ],
        "supports": [{"proposal": s.proposal.title, "at": s.created_at} for s in supports],
        "short_views": [
            {
                "process": v.process.title,
                "text": v.text,
                "status": v.status,
                "created_at": v.created_at,
            }
            for v in short_views
        ],
        "votes": [
            {"short_view": v.short_view.text, "choice": v.get_choice_display(), "at": v.updated_at}
            for v in votes
        ],
        "forum_follows": [
            {
                "forum": f.forum.title if f.forum else None,
                "topic": f.thread.title if f.thread else None,
                "frequency": f.frequency,
                "since": f.created_at,
            }
            for f in follows
        ],
    }


def register() -> None:
    mypage.register_personal_data("participation", personal_data)

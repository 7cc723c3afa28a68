"""What the processes part registers with other modules (see hooks/__init__.py): the search
kind "process" (published processes), and the "My participation" section of Min side."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.organisation.models import Municipality

# Min side: after "My cases" (10) and "My questions and answers" (20), before alerts (30).
MYPAGE_ORDER = 25
SEARCH_ORDER = 25


def mypage_context(user: User, municipality: Municipality, page: str | None) -> dict[str, Any]:
    """The "My participation" section's context: one page of the person's statements,
    proposals and follows."""
    from torget.participation.selectors.mypage import participation_page_for_user

    return {
        "page_obj": participation_page_for_user(user=user, municipality=municipality, page=page)
    }


def register() -> None:
    """Called once from ParticipationConfig.ready()."""
    from torget.accounts import mypage
    from torget.core.search.registry import register_kind
    from torget.participation.selectors.processes import (
        SEARCH_KIND,
        process_search_document_by_id,
        process_search_documents,
    )

    register_kind(
        SEARCH_KIND,
        label=_("Participation"),
        order=SEARCH_ORDER,
        documents=process_search_documents,
        document=process_search_document_by_id,
    )
    mypage.register_section(
        "participation",
        _("My participation"),
        "participation/mypage_participation.html",
        mypage_context,
        order=MYPAGE_ORDER,
    )

"""What pages adds to Min side and "my data": the units' pages the person follows.

Registered from PagesConfig.ready() (`register()`). Follows go with a deleted account (CASCADE).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from torget.accounts import mypage
from torget.accounts.models import User
from torget.organisation.models import Municipality
from torget.pages.models import Follow


def section_context(user: User, municipality: Municipality, page: str | None) -> dict[str, Any]:
    follows = (
        Follow.objects.filter(user=user, unit__municipality=municipality)
        .select_related("unit")
        .order_by("unit__name", "pk")
    )
    return {"follows": list(follows)}


def personal_data(user: User) -> list[dict[str, Any]]:
    return [
        {
            "municipality": follow.unit.municipality.name,
            "unit": follow.unit.name,
            "frequency": follow.frequency,
            "since": follow.created_at,
        }
        for follow in Follow.objects.filter(user=user)
        .select_related("unit__municipality")
        .order_by("created_at", "pk")
    ]


def register() -> None:
    mypage.register_section(
        "follows", _("Pages I follow"), "accounts/mypage_follows.html", section_context, order=31
    )
    mypage.register_personal_data("follows", personal_data)

"""What alerts adds to Min side and to the person's rights over their data: their alert
subscriptions (with links to change or end them), in "my data", and deleted with the account.

Registered from AlertsConfig.ready() (`register()`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from torget.accounts import mypage
from torget.accounts.models import User
from torget.alerts.models import Subscription
from torget.alerts.subscription_selectors import subscription_list_for_user
from torget.organisation.models import Municipality


def section_context(user: User, municipality: Municipality, page: str | None) -> dict[str, Any]:
    return {"subscriptions": list(subscription_list_for_user(user=user, municipality=municipality))}


def personal_data(user: User) -> list[dict[str, Any]]:
    """Every subscription of the person, ended ones too (never the secret token or code)."""
    return [
        {
            "municipality": s.municipality.name,
            "medium": s.medium,
            "destination": s.destination,
            "place": s.place_label,
            "lat": s.lat,
            "lon": s.lon,
            "radius_m": s.radius_m,
            "topics": [topic.name.lower() for topic in s.topic_list()],
            "status": s.status,
            "language": s.language,
            "created_at": s.created_at,
            "confirmed_at": s.confirmed_at,
            "unsubscribed_at": s.unsubscribed_at,
        }
        for s in Subscription.objects.filter(user=user)
        .select_related("municipality")
        .order_by("created_at", "pk")
    ]


def erasure_step(user: User) -> None:
    """A deleted account's subscriptions go with it: no alert reaches the person after they
    deleted their account (deliveries already made keep their rows, without the link)."""
    Subscription.objects.filter(user=user).delete()


def register() -> None:
    mypage.register_section(
        "alerts",
        _("My alert subscriptions"),
        "accounts/mypage_alerts.html",
        section_context,
        order=30,
    )
    mypage.register_personal_data("alert_subscriptions", personal_data)
    mypage.register_erasure_step(erasure_step)

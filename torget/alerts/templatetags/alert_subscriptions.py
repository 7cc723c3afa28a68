"""The "My alert subscriptions" section of Min side reads the person's subscriptions itself, so
that Min side's view needs no knowledge of alerts (accounts sits below alerts)."""

from __future__ import annotations

from typing import Any

from django import template

from torget.alerts.models import Subscription
from torget.alerts.subscription_selectors import subscription_list_for_user

register = template.Library()


@register.simple_tag(takes_context=True)
def my_alert_subscriptions(context: dict[str, Any]) -> list[Subscription]:
    """The logged-in person's subscriptions in this municipality that have not ended."""
    request = context.get("request")
    user = getattr(request, "user", None)
    municipality = getattr(request, "municipality", None)
    if user is None or not user.is_authenticated or municipality is None:
        return []
    return list(subscription_list_for_user(user=user, municipality=municipality))

"""The alert banner on every page (templates/alerts/_banner.html, included by base.html).

`alert_banner` is a callable in the context, so a response that renders no page (a redirect,
a feed) pays nothing; a page pays one cache read, and a logged-in resident one more query
for "this concerns your address" while an alert is active.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from torget.alerts.models import Topic
from torget.alerts.public_selectors import (
    BannerAlert,
    active_alerts_invalidate,
    alert_list_active,
    alerts_concerning_user,
)
from torget.alerts.severity import severity_short_label

__all__ = ["BannerItem", "active_alerts_invalidate", "alert_banner"]


@dataclass(frozen=True)
class BannerItem:
    """One line of the banner."""

    alert: BannerAlert
    severity_label: str
    topic_label: str
    concerns_you: bool
    place: str


def alert_banner(request: HttpRequest) -> dict[str, Any]:
    """`alert_banner`: the active alerts of the request's municipality, newest first."""
    municipality = getattr(request, "municipality", None)
    if municipality is None:
        return {}

    @functools.cache
    def banner() -> list[BannerItem]:
        alerts = alert_list_active(municipality=municipality)
        if not alerts:
            return []
        user = getattr(request, "user", None)
        concerning = (
            alerts_concerning_user(
                user=user, municipality=municipality, alert_pks=[a.pk for a in alerts]
            )
            if user is not None
            else {}
        )
        return [
            BannerItem(
                alert=alert,
                severity_label=severity_short_label(alert.severity),
                topic_label=str(Topic(alert.topic).label),
                concerns_you=alert.pk in concerning,
                place=concerning.get(alert.pk, ""),
            )
            for alert in alerts
        ]

    return {"alert_banner": banner}

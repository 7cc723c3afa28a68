"""Atom feeds of alerts, with Django's syndication framework.

- /varsler/feed.atom: every sent alert, update and all-clear, newest first, each linking to the
  alert's page (at the message).
- /varsler/cap.atom: the CAP index. The same entries, each also linking its CAP 1.2 message with
  `<link rel="alternate" type="application/cap+xml">`, which is how CAP aggregators find them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, SyndicationFeed
from django.utils.translation import gettext as _

from torget.alerts import public_selectors
from torget.alerts.cap import CAP_CONTENT_TYPE, cap_identifier
from torget.alerts.models import Alert, Topic
from torget.organisation.models import Municipality


def entry_title(alert: Alert) -> str:
    """An entry's title says what kind of message it is."""
    if alert.kind == Alert.Kind.UPDATE:
        return _("Update: %(title)s") % {"title": alert.title}
    if alert.kind == Alert.Kind.CANCEL:
        return _("All clear: %(title)s") % {"title": alert.title}
    return alert.title


@dataclass(frozen=True)
class FeedSource:
    """Whose feed, and the absolute address it is served under (for the CAP links)."""

    municipality: Municipality
    base_url: str


class AlertFeed(Feed):
    """The municipality's alerts as Atom 1.0."""

    feed_type: type[SyndicationFeed] = Atom1Feed
    url_name = "alerts:alert-feed"

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FeedSource:
        # The CAP index needs absolute links of its own, and the framework shows the request
        # only here.
        return FeedSource(
            municipality=request.municipality,  # type: ignore[attr-defined]
            base_url=request.build_absolute_uri("/").rstrip("/"),
        )

    def title(self, obj: FeedSource) -> str:
        return _("Alerts from %(municipality)s") % {"municipality": obj.municipality.name}

    def subtitle(self, obj: FeedSource) -> str:
        return _("Water, roads, power and other alerts, with their updates and all-clears.")

    def link(self, obj: FeedSource) -> str:
        return reverse("alerts:alert-list")

    def feed_url(self, obj: FeedSource) -> str:
        return reverse(self.url_name)

    def feed_guid(self, obj: FeedSource) -> str:
        return f"{obj.base_url}{reverse(self.url_name)}"

    def items(self, obj: FeedSource) -> list[Alert]:
        alerts = public_selectors.alert_list_messages(municipality=obj.municipality)
        for alert in alerts:
            alert.feed_base = obj.base_url  # type: ignore[attr-defined]
        return alerts

    def item_title(self, item: Alert) -> str:
        return entry_title(item)

    def item_description(self, item: Alert) -> str:
        return item.text

    def item_link(self, item: Alert) -> str:
        return public_selectors.alert_message_path(item)

    def item_guid(self, item: Alert) -> str:
        return cap_identifier(item)

    item_guid_is_permalink = False

    def item_pubdate(self, item: Alert) -> Any:
        return item.sent_at

    def item_updateddate(self, item: Alert) -> Any:
        return item.sent_at

    def item_author_name(self, item: Alert) -> str:
        return item.unit.name

    def item_categories(self, item: Alert) -> list[str]:
        return [str(Topic(item.topic).label)]


class CapIndexAtomFeed(Atom1Feed):
    """Atom 1.0 whose entries also link their CAP message by its media type."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement(
            "link", "", {"rel": "alternate", "type": CAP_CONTENT_TYPE, "href": item["cap_url"]}
        )


class CapIndexFeed(AlertFeed):
    """The CAP index: an Atom feed linking each message's CAP 1.2 document."""

    feed_type = CapIndexAtomFeed
    url_name = "alerts:alert-cap-index"

    def title(self, obj: FeedSource) -> str:
        return _("CAP alerts from %(municipality)s") % {"municipality": obj.municipality.name}

    def item_extra_kwargs(self, item: Alert) -> dict[str, Any]:
        path = reverse("alerts:alert-cap", args=[item.pk])
        return {"cap_url": f"{item.feed_base}{path}"}  # type: ignore[attr-defined]

"""Filters that write the dashboard's figures: shares as percent, durations as hours."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


def _missing() -> SafeString:
    return format_html('–<span class="visually-hidden"> {}</span>', _("no data"))


@register.filter
def percent(share: float | None) -> SafeString | str:
    """0.753 → "75,3 %" in the active language's number format; None → "–" (no data)."""
    if share is None:
        return _missing()
    return f"{number_format(round(share * 100, 1), decimal_pos=1)}\u00a0%"


@register.filter
def hours(seconds: float | None) -> SafeString | str:
    """A duration in seconds as hours with one decimal, e.g. "5,5 h"; None → "–" (no data)."""
    if seconds is None:
        return _missing()
    return _("%(hours)s h") % {"hours": number_format(round(seconds / 3600, 1), decimal_pos=1)}


@register.filter
def channel_label(value: str) -> str:
    from torget.insights.reports import channel_label as label

    return label(value)

"""The latest posts and the follow form, for pages whose views live in other apps (the front
page and a unit's page): `{% unit_posts unit %}` needs no change in those views."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from torget.organisation.models import Unit
from torget.organisation.selectors import unit_get_root
from torget.pages import policies, selectors

register = template.Library()


@register.inclusion_tag("pages/_unit_posts_block.html", takes_context=True)
def unit_posts(context: template.Context, unit: Unit | None = None) -> dict[str, Any]:
    """The latest posts of `unit`'s page with its follow form, or, with no unit (the front
    page), the latest posts of every unit of the municipality and the follow form of the
    municipality's own page."""
    if not isinstance(unit, Unit):  # an unknown template variable arrives as ""
        unit = None
    request: HttpRequest = context["request"]
    municipality = request.municipality  # type: ignore[attr-defined]
    user = request.user
    whole = unit is None
    follow_unit = unit if unit is not None else unit_get_root(municipality=municipality)
    return {
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "whole_municipality": whole,
        "unit": follow_unit,
        "posts": selectors.post_list_latest(municipality=municipality, unit=unit),
        "follow": selectors.follow_get(user=user, unit=follow_unit),
        "can_publish": policies.can_publish_for_unit(user, follow_unit),
    }

"""Read-aloud player: `{% load speech %}{% read_aloud text %}` (language: the page's).

Placeholder until the read-aloud engine lands: it renders nothing.
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def read_aloud(context: template.Context, text: str, language: str = "") -> str:
    return ""

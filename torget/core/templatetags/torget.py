"""Template filters shared by every module."""

from __future__ import annotations

from django import template
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter(is_safe=True, needs_autoescape=True)
def urlize_ugc(text: str, autoescape: bool = True) -> SafeString:
    """Escape a resident's text and turn its links into `rel="nofollow ugc"` links.

    `urlize` escapes everything that is not a link; links get nofollow from it, and we add
    ugc (user-generated content), as search engines ask for text written by the public.
    """
    html = urlize(text, nofollow=True, autoescape=autoescape)
    return mark_safe(html.replace('rel="nofollow"', 'rel="nofollow ugc"'))  # noqa: S308 — escaped by urlize

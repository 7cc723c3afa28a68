"""Language choice: which language a page is shown in.

Anonymous pages are cached in front of Django, at the ASGI level: see torget.core.asgi_cache.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

SUPPORTED = {code for code, _ in settings.LANGUAGES}


def _supported(code: str) -> str | None:
    try:
        variant = translation.get_supported_language_variant(code)
    except LookupError:
        return None
    return variant if variant in SUPPORTED else None


def language_asked_for(chosen: str, accept_language: str) -> str | None:
    """The language a visitor asks for: `chosen` (the language cookie) if Torget has it, else the
    first language of the Accept-Language header that Torget has; None if neither names one.

    None means "the municipality's målform". It depends only on these two strings, so the
    anonymous page cache keys pages by it without building a request.
    """
    if chosen in SUPPORTED:
        return chosen
    for code, _quality in parse_accept_lang_header(accept_language):
        if code == "*":
            break
        found = _supported(code)
        if found:
            return found
    return None


def language_for_request(request: HttpRequest) -> str:
    """The language to show: the person's own choice (cookie), then the browser's
    Accept-Language, then the municipality's målform."""
    asked = language_asked_for(
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
        request.headers.get("Accept-Language", ""),
    )
    if asked is not None:
        return asked
    municipality = getattr(request, "municipality", None)
    if municipality is not None:
        return str(municipality.malform)
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Activate the language for the request and say which one the page is in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response

"""Language choice and the cache of anonymous pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import get_cache_key, learn_cache_key, patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

SUPPORTED = {code for code, _ in settings.LANGUAGES}


def _supported(code: str) -> str | None:
    try:
        variant = translation.get_supported_language_variant(code)
    except LookupError:
        return None
    return variant if variant in SUPPORTED else None


def language_for_request(request: HttpRequest) -> str:
    """The language to show: the person's own choice (cookie), then the browser's
    Accept-Language, then the municipality's målform."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in SUPPORTED:
        return chosen
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            break
        found = _supported(code)
        if found:
            return found
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


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        settings.ANONYMOUS_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.GET
    )


class AnonymousCacheFetchMiddleware:
    """Serve a cached copy of a page to a visitor with no session, before any other work.

    Anonymous pages are what everybody opens when the water is cut; they change seldom and are
    the same for every visitor of one host and language, so a short cache carries the load.
    A visitor with a session (logged in, or with a form in progress) always gets a fresh page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _cacheable_request(request):
            # Django's cache key ends in the request's language; it must be the one this request
            # will be shown in, not whatever the thread had active from the previous request.
            request.LANGUAGE_CODE = language_for_request(request)  # type: ignore[attr-defined]
            key = get_cache_key(request, method="GET")
            if key is not None:
                response = cache.get(key)
                if response is not None:
                    request._torget_cache_hit = True  # type: ignore[attr-defined]
                    return response
        return self.get_response(request)


class AnonymousCacheUpdateMiddleware:
    """Store the pages that AnonymousCacheFetchMiddleware may serve (see there).

    It stands just outside the fetching middleware so that what it stores carries every header
    the inner middleware adds (CSP, Vary, Content-Language, frame denial).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            _cacheable_request(request)
            and not getattr(request, "_torget_cache_hit", False)
            and (user is None or not user.is_authenticated)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
        ):
            seconds = settings.ANONYMOUS_CACHE_SECONDS
            key = learn_cache_key(request, response, seconds, cache=cache)
            cache.set(key, response, seconds)
        return response

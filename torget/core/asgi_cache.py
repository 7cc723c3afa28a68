"""The cache of anonymous pages, in front of Django at the ASGI level.

Anonymous pages are what everybody opens when the water is cut: the same for every visitor of
one host and language, and seldom changed. Most of what a page costs, even one Django could take
from a cache, is Django's ASGI handler itself (a thread per request, signals, the middleware
chain). So the copies are kept and answered here, before Django is called at all.

What is cached, and why that is safe:

- Requests: GET or HEAD without a query string, or with only a page number (`?page=2`, the
  paged public lists: a hearing's statements, proposals, topics), whose only cookie, if any, is
  the language choice. Any other cookie (session, CSRF, messages) means the page may be
  someone's own, so the request goes to Django untouched. Never under /static/ and /media/
  (WhiteNoise and the file views answer those) nor the staff and account areas, which must
  never be shared.
- Responses: complete 200s with a Content-Length (Django sets one on every response that is not
  streamed), no Set-Cookie, no Cache-Control private/no-store/no-cache (`never_cache`, e.g.
  /healthz) and no Vary beyond Accept-Language and Cookie, the two the key covers.
- The key: scheme (and X-Forwarded-Proto), host without the port, path with its page number,
  if any, and the language asked for (the cookie's, else Accept-Language's, see
  `language_asked_for`). "None asked for" means the municipality's målform, which is fixed per
  host, so the key needs no database.
- The copy is the very status, headers and body Django sent, so CSP, Vary, Content-Language and
  X-Frame-Options are exactly those of a fresh page. HEAD is answered from the GET copy.

A copy is fresh for ANONYMOUS_CACHE_SECONDS, so published content shows after at most that; what
must show at once (a sent alert and its banner on every page) calls `anonymous_cache_clear`. When
it expires, one request fetches the page again while the others get the expired copy meanwhile
(stale-while-revalidate), so only that one waits for Django. With no copy at all, concurrent
requests for the page wait for the one fetch in flight instead of all going to Django. A page
Django answers with something not to be shared (a 404, a cookie) goes straight to Django for
that long instead, with no waiting in line.

The cache lives in the memory of one process: the embedded deployment runs one ASGI server
process. With several processes each keeps its own copies, which changes nothing above.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port

from torget.core.middleware import language_asked_for

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# (scheme, X-Forwarded-Proto, host without port, path (with ?page=N), language or None)
Key = tuple[str, bytes, str, str, str | None]

# /static/ and /media/ are files; /ansatt/, /konto/ and /drift/ are for staff and accounts.
UNCACHED_PREFIXES = ("/static/", "/media/", "/ansatt/", "/konto/", "/drift/")
# The one query string a shared page may have: a page number of a paged public list (or none).
_PAGE_ONLY = re.compile(rb"(?:page=[1-9][0-9]{0,5})?")
REFUSING_CACHE_CONTROL = (b"private", b"no-store", b"no-cache")
KEYED_VARY = {b"accept-language", b"cookie", b""}

# Moved on by `anonymous_cache_clear`; a cache whose copies are of an older generation drops them.
_generation = 0


def anonymous_cache_clear() -> None:
    """Drop every page the caches of this process keep, e.g. when an alert is sent.

    Safe from any thread: it only moves the generation on; each cache drops its copies on its
    own event loop at its next request, and a page fetched meanwhile is not kept.
    """
    global _generation
    _generation += 1


@dataclass(frozen=True, slots=True)
class _Copy:
    """One page as Django answered it, or a note that its answer could not be cached."""

    expires: float
    status: int
    headers: list[tuple[bytes, bytes]]  # as Django sent them, names in Django's case
    body: bytes
    cacheable: bool = True


def _cacheable_start(start: Message) -> bool:
    """Whether a response (its http.response.start message) may be shown to other visitors."""
    if start.get("status") != 200:
        return False
    has_length = False
    for raw_name, value in start.get("headers", ()):
        name = bytes(raw_name).lower()
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and any(w in value.lower() for w in REFUSING_CACHE_CONTROL):
            return False
        # The key only tells pages apart by language and cookie; a page that varies by
        # anything else would be shown to the wrong visitors.
        if name == b"vary" and {v.strip() for v in value.lower().split(b",")} - KEYED_VARY:
            return False
        has_length = has_length or name == b"content-length"
    # Without a length the response is streamed: maybe endless (server-sent events).
    return has_length


# The two helpers below are pure and see the same few header values over and over: memoised,
# with a bound, as they are on the path of every request.


@functools.lru_cache(maxsize=256)
def _site(host: bytes) -> str | None:
    """The host name as the municipality lookup sees it (lowercase, port dropped, nothing else
    changed), or None for a malformed Host header (Django refuses it; that is not for the cache).
    """
    text = host.decode("latin-1")
    domain, port = split_domain_port(text)
    if not domain:
        return None
    return text.lower().removesuffix(f":{port}") if port else text.lower()


@functools.lru_cache(maxsize=256)
def _language(cookie: bytes, accept_language: bytes) -> tuple[bool, str | None]:
    """Whether the visitor is anonymous (no cookie but the language choice), and the language
    asked for (None: the municipality's målform)."""
    chosen = ""
    if cookie:
        cookies = parse_cookie(cookie.decode("latin-1"))
        if cookies.keys() - {settings.LANGUAGE_COOKIE_NAME}:
            return False, None
        chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    return True, language_asked_for(chosen, accept_language.decode("latin-1"))


class AnonymousPageCache:
    """ASGI middleware: answer anonymous page views from memory (see the module docstring).

    `clock` is injectable so that tests move time instead of sleeping. At most `max_entries`
    copies and `max_bytes` of bodies are kept, the least recently used going first, so odd
    headers or many hosts cannot grow the memory.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 1024,
        max_bytes: int = 32 * 2**20,
        wait_seconds: float = 10.0,
    ) -> None:
        self.app = app
        self.clock = clock
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_page_bytes = max_bytes // 16
        self.wait_seconds = wait_seconds
        self._copies: OrderedDict[Key, _Copy] = OrderedDict()
        self._bytes = 0
        # Pages being fetched from Django right now; set when the fetch is over.
        self._fetching: dict[Key, asyncio.Event] = {}
        self._generation = _generation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._generation != _generation:
            self._copies.clear()
            self._bytes = 0
            self._generation = _generation
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        copy = self._copies.get(key)
        if copy is not None and copy.expires > self.clock():
            if copy.cacheable:
                self._copies.move_to_end(key)
                await self._answer(copy, send, body=scope["method"] == "GET")
            else:
                # Known not to be shareable for now: straight to Django, no waiting in line.
                await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            # HEADs are rare: they get a fresh copy or Django, never a fetch of their own.
            await self.app(scope, receive, send)
            return
        fetching = self._fetching.get(key)
        if fetching is None:
            await self._fetch(key, scope, receive, send)
        elif copy is not None and copy.cacheable:
            # Someone is fetching a new copy already: the expired one will do meanwhile.
            await self._answer(copy, send)
        else:
            await self._wait_for(fetching, key, scope, receive, send)

    async def _wait_for(
        self, fetching: asyncio.Event, key: Key, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """No copy at all: wait for the fetch in flight rather than all going to Django."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fetching.wait(), self.wait_seconds)
        copy = self._copies.get(key)
        if copy is not None and copy.cacheable and copy.expires > self.clock():
            await self._answer(copy, send)
        else:
            # The fetch failed, took too long or gave a page that cannot be shared.
            await self.app(scope, receive, send)

    def _key(self, scope: Scope) -> Key | None:
        """The cache key of a request, or None when the request must go to Django untouched."""
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not _PAGE_ONLY.fullmatch(scope["query_string"])
            or scope["path"].startswith(UNCACHED_PREFIXES)
            or settings.ANONYMOUS_CACHE_SECONDS <= 0
        ):
            return None
        host = cookie = accept_language = forwarded_proto = b""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"cookie":
                cookie = b"; ".join((cookie, value)) if cookie else value
            elif name == b"accept-language":
                accept_language = value
            elif name == b"x-forwarded-proto":
                forwarded_proto = value
        site = _site(host)
        anonymous, language = _language(cookie, accept_language)
        if site is None or not anonymous:
            return None
        # Behind a proxy Django takes http or https from X-Forwarded-Proto (and redirects http
        # when TORGET_HTTPS is on): a copy is only for requests that say the same.
        path = scope["path"]
        if scope["query_string"]:
            path = f"{path}?{scope['query_string'].decode('ascii')}"
        return (scope.get("scheme", "http"), forwarded_proto, site, path, language)

    async def _fetch(self, key: Key, scope: Scope, receive: Receive, send: Send) -> None:
        """Let Django answer, pass the answer on as it comes, and keep a copy if it may be shared.

        Whatever happens, the fetch is marked over, so that nobody waits for it in vain.
        """
        done = self._fetching[key] = asyncio.Event()
        generation = _generation
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        complete = False
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, size, complete, keep
            if keep and message["type"] == "http.response.start":
                start = message
                keep = _cacheable_start(message)
            elif keep and message["type"] == "http.response.body":
                body = message.get("body", b"")
                size += len(body)
                keep = size <= self.max_page_bytes
                chunks.append(body if keep else b"")
                # Django sends a large page in several chunks; the last has no more_body.
                complete = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            expires = self.clock() + settings.ANONYMOUS_CACHE_SECONDS
            # Cleared while Django answered: the page may predate what cleared it, so nothing
            # is kept, and the next request drops the older copies and fetches afresh.
            cleared = generation != _generation
            if not cleared and keep and complete and start is not None:
                self._store(
                    key, _Copy(expires, start["status"], list(start["headers"]), b"".join(chunks))
                )
            elif not cleared:
                # Replaces an expired copy too: a page that is gone must not be shown on. And
                # until it expires, requests for it go straight to Django instead of waiting.
                self._store(key, _Copy(expires, 0, [], b"", cacheable=False))
            del self._fetching[key]
            done.set()

    def _store(self, key: Key, copy: _Copy) -> None:
        old = self._copies.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._copies[key] = copy
        self._bytes += len(copy.body)
        while len(self._copies) > self.max_entries or self._bytes > self.max_bytes:
            _key, dropped = self._copies.popitem(last=False)
            self._bytes -= len(dropped.body)

    @staticmethod
    async def _answer(copy: _Copy, send: Send, *, body: bool = True) -> None:
        # New message dicts each time: the server owns what it is sent.
        await send({"type": "http.response.start", "status": copy.status, "headers": copy.headers})
        await send({"type": "http.response.body", "body": copy.body if body else b""})

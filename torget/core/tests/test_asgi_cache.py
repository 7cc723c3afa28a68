"""The anonymous page cache in front of Django (torget.core.asgi_cache).

Driven as the ASGI server drives it: a scope dict, receive and send callables, asyncio. Django
behind it runs the views in threads of its own, so the tests that use it need
`transactional_db` (the threads see only what was committed). The rest put a fake Django behind
the cache, which counts its calls and can be held at a gate to line requests up concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.asgi import get_asgi_application
from pytest_django.fixtures import Settings

from tests.factories import municipality_make
from torget.core.asgi_cache import AnonymousPageCache
from torget.core.middleware import language_asked_for
from torget.organisation.models import Municipality, Unit

Message = dict[str, Any]
# Bounds a wait that only a broken cache would make long, so such a test fails instead of hanging.
GUARD_SECONDS = 5


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def header(self, name: str) -> str:
        return ", ".join(v.decode() for n, v in self.headers if n.lower() == name.lower().encode())


def http_scope(
    path: str, *, method: str, host: str, query: bytes, headers: Iterable[tuple[str, str]]
) -> Message:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", host.encode())]
        + [(n.lower().encode(), v.encode()) for n, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def request(
    app: Any,
    path: str = "/",
    *,
    method: str = "GET",
    host: str = "testserver",
    query: bytes = b"",
    headers: Iterable[tuple[str, str]] = (),
) -> Answer:
    """One request through `app`, as uvicorn would make it; the answer it sent."""
    sent: list[Message] = []
    body_given = False

    async def receive() -> Message:
        nonlocal body_given
        if not body_given:
            body_given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # The client stays connected: Django listens for a disconnect until it has answered.
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(
        http_scope(path, method=method, host=host, query=query, headers=headers), receive, send
    )
    start, *bodies = sent
    assert start["type"] == "http.response.start"
    assert not bodies[-1].get("more_body", False)
    return Answer(
        start["status"], list(start["headers"]), b"".join(m.get("body", b"") for m in bodies)
    )


def get(app: Any, path: str = "/", **kwargs: Any) -> Answer:
    return asyncio.run(request(app, path, **kwargs))


class Counting:
    """Counts the requests that get past the cache to the application behind it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


class FakeDjango:
    """Answers every request with `body` (and `status`, `headers`), counting the calls.

    With `gate` set, each call waits for the gate to open after saying it has `entered`, so a
    test can line up concurrent requests behind one that is still being answered.
    """

    def __init__(
        self, *, status: int = 200, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        self.status = status
        self.headers = headers if headers is not None else [(b"Content-Type", b"text/html")]
        self.chunks = [b"<p>first</p>"]
        self.length = True
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        self.calls += 1
        # What the answer will be is settled on arrival, as a view reads the database then.
        status, chunks = self.status, list(self.chunks)
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        body = b"".join(chunks)
        length = [(b"Content-Length", str(len(body)).encode())] if self.length else []
        await send(
            {"type": "http.response.start", "status": status, "headers": self.headers + length}
        )
        for i, chunk in enumerate(chunks):
            await send(
                {"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1}
            )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def django_app(transactional_db: None, municipality: Municipality) -> Counting:
    return Counting(get_asgi_application())


@pytest.fixture
def torget(django_app: Counting, clock: Clock) -> AnonymousPageCache:
    """Torget as served: Django behind the cache, with a clock the test moves."""
    return AnonymousPageCache(django_app, clock=clock)


# --- with Django behind the cache --------------------------------------------------------------


def test_asgi_application_is_django_behind_the_cache() -> None:
    from config.asgi import application

    assert isinstance(application, AnonymousPageCache)


def test_cache_serves_anonymous_page_again_until_it_expires(
    torget: AnonymousPageCache, django_app: Counting, clock: Clock, library: Unit
) -> None:
    first = get(torget, "/enheter/biblioteket/")
    library.name = "Nytt navn"
    library.save()
    cached = get(torget, "/enheter/biblioteket/")
    assert first.status == cached.status == 200
    assert "Testvik bibliotek" in first.text and "Nytt navn" not in cached.text
    assert cached.body == first.body and cached.headers == first.headers
    assert "frame-ancestors 'none'" in cached.header("Content-Security-Policy")
    assert cached.header("X-Frame-Options") == "DENY"
    assert cached.header("Content-Language") == "nb"
    assert django_app.calls == 1
    clock.now += 10
    assert "Nytt navn" in get(torget, "/enheter/biblioteket/").text
    assert django_app.calls == 2


def test_cache_bypassed_by_session_and_other_cookies(
    torget: AnonymousPageCache, django_app: Counting, library: Unit
) -> None:
    get(torget, "/enheter/biblioteket/")
    library.name = "Nytt navn"
    library.save()
    for cookie in ("sessionid=abc", "csrftoken=abc", "torget_language=nn; sessionid=abc"):
        fresh = get(torget, "/enheter/biblioteket/", headers=[("Cookie", cookie)])
        assert "Nytt navn" in fresh.text, cookie
    assert "Nytt navn" not in get(torget, "/enheter/biblioteket/").text
    assert django_app.calls == 4


def test_cache_keeps_languages_apart(
    torget: AnonymousPageCache, django_app: Counting, library: Unit
) -> None:
    variants = {
        "nn": [("Cookie", "torget_language=nn")],
        "en": [("Accept-Language", "en-GB,en;q=0.9")],
        "nb": [],
    }
    for _round in range(2):
        for lang, headers in variants.items():
            page = get(torget, "/enheter/biblioteket/", headers=headers)
            assert f'<html lang="{lang}">' in page.text
            assert page.header("Content-Language") == lang
    assert django_app.calls == 3
    # The same language asked for another way is the same page: the key is the language.
    page = get(torget, "/enheter/biblioteket/", headers=[("Accept-Language", "nn-NO,nn;q=0.9")])
    assert '<html lang="nn">' in page.text
    assert django_app.calls == 3


def test_cache_keeps_hosts_apart(torget: AnonymousPageCache, django_app: Counting) -> None:
    municipality_make(number="9994", name="Andeby kommune", hostnames=("andeby.example",))
    assert "Testvik kommune" in get(torget, "/").text
    assert "Andeby kommune" in get(torget, "/", host="andeby.example").text
    assert "Andeby kommune" not in get(torget, "/").text
    assert "Andeby kommune" in get(torget, "/", host="ANDEBY.example:8000").text
    assert django_app.calls == 2


def test_cache_does_not_keep_not_found(torget: AnonymousPageCache, django_app: Counting) -> None:
    for _ in range(2):
        assert get(torget, "/finnes-ikke/").status == 404
    assert django_app.calls == 2


def test_cache_answers_head_from_the_get_copy(
    torget: AnonymousPageCache, django_app: Counting
) -> None:
    head_first = get(torget, "/", method="HEAD")
    page = get(torget, "/")
    head = get(torget, "/", method="HEAD")
    assert head_first.status == head.status == 200
    assert head.body == b"" and head.headers == page.headers
    assert head.header("Content-Length") == str(len(page.body))
    # The first HEAD found no copy and went to Django, without keeping one.
    assert django_app.calls == 2


# --- with a fake Django behind the cache ---------------------------------------------------------


def fake_cache(clock: Clock, **kwargs: Any) -> tuple[AnonymousPageCache, FakeDjango]:
    fake = FakeDjango(**kwargs)
    return AnonymousPageCache(fake, clock=clock), fake


@pytest.mark.parametrize(
    "header",
    [
        (b"Set-Cookie", b"csrftoken=abc; Path=/"),
        (b"Cache-Control", b"max-age=0, no-cache, no-store, must-revalidate, private"),
        (b"Cache-Control", b"private"),
        (b"Cache-Control", b"no-store"),
        (b"Vary", b"Accept-Language, Accept-Encoding"),
    ],
)
def test_cache_never_keeps_personal_or_refusing_responses(
    clock: Clock, header: tuple[bytes, bytes]
) -> None:
    cache, fake = fake_cache(clock, headers=[(b"Content-Type", b"text/html"), header])
    for _ in range(3):
        assert get(cache).text == "<p>first</p>"
    assert fake.calls == 3


def test_cache_never_keeps_streamed_responses(clock: Clock) -> None:
    cache, fake = fake_cache(clock)
    fake.length = False
    fake.chunks = [b"data: 1\n\n", b"data: 2\n\n", b""]
    assert get(cache).body == b"data: 1\n\ndata: 2\n\n"
    get(cache)
    assert fake.calls == 2


def test_cache_keeps_a_page_sent_in_chunks_whole(clock: Clock) -> None:
    cache, fake = fake_cache(clock)
    fake.chunks = [b"<p>one</p>", b"<p>two</p>"]
    get(cache)
    assert get(cache).body == b"<p>one</p><p>two</p>"
    assert fake.calls == 1


@pytest.mark.parametrize(
    ("path", "method", "query"),
    [
        ("/", "GET", b"side=2"),
        ("/", "GET", b"page=2&q=vann"),
        ("/", "GET", b"page=0"),
        ("/", "GET", b"page=02"),
        ("/", "GET", b"page="),
        ("/", "POST", b""),
        ("/ansatt/", "GET", b""),
        ("/konto/login/", "GET", b""),
        ("/static/css/torget.css", "GET", b""),
        ("/media/bilde.png", "GET", b""),
    ],
)
def test_cache_leaves_other_requests_to_django(
    clock: Clock, path: str, method: str, query: bytes
) -> None:
    cache, fake = fake_cache(clock)
    for _ in range(2):
        get(cache, path, method=method, query=query)
    assert fake.calls == 2


def test_cache_keeps_each_page_of_a_paged_list_apart(clock: Clock) -> None:
    cache, fake = fake_cache(clock)
    for query in (b"page=2", b"page=3", b"page=2", b""):
        get(cache, "/medvirkning/plan/horing/1/", query=query)
    assert fake.calls == 3
    get(cache, "/medvirkning/plan/horing/1/", query=b"page=3")
    assert fake.calls == 3


def test_cache_off_when_seconds_is_zero(clock: Clock, settings: Settings) -> None:
    settings.ANONYMOUS_CACHE_SECONDS = 0
    cache, fake = fake_cache(clock)
    get(cache)
    get(cache)
    assert fake.calls == 2


def test_cache_drops_least_recently_used_beyond_its_size(clock: Clock) -> None:
    fake = FakeDjango()
    cache = AnonymousPageCache(fake, clock=clock, max_entries=2)
    for path in ("/a/", "/b/", "/a/", "/c/"):
        get(cache, path)
    assert fake.calls == 3
    get(cache, "/a/")
    assert fake.calls == 3
    get(cache, "/b/")
    assert fake.calls == 4


def test_cache_concurrent_misses_make_one_call(clock: Clock) -> None:
    async def scenario() -> tuple[list[Answer], FakeDjango]:
        cache, fake = fake_cache(clock)
        fake.gate = asyncio.Event()
        tasks = [asyncio.create_task(request(cache)) for _ in range(20)]
        await fake.entered.wait()
        fake.gate.set()
        return list(await asyncio.gather(*tasks)), fake

    answers, fake = asyncio.run(scenario())
    assert fake.calls == 1
    assert [a.text for a in answers] == ["<p>first</p>"] * 20


def test_cache_serves_the_expired_copy_while_one_request_refreshes_it(clock: Clock) -> None:
    async def scenario() -> None:
        cache, fake = fake_cache(clock)
        await request(cache)
        clock.now += 11
        fake.chunks = [b"<p>second</p>"]
        fake.gate = asyncio.Event()
        fake.entered.clear()
        refreshing = asyncio.create_task(request(cache))
        await fake.entered.wait()
        # A guard only: if the expired copy were not served, these would wait for the gate.
        async with asyncio.timeout(GUARD_SECONDS):
            meanwhile = [await request(cache) for _ in range(3)]
        assert not refreshing.done()
        assert [a.text for a in meanwhile] == ["<p>first</p>"] * 3
        fake.gate.set()
        assert (await refreshing).text == "<p>second</p>"
        assert (await request(cache)).text == "<p>second</p>"
        assert fake.calls == 2

    asyncio.run(scenario())


def test_cache_waiters_go_to_django_when_the_fetch_fails(clock: Clock) -> None:
    async def scenario() -> None:
        cache, fake = fake_cache(clock, status=500)
        fake.gate = asyncio.Event()
        tasks = [asyncio.create_task(request(cache)) for _ in range(5)]
        await fake.entered.wait()
        fake.status = 200
        fake.gate.set()
        answers = await asyncio.gather(*tasks)
        assert [a.status for a in answers] == [500, 200, 200, 200, 200]
        assert fake.calls == 5
        # Known not to be cacheable for now: the next one goes straight to Django too.
        assert (await request(cache)).status == 200
        assert fake.calls == 6

    asyncio.run(scenario())


def test_cache_waiters_stop_waiting_after_wait_seconds(clock: Clock) -> None:
    async def scenario() -> None:
        fake = FakeDjango()
        cache = AnonymousPageCache(fake, clock=clock, wait_seconds=0)
        fake.gate = asyncio.Event()
        slow = asyncio.create_task(request(cache))
        await fake.entered.wait()
        fake.entered.clear()
        waiter = asyncio.create_task(request(cache))
        # The waiter gives up at once and goes to Django itself, while the first is still there.
        async with asyncio.timeout(GUARD_SECONDS):
            await fake.entered.wait()
        assert fake.calls == 2 and not slow.done()
        fake.gate.set()
        assert (await waiter).text == (await slow).text == "<p>first</p>"

    asyncio.run(scenario())


def test_cache_stops_showing_a_page_that_is_gone(clock: Clock) -> None:
    cache, fake = fake_cache(clock)
    get(cache, "/innlegg/1/")
    clock.now += 11
    fake.status = 404
    assert get(cache, "/innlegg/1/").status == 404
    assert get(cache, "/innlegg/1/").status == 404
    assert fake.calls == 3


@pytest.mark.parametrize(
    ("cookie", "accept_language", "expected"),
    [
        ("nn", "en", "nn"),
        ("xx", "de, en-GB;q=0.8", "en"),
        ("", "nn-NO,nn;q=0.9", "nn"),
        ("", "de, *", None),
        ("", "", None),
    ],
)
def test_language_asked_for_is_the_key_the_cache_uses(
    cookie: str, accept_language: str, expected: str | None
) -> None:
    assert language_asked_for(cookie, accept_language) == expected

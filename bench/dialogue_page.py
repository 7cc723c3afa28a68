"""A post with a lively debate under it: 2,000 comments in 400 threads, its first page under load.

Torget runs as `make run` runs it (production ASGI server, DEBUG off, the anonymous page cache
on its default, the worker on) on a fresh SQLite database with the demo data. A child process
adds two posts on the municipality's page that invite dialogue: a large one with 400 comment
threads of 5 messages each (2,000 comments) and a small one with 4 such threads (20 comments).
Each thread is a resident's question, the unit's official answer, a second resident's reply,
the first resident's follow-up and, in four threads of five, the unit's second answer (the
fifth waits for it). The rows are written in bulk, with every field the services record
(waiting, due time, first answer and its working-time duration, two-way, audit events)
computed as `torget.conversations.services` computes it; the post itself is published through
`torget.pages.services.post_create`.

wrk loads the large post's page (its first page of comments: the 20 newest threads, 100
messages) for BENCH_DURATION seconds (default 30) at concurrency 64, once as an anonymous
visitor and once as the demo resident Nora, logged in through the real log-in form (her
session and CSRF cookies on every request). The baseline is nginx on this machine serving the
very bytes Torget answered each visitor, as static files, in the same run.

The SQL queries of one render are counted in another child process on the same database
(Django's test client, the resident logged in with force_login), for the large post and the
small one: a page of comments must cost the same number of queries however many comments the
post has.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from bench.common import (
    BenchError,
    Nginx,
    Page,
    TorgetServer,
    WrkResult,
    bench_duration,
    cookie_header,
    django_setup,
    fetch,
    login,
    machine,
    peak_rss_mb,
    ratio_of,
    run_child,
    run_wrk,
    write_result,
)

NAME = "dialogue-page"
THREADS = 2
CONNECTIONS = 64
# (threads, messages per thread) of the large and the small post.
LARGE = (400, 5)
SMALL = (4, 5)
# Generated residents who write the comments (so that Nora's page shows every message with the
# report form of someone else's message: the heaviest page a resident gets).
WRITERS = 300
RESIDENT = "nora@innbygger.eksempel.no"
STAFF = "kommunikasjon@eksempel.kommune.no"
TARGETS = {
    "anonymous": ">= 0.1",
    "resident": ">= 0.05",
    "queries_per_render": "<= 15, and equal for the small post",
}
THREAD_MARK = re.compile(rb'<li class="thread" id="samtale-\d+"')
MESSAGE_MARK = re.compile(rb'<li class="msg msg--')

QUESTIONS = [
    "Hvorfor skal Storgata stenges for biler? Jeg bor i nr. 14 og er avhengig av bil for å "
    "handle til familien. Hvordan skal varelevering og hjemmetjenesten komme fram?",
    "Flott at det kommer gang- og sykkelvei! Blir den brøytet om vinteren, og hvem har ansvaret "
    "for strøing? Se gjerne https://www.eksempel.kommune.no/vei for det som er sagt før.",
    "Hva skjer med bussholdeplassen ved torget i anleggsperioden? Mange eldre bruker den hver "
    "dag, og omveien via Kirkegata er lang og bratt.",
    "Kan kommunen vurdere å beholde noen korttidsparkeringer for forflytningshemmede nær "
    "legekontoret? Det er viktig for oss som ikke kan gå langt.",
]
ANSWERS = [
    "Takk for spørsmålet! Varelevering blir tillatt før kl. 10 hver dag, og hjemmetjenesten får "
    "kjøre inn hele døgnet. Beboere får egen tillatelse; vi sender brev om dette i mars.",
    "Ja, gang- og sykkelveien brøytes og strøs av kommunen, med samme prioritet som "
    "skoleveiene. Du finner brøyteplanen på nettsidene våre.",
    "Holdeplassen flyttes midlertidig 50 meter nord, til utenfor biblioteket, mens vi bygger. "
    "Den får leskur og benk.",
]
REPLIES = [
    "Jeg er enig i dette, og lurer på det samme. Vi er mange i nabolaget som bryr oss.",
    "Takk for svar. Men hva med helgene? Da handler de fleste av oss.",
    "Det høres bra ut, men når kommer den endelige planen ut på høring?",
    "Kan dere legge ut et kart som viser hvor de nye parkeringsplassene blir?",
]


# --- in the child process: data and query counts -------------------------------------------


@dataclass
class _ThreadState:
    """What the conversation services record on a thread, updated message by message."""

    status: str = ""
    waiting_since: datetime.datetime | None = None
    due_at: datetime.datetime | None = None
    first_official_at: datetime.datetime | None = None
    first_answer_seconds: int | None = None
    first_answer_working_seconds: int | None = None
    first_answer_within_goal: bool | None = None
    resident_after_official_at: datetime.datetime | None = None


def _generate_post(threads: int, per_thread: int, *, label: str) -> dict[str, int]:
    """Publish a post that invites dialogue on the municipality's page and add `threads`
    comment threads of `per_thread` messages under it, in bulk, shaped as the services write
    them. Deterministic (fixed texts and times relative to now)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone

    from torget.accounts.models import User
    from torget.conversations.models import (
        AuthorRole,
        Channel,
        Message,
        Thread,
        ThreadEvent,
        ThreadStatus,
        Visibility,
    )
    from torget.demo import data
    from torget.organisation.models import Municipality, Unit
    from torget.organisation.workinghours import add_working_time, working_time_between
    from torget.pages import services as pages
    from torget.pages.models import Post, PostKind

    municipality = Municipality.objects.get(number=data.NUMBER)
    unit = Unit.objects.get(municipality=municipality, parent__isnull=True)
    staff = User.objects.get(email=STAFF)
    writers = list(User.objects.filter(email__startswith="resident-").order_by("pk")[:WRITERS])
    if len(writers) < 2:
        raise BenchError("too few generated residents to write the comments")
    now = timezone.now()
    published = now - datetime.timedelta(days=10)
    post = pages.post_create(
        unit=unit,
        actor=staff,
        title=f"Ny trafikkløsning i sentrum: hva mener du? ({label})",
        body=(
            "Kommunen legger om veisystemet i sentrum. Storgata blir gågate, og det kommer "
            "gang- og sykkelvei langs elva.\n\nVi vil gjerne høre hva du mener før planen "
            "vedtas. Skriv en kommentar, så svarer vi."
        ),
        kind=PostKind.DIALOGUE,
        published_at=published,
    )
    hours = unit.weekly_hours()
    goal = datetime.timedelta(minutes=unit.answer_goal_minutes)
    post_type = ContentType.objects.get_for_model(Post)
    spacing = datetime.timedelta(days=8) / threads
    # Minutes after the question: the answer, a neighbour's reply, the asker's follow-up, the
    # second answer (the shape of each thread; one in five waits for its second answer).
    offsets = [0, 180, 300, 420, 1500]
    roles = [AuthorRole.RESIDENT, AuthorRole.OFFICIAL, AuthorRole.RESIDENT, AuthorRole.RESIDENT]
    rows: list[Thread] = []
    plans: list[list[tuple[str, datetime.datetime, int, str]]] = []
    for i in range(threads):
        opened = published + spacing * (i + 1)
        asker = writers[(2 * i) % len(writers)].pk
        neighbour = writers[(2 * i + 1) % len(writers)].pk
        last_role = AuthorRole.RESIDENT if i % 5 == 4 else AuthorRole.OFFICIAL
        shape = [*roles, last_role]
        authors = [asker, staff.pk, neighbour, asker, neighbour if i % 5 == 4 else staff.pk]
        plan: list[tuple[str, datetime.datetime, int, str]] = []
        for k in range(per_thread):
            role: str = shape[k % len(shape)]
            at = opened + datetime.timedelta(minutes=offsets[k % len(offsets)] + 1500 * (k // 5))
            if role == AuthorRole.OFFICIAL:
                body = ANSWERS[(i + k) % len(ANSWERS)]
            elif k == 0:
                body = QUESTIONS[i % len(QUESTIONS)]
            else:
                body = REPLIES[(i + k) % len(REPLIES)]
            plan.append((role, at, authors[k % len(authors)], body))
        state = _ThreadState()
        for role, at, _author, _body in plan:
            # As thread_open / message_add_resident / thread_answer record it.
            if role == AuthorRole.RESIDENT:
                if state.first_official_at is not None and state.resident_after_official_at is None:
                    state.resident_after_official_at = at
                if state.status != ThreadStatus.WAITING:
                    state.status = ThreadStatus.WAITING
                    state.waiting_since = at
                    state.due_at = add_working_time(at, goal, hours)
            else:
                if state.first_official_at is None:
                    working = working_time_between(opened, at, hours)
                    state.first_official_at = at
                    state.first_answer_seconds = int((at - opened).total_seconds())
                    state.first_answer_working_seconds = int(working.total_seconds())
                    state.first_answer_within_goal = working <= goal
                state.status = ThreadStatus.ANSWERED
                state.waiting_since = state.due_at = None
        rows.append(
            Thread(
                municipality_id=municipality.pk,
                unit=unit,
                channel=Channel.WEB,
                visibility=Visibility.PUBLIC,
                subject_type=post_type,
                subject_id=post.pk,
                title=post.title[:200],
                opened_by_id=asker,
                opened_at=opened,
                last_message_at=plan[-1][1],
                first_resident_at=opened,
                status=state.status,
                waiting_since=state.waiting_since,
                due_at=state.due_at,
                first_official_at=state.first_official_at,
                first_answer_seconds=state.first_answer_seconds,
                first_answer_working_seconds=state.first_answer_working_seconds,
                first_answer_within_goal=state.first_answer_within_goal,
                resident_after_official_at=state.resident_after_official_at,
            )
        )
        plans.append(plan)
    with transaction.atomic():
        Thread.objects.bulk_create(rows, batch_size=500)
        messages = [
            Message(
                thread_id=thread.pk,
                author_id=author,
                role=role,
                visibility=Visibility.PUBLIC,
                body=body,
                created_at=at,
            )
            for thread, plan in zip(rows, plans, strict=True)
            for role, at, author, body in plan
        ]
        Message.objects.bulk_create(messages, batch_size=1000)
        events = [
            ThreadEvent(
                thread_id=thread.pk,
                actor_id=thread.opened_by_id,
                kind=ThreadEvent.Kind.OPENED,
                detail={"channel": Channel.WEB},
                created_at=thread.opened_at,
            )
            for thread in rows
        ] + [
            ThreadEvent(
                thread_id=message.thread_id,
                actor_id=message.author_id,
                kind=ThreadEvent.Kind.ANSWERED,
                detail={"message": message.pk},
                created_at=message.created_at,
            )
            for message in messages
            if message.role == AuthorRole.OFFICIAL
        ]
        ThreadEvent.objects.bulk_create(events, batch_size=1000)
    return {"id": post.pk, "threads": len(rows), "messages": len(messages)}


def generate() -> dict[str, Any]:
    """The two posts (large and small), and how Nora logs in."""
    from torget.demo import data

    data.residents_ensure_bulk(WRITERS)
    return {
        "large": _generate_post(*LARGE, label="stor"),
        "small": _generate_post(*SMALL, label="liten"),
        "resident": {"email": RESIDENT, "password": data.DEMO_PASSWORD},
    }


def count_queries(large: int, small: int) -> dict[str, Any]:
    """The SQL queries of one render of each post's page, for Nora and for an anonymous
    visitor, each after one render that warms the process's caches (content types, hosts),
    as in the running server."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from torget.accounts.models import User

    resident = Client(HTTP_HOST="localhost")
    resident.force_login(User.objects.get(email=RESIDENT))
    visitors = {"resident": resident, "anonymous": Client(HTTP_HOST="localhost")}
    counts: dict[str, Any] = {}
    sql: dict[str, list[str]] = {}
    for size, pk in (("large", large), ("small", small)):
        for who, client in visitors.items():
            path = f"/innlegg/{pk}/"
            client.get(path)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            if response.status_code != 200:
                raise BenchError(f"{who} {path}: HTTP {response.status_code}")
            threads = len(THREAD_MARK.findall(response.content))
            if threads != min(20, (LARGE if size == "large" else SMALL)[0]):
                raise BenchError(f"{who} {path}: {threads} threads on the first page")
            counts[f"{size}_{who}"] = len(captured.captured_queries)
            sql[f"{size}_{who}"] = [q["sql"][:160] for q in captured.captured_queries]
    print(json.dumps(sql, indent=1, ensure_ascii=False), file=sys.stderr)
    return counts


def _child(argv: list[str]) -> None:
    django_setup()
    if argv[0] == "generate":
        out = generate()
    elif argv[0] == "queries":
        out = count_queries(int(argv[1]), int(argv[2]))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")
    print(json.dumps(out))


# --- in the parent: load and compare --------------------------------------------------------


def check_page(who: str, path: str, page: Page, *, title: str, logged_in: bool) -> None:
    """Fail loudly unless the page is the post with its first 20 threads (100 messages), and
    the resident's has the comment form (the anonymous one has not): measuring an error page
    or the wrong visitor fast would be worse than measuring nothing."""
    if page.status != 200:
        raise BenchError(f"{who} {path}: HTTP {page.status}, expected 200")
    if not page.headers.get("content-type", "").startswith("text/html"):
        raise BenchError(f"{who} {path}: content-type {page.headers.get('content-type')!r}")
    if title.encode() not in page.body:
        raise BenchError(f"{who} {path}: the page does not show the post's title")
    threads = len(THREAD_MARK.findall(page.body))
    messages = len(MESSAGE_MARK.findall(page.body))
    if threads != 20 or messages != 20 * LARGE[1]:
        raise BenchError(f"{who} {path}: {threads} threads and {messages} messages, not 20/100")
    has_form = f'action="{path}kommentarer/"'.encode() in page.body
    if has_form != logged_in:
        raise BenchError(f"{who} {path}: the comment form is {'missing' if logged_in else 'shown'}")


def summary(results: dict[str, WrkResult]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, r in results.items():
        out |= {f"{key}_rps": r.rps, f"{key}_p50_ms": r.p50_ms, f"{key}_p99_ms": r.p99_ms}
    for key, r in results.items():
        out |= {
            f"{key}_non_2xx": r.non_2xx_3xx,
            f"{key}_socket_errors": r.socket_errors,
            f"{key}_timeouts": r.timeouts,
        }
    return out


def run() -> dict[str, Any]:
    duration = bench_duration()
    host = machine()
    with TorgetServer() as server:
        made = run_child(["bench.dialogue_page", "generate"], env=server.env())
        large, small = made["large"], made["small"]
        counted = run_child(
            ["bench.dialogue_page", "queries", str(large["id"]), str(small["id"])],
            env=server.env(),
        )
        cookies = login(server.port, made["resident"]["email"], made["resident"]["password"])
        session = {k: cookies[k] for k in ("sessionid", "csrftoken")}
        cookie = cookie_header(session)
        path = f"/innlegg/{large['id']}/"
        title = "Ny trafikkløsning i sentrum"
        pages = {
            "anonymous": fetch(server.port, path),
            "resident": fetch(server.port, path, headers={"Cookie": cookie}),
        }
        for who, page in pages.items():
            check_page(who, path, page, title=title, logged_in=who == "resident")
        # The same page with a query string bypasses the anonymous page cache: what Django's
        # own render costs an anonymous visitor (for the findings; no ratio).
        uncached = f"{path}?page=1"
        check_page("anonymous", path, fetch(server.port, uncached), title=title, logged_in=False)
        runs = {
            "anonymous": (path, ()),
            "resident": (path, (f"Cookie: {cookie}",)),
            "anonymous_uncached": (uncached, ()),
        }
        ours = {
            key: run_wrk(
                server.port,
                url,
                duration=duration,
                threads=THREADS,
                connections=CONNECTIONS,
                headers=headers,
            )
            for key, (url, headers) in runs.items()
        }
        rss = peak_rss_mb(server.pid)
    files = {f"/{who}.html": page.body for who, page in pages.items()}
    with Nginx(files) as nginx:
        theirs: dict[str, WrkResult] = {}
        for who in pages:
            served = fetch(nginx.port, f"/{who}.html")
            if served.status != 200 or served.body != pages[who].body:
                raise BenchError(f"nginx serves other bytes for {who} than Torget did")
            headers = runs[who][1]
            theirs[who] = run_wrk(
                nginx.port,
                f"/{who}.html",
                duration=duration,
                threads=THREADS,
                connections=CONNECTIONS,
                headers=headers,
            )

    queries = {
        "resident": counted["large_resident"],
        "anonymous": counted["large_anonymous"],
    }
    queries_small = {
        "resident": counted["small_resident"],
        "anonymous": counted["small_anonymous"],
    }
    figures = summary(ours) | {
        "queries_per_render": queries,
        "queries_per_render_small": queries_small,
        "server_rss_mb": rss,
        "anonymous_bytes": len(pages["anonymous"].body),
        "resident_bytes": len(pages["resident"].body),
        "post": {"comments": large["messages"], "threads": large["threads"]},
        "post_small": {"comments": small["messages"], "threads": small["threads"]},
    }
    result = write_result(
        NAME,
        figures=figures,
        baseline=summary(theirs),
        ratio={
            "anonymous": ratio_of(ours["anonymous"].rps, theirs["anonymous"].rps),
            "resident": ratio_of(ours["resident"].rps, theirs["resident"].rps),
        },
        extra={
            "targets": TARGETS,
            "setup": {
                "wrk": f"-t{THREADS} -c{CONNECTIONS} -d{duration}s --latency, Host: localhost",
                "torget": (
                    "python -m torget.core.serve (uvicorn, 1 process, worker on), SQLite, "
                    "DEBUG off, demo data; anonymous page cache on its default (anonymous_* "
                    "may be answered from it; anonymous_uncached_* adds ?page=1, which the "
                    "cache never serves, so Django renders every request)"
                ),
                "data": (
                    f"post {large['id']}: {large['messages']} comments in {large['threads']} "
                    f"threads (resident question, official answer, neighbour's reply, "
                    f"follow-up, second answer or still waiting), bulk-inserted as the "
                    f"services write them; page 1 shows the 20 newest threads, 100 messages. "
                    f"Small post {small['id']}: {small['messages']} comments in "
                    f"{small['threads']} threads"
                ),
                "resident": (
                    f"{RESIDENT}, logged in through POST /konto/login/ (CSRF token from the "
                    "form); wrk sends her sessionid and csrftoken cookies"
                ),
                "queries": (
                    "django.test.Client(HTTP_HOST='localhost') in a separate process on the "
                    "same database, CaptureQueriesContext around the second GET of the page "
                    "(the first warms per-process caches); resident via force_login"
                ),
                "baseline": (
                    "nginx, worker_processes auto, serving the very HTML bytes Torget "
                    "answered each visitor as static files (the resident's run sends the "
                    "same Cookie header)"
                ),
                "machine": host,
            },
        },
    )
    # Errors under load mean the figures measure something else than the page: fail after
    # writing the result, so that it can still be read. Requests that only took longer than
    # wrk's 10 s timeout are part of the measurement (a page too slow for 64 visitors at once)
    # and are reported in the figures, not failed on.
    bad = {
        f"{side} {key}": (r.non_2xx_3xx, r.socket_errors - r.timeouts)
        for side, results in (("torget", ours), ("nginx", theirs))
        for key, r in results.items()
        if r.non_2xx_3xx or r.socket_errors - r.timeouts
    }
    if bad:
        raise BenchError(f"responses that were not 2xx/3xx, or socket errors: {bad}")
    if queries != queries_small:
        raise BenchError(f"queries per render grow with the comments: {queries} {queries_small}")
    return result


if __name__ == "__main__":
    _child(sys.argv[1:])

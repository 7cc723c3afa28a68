"""A hearing with 3,000 statements: its public statements page (paged) under load.

Torget runs as `make run` runs it (production ASGI server, DEBUG off, the worker on) on a
fresh SQLite database with the demo data. A child process adds a published process of the
municipality with an open hearing of three sections and 3,000 public statements, and a small
hearing of 45 statements for the query count. The statements are written in bulk, shaped as
`torget.participation.services.hearings.statement_submit` and the conversation services write
them: each is a `hearing` thread in the process's unit whose first message is the text
(waiting for an answer, due time from the unit's goal and hours), numbered 1, 2, 3 ... with
the thread titled "<hearing> – statement N" and the statement as its subject; some are on a
section, some on behalf of an organisation, some carry an attachment. One statement in five
has the unit's official answer (five at a time share one answer, as "one answer to many"),
which records the first answer and its working-time duration; one in fifteen also has a
politician's answer.

wrk loads the statements page `?page=2` (statements 21 to 40, with their answers) as an
anonymous visitor for BENCH_DURATION seconds (default 30) at concurrency 32, as a visitor
gets it: the anonymous page cache (core.asgi_cache) keeps each page number of a paged list,
so most requests are answered from its copy and Django renders the page once per
ANONYMOUS_CACHE_SECONDS. The
baseline is nginx on this machine serving the very bytes Torget answered, as a static file,
in the same run. The SQL queries of one render are counted in another child process on the
same database, for the large hearing and the small one: a page must cost the same number of
queries however many statements the hearing has. For the findings only (no ratio), page 1
without a query string is loaded the same way.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
import uuid
from typing import Any

from bench.common import (
    BenchError,
    Nginx,
    Page,
    TorgetServer,
    WrkResult,
    bench_duration,
    django_setup,
    fetch,
    machine,
    peak_rss_mb,
    ratio_of,
    run_child,
    run_wrk,
    write_result,
)

NAME = "hearing-page"
THREADS = 2
CONNECTIONS = 32
LARGE = 3000
SMALL = 45
PAGE = 2
PER_PAGE = 20
WRITERS = 600
STAFF = "kommunikasjon@eksempel.kommune.no"
POLITICIAN = "politiker@eksempel.kommune.no"
TARGETS = {"statements": ">= 0.1", "queries_per_render": "equal for the small hearing"}
STATEMENT_MARK = re.compile(rb'<article class="card statement" id="statement-(\d+)"')
TITLE = "Høring: omlegging av veisystemet i sentrum"

TEXTS = [
    "Jeg bor i Storgata og er bekymret for trafikken i Kirkegata når Storgata stenges. Der går "
    "barna til skolen hver morgen, og fortauet er smalt. Kan kommunen vurdere fartsdumper og "
    "et opphøyd gangfelt ved krysset mot Skolegata?",
    "Velforeningen støtter gågate i Storgata, men ber om at varelevering tillates før kl. 10, "
    "og at hjemmetjenesten og drosjer får kjøre inn hele døgnet. Vi ber også om flere benker "
    "og mer grønt langs gata.",
    "Forslaget om sykkelvei langs elva er bra, men traseen bør gå på nordsiden, der det er sol "
    "om vinteren og mindre is. Bruene må være brede nok til både syklende og gående.",
    "Parkeringsplassene for forflytningshemmede ved legekontoret må beholdes. For mange av oss "
    "er 50 meter for langt å gå, og det må være mulig å komme seg til lege uten hjelp.",
    "Bussholdeplassen ved torget er den viktigste i sentrum. Den midlertidige plasseringen i "
    "anleggsperioden må ha leskur, benk og sanntidsskilt, og den må være universelt utformet.",
    "Jeg savner en vurdering av støy for oss som bor langs den nye omkjøringsveien. Hvor mange "
    "biler i døgnet regner kommunen med, og blir det støyskjerming?",
]
ON_BEHALF = ["Sentrum velforening", "Handelsstanden i sentrum", "Eldrerådet", ""]
ANSWER = (
    "Takk for innspillet. Vi tar det med i behandlingen av planen, og kommer tilbake til det i "
    "saksframlegget til kommunestyret."
)
POLITICIAN_ANSWER = (
    "Jeg vil ta dette opp i formannskapet. Trafikksikkerhet for barna må komme først."
)


# --- in the child process: data and query counts -------------------------------------------


def _hearing(process: Any, title: str, statements: int, writers: list[Any]) -> dict[str, Any]:
    """A hearing of `process` with `statements` public statements, in bulk, as the services
    write them."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone, translation
    from django.utils.translation import gettext

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
    from torget.organisation.workinghours import add_working_time, working_time_between
    from torget.participation.models import Hearing, HearingSection, Statement, StatementAttachment

    unit = process.unit
    staff = User.objects.get(email=STAFF)
    politician = User.objects.get(email=POLITICIAN)
    now = timezone.now()
    hearing = Hearing.objects.create(
        process=process,
        title=title,
        intro="Planforslaget for nytt veisystem i sentrum er lagt ut til offentlig ettersyn.",
        opens_at=now - datetime.timedelta(days=20),
        closes_at=now + datetime.timedelta(days=10),
    )
    sections = [
        HearingSection.objects.create(
            hearing=hearing, number=str(i), heading=heading, body=f"Teksten i del {i}.", position=i
        )
        for i, heading in enumerate(("Gågate i Storgata", "Sykkelvei langs elva", "Parkering"), 1)
    ]
    hours = unit.weekly_hours()
    goal = datetime.timedelta(minutes=unit.answer_goal_minutes)
    spacing = datetime.timedelta(days=19) / statements
    with translation.override(process.municipality.malform):
        thread_title = gettext("%(title)s – statement %(number)d")
    threads: list[Thread] = []
    plans: list[dict[str, Any]] = []
    for n in range(1, statements + 1):
        opened = hearing.opens_at + spacing * n
        author = writers[n % len(writers)]
        answered_at = opened + datetime.timedelta(hours=26) if n % 5 == 0 else None
        politician_at = opened + datetime.timedelta(hours=30) if n % 15 == 0 else None
        thread = Thread(
            municipality_id=process.municipality_id,
            unit=unit,
            channel=Channel.HEARING,
            visibility=Visibility.PUBLIC,
            title=(thread_title % {"title": title, "number": n})[:200],
            opened_by=author,
            opened_at=opened,
            last_message_at=max(t for t in (opened, answered_at, politician_at) if t),
            first_resident_at=opened,
        )
        if answered_at is not None:
            working = working_time_between(opened, answered_at, hours)
            thread.status = ThreadStatus.ANSWERED
            thread.first_official_at = answered_at
            thread.first_answer_seconds = int((answered_at - opened).total_seconds())
            thread.first_answer_working_seconds = int(working.total_seconds())
            thread.first_answer_within_goal = working <= goal
        else:
            thread.status = ThreadStatus.WAITING
            thread.waiting_since = opened
            thread.due_at = add_working_time(opened, goal, hours)
        threads.append(thread)
        plans.append(
            {
                "number": n,
                "author": author,
                "opened": opened,
                "answered_at": answered_at,
                "politician_at": politician_at,
            }
        )
    statement_type = ContentType.objects.get_for_model(Statement)
    groups = {n: uuid.uuid4() for n in range(5, statements + 1, 25)}  # one answer to 5 threads
    with transaction.atomic():
        Thread.objects.bulk_create(threads, batch_size=500)
        rows = [
            Statement(
                hearing=hearing,
                section=sections[n % 3] if n % 4 else None,
                thread_id=thread.pk,
                author=plan["author"],
                on_behalf_of=ON_BEHALF[n % len(ON_BEHALF)] if n % 7 == 0 else "",
                is_public=True,
                number=plan["number"],
                submitted_at=plan["opened"],
            )
            for n, (thread, plan) in enumerate(zip(threads, plans, strict=True), 1)
        ]
        Statement.objects.bulk_create(rows, batch_size=500)
        for thread, statement in zip(threads, rows, strict=True):
            thread.subject_type = statement_type
            thread.subject_id = statement.pk
        Thread.objects.bulk_update(threads, ["subject_type", "subject_id"], batch_size=500)
        messages: list[Message] = []
        for thread, plan in zip(threads, plans, strict=True):
            n = plan["number"]
            messages.append(
                Message(
                    thread_id=thread.pk,
                    author=plan["author"],
                    role=AuthorRole.RESIDENT,
                    visibility=Visibility.PUBLIC,
                    body=TEXTS[n % len(TEXTS)],
                    created_at=plan["opened"],
                )
            )
            if plan["answered_at"] is not None:
                group = next((g for start, g in groups.items() if start <= n < start + 25), None)
                messages.append(
                    Message(
                        thread_id=thread.pk,
                        author=staff,
                        role=AuthorRole.OFFICIAL,
                        visibility=Visibility.PUBLIC,
                        body=ANSWER,
                        created_at=plan["answered_at"],
                        answer_group=group,
                    )
                )
            if plan["politician_at"] is not None:
                messages.append(
                    Message(
                        thread_id=thread.pk,
                        author=politician,
                        role=AuthorRole.OFFICIAL,
                        by_politician=True,
                        visibility=Visibility.PUBLIC,
                        body=POLITICIAN_ANSWER,
                        created_at=plan["politician_at"],
                    )
                )
        Message.objects.bulk_create(messages, batch_size=1000)
        StatementAttachment.objects.bulk_create(
            [
                StatementAttachment(
                    statement=statement,
                    file=f"participation/statements/{statement.pk}/innspill.pdf",
                    original_name="innspill.pdf",
                    content_type="application/pdf",
                    size=184_320,
                )
                for statement in rows
                if statement.number % 6 == 0
            ],
            batch_size=1000,
        )
        events = [
            ThreadEvent(
                thread_id=thread.pk,
                actor_id=thread.opened_by_id,
                kind=ThreadEvent.Kind.OPENED,
                detail={"channel": Channel.HEARING},
                created_at=thread.opened_at,
            )
            for thread in threads
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
    return {
        "id": hearing.pk,
        "statements": len(rows),
        "messages": len(messages),
        "answered": sum(1 for p in plans if p["answered_at"]),
        "politician_answers": sum(1 for p in plans if p["politician_at"]),
    }


def generate() -> dict[str, Any]:
    """A published process with the large and the small hearing."""
    from torget.accounts.models import User
    from torget.demo import data
    from torget.organisation.models import Municipality, Unit
    from torget.participation.models import Process, ProcessKind

    data.residents_ensure_bulk(WRITERS)
    municipality = Municipality.objects.get(number=data.NUMBER)
    unit = Unit.objects.get(municipality=municipality, parent__isnull=True)
    writers = list(User.objects.filter(email__startswith="resident-").order_by("pk")[:WRITERS])
    if len(writers) < WRITERS:
        raise BenchError("too few generated residents to write the statements")
    process = Process.objects.create(
        municipality=municipality,
        unit=unit,
        slug="bench-veisystemet",
        kind=ProcessKind.PROJECT,
        title="Omlegging av veisystemet i sentrum (benchmark)",
        summary="Kommunen legger om veisystemet i sentrum.",
        is_published=True,
    )
    return {
        "slug": process.slug,
        "large": _hearing(process, TITLE, LARGE, writers),
        "small": _hearing(process, f"{TITLE} (liten)", SMALL, writers),
    }


def page_path(slug: str, hearing: int) -> str:
    return f"/medvirkning/{slug}/horing/{hearing}/?page={PAGE}"


def count_queries(slug: str, large: int, small: int) -> dict[str, Any]:
    """The SQL queries of one render of page 2 of each hearing for an anonymous visitor, after
    one render that warms the process's caches (content types, hosts), as in the server."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    counts: dict[str, Any] = {}
    sql: dict[str, list[str]] = {}
    for size, pk in (("large", large), ("small", small)):
        path = page_path(slug, pk)
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"{path}: HTTP {response.status_code}")
        counts[size] = len(captured.captured_queries)
        sql[size] = [q["sql"][:160] for q in captured.captured_queries]
    print(json.dumps(sql, indent=1, ensure_ascii=False), file=sys.stderr)
    return counts


def _child(argv: list[str]) -> None:
    django_setup()
    if argv[0] == "generate":
        out = generate()
    elif argv[0] == "queries":
        out = count_queries(argv[1], int(argv[2]), int(argv[3]))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")
    print(json.dumps(out))


# --- in the parent: load and compare --------------------------------------------------------


def check_page(path: str, page: Page, number: int = PAGE) -> None:
    """Fail loudly unless the page is the hearing's page `number` (page 2: statements 21 to 40)
    with their answers: measuring an error page fast would be worse than measuring nothing."""
    if page.status != 200:
        raise BenchError(f"{path}: HTTP {page.status}, expected 200")
    if not page.headers.get("content-type", "").startswith("text/html"):
        raise BenchError(f"{path}: content-type {page.headers.get('content-type')!r}")
    if TITLE.encode() not in page.body:
        raise BenchError(f"{path}: the page does not show the hearing's title")
    numbers = [int(n) for n in STATEMENT_MARK.findall(page.body)]
    wanted = list(range((number - 1) * PER_PAGE + 1, number * PER_PAGE + 1))
    if numbers != wanted:
        raise BenchError(f"{path}: statements {numbers}, expected {wanted}")
    if ANSWER.encode() not in page.body or POLITICIAN_ANSWER.encode() not in page.body:
        raise BenchError(f"{path}: the answers on page {number} are not shown")


def figures_of(result: WrkResult) -> dict[str, Any]:
    return {
        "rps": result.rps,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "requests": result.requests,
        "non_2xx": result.non_2xx_3xx,
        "socket_errors": result.socket_errors,
        "timeouts": result.timeouts,
    }


def run() -> dict[str, Any]:
    duration = bench_duration()
    host = machine()
    with TorgetServer() as server:
        made = run_child(["bench.hearing_page", "generate"], env=server.env())
        slug, large, small = made["slug"], made["large"], made["small"]
        counted = run_child(
            ["bench.hearing_page", "queries", slug, str(large["id"]), str(small["id"])],
            env=server.env(),
        )
        path = page_path(slug, large["id"])
        page = fetch(server.port, path)
        check_page(path, page)
        ours = run_wrk(
            server.port, path, duration=duration, threads=THREADS, connections=CONNECTIONS
        )
        # For the findings, no ratio: page 1, without a query string, as the anonymous page
        # cache (core.asgi_cache) answers it too.
        first_path = f"/medvirkning/{slug}/horing/{large['id']}/"
        first = fetch(server.port, first_path)
        check_page(first_path, first, number=1)
        ours_first = run_wrk(
            server.port, first_path, duration=duration, threads=THREADS, connections=CONNECTIONS
        )
        rss = peak_rss_mb(server.pid)
    with Nginx({"/statements.html": page.body, "/first.html": first.body}) as nginx:
        served = fetch(nginx.port, "/statements.html")
        if served.status != 200 or served.body != page.body:
            raise BenchError("nginx serves other bytes than Torget did")
        theirs = run_wrk(
            nginx.port,
            "/statements.html",
            duration=duration,
            threads=THREADS,
            connections=CONNECTIONS,
        )
        theirs_first = run_wrk(
            nginx.port, "/first.html", duration=duration, threads=THREADS, connections=CONNECTIONS
        )
    figures = {
        "statements": figures_of(ours),
        "bytes": len(page.body),
        "first_page_cacheable": figures_of(ours_first)
        | {"bytes": len(first.body), "vs_nginx": ratio_of(ours_first.rps, theirs_first.rps)},
        "queries_per_render": counted["large"],
        "queries_per_render_small": counted["small"],
        "server_rss_mb": rss,
        "hearing": {k: large[k] for k in ("statements", "messages", "answered")}
        | {"politician_answers": large["politician_answers"]},
    }
    result = write_result(
        NAME,
        figures=figures,
        baseline={
            "statements": figures_of(theirs),
            "bytes": len(served.body),
            "first_page": figures_of(theirs_first),
        },
        ratio={"statements": ratio_of(ours.rps, theirs.rps)},
        extra={
            "targets": TARGETS,
            "setup": {
                "wrk": f"-t{THREADS} -c{CONNECTIONS} -d{duration}s --latency, Host: localhost",
                "torget": (
                    "python -m torget.core.serve (uvicorn, 1 process, worker on), SQLite, "
                    "DEBUG off, demo data; anonymous visitor; the query string keeps the "
                    "anonymous page cache out, so Django renders every request"
                ),
                "page": f"{path}: statements 21 to 40 of {large['statements']}, with answers",
                "first_page_cacheable": (
                    f"{first_path} (statements 1 to 20) in the same server, for the findings "
                    "only: without a query string the anonymous page cache may answer it"
                ),
                "data": (
                    f"hearing {large['id']}: {large['statements']} public statements "
                    f"({large['messages']} messages; {large['answered']} with the unit's answer, "
                    f"five at a time sharing one; {large['politician_answers']} also with a "
                    "politician's), bulk-inserted as the services write them; small hearing "
                    f"{small['id']}: {small['statements']} statements"
                ),
                "queries": (
                    "django.test.Client(HTTP_HOST='localhost') in a separate process on the "
                    "same database, CaptureQueriesContext around the second GET of page 2"
                ),
                "baseline": "nginx, worker_processes auto, serving the same HTML bytes",
                "machine": host,
            },
        },
    )
    bad = {
        side: (r.non_2xx_3xx, r.socket_errors - r.timeouts)
        for side, r in (
            ("torget", ours),
            ("torget page 1", ours_first),
            ("nginx", theirs),
            ("nginx page 1", theirs_first),
        )
        if r.non_2xx_3xx or r.socket_errors - r.timeouts
    }
    if bad:
        raise BenchError(f"responses that were not 2xx/3xx, or socket errors: {bad}")
    if counted["large"] != counted["small"]:
        raise BenchError(f"queries per render grow with the statements: {counted}")
    return result


if __name__ == "__main__":
    _child(sys.argv[1:])

"""Anonymous pages: the front page and a unit page under load, against nginx with the same bytes.

Torget runs as `make run` runs it (production ASGI server, DEBUG off, demo data, the anonymous
page cache on its default). wrk loads each page for BENCH_DURATION seconds (default 30) at
concurrency 64 as an anonymous visitor of host `localhost`. The baseline is nginx on this
machine serving the very bytes Torget answered, as static files, in the same run.
"""

from __future__ import annotations

from typing import Any

from bench.common import (
    BenchError,
    Nginx,
    Page,
    TorgetServer,
    WrkResult,
    bench_duration,
    fetch,
    machine,
    peak_rss_mb,
    ratio_of,
    run_wrk,
    write_result,
)

NAME = "pages"
# name in the figures -> (path, text the page must contain)
PAGES = {
    "front": ("/", "Eksempel kommune"),
    "unit": ("/enheter/biblioteket/", "Eksempel bibliotek"),
}
THREADS = 2
CONNECTIONS = 64
TARGETS = {"front": ">= 0.2", "unit": ">= 0.2", "server_rss_mb": "<= 250"}


def check_page(key: str, path: str, expected: str, page: Page) -> None:
    """Fail loudly unless the page is a 200 HTML page with its content: measuring an error page
    fast would be worse than measuring nothing."""
    if page.status != 200:
        raise BenchError(f"{key} {path}: HTTP {page.status}, expected 200")
    if not page.headers.get("content-type", "").startswith("text/html"):
        raise BenchError(f"{key} {path}: content-type {page.headers.get('content-type')!r}")
    if expected.encode() not in page.body:
        raise BenchError(f"{key} {path}: the page does not contain {expected!r}")


def load(port: int, duration: int) -> dict[str, WrkResult]:
    """wrk every page in turn on one server."""
    return {
        key: run_wrk(port, path, duration=duration, threads=THREADS, connections=CONNECTIONS)
        for key, (path, _expected) in PAGES.items()
    }


def summary(results: dict[str, WrkResult]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, r in results.items():
        out |= {f"{key}_rps": r.rps, f"{key}_p50_ms": r.p50_ms, f"{key}_p99_ms": r.p99_ms}
    for key, r in results.items():
        out |= {f"{key}_non_2xx": r.non_2xx_3xx, f"{key}_socket_errors": r.socket_errors}
    return out


def run() -> dict[str, Any]:
    duration = bench_duration()
    host = machine()
    bodies: dict[str, bytes] = {}
    with TorgetServer() as server:
        for key, (path, expected) in PAGES.items():
            page = fetch(server.port, path)
            check_page(key, path, expected, page)
            bodies[path] = page.body
        ours = load(server.port, duration)
        rss = peak_rss_mb(server.pid)
    with Nginx(bodies) as nginx:
        for key, (path, expected) in PAGES.items():
            served = fetch(nginx.port, path)
            check_page(key, path, expected, served)
            if served.body != bodies[path]:
                raise BenchError(f"nginx serves other bytes for {path} than Torget did")
        theirs = load(nginx.port, duration)

    figures = summary(ours) | {"server_rss_mb": rss}
    figures |= {f"{key}_bytes": len(bodies[path]) for key, (path, _e) in PAGES.items()}
    result = write_result(
        NAME,
        figures=figures,
        baseline=summary(theirs),
        ratio={key: ratio_of(ours[key].rps, theirs[key].rps) for key in PAGES},
        extra={
            "targets": TARGETS,
            "setup": {
                "wrk": f"-t{THREADS} -c{CONNECTIONS} -d{duration}s --latency, Host: localhost",
                "torget": "python -m torget.core.serve (uvicorn, 1 process), demo data, DEBUG off",
                "baseline": "nginx, worker_processes auto, same HTML bytes as static files",
                "machine": host,
            },
        },
    )
    # Errors under load mean the figures measure something else than the pages: fail after
    # writing the result, so that it can still be read.
    bad = {
        f"{side} {key}": (r.non_2xx_3xx, r.socket_errors)
        for side, runs in (("torget", ours), ("nginx", theirs))
        for key, r in runs.items()
        if r.non_2xx_3xx or r.socket_errors
    }
    if bad:
        raise BenchError(f"responses that were not 2xx/3xx, or socket errors: {bad}")
    return result

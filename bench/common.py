"""Helpers every benchmark shares: results, Torget's production server, nginx, wrk, peak RSS.

Every benchmark measures Torget and a baseline in the same run on the same machine, so that the
ratio says something even though absolute numbers differ from machine to machine. All traffic
goes to 127.0.0.1 only; every process and temporary folder started here is cleaned up in
`finally`/`__exit__`, even when a measurement fails.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookies
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
NGINX = "/usr/sbin/nginx"
WRK = "/usr/bin/wrk"
HOST = "127.0.0.1"


class BenchError(RuntimeError):
    """A benchmark could not measure what it claims to (wrong page, failed start, errors)."""


# --- results --------------------------------------------------------------------------------


def bench_duration(default: int = 30) -> int:
    """Seconds per wrk run: BENCH_DURATION shortens a run for a quick try; default 30."""
    raw = os.environ.get("BENCH_DURATION", "").strip()
    seconds = int(raw) if raw else default
    if seconds < 1:
        raise BenchError("BENCH_DURATION must be at least 1 second")
    return seconds


def write_result(
    name: str,
    *,
    figures: Mapping[str, Any],
    baseline: Mapping[str, Any],
    ratio: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write `bench/results/<name>.json` in the shape every benchmark shares, print and return it.

    `extra` holds optional keys (targets, notes) after the fixed ones.
    """
    result: dict[str, Any] = {
        "name": name,
        "command": f"make bench BENCH={name}",
        "figures": dict(figures),
        "baseline": dict(baseline),
        "ratio": dict(ratio),
    }
    result.update(extra or {})
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    (RESULTS / f"{name}.json").write_text(text, encoding="utf-8")
    print(text, end="")
    return result


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPUs and load just before (others' load skews them)."""
    return {"cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in os.getloadavg()]}


def ratio_of(ours: float, theirs: float) -> float:
    """ours ÷ theirs, rounded; 0 when the baseline measured nothing (so it never divides by 0)."""
    return round(ours / theirs, 4) if theirs > 0 else 0.0


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    """Median and 95th percentile (nearest rank) of durations given in seconds, in ms."""
    if not samples:
        raise BenchError("no samples to summarise")
    ordered = sorted(samples)
    rank = max(0, -(-95 * len(ordered) // 100) - 1)  # ceil(0.95 n) - 1
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[rank] * 1000, 3),
        "runs": len(ordered),
    }


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM) in MB, read from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)  # the kernel reports kB
    raise BenchError(f"no VmHWM for process {pid}")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _children(pid: int) -> list[tuple[int, bytes]]:
    """Direct children of a process, each with its command line (the kernel lists per thread)."""
    found: list[tuple[int, bytes]] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [(int(p), _cmdline(int(p))) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _stop(process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, wait: float = 15) -> None:
    """Stop a process we started, politely first; kill it if it does not go in time."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _kill_if_alive(child: tuple[int, bytes]) -> None:
    """Kill a child we started that outlived its parent, if that pid still runs the same command
    (so a reused pid is never hit)."""
    pid, cmdline = child
    if cmdline and _cmdline(pid) == cmdline:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def ensure_tool(path: str, package: str) -> None:
    """Install a Debian package when its binary is missing and we are root; else say what to do."""
    if Path(path).exists():
        return
    if os.geteuid() != 0:
        raise BenchError(f"{path} is missing: run 'sudo apt-get install {package}'")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True)


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Page:
    status: int
    body: bytes
    headers: dict[str, str]
    # The cookies the response set (name -> value), from every Set-Cookie header.
    cookies: dict[str, str] = field(default_factory=dict)


def _request(
    port: int,
    method: str,
    path: str,
    *,
    host: str,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
) -> Page:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        raw = response.getheaders()
        cookies: dict[str, str] = {}
        for name, value in raw:
            if name.lower() == "set-cookie":
                jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
                jar.load(value)
                cookies.update({key: morsel.value for key, morsel in jar.items()})
        return Page(response.status, response.read(), {k.lower(): v for k, v in raw}, cookies)
    finally:
        conn.close()


def fetch(
    port: int,
    path: str,
    *,
    host: str = "localhost",
    timeout: float = 10,
    headers: Mapping[str, str] | None = None,
) -> Page:
    """One GET to 127.0.0.1:port with the given Host header (an anonymous visitor unless
    `headers` carry a Cookie)."""
    return _request(port, "GET", path, host=host, timeout=timeout, headers=headers)


def cookie_header(cookies: Mapping[str, str]) -> str:
    """The value of a Cookie request header carrying `cookies`."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


def login(
    port: int, email: str, password: str, *, host: str = "localhost", path: str = "/konto/login/"
) -> dict[str, str]:
    """Log in through Torget's own log-in form, as a browser does: GET the form (CSRF cookie
    and token), POST e-mail and password, keep the cookies. Returns the cookies (sessionid,
    csrftoken); raises BenchError unless the log-in answered with a redirect and a session."""
    form = fetch(port, path, host=host)
    token = _CSRF_INPUT.search(form.body)
    if form.status != 200 or token is None or "csrftoken" not in form.cookies:
        raise BenchError(f"log-in form {path}: HTTP {form.status}, no CSRF token or cookie")
    cookies = dict(form.cookies)
    fields = {
        "csrfmiddlewaretoken": token.group(1).decode(),
        "login": email,
        "password": password,
    }
    done = _request(
        port,
        "POST",
        path,
        host=host,
        timeout=30,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(cookies),
            "Referer": f"http://{host}:{port}{path}",
        },
        body=urlencode(fields).encode(),
    )
    cookies.update(done.cookies)
    if done.status not in (302, 303) or not cookies.get("sessionid"):
        raise BenchError(f"log-in as {email} failed: HTTP {done.status}, cookies {list(cookies)}")
    return cookies


def wait_until_ready(
    port: int, path: str, *, timeout: float = 60, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll `path` until it answers 200, so measuring starts when the server is really up.

    Gives up after `timeout` seconds, or at once if `process` has exited.
    """
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BenchError(f"server exited with {process.returncode} before it was ready")
        try:
            page = fetch(port, path, timeout=2)
            if page.status == 200:
                return
            last = f"HTTP {page.status}: {page.body[:200]!r}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.1)
    raise BenchError(f"127.0.0.1:{port}{path} not ready after {timeout:.0f} s ({last})")


# --- Torget ---------------------------------------------------------------------------------


def torget_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a Torget process (server, manage.py, a measuring child) with its
    files in `var_dir`, production settings (DEBUG off), and `extra` (e.g. TORGET_DATABASE_URL).

    Only the TORGET_ variables set here: a developer's own (e.g. DEBUG=yes) must not leak in.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("TORGET_")}
    return {
        **base,
        "TORGET_VAR_DIR": str(var_dir),
        "TORGET_DEBUG": "no",
        "TORGET_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def run_child(args: Sequence[str], *, env: Mapping[str, str], timeout: float = 3600) -> Any:
    """Run `python -m <args>` in the project with `env` and return the JSON object it prints on
    its last line of stdout (its stderr goes to ours). Raises CalledProcessError if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.PIPE,
        check=True,
        timeout=timeout,
    )
    lines = done.stdout.decode().strip().splitlines()
    if not lines:
        raise BenchError(f"{' '.join(args)} printed nothing")
    return json.loads(lines[-1])


def django_setup() -> None:
    """Set Django up in a measuring child (its environment comes from `torget_env`)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class PostgresDatabase:
    """A fresh, empty PostgreSQL database on 127.0.0.1:5432 (user postgres, trust auth), with a
    random name; dropped on exit (connections to it closed by force), even after a failure.

    `url` is what TORGET_DATABASE_URL takes.
    """

    ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

    def __init__(self, prefix: str = "torget_bench"):
        self.name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
        self.url = f"postgres://postgres@127.0.0.1:5432/{self.name}"
        self.created = False

    def _execute(self, statement: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.ADMIN, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(self.name)))

    def __enter__(self) -> Self:
        try:
            self._execute("CREATE DATABASE {}")
        except Exception as exc:  # any failure to reach PostgreSQL is reported the same
            raise BenchError(
                f"cannot create a PostgreSQL database on 127.0.0.1:5432: {exc}"
            ) from exc
        self.created = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.created:
            self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            self.created = False


class TorgetServer:
    """Torget as `make run` serves it (DEBUG off, worker on), on a free port and a fresh database.

    TORGET_VAR_DIR points at a temporary folder, so the SQLite database, the secret key and the
    collected static files never touch the developer's `var/`. `demo_args` are extra arguments
    for `manage.py demo` (e.g. `["--residents", "1000"]`).
    """

    def __init__(self, *, demo_args: list[str] | None = None, env: Mapping[str, str] | None = None):
        self.demo_args = demo_args or []
        self.extra_env = dict(env or {})
        self.port = 0
        self.var_dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    @property
    def pid(self) -> int:
        """The uvicorn process (serve runs uvicorn in its main process, the worker as a child)."""
        assert self.process is not None
        return self.process.pid

    def env(self) -> dict[str, str]:
        assert self.var_dir is not None
        return torget_env(self.var_dir, **self.extra_env)

    def command(self) -> list[str]:
        """How the server is started: as `make run` does. An experiment may override it."""
        return [sys.executable, "-m", "torget.core.serve", "--port", str(self.port)]

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(), check=True)

    def __enter__(self) -> Self:
        self.var_dir = Path(tempfile.mkdtemp(prefix="torget-bench-"))
        try:
            self.manage("migrate", "--noinput", "--verbosity", "0")
            self.manage("collectstatic", "--noinput", "--verbosity", "0")
            self.manage("demo", "--quiet", *self.demo_args)
            self.port = free_port()
            self.log_path = self.var_dir / "server.log"
            with self.log_path.open("wb") as log:
                self.process = subprocess.Popen(
                    self.command(),
                    cwd=ROOT,
                    env=self.env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            # /healthz is 200 only once the database answers and the worker has beaten.
            wait_until_ready(self.port, "/healthz", timeout=90, process=self.process)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.process is not None:
                # Remember the worker first: if serve has to be killed, it cannot stop it.
                children = _children(self.process.pid) if self.process.poll() is None else []
                # SIGINT is Ctrl+C, what `make run` expects: uvicorn exits, serve stops the worker.
                _stop(self.process, sig=signal.SIGINT, wait=20)
                for child in children:
                    _kill_if_alive(child)
                if exc is not None:
                    tail = self.log_tail()
                    if tail:
                        print(f"--- Torget server log (last lines) ---\n{tail}", file=sys.stderr)
        finally:
            if self.var_dir is not None:
                shutil.rmtree(self.var_dir, ignore_errors=True)


# --- nginx ----------------------------------------------------------------------------------


NGINX_CONF = """\
{user}
daemon off;
master_process on;
worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name _;
        root {root};
        location / {{
            # A path ending in / is served from <path>/index.html, as a static site would be.
            try_files $uri $uri/index.html =404;
        }}
    }}
}}
"""


class Nginx:
    """Debian's nginx serving `files` ({url path: bytes}) as static files on a free port.

    A path ending in "/" is stored as index.html in that folder. It is the baseline "what a
    static server on this machine does with the very same bytes".
    """

    def __init__(self, files: Mapping[str, bytes]):
        self.files = dict(files)
        self.port = 0
        self.tmp: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        ensure_tool(NGINX, "nginx-light")
        self.tmp = Path(tempfile.mkdtemp(prefix="torget-bench-nginx-"))
        try:
            root = self.tmp / "www"
            for url_path, body in self.files.items():
                relative = url_path.lstrip("/")
                if relative == "" or relative.endswith("/"):
                    relative += "index.html"
                target = root / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
            self.port = free_port()
            # As root the workers would otherwise run as nobody and not read our 0700 temp dir.
            user = "user root;" if os.geteuid() == 0 else ""
            conf = self.tmp / "nginx.conf"
            conf.write_text(NGINX_CONF.format(user=user, tmp=self.tmp, port=self.port, root=root))
            self.process = subprocess.Popen(
                [NGINX, "-c", str(conf), "-p", str(self.tmp), "-e", str(self.tmp / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            first = next(iter(self.files), "/")
            wait_until_ready(self.port, first, timeout=20, process=self.process)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.process is not None:
                # SIGQUIT is nginx's graceful stop; the master takes its workers with it.
                children = _children(self.process.pid) if self.process.poll() is None else []
                _stop(self.process, sig=signal.SIGQUIT, wait=10)
                for child in children:
                    _kill_if_alive(child)
        finally:
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)


# --- wrk ------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int
    output: str
    # Of socket_errors: requests wrk gave up on after its --timeout (a slow server, not a
    # broken connection).
    timeouts: int = 0


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _latency_ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    if match is None:
        raise BenchError(f"wrk printed no {percentile}% latency:\n{output}")
    return round(float(match.group(1)) * _UNITS_MS[match.group(2)], 3)


def parse_wrk(output: str) -> WrkResult:
    """Read requests/s, p50, p99, request count and error counts from `wrk --latency` output."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if rps is None or total is None:
        raise BenchError(f"could not read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        rps=round(float(rps.group(1)), 1),
        p50_ms=_latency_ms(output, "50"),
        p99_ms=_latency_ms(output, "99"),
        requests=int(total.group(1)),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        output=output,
        timeouts=int(sockets.group(4)) if sockets else 0,
    )


def run_wrk(
    port: int,
    path: str,
    *,
    duration: int,
    threads: int = 2,
    connections: int = 64,
    host: str = "localhost",
    headers: Sequence[str] = (),
) -> WrkResult:
    """Load 127.0.0.1:port/path with wrk for `duration` seconds and return what it measured.

    `headers` are extra request headers ("Name: value"), e.g. a Cookie of a logged-in visitor.
    """
    ensure_tool(WRK, "wrk")
    extra = [arg for header in headers for arg in ("-H", header)]
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        f"Host: {host}",
        *extra,
        f"http://{HOST}:{port}{path}",
    ]
    # A session cookie is a secret even on a throwaway database: not printed.
    shown = [("Cookie: …" if arg.lower().startswith("cookie:") else arg) for arg in command]
    print(f"  {' '.join(shown)}", file=sys.stderr, flush=True)
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=duration + 60
    )
    return parse_wrk(done.stdout)

"""An alert by e-mail to 100,000 subscribers, delivered to Postfix's `smtp-sink`, against
Postfix's own `smtp-source` sending as many messages of the same size to the same sink.

The data (deterministic, in a fresh SQLite database in a temporary folder, as `make run` keeps
it): a municipality with 1,000,000 addresses spread over 20 × 20 km around Oslo (EPSG:25833),
an alert whose drawn area (a hexagon of about 33 km²) holds 100,000 e-mail subscribers at
addresses inside it, plus 20,000 subscribers at addresses in the area's surroundings (inside
the bounding box the database narrows by, so that the exact test has work to do) and 5,000 far
away. BENCH_ALERT_ADDRESSES and BENCH_ALERT_SUBSCRIBERS scale it down for a quick try.

Measured, each in a process of its own:
- resolve: `targeting.recipients_for(alert)`, the list of recipients (asserted: 100,000);
- enqueue: `alert_send(alert=..., actor=<a communicator of the unit>)`, which resolves the
  recipients again and writes one Delivery row each, in one transaction;
- delivery: `manage.py deliver --medium email --drain` with the SMTP provider pointed at
  `smtp-sink` on 127.0.0.1 (TORGET_ALERT_SMTP_RATE=0: no politeness limit, this measures what
  the worker can do), from its start to its exit once nothing is queued or claimed; the rate
  is delivered rows ÷ that wall time (Django's start included). Asserted: every row delivered.
- baseline: `smtp-source -d -s 1 -m <same count> -F <one of our rendered messages>` to the
  same sink: one connection, one message after the other, the same bytes per message. Its
  rate is count ÷ its wall time. `ratio.rate` = ours ÷ smtp-source's (target ≥ 0.1).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    BenchError,
    django_setup,
    free_port,
    machine,
    ratio_of,
    run_child,
    torget_env,
    write_result,
)

NAME = "alert-email"
SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"
FULL_ADDRESSES = 1_000_000
FULL_SUBSCRIBERS = 100_000
# Subscribers in the surroundings (inside the bounding box) and far away, per 100,000 inside.
AROUND_SHARE = 0.2
FAR_SHARE = 0.05
CENTRE = (597_000.0, 6_643_000.0)  # Oslo, EPSG:25833
HALF_SIDE = 10_000.0
RADIUS = 3_600.0  # of the hexagon's corners
SEED = 20_261_127
WORKER_ID = "bench-deliver"
TARGETS = {"rate": ">= 0.1"}


def sizes() -> tuple[int, int]:
    addresses = int(os.environ.get("BENCH_ALERT_ADDRESSES", "").strip() or FULL_ADDRESSES)
    subscribers = int(os.environ.get("BENCH_ALERT_SUBSCRIBERS", "").strip() or FULL_SUBSCRIBERS)
    if subscribers < 100 or addresses < subscribers // 4:
        raise BenchError("BENCH_ALERT_SUBSCRIBERS >= 100 and enough BENCH_ALERT_ADDRESSES")
    return addresses, subscribers


# --- in the measuring children --------------------------------------------------------------------


def _hexagon() -> list[tuple[float, float]]:
    """The alert's area in EPSG:25833: a slightly irregular hexagon around the centre."""
    import math

    cx, cy = CENTRE
    corners = []
    for i, stretch in enumerate((1.0, 0.85, 1.1, 0.95, 1.05, 0.9)):
        angle = math.pi / 3 * i + 0.2
        corners.append(
            (cx + RADIUS * stretch * math.cos(angle), cy + RADIUS * stretch * math.sin(angle))
        )
    return corners


def seed(addresses: int, subscribers: int) -> dict[str, Any]:
    """Fill the database: municipality, unit, communicator, addresses, subscriptions, alert."""
    import numpy as np
    import shapely
    from django.db import connection, transaction
    from django.utils import timezone
    from pyproj import Transformer

    from tests.factories import municipality_make, unit_make
    from torget.accounts.models import User
    from torget.alerts import geo
    from torget.alerts.models import ALL_TOPICS, Address, Alert, Medium, Subscription, Topic
    from torget.organisation import services as org
    from torget.organisation.models import Role

    rng = np.random.default_rng(SEED)
    municipality = municipality_make(
        number="9990", name="Benchvik kommune", hostnames=("bench.localhost",)
    )
    unit = unit_make(municipality, slug="vann", name="Vann og avløp", kind="other")
    actor = User.objects.create_user("varsler@bench.localhost", "Et-godt-passord-2026")
    org.membership_grant(user=actor, unit=unit, role=Role.COMMUNICATOR)

    to_wgs = Transformer.from_crs("EPSG:25833", "EPSG:4326", always_xy=True)
    xs = rng.uniform(CENTRE[0] - HALF_SIDE, CENTRE[0] + HALF_SIDE, addresses)
    ys = rng.uniform(CENTRE[1] - HALF_SIDE, CENTRE[1] + HALF_SIDE, addresses)
    lons, lats = to_wgs.transform(xs, ys)
    streets = [f"Benchgata {i}" for i in range(2000)]
    table = Address._meta.db_table
    columns = (
        "municipality_id, external_id, street, number, postcode, place, search_key, x, y, lat, lon"
    )
    insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 11)})"
    began = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        chunk = 50_000
        for start in range(0, addresses, chunk):
            rows = []
            for i in range(start, min(addresses, start + chunk)):
                street = streets[i % len(streets)]
                number = str(i // len(streets) + 1)
                rows.append(
                    (
                        municipality.pk,
                        f"A{i}",
                        street,
                        number,
                        "0150",
                        "Benchvik",
                        f"{street} {number}".lower(),
                        float(xs[i]),
                        float(ys[i]),
                        float(lats[i]),
                        float(lons[i]),
                    )
                )
            cursor.executemany(insert, rows)
    address_seconds = time.monotonic() - began

    corners = _hexagon()
    area = {
        "type": "Polygon",
        "coordinates": [[list(geo.to_wgs84(x, y)) for x, y in [*corners, corners[0]]]],
    }
    shape = geo.area_shape(area)
    inside = shapely.contains_xy(shape, xs, ys)
    minx, miny, maxx, maxy = shape.bounds
    in_box = (xs >= minx) & (xs <= maxx) & (ys >= miny) & (ys <= maxy)
    # Points strictly outside the area (away from its border, so that rounding cannot move them
    # in): surroundings inside the bounding box, and far away.
    near = shapely.dwithin(shape, shapely.points(xs, ys), 1.0)
    around = np.flatnonzero(in_box & ~near)
    far = np.flatnonzero(~in_box & (np.abs(xs - CENTRE[0]) > 8_000))
    inside_ids = np.flatnonzero(
        inside & ~shapely.dwithin(shape.boundary, shapely.points(xs, ys), 1.0)
    )
    address_pks = list(
        Address.objects.filter(municipality=municipality)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(address_pks) != addresses:
        raise BenchError(f"{len(address_pks)} addresses stored of {addresses}")
    picks = [
        ("inside", rng.choice(inside_ids, subscribers)),
        ("around", rng.choice(around, int(subscribers * AROUND_SHARE))),
        ("far", rng.choice(far, int(subscribers * FAR_SHARE))),
    ]
    now = timezone.now()
    subscriptions = []
    for kind, chosen in picks:
        for n, index in enumerate(chosen):
            subscriptions.append(
                Subscription(
                    municipality=municipality,
                    medium=Medium.EMAIL,
                    destination=f"{kind}{n}@innbygger.example.no",
                    address_id=address_pks[int(index)],
                    x=float(xs[index]),
                    y=float(ys[index]),
                    lat=float(lats[index]),
                    lon=float(lons[index]),
                    topics=ALL_TOPICS,
                    status=Subscription.Status.ACTIVE,
                    source=Subscription.Source.IMPORT,
                    token=secrets.token_urlsafe(24),
                    confirmed_at=now,
                )
            )
    Subscription.objects.bulk_create(subscriptions, batch_size=5000)
    alert = Alert.objects.create(
        municipality=municipality,
        unit=unit,
        topic=Topic.WATER,
        severity="Severe",
        title="Vannlekkasje: vannet er stengt på Østsida",
        text=(
            "Et hovedrør er sprukket. Vannet er stengt i området til kl. 18 i dag. "
            "Vannbil står ved Østsida skole. Kok vannet i 3 minutter før bruk når det kommer "
            "tilbake."
        ),
        area=area,
        area_source=Alert.AreaSource.DRAWN,
        by_sms=False,
        by_email=True,
        contact_phone="22 11 22 33",
        contact_url="https://bench.localhost/vann",
        onset=now,
        created_by=actor,
    )
    return {
        "alert": alert.pk,
        "actor": actor.email,
        "addresses": addresses,
        "addresses_inside": int(inside.sum()),
        "subscriptions": {kind: len(chosen) for kind, chosen in picks},
        "address_insert_seconds": round(address_seconds, 1),
    }


def enqueue(alert_pk: int, actor_email: str) -> dict[str, Any]:
    """Time the recipient resolution alone, then alert_send (resolve + one row each)."""
    from torget.accounts.models import User
    from torget.alerts import targeting
    from torget.alerts.models import Alert, Delivery
    from torget.alerts.services.alerts import alert_send

    alert = Alert.objects.select_related("municipality").get(pk=alert_pk)
    actor = User.objects.get(email=actor_email)
    began = time.perf_counter()
    recipients = targeting.recipients_for(alert)
    resolve = time.perf_counter() - began
    began = time.perf_counter()
    alert_send(alert=alert, actor=actor)
    send = time.perf_counter() - began
    return {
        "recipients": len(recipients),
        "recipients_outside": sum(1 for r in recipients if not r.destination.startswith("inside")),
        "resolve_seconds": round(resolve, 3),
        "alert_send_seconds": round(send, 3),
        "deliveries": Delivery.objects.filter(alert=alert).count(),
    }


def sample(alert_pk: int) -> dict[str, Any]:
    """One of the alert's messages exactly as the SMTP provider writes it after DATA (headers
    and body, CRLF line ends, dot-stuffed), for smtp-source -F."""
    from torget.alerts.messages import AlertMessages
    from torget.alerts.models import Alert, Delivery
    from torget.alerts.providers.smtp import SmtpProvider

    alert = Alert.objects.select_related("municipality", "unit").get(pk=alert_pk)
    delivery = Delivery.objects.filter(alert=alert).select_related("subscription").first()
    if delivery is None or delivery.subscription is None:
        raise BenchError("no delivery to render")
    provider = SmtpProvider(host="127.0.0.1", port=25)
    provider._eightbit = True  # smtp-sink announces 8BITMIME, so the worker sends 8bit
    message = AlertMessages(alert).outgoing(delivery, delivery.subscription.token)
    wire = provider.render(message)
    return {"message": wire.decode("utf-8"), "bytes": len(wire)}


def inspect(alert_pk: int) -> dict[str, Any]:
    """The alert's deliveries: counts by status, and each row's id (for matching the sink)."""
    from torget.alerts.delivery import delivery_counts
    from torget.alerts.models import Alert, Delivery

    alert = Alert.objects.get(pk=alert_pk)
    rows = Delivery.objects.filter(alert=alert)
    times = (
        rows.exclude(delivered_at=None)
        .order_by("delivered_at")
        .values_list("delivered_at", flat=True)
    )
    first, last = times.first(), times.last()
    return {
        "counts": delivery_counts(alert),
        "identifier": str(alert.identifier),
        "ids": list(rows.order_by("pk").values_list("pk", flat=True)),
        "attempts_over_one": rows.filter(attempts__gt=1).count(),
        "first_to_last_delivered_seconds": (
            round((last - first).total_seconds(), 3) if first and last else None
        ),
    }


def _child(argv: list[str]) -> None:
    django_setup()
    command, *args = argv
    if command == "seed":
        result = seed(int(args[0]), int(args[1]))
    elif command == "enqueue":
        result = enqueue(int(args[0]), args[1])
    elif command == "sample":
        result = sample(int(args[0]))
    elif command == "inspect":
        result = inspect(int(args[0]))
    else:
        raise SystemExit(f"unknown command {argv!r}")
    print(json.dumps(result))


# --- in the parent ----------------------------------------------------------------------------


def ensure_postfix_tools() -> None:
    """smtp-sink and smtp-source come with Debian's postfix package. Installed here (as root)
    without configuring Postfix, whose own daemon is never started."""
    if Path(SMTP_SINK).exists() and Path(SMTP_SOURCE).exists():
        return
    if os.geteuid() != 0:
        raise BenchError("smtp-sink/smtp-source missing: run 'sudo apt-get install postfix'")
    subprocess.run(
        ["debconf-set-selections"],
        input=b"postfix postfix/main_mailer_type select No configuration\n",
        check=True,
    )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "postfix"], check=True, env=env)


class SmtpSink:
    """Postfix's smtp-sink on a free port of 127.0.0.1; with `dump`, every accepted message is
    appended to that file (to count Message-IDs afterwards). Stopped on exit."""

    def __init__(self, dump: Path | None = None) -> None:
        self.dump = dump
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SmtpSink:
        ensure_postfix_tools()
        self.port = free_port()
        command = [SMTP_SINK]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]
        if self.dump is not None:
            command += ["-D", str(self.dump)]
        command += [f"127.0.0.1:{self.port}", "1000"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        import socket

        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe,
            ):
                if probe.recv(3) == b"220":
                    return self
            time.sleep(0.05)
        self.__exit__(None, None, None)
        raise BenchError("smtp-sink did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def deliver_command() -> list[str]:
    return [sys.executable, "manage.py", "deliver", "--medium", "email", "--drain"]


def deliver_env(env: dict[str, str], port: int) -> dict[str, str]:
    return {
        **env,
        "TORGET_ALERT_EMAIL_PROVIDER": "smtp",
        "TORGET_ALERT_SMTP_HOST": "127.0.0.1",
        "TORGET_ALERT_SMTP_PORT": str(port),
        "TORGET_ALERT_SMTP_RATE": "0",
        "TORGET_WORKER_ID": WORKER_ID,
    }


def smtp_source(port: int, count: int, message: Path) -> float:
    """Seconds smtp-source takes to send `count` copies of `message` over one connection."""
    began = time.monotonic()
    subprocess.run(
        [
            SMTP_SOURCE,
            "-d",
            "-s",
            "1",
            "-m",
            str(count),
            "-F",
            str(message),
            "-f",
            "noreply@bench.localhost",
            "-t",
            "innbygger@example.no",
            f"127.0.0.1:{port}",
        ],
        check=True,
        timeout=3600,
    )
    return time.monotonic() - began


@contextlib.contextmanager
def prepared() -> Iterator[tuple[dict[str, str], Path, dict[str, Any], dict[str, Any], Path]]:
    """A fresh database with the data and the alert sent (its rows queued): the environment,
    the temporary folder, what seeding and enqueueing reported, and one message's bytes."""
    addresses, subscribers = sizes()
    base = Path(tempfile.mkdtemp(prefix="torget-bench-alert-"))
    try:
        env = torget_env(base, TORGET_LOG_FORMAT="text")
        began = time.monotonic()
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        seeded = run_child(["bench.alert_email", "seed", str(addresses), str(subscribers)], env=env)
        seeded["generation_seconds"] = round(time.monotonic() - began, 1)
        print(f"  data ready in {seeded['generation_seconds']} s", file=sys.stderr, flush=True)
        queued = run_child(
            ["bench.alert_email", "enqueue", str(seeded["alert"]), seeded["actor"]], env=env
        )
        if queued["recipients"] != subscribers or queued["recipients_outside"]:
            raise BenchError(f"targeting found {queued}, expected {subscribers} inside only")
        if queued["deliveries"] != subscribers:
            raise BenchError(f"{queued['deliveries']} delivery rows for {subscribers} recipients")
        sampled = run_child(["bench.alert_email", "sample", str(seeded["alert"])], env=env)
        message = base / "message.eml"
        # smtp-source -F adds the CRLF itself and dot-stuffs: give it plain lines.
        lines = sampled["message"].split("\r\n")[:-1]
        message.write_text(
            "\n".join(line[1:] if line.startswith("..") else line for line in lines) + "\n"
        )
        seeded["message_bytes"] = sampled["bytes"]
        yield env, base, seeded, queued, message
    finally:
        shutil.rmtree(base, ignore_errors=True)


def run() -> dict[str, Any]:
    host = machine()
    with prepared() as (env, _base, seeded, queued, message), SmtpSink() as sink:
        count = queued["deliveries"]
        print(f"  delivering {count} e-mails to smtp-sink", file=sys.stderr, flush=True)
        began = time.monotonic()
        subprocess.run(deliver_command(), cwd=ROOT, env=deliver_env(env, sink.port), check=True)
        ours_seconds = time.monotonic() - began
        found = run_child(["bench.alert_email", "inspect", str(seeded["alert"])], env=env)
        print("  smtp-source, the same count and size", file=sys.stderr, flush=True)
        source_seconds = smtp_source(sink.port, count, message)
    delivered = found["counts"]["delivered"]
    if delivered != count:
        raise BenchError(f"only {delivered} of {count} delivered: {found['counts']}")
    ours_rate = round(delivered / ours_seconds, 1)
    source_rate = round(count / source_seconds, 1)
    return write_result(
        NAME,
        figures={
            "recipients": queued["recipients"],
            "resolve_seconds": queued["resolve_seconds"],
            "enqueue_seconds": queued["alert_send_seconds"],
            "delivered": delivered,
            "deliver_seconds": round(ours_seconds, 2),
            "rate_per_second": ours_rate,
            "first_to_last_delivered_seconds": found["first_to_last_delivered_seconds"],
            "retried": found["attempts_over_one"],
            "counts": found["counts"],
            "message_bytes": seeded["message_bytes"],
        },
        baseline={
            "tool": "smtp-source (Postfix)",
            "messages": count,
            "seconds": round(source_seconds, 2),
            "rate_per_second": source_rate,
        },
        ratio={"rate": ratio_of(ours_rate, source_rate)},
        extra={
            "targets": TARGETS,
            "setup": {
                "data": (
                    f"{seeded['addresses']} addresses ({seeded['addresses_inside']} inside the "
                    f"area), subscriptions {seeded['subscriptions']} (inside / in the bounding "
                    "box around it / far away), all by e-mail; generated in "
                    f"{seeded['generation_seconds']} s"
                ),
                "database": "SQLite in a temporary folder (WAL), as make run keeps it",
                "resolve": "targeting.recipients_for(alert), in its own process",
                "enqueue": (
                    "alert_send(alert, actor): resolves again and bulk-creates one Delivery "
                    "row per recipient in one transaction"
                ),
                "ours": (
                    "manage.py deliver --medium email --drain (SMTP provider, one connection, "
                    "PIPELINING, batches of 200, TORGET_ALERT_SMTP_RATE=0), wall time from "
                    "start to exit including Django's start"
                ),
                "baseline": (
                    f"smtp-source -d -s 1 -m {count} -F <one of our messages, "
                    f"{seeded['message_bytes']} bytes> to the same smtp-sink, wall time"
                ),
                "sink": "smtp-sink -u nobody 127.0.0.1:<port> 1000 (Debian's postfix package)",
                "machine": host,
            },
        },
    )


if __name__ == "__main__":
    _child(sys.argv[1:])

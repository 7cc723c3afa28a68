"""The durable delivery engine: every alert message reaches its recipient once, even when the
worker that sends it is killed at any moment.

The rows
--------
`alert_send` writes one `Delivery` row per recipient and medium (status `queued`) in the same
transaction as the alert: the row is the promise. A row moves

    queued → claimed → sent → delivered            (SMS: `sent` until the receipt comes)
    queued → claimed → delivered                   (e-mail: accepted by the server is final)
    queued → claimed → queued (temporary error, `next_attempt_at` later) → ... → failed
    queued → claimed → failed (permanent error, or too many temporary ones; `error` says why)

Claiming
--------
A worker has an identity (`TORGET_WORKER_ID`, default the host name + "-1"). It claims a batch
by compare-and-set: it reads the ids of due queued rows (on PostgreSQL `SELECT ... FOR UPDATE
SKIP LOCKED`, so that workers do not queue behind each other's candidates), then
`UPDATE ... SET status='claimed', claimed_by=<me>, claimed_until=<now + lease> WHERE
status='queued' AND id IN (...)`. Only the rows that update were won; two workers never win
the same row. On SQLite, where a write transaction takes the database lock, the two steps are
one IMMEDIATE transaction and the compare-and-set is what makes it correct everywhere else.

The journal: exactly once across SIGKILL
----------------------------------------
Between the moment a provider accepts a message (the SMTP end-of-data dot written, the SMPP
`submit_sm` written) and the moment the database records it, a worker can die. Were the record
a database commit, that window would be milliseconds wide and a restarted worker would send
every message in it again. So each worker keeps an append-only journal,
`var/delivery/<worker id>.journal`, opened with O_APPEND. The provider calls `handed(id)` at
the instant of handing over, and the engine appends `H <id>` with a single `os.write`: the
bytes are in the kernel once the call returns, and a SIGKILL of the process cannot take them
back (the journal protects against a killed process, not against a lost machine: it is not
fsynced). The window that remains is the few microseconds between the provider's write to the
socket and the write to the journal. When the provider returns, the outcomes are appended too
(`R <id> <result> ...`, one write), then written to the database in one batch, and only then
is the journal emptied.

On start, before claiming anything, a worker
1. replays its own journal: every id with an outcome gets that outcome; every id handed over
   without one is recorded as handed (`delivered` for e-mail, `sent` for SMS: its receipt
   follows), and is never sent again;
2. requeues its own rows still `claimed`: they were never handed over, so sending them is safe;
3. then works.
A second process with the same identity is refused (an exclusive `flock` on the journal, which
the kernel releases when the holder dies).

The lease, the heartbeat and the sweep
--------------------------------------
Every claim carries a lease, `claimed_until = now + ALERT_DELIVERY_LEASE_SECONDS` (120 s). The
worker's heartbeat renews the leases of all its claimed rows every WORKER_HEARTBEAT_SECONDS
(10 s), so a live worker's leases never run out, even in a long batch. A lease that has run out
therefore means that its worker has missed a dozen beats: it is dead, or cut off. Another worker
then sweeps such rows back to `queued`. That is safe only for a worker that will not come back
with its journal: a row it handed over just before dying, but had not yet recorded, would be
sent again (at most its last unrecorded batch). The normal case — a worker that crashed and is
restarted under the same identity on the same disk — never needs the sweep: it replays its own
journal at start, well within the lease. Run the sweep only for workers that are gone for good
(a lost machine), which is what the lease length is for.

Rate limits
-----------
Each provider has a token bucket (`rate_per_second`, a burst of one second's worth); the
engine takes one token per message before handing a batch over.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from torget.alerts.models import Alert, Delivery, Medium
from torget.alerts.providers.base import Outcome, Outgoing, Provider, Result

logger = logging.getLogger("torget.alerts.delivery")

Status = Delivery.Status

# What a message handed over without a reply we could read becomes on replay: an e-mail the
# server took is final, an SMS waits for its receipt.
HANDED_STATUS = {Medium.EMAIL.value: Status.DELIVERED, Medium.SMS.value: Status.SENT}
# The fields a claimed row is loaded with (see `claim`), and its subscription's token.
CLAIM_FIELDS = (
    "id",
    "alert_id",
    "medium",
    "destination",
    "language",
    "attempts",
    "status",
)
# The longest error text a row keeps (the column's length).
ERROR_LENGTH = 300


class WorkerAlreadyRunning(RuntimeError):
    """Another live process holds this worker identity's journal."""


class JournalError(RuntimeError):
    """The journal could not be written: the worker must stop rather than send blind."""


def delivery_counts(alert: Alert) -> dict[str, int]:
    """How many of `alert`'s deliveries are in each status (every status present, 0 if none).

    One grouped query on the (alert, status) index: cheap enough to poll for a progress bar.
    """
    counts = dict.fromkeys(Status.values, 0)
    rows = Delivery.objects.filter(alert=alert).values_list("status").annotate(n=Count("id"))
    for status, n in rows.order_by():
        counts[status] = n
    return counts


def _handed_result(medium: str) -> Result:
    """The outcome of a message known to be handed over whose reply was never read."""
    return Result.DELIVERED if HANDED_STATUS.get(medium) == Status.DELIVERED else Result.SENT


def worker_id_default() -> str:
    return str(settings.ALERT_WORKER_ID)


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> datetime.timedelta:
    """How long to wait after the `attempts`-th failed try: exponential (base × 2^(n-1)), capped,
    with "equal jitter" (half fixed, half random) so that a burst of failures does not come
    back as a burst."""
    base = float(settings.ALERT_RETRY_BASE_SECONDS)
    cap = float(settings.ALERT_RETRY_MAX_SECONDS)
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    jitter = (rng or random).uniform(0, delay / 2)
    return datetime.timedelta(seconds=delay / 2 + jitter)


# --- rate limit -------------------------------------------------------------------------------


class TokenBucket:
    """A token bucket: `rate` tokens a second, at most `capacity` saved up (default one
    second's worth). `take(n)` blocks until n tokens were taken; a rate of 0 or less means no
    limit. The clock and the sleep are injectable so that tests count instead of waiting."""

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(1.0, self.rate))
        self.clock = clock
        self.sleep = sleep
        self.tokens = self.capacity
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, n: int = 1) -> float:
        """Take `n` tokens, waiting as needed; return the seconds waited."""
        if self.rate <= 0:
            return 0.0
        waited = 0.0
        remaining = float(n)
        while remaining > 0:
            portion = min(remaining, self.capacity)
            self._refill()
            if self.tokens < portion:
                pause = (portion - self.tokens) / self.rate
                self.sleep(pause)
                waited += pause
                self._refill()
                # A clock that advanced less than asked (or not at all) still lets us go on:
                # the sleep was the wait.
                self.tokens = max(self.tokens, portion)
            self.tokens -= portion
            remaining -= portion
        return waited


# --- the journal ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalEntry:
    delivery_id: int
    provider: str
    # None: handed over, no outcome recorded before the worker stopped.
    outcome: Outcome | None


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


class Journal:
    """The worker's append-only record of what it handed over (see the module docstring).

    Lines: `H\\t<id>\\t<provider>` when a message is handed over, and
    `R\\t<id>\\t<provider>\\t<result>\\t<provider id>\\t<error>` for its outcome.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self.fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise WorkerAlreadyRunning(f"another worker holds {path}") from exc
            raise

    def handed(self, delivery_id: int, provider: str) -> None:
        # One write of one short line: appended whole, and kept if the process dies after it.
        try:
            os.write(self.fd, b"H\t%d\t%s\n" % (delivery_id, provider.encode()))
        except OSError as exc:
            raise JournalError(f"cannot write the delivery journal {self.path}: {exc}") from exc

    def outcomes(self, provider: str, outcomes: Iterable[Outcome]) -> None:
        lines = [
            "\t".join(
                (
                    "R",
                    str(o.delivery_id),
                    provider,
                    o.result.value,
                    _clean(o.provider_id),
                    _clean(o.error)[:ERROR_LENGTH],
                )
            )
            + "\n"
            for o in outcomes
        ]
        if lines:
            os.write(self.fd, "".join(lines).encode())

    def read(self) -> list[JournalEntry]:
        """The last word on each id in the journal, in the order the ids first appear. A last
        line cut short (no newline) is ignored."""
        with open(self.path, "rb") as handle:
            data = handle.read()
        found: dict[int, JournalEntry] = {}
        for raw in data.split(b"\n")[:-1]:
            fields = raw.decode("utf-8", "replace").split("\t")
            try:
                delivery_id = int(fields[1])
                if fields[0] == "H" and len(fields) == 3:
                    if delivery_id not in found:
                        found[delivery_id] = JournalEntry(delivery_id, fields[2], None)
                elif fields[0] == "R" and len(fields) == 6:
                    outcome = Outcome(delivery_id, Result(fields[3]), fields[4], fields[5])
                    found[delivery_id] = JournalEntry(delivery_id, fields[2], outcome)
            except (IndexError, ValueError):
                logger.warning("delivery journal %s: unreadable line %r", self.path, raw[:200])
        return list(found.values())

    def truncate(self) -> None:
        os.ftruncate(self.fd, 0)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


# --- the engine -------------------------------------------------------------------------------


Render = Callable[[Sequence[Delivery]], list[Outgoing]]


def _alert_messages_render(cache_size: int = 64) -> Render:
    """Build each message with the lead's `AlertMessages(alert).outgoing(delivery)`, one
    `AlertMessages` per alert, kept for the next batches (alerts do not change once sent)."""
    from torget.alerts.messages import AlertMessages

    cache: dict[int, Any] = {}

    def render(rows: Sequence[Delivery]) -> list[Outgoing]:
        missing = {row.alert_id for row in rows} - cache.keys()
        if missing:
            if len(cache) + len(missing) > cache_size:
                cache.clear()
            alerts = Alert.objects.select_related("municipality", "unit").in_bulk(missing)
            for alert_id, alert in alerts.items():
                cache[alert_id] = AlertMessages(alert)
        return [
            cache[row.alert_id].outgoing(row, getattr(row, "subscription_token", ""))
            for row in rows
        ]

    return render


def _provider_ids_write(outcomes: Sequence[Outcome], chunk: int = 500) -> None:
    """Set each row's provider id: one `UPDATE ... SET provider_id = CASE id WHEN ...` per
    chunk, written by hand because building the same CASE from ORM expressions costs more
    than sending the messages."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    column = connection.ops.quote_name("provider_id")
    key = connection.ops.quote_name("id")
    with connection.cursor() as cursor:
        for start in range(0, len(outcomes), chunk):
            part = outcomes[start : start + chunk]
            params: list[Any] = []
            for o in part:
                params += [o.delivery_id, o.provider_id[:100]]
            params += [o.delivery_id for o in part]
            whens = " ".join(["WHEN %s THEN %s"] * len(part))
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                f"UPDATE {table} SET {column} = CASE {key} {whens} ELSE {column} END "  # noqa: S608
                f"WHERE {key} IN ({marks})",
                params,
            )


@dataclass
class StartReport:
    replayed: int
    requeued: int


class DeliveryEngine:
    """Claims, sends and records deliveries for one worker identity.

    `providers` maps a medium ("email", "sms") to its provider; `render` turns claimed rows
    into messages (default: `AlertMessages`). Call `start()` once, then `run_once()` in a loop;
    `close()` at the end. Single-threaded, except `renew_leases()`, which a heartbeat thread
    may call (it only touches the database).
    """

    def __init__(
        self,
        *,
        providers: Mapping[str, Provider],
        worker_id: str | None = None,
        journal_dir: Path | None = None,
        render: Render | None = None,
        lease_seconds: float | None = None,
        max_attempts: int | None = None,
        buckets: Mapping[str, TokenBucket] | None = None,
    ) -> None:
        self.worker_id = worker_id or worker_id_default()
        self.providers = dict(providers)
        directory = journal_dir or Path(settings.VAR_DIR) / "delivery"
        self.journal = Journal(directory / f"{self.worker_id}.journal")
        self._render = render
        self.lease = datetime.timedelta(
            seconds=lease_seconds or settings.ALERT_DELIVERY_LEASE_SECONDS
        )
        self.max_attempts = max_attempts or int(settings.ALERT_DELIVERY_MAX_ATTEMPTS)
        self.buckets = dict(buckets or {})
        for medium, provider in self.providers.items():
            self.buckets.setdefault(medium, TokenBucket(provider.rate_per_second))
        self._receipts: Callable[..., int] | bool | None = False

    # --- start: replay and recover -----------------------------------------------------------

    def start(self) -> StartReport:
        """Replay the journal, then requeue this worker's rows that were claimed but never
        handed over. Call before the first `run_once()`."""
        replayed = self.replay()
        requeued = Delivery.objects.filter(claimed_by=self.worker_id, status=Status.CLAIMED).update(
            status=Status.QUEUED, claimed_by="", claimed_until=None
        )
        if replayed or requeued:
            logger.info(
                "delivery worker %s: replayed %d, requeued %d", self.worker_id, replayed, requeued
            )
        return StartReport(replayed=replayed, requeued=requeued)

    def replay(self) -> int:
        """Record what the journal says and empty it; return how many rows it changed."""
        entries = self.journal.read()
        if not entries:
            self.journal.truncate()
            return 0
        rows = {
            row.pk: row
            for row in Delivery.objects.filter(
                pk__in=[e.delivery_id for e in entries],
                claimed_by=self.worker_id,
                status=Status.CLAIMED,
            )
        }
        changed = 0
        without_reply = 0
        by_provider: dict[str, list[Outcome]] = {}
        for entry in entries:
            row = rows.get(entry.delivery_id)
            if row is None:
                continue  # recorded before the worker stopped (the journal outlived the flush)
            outcome = entry.outcome
            if outcome is None:
                outcome = Outcome(row.pk, _handed_result(row.medium))
                without_reply += 1
            by_provider.setdefault(entry.provider, []).append(outcome)
            changed += 1
        if without_reply:
            logger.warning(
                "delivery worker %s: %d messages were handed over before it stopped; recorded "
                "as handed over, not sent again",
                self.worker_id,
                without_reply,
            )
        for provider, outcomes in by_provider.items():
            self._record(provider, rows, outcomes)
        self.journal.truncate()
        return changed

    # --- claim, send, record ------------------------------------------------------------------

    def claim(self, medium: str, limit: int) -> list[Delivery]:
        """Claim up to `limit` due queued rows of `medium` for this worker (compare-and-set)."""
        now = timezone.now()
        with transaction.atomic():
            candidates = Delivery.objects.filter(
                status=Status.QUEUED,
                medium=medium,
                next_attempt_at__lte=now,
                # The (status, medium, next_attempt_at) index gives this order without sorting (a
                # tie-break on id would sort every due row for each batch).
            ).order_by("next_attempt_at")
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True)
            ids = list(candidates.values_list("id", flat=True)[:limit])
            if not ids:
                return []
            Delivery.objects.filter(id__in=ids, status=Status.QUEUED).update(
                status=Status.CLAIMED, claimed_by=self.worker_id, claimed_until=now + self.lease
            )
        # Only what a message is built from and what recording needs: a batch is loaded for
        # every 200 messages, and whole subscription rows would cost more than the sending.
        return list(
            Delivery.objects.filter(id__in=ids, status=Status.CLAIMED, claimed_by=self.worker_id)
            .only(*CLAIM_FIELDS)
            .annotate(subscription_token=Coalesce(F("subscription__token"), Value("")))
        )

    def render(self, rows: Sequence[Delivery]) -> list[Outgoing]:
        if self._render is None:
            self._render = _alert_messages_render()
        return self._render(rows)

    def run_once(self) -> int:
        """One batch per medium: claim, send, record. Returns how many rows were handled."""
        handled = 0
        for medium, provider in self.providers.items():
            rows = self.claim(medium, provider.batch_size)
            if rows:
                self.send(provider, rows)
                handled += len(rows)
        return handled

    def send(self, provider: Provider, rows: Sequence[Delivery]) -> None:
        """Hand `rows` to `provider` (rate-limited), journal and record the outcomes."""
        by_id = {row.pk: row for row in rows}
        try:
            messages = self.render(rows)
        except Exception as exc:
            logger.exception("delivery: building messages failed")
            self._record(
                provider.name,
                by_id,
                [
                    Outcome(row.pk, Result.TEMPORARY, error=f"building the message: {exc}")
                    for row in rows
                ],
            )
            return
        self.buckets[provider.medium].take(len(messages))
        journal = self.journal
        name = provider.name

        handed_ids: set[int] = set()

        def handed(delivery_id: int) -> None:
            journal.handed(delivery_id, name)
            handed_ids.add(delivery_id)

        try:
            outcomes = provider.send(messages, handed)
        except JournalError:
            raise
        except Exception as exc:
            logger.exception("delivery: provider %s failed", name)
            # Whatever it handed over before failing is in the journal: replay records it, and
            # the rest go back to the queue as a temporary failure.
            outcomes = [
                Outcome(m.delivery_id, Result.TEMPORARY, error=f"{name}: {exc}")
                for m in messages
                if m.delivery_id not in handed_ids
            ]
            self.journal.outcomes(name, outcomes)
            self.replay()
            return
        returned = {o.delivery_id for o in outcomes}
        for message in messages:
            if message.delivery_id in returned:
                continue
            # A provider that forgot a message: handed over or not, as the journal says.
            if message.delivery_id in handed_ids:
                outcomes.append(Outcome(message.delivery_id, _handed_result(provider.medium)))
            else:
                outcomes.append(
                    Outcome(message.delivery_id, Result.TEMPORARY, error=f"{name}: no outcome")
                )
        journal.outcomes(name, outcomes)
        self._record(name, by_id, outcomes)
        journal.truncate()

    def _record(
        self, provider: str, rows: Mapping[int, Delivery], outcomes: Sequence[Outcome]
    ) -> None:
        """Write `outcomes` to the database in one transaction, a few statements for a batch."""
        now = timezone.now()
        accepted: dict[Result, list[Outcome]] = {Result.SENT: [], Result.DELIVERED: []}
        for_retry: list[Delivery] = []
        failed: list[Delivery] = []
        for outcome in outcomes:
            row = rows.get(outcome.delivery_id)
            if row is None:
                continue
            if outcome.result in accepted:
                accepted[outcome.result].append(outcome)
                continue
            row.attempts += 1
            row.claimed_by, row.claimed_until, row.provider = "", None, provider
            if outcome.result is Result.TEMPORARY and row.attempts < self.max_attempts:
                row.status = Status.QUEUED
                row.next_attempt_at = now + retry_delay(row.attempts)
                row.error = outcome.error[:ERROR_LENGTH]
                for_retry.append(row)
            else:
                row.status = Status.FAILED
                reason = outcome.error or outcome.result.value
                if outcome.result is Result.TEMPORARY:
                    reason = f"gave up after {row.attempts} attempts: {reason}"
                row.error = reason[:ERROR_LENGTH]
                failed.append(row)
        with transaction.atomic():
            for result, done in accepted.items():
                if not done:
                    continue
                ids = [o.delivery_id for o in done]
                ids_with_provider_id = [o for o in done if o.provider_id]
                values: dict[str, Any] = {
                    "status": Status.DELIVERED if result is Result.DELIVERED else Status.SENT,
                    "attempts": F("attempts") + 1,
                    "claimed_by": "",
                    "claimed_until": None,
                    "provider": provider,
                    "error": "",
                    "sent_at": now,
                }
                if result is Result.DELIVERED:
                    values["delivered_at"] = now
                # Never overwrite a final status; a row swept back to the queue while we held
                # it was still handed over by us, and that is the truth to record.
                updated = Delivery.objects.filter(
                    id__in=ids, status__in=[Status.CLAIMED, Status.QUEUED]
                ).update(**values)
                if updated and ids_with_provider_id:
                    _provider_ids_write(ids_with_provider_id)
            if for_retry:
                Delivery.objects.bulk_update(
                    for_retry,
                    [
                        "status",
                        "attempts",
                        "next_attempt_at",
                        "error",
                        "claimed_by",
                        "claimed_until",
                        "provider",
                    ],
                )
            if failed:
                Delivery.objects.bulk_update(
                    failed,
                    ["status", "attempts", "error", "claimed_by", "claimed_until", "provider"],
                )
        self._apply_receipts(provider, accepted[Result.SENT])

    def _apply_receipts(self, provider: str, outcomes: Sequence[Outcome]) -> None:
        """Let receipts that came before their message's provider id was recorded find it
        (an SMSC can answer `deliver_sm` before we have written the id of its `submit_sm`)."""
        provider_ids = [
            o.provider_id for o in outcomes if o.result is Result.SENT and o.provider_id
        ]
        if not provider_ids:
            return
        if self._receipts is False:
            try:
                from torget.alerts.receipts import receipts_apply_pending
            except ImportError:
                self._receipts = None
            else:
                self._receipts = receipts_apply_pending
        if callable(self._receipts):
            self._receipts(provider=provider, provider_ids=provider_ids)

    # --- housekeeping -------------------------------------------------------------------------

    def poll(self) -> None:
        """Give each provider that reads something back (receipts, incoming SMS) its turn."""
        for provider in self.providers.values():
            poll = getattr(provider, "poll", None)
            if callable(poll):
                try:
                    poll()
                except Exception:
                    logger.exception("delivery: %s.poll() failed", provider.name)

    def renew_leases(self) -> int:
        """The heartbeat: push the lease of every row this worker holds forward."""
        return Delivery.objects.filter(claimed_by=self.worker_id, status=Status.CLAIMED).update(
            claimed_until=timezone.now() + self.lease
        )

    def sweep_expired(self) -> int:
        """Requeue rows whose lease ran out under another worker (see the module docstring:
        only safe for a worker that will not come back)."""
        swept = (
            Delivery.objects.filter(status=Status.CLAIMED, claimed_until__lt=timezone.now())
            .exclude(claimed_by=self.worker_id)
            .update(status=Status.QUEUED, claimed_by="", claimed_until=None)
        )
        if swept:
            logger.warning("delivery: swept %d rows of workers whose lease ran out", swept)
        return swept

    def pending(self) -> int:
        """Rows not yet final that this engine's media could still send (queued or claimed)."""
        return Delivery.objects.filter(
            medium__in=list(self.providers), status__in=[Status.QUEUED, Status.CLAIMED]
        ).count()

    def close(self) -> None:
        for provider in self.providers.values():
            try:
                provider.close()
            except Exception:
                logger.exception("delivery: closing %s failed", provider.name)
        self.journal.close()

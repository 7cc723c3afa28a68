"""The delivery engine: claiming, recording, retries, rate limits, the journal and the sweep.

The providers here are small real objects that record what they were handed (the engine's
contract with a provider is `send(messages, handed)`); SMTP itself is tested against real
servers in test_smtp_provider.py, and a real worker killed by SIGKILL in test_delivery_crash.py.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from torget.alerts.delivery import (
    DeliveryEngine,
    Journal,
    JournalError,
    TokenBucket,
    WorkerAlreadyRunning,
    delivery_counts,
    retry_delay,
)
from torget.alerts.models import Alert, Delivery, Medium, OutboxMessage
from torget.alerts.providers.base import Handed, Outcome, Outgoing, Result
from torget.alerts.providers.outbox import OutboxProvider
from torget.alerts.tests.factories import alert_make, subscription_make
from torget.organisation.models import Unit

Status = Delivery.Status


class Recorder:
    """A provider that accepts everything (or answers what `script` says for a destination)
    and remembers every message it was handed."""

    name = "recorder"
    medium = "email"
    rate_per_second = 0.0

    def __init__(self, *, batch_size: int = 10, script: dict[str, Outcome] | None = None):
        self.batch_size = batch_size
        self.script = script or {}
        self.handed: list[int] = []
        self.messages: list[Outgoing] = []

    def send(self, messages: Sequence[Outgoing], handed: Handed) -> list[Outcome]:
        outcomes = []
        for message in messages:
            scripted = self.script.get(message.destination)
            if scripted is not None and scripted.result in (Result.TEMPORARY, Result.PERMANENT):
                outcomes.append(Outcome(message.delivery_id, scripted.result, "", scripted.error))
                continue
            self.messages.append(message)
            handed(message.delivery_id)
            self.handed.append(message.delivery_id)
            outcomes.append(
                Outcome(message.delivery_id, Result.DELIVERED, f"rec-{message.delivery_id}")
            )
        return outcomes

    def close(self) -> None:
        pass


class Killed(BaseException):
    """Stands for SIGKILL inside a provider: nothing after it runs in the engine."""


class DiesAfter(Recorder):
    """Hands over `survive` messages, then the worker "dies" before any outcome is returned."""

    def __init__(self, survive: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.survive = survive

    def send(self, messages: Sequence[Outgoing], handed: Handed) -> list[Outcome]:
        for message in messages[: self.survive]:
            handed(message.delivery_id)
            self.handed.append(message.delivery_id)
        raise Killed


@pytest.fixture
def journal_dir(tmp_path: Path, settings: Any) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path / "delivery"


@pytest.fixture
def alert(library: Unit) -> Alert:
    return alert_make(library, status=Alert.Status.SENT, sent_at=timezone.now())


def queue(alert: Alert, count: int, *, medium: str = Medium.EMAIL) -> list[Delivery]:
    now = timezone.now()
    return Delivery.objects.bulk_create(
        Delivery(
            alert=alert,
            medium=medium,
            destination=f"person{i}@example.no" if medium == Medium.EMAIL else f"+479000{i:04d}",
            next_attempt_at=now,
        )
        for i in range(count)
    )


def engine(provider: Any, worker_id: str = "w1", **kwargs: Any) -> DeliveryEngine:
    return DeliveryEngine(providers={provider.medium: provider}, worker_id=worker_id, **kwargs)


def drain(eng: DeliveryEngine, rounds: int = 100) -> None:
    for _ in range(rounds):
        if not eng.run_once():
            return
    raise AssertionError("the engine did not run out of work")


# --- counts -----------------------------------------------------------------------------------


def test_delivery_counts_gives_every_status_in_one_query(alert: Alert) -> None:
    rows = queue(alert, 5)
    Delivery.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).update(status=Status.DELIVERED)
    Delivery.objects.filter(pk=rows[2].pk).update(status=Status.FAILED)
    with CaptureQueriesContext(connection) as queries:
        counts = delivery_counts(alert)
    assert len(queries.captured_queries) == 1
    assert counts == {"queued": 2, "claimed": 0, "sent": 0, "delivered": 2, "failed": 1}


# --- the whole path with the real messages ----------------------------------------------------


def test_engine_sends_each_row_once_with_the_alerts_message(
    alert: Alert, journal_dir: Path
) -> None:
    subscription = subscription_make(
        alert.municipality, destination="nora@example.no", medium="email"
    )
    Delivery.objects.create(
        alert=alert,
        medium=Medium.EMAIL,
        destination="nora@example.no",
        subscription=subscription,
        next_attempt_at=timezone.now(),
    )
    queue(alert, 24)
    provider = Recorder(batch_size=10)
    eng = engine(provider)
    eng.start()
    drain(eng)
    assert sorted(provider.handed) == sorted(Delivery.objects.values_list("pk", flat=True))
    assert delivery_counts(alert)["delivered"] == 25
    row = Delivery.objects.get(destination="nora@example.no")
    assert (row.attempts, row.provider, row.provider_id) == (1, "recorder", f"rec-{row.pk}")
    assert row.claimed_by == "" and row.claimed_until is None and row.delivered_at is not None
    message = next(m for m in provider.messages if m.delivery_id == row.pk)
    assert message.subject.endswith(alert.title)
    assert message.headers["Message-ID"].startswith(f"<delivery-{row.pk}.{alert.identifier}@")
    assert subscription.token in message.headers["List-Unsubscribe"]
    # Nothing is left in the journal once the outcomes are in the database.
    assert (journal_dir / "w1.journal").read_bytes() == b""


def test_outbox_provider_stores_messages_once_and_reports_delivered(
    alert: Alert, journal_dir: Path
) -> None:
    rows = queue(alert, 3, medium=Medium.SMS)
    eng = engine(OutboxProvider(Medium.SMS))
    drain(eng)
    stored = OutboxMessage.objects.order_by("delivery_id")
    assert [m.delivery_id for m in stored] == [r.pk for r in rows]
    assert all(m.medium == "sms" and alert.title in m.body for m in stored)
    assert delivery_counts(alert)["delivered"] == 3
    # Handing the same delivery over again (a replayed batch) does not store a second copy.
    again = OutboxProvider(Medium.SMS).send(
        [Outgoing(delivery_id=rows[0].pk, destination=rows[0].destination, body="x")],
        lambda _id: None,
    )
    assert again[0].result is Result.DELIVERED
    assert OutboxMessage.objects.filter(delivery_id=rows[0].pk).count() == 1


# --- claiming ---------------------------------------------------------------------------------


def test_two_engines_on_the_same_rows_never_send_one_twice(alert: Alert, journal_dir: Path) -> None:
    queue(alert, 57)
    first, second = Recorder(batch_size=7), Recorder(batch_size=5)
    a, b = engine(first, "a"), engine(second, "b")
    for _ in range(30):
        a.run_once()
        b.run_once()
    handed = first.handed + second.handed
    assert len(handed) == len(set(handed)) == 57
    assert first.handed and second.handed
    assert delivery_counts(alert)["delivered"] == 57


def test_claim_is_a_compare_and_set(alert: Alert, journal_dir: Path) -> None:
    rows = queue(alert, 4)
    a, b = engine(Recorder(), "a"), engine(Recorder(), "b")
    won = a.claim(Medium.EMAIL, 2)
    assert {r.claimed_by for r in won} == {"a"}
    assert all(r.claimed_until and r.claimed_until > timezone.now() for r in won)
    # b sees only what a did not win, and a row that is no longer queued cannot be won again.
    rest = b.claim(Medium.EMAIL, 10)
    assert {r.pk for r in rest} == {r.pk for r in rows} - {r.pk for r in won}
    assert b.claim(Medium.EMAIL, 10) == []


def test_claim_skips_rows_not_yet_due_and_other_media(alert: Alert, journal_dir: Path) -> None:
    due, later = queue(alert, 2)
    Delivery.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    queue(alert, 1, medium=Medium.SMS)
    won = engine(Recorder()).claim(Medium.EMAIL, 10)
    assert [r.pk for r in won] == [due.pk]


# --- failures and retries ---------------------------------------------------------------------


def test_temporary_failure_is_retried_with_growing_backoff_then_fails(
    alert: Alert, journal_dir: Path, settings: Any
) -> None:
    settings.ALERT_DELIVERY_MAX_ATTEMPTS = 3
    (row,) = queue(alert, 1)
    provider = Recorder(
        script={row.destination: Outcome(0, Result.TEMPORARY, error="451 try later")}
    )
    eng = engine(provider)
    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in (1, 2):
            assert eng.run_once() == 1
            row.refresh_from_db()
            assert (row.status, row.attempts, row.error) == (
                Status.QUEUED,
                attempt,
                "451 try later",
            )
            waits.append(row.next_attempt_at - timezone.now())
            assert eng.run_once() == 0  # not due yet
            clock.shift(waits[-1] + datetime.timedelta(seconds=1))
        assert eng.run_once() == 1
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.error == "gave up after 3 attempts: 451 try later"
    # Exponential with jitter: the first wait lies in [15 s, 30 s), the second in [30 s, 60 s).
    assert datetime.timedelta(seconds=15) <= waits[0] < datetime.timedelta(seconds=30)
    assert datetime.timedelta(seconds=30) <= waits[1] < datetime.timedelta(seconds=60)
    assert provider.handed == []


def test_permanent_failure_is_recorded_with_the_reason(alert: Alert, journal_dir: Path) -> None:
    bad, good = queue(alert, 2)
    provider = Recorder(
        script={bad.destination: Outcome(0, Result.PERMANENT, error="550 5.1.1 no such user")}
    )
    drain(engine(provider))
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.status, bad.error, bad.attempts) == (Status.FAILED, "550 5.1.1 no such user", 1)
    assert good.status == Status.DELIVERED


def test_retry_delay_is_capped(settings: Any) -> None:
    settings.ALERT_RETRY_BASE_SECONDS = 30
    settings.ALERT_RETRY_MAX_SECONDS = 600
    for attempts in range(1, 20):
        delay = retry_delay(attempts).total_seconds()
        expected = min(600, 30 * 2 ** (attempts - 1))
        assert expected / 2 <= delay <= expected


def test_a_provider_that_raises_puts_the_batch_back_without_losing_what_it_handed(
    alert: Alert, journal_dir: Path
) -> None:
    rows = queue(alert, 4)

    class Breaks(Recorder):
        def send(self, messages: Sequence[Outgoing], handed: Handed) -> list[Outcome]:
            handed(messages[0].delivery_id)
            raise ConnectionResetError("peer went away")

    engine(Breaks()).run_once()
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses[rows[0].pk] == Status.DELIVERED
    assert [statuses[r.pk] for r in rows[1:]] == [Status.QUEUED] * 3
    assert Delivery.objects.get(pk=rows[1].pk).error == "recorder: peer went away"


def test_a_message_the_provider_handed_over_but_forgot_is_not_sent_again(
    alert: Alert, journal_dir: Path
) -> None:
    handed_over, never_handed = queue(alert, 2)

    class Forgetful(Recorder):
        def send(self, messages: Sequence[Outgoing], handed: Handed) -> list[Outcome]:
            handed(messages[0].delivery_id)
            return []

    engine(Forgetful()).run_once()
    handed_over.refresh_from_db()
    never_handed.refresh_from_db()
    assert handed_over.status == Status.DELIVERED
    assert (never_handed.status, never_handed.error) == (Status.QUEUED, "recorder: no outcome")


def test_a_receipt_that_came_before_the_id_was_recorded_is_applied_after_the_flush(
    alert: Alert, journal_dir: Path
) -> None:
    from torget.alerts.receipts import receipt_record

    (row,) = queue(alert, 1, medium=Medium.SMS)

    class FastSmsc(Recorder):
        name = "smpp"
        medium = "sms"

        def send(self, messages: Sequence[Outgoing], handed: Handed) -> list[Outcome]:
            handed(messages[0].delivery_id)
            # The SMSC's deliver_sm arrives before the engine has written the message id.
            receipt_record(provider="smpp", provider_id="smsc-77", status="delivered")
            return [Outcome(messages[0].delivery_id, Result.SENT, "smsc-77")]

    engine(FastSmsc()).run_once()
    row.refresh_from_db()
    assert (row.status, row.provider, row.provider_id) == (Status.DELIVERED, "smpp", "smsc-77")


# --- rate limit -------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_token_bucket_never_grants_more_than_its_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, clock=clock, sleep=clock.sleep)
    granted_at = []
    for _ in range(100):
        bucket.take(1)
        granted_at.append(clock.now)
    # A burst of one second's worth (10), then 10 a second: 100 tokens take 9 seconds.
    assert granted_at[9] == 0.0
    assert granted_at[-1] == pytest.approx(9.0)
    for start in range(0, 9):
        in_window = [t for t in granted_at if start <= t < start + 1]
        assert len(in_window) <= 10 + (10 if start == 0 else 0)


def test_token_bucket_takes_a_batch_larger_than_its_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, clock=clock, sleep=clock.sleep)
    waited = bucket.take(23)
    assert waited == pytest.approx((23 - 5) / 5)
    assert TokenBucket(0, clock=clock, sleep=clock.sleep).take(10**6) == 0.0


def test_engine_takes_one_token_per_message(alert: Alert, journal_dir: Path) -> None:
    queue(alert, 30)
    clock = FakeClock()
    provider = Recorder(batch_size=10)
    eng = engine(provider, buckets={"email": TokenBucket(4, clock=clock, sleep=clock.sleep)})
    drain(eng)
    assert len(provider.handed) == 30
    # 4 at once, then 4 a second for the other 26.
    assert clock.now == pytest.approx(26 / 4)


# --- the journal ------------------------------------------------------------------------------


def test_journal_replay_after_a_kill_never_sends_a_handed_message_again(
    alert: Alert, journal_dir: Path
) -> None:
    rows = queue(alert, 10)
    dying = DiesAfter(3, batch_size=6)
    first = engine(dying)
    with pytest.raises(Killed):
        first.run_once()
    # As after SIGKILL: six rows claimed, three of them handed over, nothing recorded.
    assert delivery_counts(alert) == {
        "queued": 4,
        "claimed": 6,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
    }
    first.journal.close()  # the kernel releases the dead worker's lock

    provider = Recorder(batch_size=10)
    second = engine(provider)
    report = second.start()
    assert (report.replayed, report.requeued) == (3, 3)
    drain(second)
    assert sorted(dying.handed + provider.handed) == [r.pk for r in rows]
    assert not set(dying.handed) & set(provider.handed)
    assert delivery_counts(alert)["delivered"] == 10


def test_replay_applies_recorded_outcomes_and_ignores_a_torn_last_line(
    alert: Alert, journal_dir: Path
) -> None:
    handed_then_refused, handed, sms = queue(alert, 2) + queue(alert, 1, medium=Medium.SMS)
    Delivery.objects.update(status=Status.CLAIMED, claimed_by="w1")
    journal = Journal(journal_dir / "w1.journal")
    journal.handed(handed_then_refused.pk, "smtp")
    journal.handed(handed.pk, "smtp")
    journal.handed(sms.pk, "smpp")
    journal.outcomes("smtp", [Outcome(handed_then_refused.pk, Result.TEMPORARY, "", "451 later")])
    os.write(journal.fd, b"H\t99")  # cut off by the kill
    journal.close()

    eng = engine(Recorder())
    assert eng.start().replayed == 3
    rows = {r.pk: r for r in Delivery.objects.all()}
    assert rows[handed_then_refused.pk].status == Status.QUEUED
    assert rows[handed_then_refused.pk].error == "451 later"
    assert rows[handed.pk].status == Status.DELIVERED and rows[handed.pk].provider == "smtp"
    # An SMS handed over waits for its receipt.
    assert rows[sms.pk].status == Status.SENT and rows[sms.pk].provider == "smpp"
    assert (journal_dir / "w1.journal").read_bytes() == b""


def test_a_journal_that_cannot_be_written_stops_the_worker_before_recording(
    alert: Alert, journal_dir: Path
) -> None:
    queue(alert, 2)
    provider = Recorder()
    eng = engine(provider)
    writable = eng.journal.fd
    eng.journal.fd = os.open(os.devnull, os.O_RDONLY)  # every write fails, as on a lost disk
    try:
        with pytest.raises(JournalError):
            eng.run_once()
    finally:
        os.close(writable)
        eng.journal.close()
    # Nothing is recorded as sent or retried: on restart the worker finds its rows claimed.
    assert delivery_counts(alert)["claimed"] == 2


def test_a_second_worker_with_the_same_identity_is_refused(journal_dir: Path) -> None:
    first = Journal(journal_dir / "same.journal")
    with pytest.raises(WorkerAlreadyRunning):
        Journal(journal_dir / "same.journal")
    first.close()
    Journal(journal_dir / "same.journal").close()


# --- leases and the sweep ---------------------------------------------------------------------


def test_sweep_requeues_only_expired_leases_of_other_workers(
    alert: Alert, journal_dir: Path
) -> None:
    ghost, alive, mine = queue(alert, 3)
    now = timezone.now()
    past, future = now - datetime.timedelta(seconds=1), now + datetime.timedelta(minutes=2)
    Delivery.objects.filter(pk=ghost.pk).update(
        status=Status.CLAIMED, claimed_by="ghost", claimed_until=past
    )
    Delivery.objects.filter(pk=alive.pk).update(
        status=Status.CLAIMED, claimed_by="alive", claimed_until=future
    )
    Delivery.objects.filter(pk=mine.pk).update(
        status=Status.CLAIMED, claimed_by="w1", claimed_until=past
    )
    eng = engine(Recorder())
    assert eng.sweep_expired() == 1
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {ghost.pk: "queued", alive.pk: "claimed", mine.pk: "claimed"}
    # The heartbeat pushes this worker's own leases forward.
    assert eng.renew_leases() == 1
    assert Delivery.objects.get(pk=mine.pk).claimed_until > future - datetime.timedelta(seconds=1)


# --- the worker command -----------------------------------------------------------------------


def test_deliver_command_drains_the_queue_through_the_outbox(
    alert: Alert, journal_dir: Path, settings: Any
) -> None:
    settings.ALERT_EMAIL_PROVIDER = "outbox"
    settings.ALERT_SMS_PROVIDER = "outbox"
    queue(alert, 3)
    queue(alert, 2, medium=Medium.SMS)
    call_command("deliver", "--drain", "--worker-id", "test-worker", "--interval", "0")
    assert delivery_counts(alert)["delivered"] == 5
    assert OutboxMessage.objects.filter(medium="email").count() == 3
    assert (journal_dir / "test-worker.journal").exists()

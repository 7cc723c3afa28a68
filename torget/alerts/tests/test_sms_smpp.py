"""The SMPP provider against a real SMSC on 127.0.0.1 (the server of the `smpp34` package):
message ids, delivery receipts applied once, throttling, rejections, timeouts, long messages,
and SMS from residents. The happy path goes through the real delivery engine."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import smpp34
from django.utils import timezone

from torget.alerts.delivery import DeliveryEngine
from torget.alerts.models import Alert, Delivery, Inbound, Receipt
from torget.alerts.providers.base import Outcome, Outgoing, Result
from torget.alerts.providers.smpp import ReceiptJournal, SmppProvider
from torget.alerts.receipts import ReceiptIn, receipt_record, receipts_apply_pending
from torget.alerts.sms import sms_length
from torget.alerts.tests.factories import alert_make, alert_sent_make
from torget.alerts.tests.smsc import LocalSmsc, free_port
from torget.organisation.models import Unit

pytestmark = pytest.mark.django_db  # receipts read while sending are stored at once
Status = Delivery.Status
NUMBERS = ["+4791000001", "+4791000002", "+4791000003"]


def until(
    condition: Callable[[], bool], *, step: Callable[[], object], timeout: float = 10
) -> None:
    """Run `step` until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition was not met in time"
        step()


def poll_and_apply(provider: SmppProvider) -> Callable[[], object]:
    """What the engine does in its loop: poll the provider, apply receipts that waited."""
    return lambda: (provider.poll(), receipts_apply_pending())


@pytest.fixture
def smsc() -> Iterator[LocalSmsc]:
    with LocalSmsc() as server:
        yield server


@pytest.fixture
def provider(smsc: LocalSmsc, db: None, tmp_path: Path) -> Iterator[SmppProvider]:
    smpp = SmppProvider(
        receipt_journal=tmp_path / "receipts",
        host="127.0.0.1",
        port=smsc.port,
        system_id="torget",
        password="secret",
        source_addr="Testvik",
        window=10,
        rate_per_second=0,
        batch_size=50,
        timeout=2,
    )
    yield smpp
    smpp.close()


@pytest.fixture
def alert(library: Unit) -> Alert:
    return alert_make(library, status=Alert.Status.SENT, sent_at=timezone.now())


def rows_make(alert: Alert, numbers: list[str], status: str = Status.QUEUED) -> list[Delivery]:
    now = timezone.now()
    return [
        Delivery.objects.create(
            alert=alert, medium="sms", destination=number, status=status, next_attempt_at=now
        )
        for number in numbers
    ]


def send(provider: SmppProvider, messages: list[Outgoing]) -> tuple[list[Outcome], list[int]]:
    handed: list[int] = []
    return provider.send(messages, handed.append), handed


def statuses(rows: list[Delivery]) -> list[str]:
    return [Delivery.objects.get(pk=row.pk).status for row in rows]


# --- through the engine ---------------------------------------------------------------------


def test_smpp_sent_then_receipt_delivered_through_the_engine(
    smsc: LocalSmsc, provider: SmppProvider, alert: Alert, tmp_path: Path
) -> None:
    rows = rows_make(alert, NUMBERS)
    engine = DeliveryEngine(providers={"sms": provider}, worker_id="h2-test", journal_dir=tmp_path)
    engine.start()
    try:
        assert engine.run_once() == 3
        sent = {row.destination: row for row in Delivery.objects.filter(alert=alert)}
        ids = {submitted.destination_addr: submitted.message_id for submitted in smsc.submitted}
        for number in NUMBERS:
            assert sent[number].provider == "smpp"
            assert sent[number].provider_id == ids[number.removeprefix("+")]
            assert sent[number].sent_at is not None
        until(
            lambda: statuses(rows) == [Status.DELIVERED] * 3,
            step=lambda: (engine.poll(), receipts_apply_pending()),
        )
    finally:
        engine.close()
    assert all(row.delivered_at for row in Delivery.objects.filter(alert=alert))
    assert Receipt.objects.filter(applied_at__isnull=True).count() == 0
    submitted = smsc.submitted[0]
    assert submitted.source_addr == "Testvik"
    assert submitted.registered_delivery == 1
    assert submitted.short_message.decode("gsm03.38") == (
        engine.render([Delivery.objects.get(pk=rows[0].pk)])[0].body
    )


def test_smpp_receipt_sent_twice_is_stored_and_applied_once(
    smsc: LocalSmsc, provider: SmppProvider, alert: Alert
) -> None:
    smsc.duplicate_receipts = True
    rows = rows_make(alert, NUMBERS[:2], status=Status.CLAIMED)
    outcomes, _ = send(provider, [Outgoing(row.pk, row.destination, "Vann stengt") for row in rows])
    for row, outcome in zip(rows, outcomes, strict=True):
        Delivery.objects.filter(pk=row.pk).update(
            status=Status.SENT, provider="smpp", provider_id=outcome.provider_id
        )
    until(lambda: smsc.receipts_sent == 4, step=provider.poll)
    assert Receipt.objects.count() == 2
    assert statuses(rows) == [Status.DELIVERED] * 2
    assert receipts_apply_pending() == 0  # nothing left to change
    # A later "failed" receipt for a delivered row changes nothing either.
    receipt_record(
        provider="smpp", provider_id=outcomes[0].provider_id, status="failed", error="late"
    )
    assert receipts_apply_pending() == 0
    assert statuses(rows) == [Status.DELIVERED] * 2
    assert Receipt.objects.filter(applied_at__isnull=True).count() == 0


def test_smpp_receipt_before_the_provider_id_is_known_is_applied_later(
    smsc: LocalSmsc, provider: SmppProvider, alert: Alert
) -> None:
    rows = rows_make(alert, NUMBERS[:1], status=Status.CLAIMED)
    outcomes, handed = send(provider, [Outgoing(rows[0].pk, NUMBERS[0], "Vann stengt")])
    assert handed == [rows[0].pk]
    # The worker has not recorded the id yet: the receipt is stored and waits.
    until(lambda: Receipt.objects.count() == 1, step=provider.poll)
    receipt = Receipt.objects.get()
    assert (receipt.provider_id, receipt.status) == (outcomes[0].provider_id, "delivered")
    assert receipt.applied_at is None
    assert receipts_apply_pending() == 0
    assert statuses(rows) == [Status.CLAIMED]
    Delivery.objects.filter(pk=rows[0].pk).update(
        status=Status.SENT, provider="smpp", provider_id=outcomes[0].provider_id
    )
    assert receipts_apply_pending() == 1
    assert statuses(rows) == [Status.DELIVERED]
    assert Receipt.objects.get().applied_at is not None


def test_smpp_receipt_answered_before_a_crash_is_stored_by_the_next_provider(
    smsc: LocalSmsc, alert: Alert, tmp_path: Path
) -> None:
    rows = rows_make(alert, NUMBERS[:1], status=Status.SENT)
    Delivery.objects.filter(pk=rows[0].pk).update(provider="smpp", provider_id="0000abcd")
    # A worker journalled and answered this receipt, then was killed before storing it.
    ReceiptJournal(tmp_path / "receipts").append(
        [ReceiptIn("smpp", "0000abcd", Receipt.Status.DELIVERED)]
    )
    provider = SmppProvider(
        host="127.0.0.1",
        port=smsc.port,
        system_id="t",
        password="p",
        receipt_journal=tmp_path / "receipts",
    )
    try:
        provider.poll()
    finally:
        provider.close()
    assert Receipt.objects.get().provider_id == "0000abcd"
    assert statuses(rows) == [Status.DELIVERED]
    assert (tmp_path / "receipts").read_bytes() == b""


def test_smpp_undelivered_receipt_fails_the_row_with_the_reason(
    smsc: LocalSmsc, provider: SmppProvider, alert: Alert
) -> None:
    smsc.receipt_stat["4791000001"] = "UNDELIV"
    rows = rows_make(alert, NUMBERS[:1], status=Status.CLAIMED)
    outcomes, _ = send(provider, [Outgoing(rows[0].pk, NUMBERS[0], "Vann stengt")])
    Delivery.objects.filter(pk=rows[0].pk).update(
        status=Status.SENT, provider="smpp", provider_id=outcomes[0].provider_id
    )
    until(lambda: statuses(rows) == [Status.FAILED], step=poll_and_apply(provider))
    assert Delivery.objects.get(pk=rows[0].pk).error == "receipt UNDELIV err:001"


# --- errors ---------------------------------------------------------------------------------


def test_smpp_throttling_is_temporary_and_holds_back_the_rest(
    smsc: LocalSmsc, tmp_path: Path
) -> None:
    smsc.throttle = 1
    provider = SmppProvider(
        host="127.0.0.1",
        port=smsc.port,
        system_id="t",
        password="p",
        window=1,
        timeout=2,
        receipt_journal=tmp_path / "receipts",
    )
    try:
        messages = [Outgoing(index, number, "Vann stengt") for index, number in enumerate(NUMBERS)]
        outcomes, handed = send(provider, messages)
        assert [outcome.result for outcome in outcomes] == [Result.TEMPORARY] * 3
        assert outcomes[0].error.startswith("ESME_RTHROTTLED")
        assert "asked us to slow down" in outcomes[1].error
        assert handed == [0]  # the others were never handed over: safe to send later
        assert smsc.submitted == []
        again, _ = send(provider, messages)
        assert [outcome.result for outcome in again] == [Result.SENT] * 3
    finally:
        provider.close()


def test_smpp_permanent_rejection_records_the_command_status(
    smsc: LocalSmsc, provider: SmppProvider
) -> None:
    smsc.reject["4791000002"] = smpp34.ESME_RINVDSTADR
    messages = [Outgoing(index, number, "Vann stengt") for index, number in enumerate(NUMBERS)]
    outcomes, handed = send(provider, messages)
    assert [outcome.result for outcome in outcomes] == [Result.SENT, Result.PERMANENT, Result.SENT]
    assert outcomes[1].error.startswith("ESME_RINVDSTADR")
    assert handed == [0, 1, 2]


def test_smpp_message_queue_full_is_temporary(smsc: LocalSmsc, provider: SmppProvider) -> None:
    smsc.reject["4791000001"] = smpp34.ESME_RMSGQFUL
    outcomes, _ = send(provider, [Outgoing(1, NUMBERS[0], "Vann stengt")])
    assert outcomes[0].result is Result.TEMPORARY
    assert outcomes[0].error.startswith("ESME_RMSGQFUL")


def test_smpp_no_answer_is_temporary_and_the_next_send_binds_again(
    smsc: LocalSmsc, tmp_path: Path
) -> None:
    smsc.hold.add("4791000002")
    provider = SmppProvider(
        host="127.0.0.1",
        port=smsc.port,
        system_id="t",
        password="p",
        window=10,
        timeout=0.5,
        receipt_journal=tmp_path / "receipts",
    )
    try:
        messages = [Outgoing(index, number, "Vann stengt") for index, number in enumerate(NUMBERS)]
        outcomes, handed = send(provider, messages)
        assert [outcome.result for outcome in outcomes] == [
            Result.SENT,
            Result.TEMPORARY,
            Result.SENT,
        ]
        assert "no answer from the SMSC within 0.5 s" in outcomes[1].error
        assert handed == [0, 1, 2]
        smsc.hold.clear()
        again, _ = send(provider, [Outgoing(1, NUMBERS[1], "Vann stengt")])
        assert again[0].result is Result.SENT
    finally:
        provider.close()


def test_smpp_unreachable_smsc_is_temporary_and_nothing_is_handed(tmp_path: Path) -> None:
    provider = SmppProvider(
        host="127.0.0.1",
        port=free_port(),
        system_id="t",
        password="p",
        timeout=1,
        receipt_journal=tmp_path / "receipts",
    )
    outcomes, handed = send(provider, [Outgoing(1, NUMBERS[0], "Vann stengt")])
    assert outcomes[0].result is Result.TEMPORARY
    assert "cannot bind" in outcomes[0].error
    assert handed == []
    # Within the reconnect pause it does not even try.
    outcomes, _ = send(provider, [Outgoing(2, NUMBERS[0], "Vann stengt")])
    assert outcomes[0].result is Result.TEMPORARY
    assert provider.poll() == 0


def test_smpp_bad_number_and_too_long_text_are_permanent_and_never_sent(
    smsc: LocalSmsc, provider: SmppProvider
) -> None:
    outcomes, handed = send(
        provider,
        [
            Outgoing(1, "12", "Vann stengt"),
            Outgoing(2, NUMBERS[0], "x" * (153 * 10 + 1)),
            Outgoing(3, NUMBERS[1], "Vann stengt"),
        ],
    )
    assert [outcome.result for outcome in outcomes] == [
        Result.PERMANENT,
        Result.PERMANENT,
        Result.SENT,
    ]
    assert outcomes[0].error.startswith("invalid phone number")
    assert "11 SMS" in outcomes[1].error
    assert handed == [3]
    assert [s.destination_addr for s in smsc.submitted] == ["4791000002"]


def test_smpp_poll_keeps_the_session_alive_and_binds_again_after_an_unbind(
    smsc: LocalSmsc, tmp_path: Path
) -> None:
    provider = SmppProvider(
        host="127.0.0.1",
        port=smsc.port,
        system_id="t",
        password="p",
        enquire_link_seconds=0,  # an enquire_link on every poll
        receipt_journal=tmp_path / "receipts",
    )
    try:
        provider.poll()  # binds, and asks whether the SMSC is there
        smsc.wait(lambda: smsc.binds == 1)
        until(lambda: provider.poll() > 0, step=lambda: None)  # its enquire_link_resp
        ended = smsc.unbind_all()
        until(lambda: ended.done(), step=provider.poll)
        until(lambda: smsc.binds == 2, step=provider.poll)  # bound again
        smsc.wait(lambda: smsc.sessions == 1)
        outcomes, _ = send(provider, [Outgoing(1, NUMBERS[0], "Vann stengt")])
        assert outcomes[0].result is Result.SENT
    finally:
        provider.close()


# --- long messages --------------------------------------------------------------------------


def test_smpp_long_message_goes_in_parts_and_keeps_the_last_parts_id(
    smsc: LocalSmsc, provider: SmppProvider, alert: Alert
) -> None:
    text = "Vannlekkasje i Storgata – vannet er stengt. " * 9  # the dash is not GSM: UCS-2
    rows = rows_make(alert, NUMBERS[:1], status=Status.CLAIMED)
    outcomes, handed = send(provider, [Outgoing(rows[0].pk, NUMBERS[0], text)])
    assert handed == [rows[0].pk]
    # The SMSC may take the parts in any order: put them in the order of their UDH numbers.
    parts = sorted(smsc.submitted, key=lambda part: part.short_message[5])
    assert len(parts) == sms_length(text).segments == 6
    assert all(part.data_coding == 8 and part.esm_class & 0x40 for part in parts)
    assert [part.registered_delivery for part in parts] == [0] * 5 + [1]
    assert b"".join(part.short_message[6:] for part in parts).decode("utf-16-be") == text
    assert outcomes[0].result is Result.SENT
    assert outcomes[0].provider_id == parts[-1].message_id
    Delivery.objects.filter(pk=rows[0].pk).update(
        status=Status.SENT, provider="smpp", provider_id=outcomes[0].provider_id
    )
    until(lambda: statuses(rows) == [Status.DELIVERED], step=poll_and_apply(provider))


def test_smpp_long_gsm_message_goes_in_153_septet_parts(
    smsc: LocalSmsc, provider: SmppProvider
) -> None:
    text = "Vannet er stengt i Øvre Storgate. " * 10  # 340 septets
    outcomes, _ = send(provider, [Outgoing(1, NUMBERS[0], text)])
    assert outcomes[0].result is Result.SENT
    parts = sorted(smsc.submitted, key=lambda part: part.short_message[5])
    assert [len(part.short_message) - 6 for part in parts] == [153, 153, 34]
    assert all(part.data_coding == 0 for part in parts)
    joined = b"".join(part.short_message[6:] for part in parts)
    assert joined.decode("gsm03.38") == text


# --- SMS from residents ---------------------------------------------------------------------


def test_smpp_incoming_sms_reaches_inbound_receive_once(
    smsc: LocalSmsc, provider: SmppProvider, library: Unit
) -> None:
    alert_sent_make(library, destinations={"+4798765432": "sms"})
    provider.poll()  # binds
    answer = smsc.send_mo(
        source="4798765432",
        destination="Testvik",
        short_message="Takk! Gjelder det også Øvre gate?".encode("gsm03.38"),
    )
    until(lambda: Inbound.objects.exists(), step=provider.poll)
    assert answer.result(5).is_success
    inbound = Inbound.objects.get()
    assert (inbound.medium, inbound.provider, inbound.sender) == ("sms", "smpp", "+4798765432")
    assert inbound.body == "Takk! Gjelder det også Øvre gate?"
    assert inbound.result == Inbound.Result.THREAD
    # The SMSC sends it again (it thinks we missed it): still one.
    again = smsc.send_mo(
        source="4798765432",
        destination="Testvik",
        short_message="Takk! Gjelder det også Øvre gate?".encode("gsm03.38"),
    )
    until(lambda: again.done(), step=provider.poll)
    assert Inbound.objects.count() == 1


def test_smpp_incoming_long_sms_in_two_parts_is_joined(
    smsc: LocalSmsc, provider: SmppProvider, library: Unit
) -> None:
    provider.poll()
    first = "Hei, vi har fortsatt ikke vann i Storgata 12 og lurer på når det kommer. "
    second = "Kan dere svare? 😀"
    for number, text in ((1, first), (2, second)):
        udh = bytes([0x05, 0x00, 0x03, 0x2A, 2, number])
        smsc.send_mo(
            source="4798765432",
            destination="Testvik",
            short_message=udh + text.encode("utf-16-be"),
            data_coding=8,
            esm_class=0x40,
        )
    until(lambda: Inbound.objects.exists(), step=provider.poll)
    assert Inbound.objects.get().body == first + second

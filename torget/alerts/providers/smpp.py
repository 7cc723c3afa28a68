"""SMS over SMPP 3.4 with the `smpplib` client: one transceiver session, a send window.

`send` keeps up to `window` `submit_sm` outstanding at once (each part of a long message is
one; a message's parts are written back to back once the window has room for them all), calls
`handed(id)` right after a message is written to the socket, and reads `submit_sm_resp` as
they come: the SMSC's message id makes the message SENT; throttling (ESME_RTHROTTLED,
ESME_RMSGQFUL) and other passing troubles make it TEMPORARY; anything else (an invalid
destination, ...) PERMANENT with the command status's name. A timeout or a broken connection
makes every message still waiting TEMPORARY and drops the session, which is bound again on the
next call.

The SMSC sends `deliver_sm` on the same session, while we send or between sends (`poll`, which
the delivery engine calls once per loop, also keeps the session alive with `enquire_link`):

- a delivery receipt (esm_class 0x04) is appended to a receipt journal (one `os.write`) before
  it is answered, and stored as a `Receipt` row in batches (at the end of each `send`, in
  `poll`); a worker killed in between loses none: the next provider on the same journal stores
  what it holds. (Storing each receipt in the database before answering it would hold the
  SMSC back: it waits for our answers before it sends anything more, its window.)
- anything else is an SMS from a resident, handed to `inbound_receive` (stored once, then turned
  into an answer in the alert's thread, or STOP), again before it is answered.

A long message asks for a delivery receipt on its last part only and keeps that part's id: one
receipt per message, whose outcome stands for the message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import logging
import os
import re
import select
import socket
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from torget.alerts.models import Receipt
from torget.alerts.providers.base import Handed, Outcome, Outgoing, Result
from torget.alerts.receipts import ReceiptIn, receipts_apply_pending, receipts_record
from torget.alerts.sms import (
    MAX_SEGMENTS,
    phone_for_sending,
    phone_normalise,
    sms_decode,
    sms_parts,
)

logger = logging.getLogger("torget.alerts.smpp")

# command_status -> its SMPP name, e.g. 0x0B -> "ESME_RINVDSTADR".
STATUS_NAMES: dict[int, str] = {
    value: name.removeprefix("SMPP_")
    for name, value in vars(smpplib.consts).items()
    if name.startswith("SMPP_ESME_R") and isinstance(value, int)
}
# Statuses that say "not now" rather than "never".
TEMPORARY_STATUSES = {
    smpplib.consts.SMPP_ESME_RTHROTTLED,
    smpplib.consts.SMPP_ESME_RMSGQFUL,
    smpplib.consts.SMPP_ESME_RSYSERR,
    smpplib.consts.SMPP_ESME_RX_T_APPN,
    smpplib.consts.SMPP_ESME_RINVBNDSTS,
}
THROTTLING = {smpplib.consts.SMPP_ESME_RTHROTTLED, smpplib.consts.SMPP_ESME_RMSGQFUL}
# esm_class bits 2-5 say what a deliver_sm carries: 0x04 is an SMSC delivery receipt.
ESM_TYPE_MASK = 0x3C
ESM_RECEIPT = 0x04
ESM_UDHI = 0x40
# Receipt states (the `stat:` of the receipt text). Others (ACCEPTD, ENROUTE) are not final.
DELIVERED_STATS = {"DELIVRD"}
FAILED_STATS = {"UNDELIV", "EXPIRED", "DELETED", "REJECTD", "UNKNOWN"}
# message_state TLV values, for SMSCs that send it without the usual text.
MESSAGE_STATES = {
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    7: "UNKNOWN",
    8: "REJECTD",
}
_RECEIPT_ID = re.compile(rb"\bid:\s*([^\s]+)", re.IGNORECASE)
_RECEIPT_STAT = re.compile(rb"\bstat:\s*([A-Za-z]+)", re.IGNORECASE)
_RECEIPT_ERR = re.compile(rb"\berr:\s*([^\s]+)", re.IGNORECASE)
# A failed connection is tried again after this many seconds, not on every poll.
RECONNECT_SECONDS = 10.0
# Receipts read are journalled and answered as soon as nothing more waits to be read, or once
# this many have been read.
RECEIPT_BATCH = 100


class SmppFailure(Exception):
    """The session broke or the SMSC did not answer in time."""


@dataclasses.dataclass
class _Job:
    """One message on its way: its parts, how many are answered, the id of its last part."""

    message: Outgoing
    parts: list[bytes]
    data_coding: int
    esm_class: int
    destination: str
    dest_ton: int
    answered: int = 0
    provider_id: str = ""
    outcome: Outcome | None = None


def _status_text(status: int) -> str:
    name = STATUS_NAMES.get(status, f"0x{status:08X}")
    description = smpplib.consts.DESCRIPTIONS.get(status, "unknown status")
    return f"{name}: {description}"


def _ack_at_once(client: smpplib.client.Client) -> None:
    """Acknowledge what arrives at once instead of delaying the ACK (Linux' TCP_QUICKACK,
    which the kernel turns off again by itself, so it is set before each read).

    A message's parts go in one write, so the SMSC answers them back to back. An SMSC whose
    socket holds small writes until the last is acknowledged (Nagle's algorithm, as smpp34's
    test server does) then waits up to 40 ms for our delayed ACK before the second answer:
    that took 10,000 two-part messages from 931/s to 357/s."""
    sock = client._socket
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if sock is not None and quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "" if value is None else str(value)


class ReceiptJournal:
    """Receipts read from the SMSC and answered, not yet in the database: one line each
    (provider id, status, error), appended with one `os.write` before the `deliver_sm_resp`
    goes out. The kernel keeps what was written when the process is killed; the next provider
    with the same file stores it. An SMSC holds back what follows an unanswered `deliver_sm`
    (its window), so receipts are answered at once and stored in the database in batches."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1

    @property
    def fd(self) -> int:
        """The open file (opened again after `close`: a provider may be used again)."""
        if self._fd < 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            self._fd = os.open(self.path, flags, 0o600)
        return self._fd

    def append(self, receipts: Sequence[ReceiptIn]) -> None:
        lines = "".join(
            "\t".join((r.provider_id, r.status, r.error.replace("\t", " ").replace("\n", " ")))
            + "\n"
            for r in receipts
        )
        os.write(self.fd, lines.encode())

    def read(self, provider: str) -> list[ReceiptIn]:
        fd = self.fd
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        found = []
        for line in b"".join(chunks).decode(errors="replace").splitlines():
            fields = line.split("\t")
            if len(fields) == 3 and fields[0]:
                found.append(ReceiptIn(provider, fields[0], fields[1], fields[2]))
        return found

    def truncate(self) -> None:
        os.ftruncate(self.fd, 0)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class SmppProvider:
    """An SMPP 3.4 SMSC reached over TCP as a transceiver (`TORGET_SMPP_*`)."""

    medium = "sms"

    def __init__(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        system_id: str | None = None,
        password: str | None = None,
        system_type: str | None = None,
        source_addr: str | None = None,
        source_ton: int | None = None,
        source_npi: int | None = None,
        window: int | None = None,
        rate_per_second: float | None = None,
        batch_size: int | None = None,
        timeout: float | None = None,
        enquire_link_seconds: float | None = None,
        receipt_journal: Path | None = None,
        name: str = "smpp",
    ) -> None:
        """Read every value not given from the settings (`TORGET_SMPP_*`)."""
        self.name = name
        self.host = host if host is not None else settings.SMPP_HOST
        self.port = int(port if port is not None else settings.SMPP_PORT)
        self.system_id = system_id if system_id is not None else settings.SMPP_SYSTEM_ID
        self.password = password if password is not None else settings.SMPP_PASSWORD
        self.system_type = system_type if system_type is not None else settings.SMPP_SYSTEM_TYPE
        self.source_addr = source_addr if source_addr is not None else settings.SMPP_SOURCE_ADDR
        alphanumeric = not self.source_addr.lstrip("+").isdigit()
        ton = source_ton if source_ton is not None else settings.SMPP_SOURCE_TON
        npi = source_npi if source_npi is not None else settings.SMPP_SOURCE_NPI
        # -1 (the default) chooses by the address: alphanumeric (5/0) or international (1/1).
        self.source_ton = ton if ton >= 0 else (5 if alphanumeric else 1)
        self.source_npi = npi if npi >= 0 else (0 if alphanumeric else 1)
        self.window = max(1, window if window is not None else settings.SMPP_WINDOW)
        self.rate_per_second = float(
            rate_per_second if rate_per_second is not None else settings.SMPP_RATE
        )
        self.batch_size = batch_size if batch_size is not None else settings.SMPP_BATCH_SIZE
        self.timeout = float(timeout if timeout is not None else settings.SMPP_TIMEOUT)
        self.enquire_link_seconds = float(
            enquire_link_seconds
            if enquire_link_seconds is not None
            else settings.SMPP_ENQUIRE_LINK_SECONDS
        )
        self._client: smpplib.client.Client | None = None
        self._last_sent = 0.0
        self._retry_at = 0.0
        # deliver_sm read but not yet stored and answered: (sequence, receipt or None)
        self._unanswered: list[tuple[int, ReceiptIn | None]] = []
        # Parts of long incoming messages: (sender, reference, total) -> {number: text}
        self._mo_parts: dict[tuple[str, int, int], dict[int, str]] = {}
        # Receipts answered and journalled, to be stored in the database.
        self._to_store: list[ReceiptIn] = []
        self._journal = ReceiptJournal(
            receipt_journal
            or Path(settings.VAR_DIR) / "delivery" / f"{settings.ALERT_WORKER_ID}.{name}-receipts"
        )
        # What a provider before us answered but did not store.
        self._to_store = self._journal.read(self.name)

    @classmethod
    def from_settings(cls) -> SmppProvider:
        return cls()

    # --- the session --------------------------------------------------------------------------

    def _connect(self) -> smpplib.client.Client:
        """The bound session, binding a new one if there is none."""
        if self._client is not None:
            return self._client
        client = smpplib.client.Client(
            self.host,
            self.port,
            timeout=self.timeout,
            allow_unknown_opt_params=True,
            logger_name="torget.alerts.smpp.client",
        )
        try:
            client.connect()
            client.bind_transceiver(
                system_id=self.system_id,
                password=self.password,
                system_type=self.system_type,
                interface_version=0x34,
            )
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            self._drop(client)
            self._retry_at = time.monotonic() + RECONNECT_SECONDS
            raise SmppFailure(f"cannot bind to {self.host}:{self.port}: {exc!r}") from exc
        self._client = client
        self._last_sent = time.monotonic()
        logger.info("smpp: bound to %s:%s as %s", self.host, self.port, self.system_id)
        return client

    def _drop(self, client: smpplib.client.Client | None = None) -> None:
        """Close the socket without ceremony (after a failure, the session's state is unknown)."""
        client = client or self._client
        if client is not None and client._socket is not None:
            try:
                client._socket.close()
            finally:
                client._socket = None
                client.state = smpplib.consts.SMPP_CLIENT_STATE_CLOSED
        if client is self._client:
            self._client = None
            # deliver_sm we could not answer will come again; parts of long MOs too.
            self._unanswered.clear()

    def close(self) -> None:
        """Store what was read, unbind politely and close."""
        client = self._client
        try:
            if client is not None:
                self._flush_incoming(client)
                client.unbind()
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError):
            pass  # the SMSC may close the socket before its unbind_resp
        finally:
            if client is not None:
                self._drop(client)
            self._store()
            self._journal.close()

    def _write(self, client: smpplib.client.Client, pdu: Any) -> None:
        try:
            client.send_pdu(pdu)
        except (smpplib.exceptions.ConnectionError, OSError) as exc:
            raise SmppFailure(f"the connection broke: {exc!r}") from exc
        self._last_sent = time.monotonic()

    def _write_all(self, client: smpplib.client.Client, pdus: list[Any]) -> None:
        """Write a message's PDUs (all its parts) in one `sendall`.

        One write leaves a killed worker no moment in which the SMSC has part of a message:
        the kernel takes the bytes whole or not at all (they are far smaller than the socket's
        buffer). Writing each part on its own left such a moment, and the crash test hit it
        (part 1, then the whole message again on the resend)."""
        if client._socket is None:
            raise SmppFailure("the connection is closed")
        data = [pdu.generate() for pdu in pdus]
        try:
            client._socket.sendall(b"".join(data))
        except OSError as exc:
            raise SmppFailure(f"the connection broke: {exc!r}") from exc
        self._last_sent = time.monotonic()

    def _read(self, client: smpplib.client.Client) -> Any:
        _ack_at_once(client)
        try:
            return client.read_pdu()
        except TimeoutError as exc:
            raise SmppFailure(f"no answer from the SMSC within {self.timeout:g} s") from exc
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            raise SmppFailure(f"the connection broke: {exc!r}") from exc

    def _readable(self, client: smpplib.client.Client) -> bool:
        sock = client._socket
        if sock is None:
            return False
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)

    # --- sending --------------------------------------------------------------------------

    def _job(self, message: Outgoing) -> _Job | Outcome:
        """Prepare a message, or refuse it at once (a bad number, too long)."""
        try:
            destination = phone_for_sending(message.destination)
        except ValidationError as exc:
            return Outcome(
                message.delivery_id,
                Result.PERMANENT,
                error=f"invalid phone number: {'; '.join(exc.messages)}"[:300],
            )
        encoded = sms_parts(message.body)
        if len(encoded.parts) > MAX_SEGMENTS:
            return Outcome(
                message.delivery_id,
                Result.PERMANENT,
                error=f"the text takes {len(encoded.parts)} SMS; at most {MAX_SEGMENTS}",
            )
        return _Job(
            message=message,
            parts=encoded.parts,
            data_coding=encoded.data_coding,
            esm_class=encoded.esm_class,
            destination=destination.removeprefix("+"),
            dest_ton=1,
        )

    def send(self, messages: Sequence[Outgoing], handed: Handed) -> list[Outcome]:
        """Submit `messages` through the window; one outcome per message, in their order."""
        jobs: list[_Job] = []
        done: dict[int, Outcome] = {}
        for message in messages:
            job = self._job(message)
            if isinstance(job, Outcome):
                done[message.delivery_id] = job
            else:
                jobs.append(job)
        if jobs:
            if self._client is None and time.monotonic() < self._retry_at:
                reason = "the SMSC could not be reached a moment ago; trying again later"
                for job in jobs:
                    done[job.message.delivery_id] = Outcome(
                        job.message.delivery_id, Result.TEMPORARY, error=reason
                    )
            else:
                self._submit_all(jobs, handed)
                self._store()
                for job in jobs:
                    assert job.outcome is not None
                    done[job.message.delivery_id] = job.outcome
        return [done[message.delivery_id] for message in messages]

    def _submit_all(self, jobs: list[_Job], handed: Handed) -> None:
        """Run the window over every part of every job; every job ends with an outcome."""
        queue: deque[_Job] = deque(jobs)
        outstanding: dict[int, tuple[_Job, int]] = {}
        held_back = ""
        try:
            client = self._connect()
            while queue or outstanding:
                # A message goes whole, all its parts in one write, when the window has room
                # for them (or is empty): a worker killed mid-message cannot leave half of it.
                while queue and not held_back:
                    job = queue[0]
                    if outstanding and len(outstanding) + len(job.parts) > self.window:
                        break
                    queue.popleft()
                    pdus = [self._submit_pdu(client, job, n) for n in range(len(job.parts))]
                    self._write_all(client, pdus)
                    handed(job.message.delivery_id)
                    for number, pdu in enumerate(pdus):
                        outstanding[pdu.sequence] = (job, number)
                if not outstanding:
                    break
                if self._unanswered and not self._readable(client):
                    # Nothing more to read this instant: journal and answer the receipts read
                    # so far. An SMSC waits for those answers (its own window) and holds back
                    # what comes after them, our submit_sm_resp included.
                    self._flush_incoming(client)
                pdu = self._read(client)
                if pdu.command in ("submit_sm_resp", "generic_nack"):
                    entry = outstanding.pop(pdu.sequence, None)
                    if entry is None:
                        logger.warning(
                            "smpp: %s for unknown sequence %s", pdu.command, pdu.sequence
                        )
                        continue
                    status = int(pdu.status or 0)
                    self._answered(
                        entry[0],
                        entry[1],
                        status,
                        _text(pdu.message_id if pdu.command == "submit_sm_resp" else ""),
                    )
                    if status in THROTTLING:
                        # The SMSC asks us to slow down: what is not yet sent waits for a retry.
                        held_back = _status_text(status)
                else:
                    self._incoming(client, pdu)
            self._flush_incoming(client)
        except SmppFailure as exc:
            self._drop()
            for job, _number in outstanding.values():
                if job.outcome is None:
                    job.outcome = Outcome(job.message.delivery_id, Result.TEMPORARY, error=str(exc))
            reason = f"not sent: {exc}"
            for job in jobs:
                if job.outcome is None:
                    job.outcome = Outcome(job.message.delivery_id, Result.TEMPORARY, error=reason)
            return
        reason = f"not sent, the SMSC asked us to slow down ({held_back})"
        for job in jobs:
            if job.outcome is None:
                job.outcome = Outcome(job.message.delivery_id, Result.TEMPORARY, error=reason)

    def _submit_pdu(self, client: smpplib.client.Client, job: _Job, number: int) -> Any:
        last = number == len(job.parts) - 1
        return smpplib.smpp.make_pdu(
            "submit_sm",
            client=client,
            source_addr=self.source_addr,
            source_addr_ton=self.source_ton,
            source_addr_npi=self.source_npi,
            destination_addr=job.destination,
            dest_addr_ton=job.dest_ton,
            dest_addr_npi=1,
            esm_class=job.esm_class,
            data_coding=job.data_coding,
            # A receipt for the last part only: one receipt per message.
            registered_delivery=1 if last else 0,
            short_message=job.parts[number],
        )

    def _answered(self, job: _Job, number: int, status: int, message_id: str) -> None:
        if job.outcome is not None:
            return
        delivery_id = job.message.delivery_id
        if status != smpplib.consts.SMPP_ESME_ROK:
            result = Result.TEMPORARY if status in TEMPORARY_STATUSES else Result.PERMANENT
            job.outcome = Outcome(delivery_id, result, error=_status_text(status)[:300])
            return
        job.answered += 1
        if number == len(job.parts) - 1:
            job.provider_id = message_id
        if job.answered == len(job.parts):
            job.outcome = Outcome(delivery_id, Result.SENT, provider_id=job.provider_id)

    # --- what the SMSC sends us -----------------------------------------------------------

    def poll(self) -> int:
        """Read what the SMSC sent since last time (receipts, incoming SMS), store it, answer
        it, and apply the receipts; keep the session alive. Returns how many PDUs were read.

        Binds a session if there is none (an incoming SMS needs a bound session even when no
        alert is being sent), at most every RECONNECT_SECONDS after a failure.
        """
        if self._client is None and time.monotonic() < self._retry_at:
            return 0
        count = 0
        try:
            client = self._connect()
            while self._readable(client):
                self._incoming(client, self._read(client))
                count += 1
            self._flush_incoming(client)
            if time.monotonic() - self._last_sent >= self.enquire_link_seconds:
                self._write(client, smpplib.smpp.make_pdu("enquire_link", client=client))
        except SmppFailure as exc:
            logger.warning("smpp: %s", exc)
            self._drop()
        stored = self._store()
        if stored:
            receipts_apply_pending(provider=self.name, provider_ids=stored)
        return count

    def _incoming(self, client: smpplib.client.Client, pdu: Any) -> None:
        """Act on a PDU the SMSC sent on its own."""
        command = pdu.command
        if command == "deliver_sm":
            self._deliver_sm(client, pdu)
        elif command == "enquire_link":
            resp = smpplib.smpp.make_pdu("enquire_link_resp", client=client)
            resp.sequence = pdu.sequence
            self._write(client, resp)
        elif command == "unbind":
            resp = smpplib.smpp.make_pdu("unbind_resp", client=client)
            resp.sequence = pdu.sequence
            self._write(client, resp)
            raise SmppFailure("the SMSC ended the session (unbind)")
        elif command in ("enquire_link_resp", "submit_sm_resp", "generic_nack"):
            pass  # a late answer to something we gave up on, or to our enquire_link
        else:
            logger.warning("smpp: unexpected %s from the SMSC", command)

    def _deliver_sm(self, client: smpplib.client.Client, pdu: Any) -> None:
        if (int(pdu.esm_class or 0) & ESM_TYPE_MASK) == ESM_RECEIPT:
            self._unanswered.append((pdu.sequence, self._receipt(pdu)))
            if len(self._unanswered) >= RECEIPT_BATCH:
                self._flush_incoming(client)
            return
        # An SMS from a resident: stored (once) before the SMSC hears that we have it.
        self._mo(pdu)
        self._answer(client, pdu.sequence)

    def _receipt(self, pdu: Any) -> ReceiptIn | None:
        """The receipt a deliver_sm carries, or None when it is not final (ACCEPTD, ENROUTE)."""
        text = bytes(pdu.short_message or b"")
        provider_id = _text(pdu.receipted_message_id)
        if not provider_id:
            found = _RECEIPT_ID.search(text)
            provider_id = found.group(1).decode("latin-1") if found else ""
        stat_match = _RECEIPT_STAT.search(text)
        stat = stat_match.group(1).decode("ascii").upper() if stat_match else ""
        if not stat and pdu.message_state is not None:
            stat = MESSAGE_STATES.get(int(pdu.message_state), "")
        if not provider_id or stat not in DELIVERED_STATS | FAILED_STATS:
            return None
        if stat in DELIVERED_STATS:
            return ReceiptIn(self.name, provider_id, Receipt.Status.DELIVERED)
        err_match = _RECEIPT_ERR.search(text)
        error = f"receipt {stat}" + (
            f" err:{err_match.group(1).decode('latin-1')}" if err_match else ""
        )
        return ReceiptIn(self.name, provider_id, Receipt.Status.FAILED, error)

    def _flush_incoming(self, client: smpplib.client.Client) -> None:
        """Journal the receipts read so far (one write), then answer their deliver_sm."""
        if not self._unanswered:
            return
        pending, self._unanswered = self._unanswered, []
        receipts = [receipt for _seq, receipt in pending if receipt is not None]
        if receipts:
            self._journal.append(receipts)
            self._to_store.extend(receipts)
        for sequence, _receipt in pending:
            self._answer(client, sequence)

    def _store(self) -> list[str]:
        """Store the journalled receipts in the database (one statement), then empty the
        journal. Returns the provider ids they name."""
        if not self._to_store:
            return []
        stored, self._to_store = self._to_store, []
        receipts_record(stored)
        self._journal.truncate()
        return [receipt.provider_id for receipt in stored]

    def _answer(self, client: smpplib.client.Client, sequence: int) -> None:
        resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=client)
        resp.sequence = sequence
        self._write(client, resp)

    def _mo(self, pdu: Any) -> None:
        """Hand an incoming SMS to `inbound_receive`; the parts of a long one are joined first."""
        from torget.alerts.services.inbound import inbound_receive

        raw = bytes(pdu.short_message or pdu.message_payload or b"")
        udhi = bool(int(pdu.esm_class or 0) & ESM_UDHI)
        body = sms_decode(raw, data_coding=int(pdu.data_coding or 0), udhi=udhi)
        sender = self._sender(_text(pdu.source_addr), int(pdu.source_addr_ton or 0))
        if udhi:
            joined = self._join(sender, raw, body)
            if joined is None:
                return  # more parts to come
            body = joined
        now = timezone.now()
        inbound_receive(
            medium="sms",
            provider=self.name,
            external_id=self._mo_id(sender, _text(pdu.destination_addr), body, now),
            sender=sender,
            body=body,
            received_at=now,
        )

    def _join(self, sender: str, raw: bytes, text: str) -> str | None:
        """Collect the parts of a long incoming SMS (UDH IEI 0x00 or 0x08); the whole text once
        every part is here, else None. A message without a concatenation header is whole."""
        header = raw[1 : 1 + raw[0]] if raw else b""
        position = 0
        while position + 2 <= len(header):
            iei, length = header[position], header[position + 1]
            data = header[position + 2 : position + 2 + length]
            if iei == 0x00 and length == 3:
                reference, total, number = data[0], data[1], data[2]
                break
            if iei == 0x08 and length == 4:
                reference, total, number = int.from_bytes(data[:2]), data[2], data[3]
                break
            position += 2 + length
        else:
            return text
        key = (sender, reference, total)
        parts = self._mo_parts.setdefault(key, {})
        parts[number] = text
        if len(parts) < total:
            return None
        del self._mo_parts[key]
        return "".join(parts[n] for n in sorted(parts))

    @staticmethod
    def _sender(address: str, ton: int) -> str:
        """The sender in E.164 when it is a phone number (TON 1 is international)."""
        digits = address.lstrip("+")
        if ton == 1 and digits.isdigit():
            return "+" + digits
        try:
            return phone_normalise(address, sms=False)
        except ValidationError:
            return address

    @staticmethod
    def _mo_id(sender: str, destination: str, body: str, now: datetime.datetime) -> str:
        """A stable id for an incoming SMS, which SMPP does not give: the same text from the
        same sender to the same address within the same hour is the same message (an SMSC
        sending again what we did not answer before a crash), stored once."""
        hour = now.astimezone(datetime.UTC).strftime("%Y%m%d%H")
        digest = hashlib.sha256(f"{sender}\n{destination}\n{hour}\n{body}".encode()).hexdigest()
        return f"mo-{digest[:40]}"

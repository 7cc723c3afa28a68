"""Alert e-mail over SMTP against real servers on 127.0.0.1: aiosmtpd for content and replies,
and a small scripted server for what aiosmtpd will not do (PIPELINING, silence, garbage)."""

from __future__ import annotations

import datetime
import email
import email.message
import email.policy
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from conftest import free_port
from torget.alerts.delivery import DeliveryEngine, delivery_counts
from torget.alerts.models import Alert, Delivery, Medium
from torget.alerts.providers.base import Outgoing, Result
from torget.alerts.providers.smtp import SmtpProvider
from torget.alerts.tests.factories import alert_make, subscription_make
from torget.organisation.models import Unit

Status = Delivery.Status


# --- servers ----------------------------------------------------------------------------------


class Scripted:
    """An aiosmtpd handler: answers each DATA with the next of `data_replies` (then 250),
    refuses the recipients in `refuse`, and keeps what it accepted."""

    def __init__(self, data_replies: list[str] | None = None, refuse: dict[str, str] | None = None):
        self.data_replies = list(data_replies or [])
        self.refuse = refuse or {}
        self.accepted: list[email.message.EmailMessage] = []
        self.transactions = 0
        self.raw: list[bytes] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.transactions += 1
        if self.data_replies:
            return self.data_replies.pop(0)
        self.raw.append(envelope.original_content)
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.accepted.append(parsed)  # type: ignore[arg-type]
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def aiosmtpd_server() -> Iterator[Any]:
    from aiosmtpd.controller import Controller

    def start(handler: Scripted) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return port

    started: list[Any] = []
    yield start
    for controller in started:
        controller.stop()


class RawSmtp(socketserver.ThreadingTCPServer):
    """A line-by-line SMTP server whose replies are scripted per command verb: a reply of
    None means silence (the client must time out). Records every line it received."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, pipelining: bool = False, script: dict[str, list[str | None]]):
        self.pipelining = pipelining
        self.script = script
        self.lines: list[str] = []
        self.messages: list[bytes] = []
        self.connections = 0
        self.quiet = threading.Event()
        super().__init__(("127.0.0.1", 0), RawHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def reply_to(self, verb: str) -> str | None:
        queue = self.script.get(verb)
        if queue:
            return queue.pop(0)
        if verb == "EHLO":
            extensions = ["250-raw", "250-8BITMIME"]
            if self.pipelining:
                extensions.append("250-PIPELINING")
            return "\r\n".join([*extensions, "250 SIZE 10000000"])
        return {"DATA": "354 go ahead", ".": "250 queued", "QUIT": "221 bye"}.get(verb, "250 ok")


class RawHandler(socketserver.StreamRequestHandler):
    server: RawSmtp

    def handle(self) -> None:
        server = self.server
        server.connections += 1
        self.wfile.write(b"220 raw ESMTP\r\n")
        data: list[bytes] | None = None
        for raw in self.rfile:
            if data is not None:
                if raw != b".\r\n":
                    data.append(raw)
                    continue
                server.messages.append(b"".join(data))
                data, verb = None, "."
            else:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                server.lines.append(line)
                verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            reply = server.reply_to(verb)
            if reply is None:
                server.quiet.wait(30)
                return
            self.wfile.write(reply.encode() + b"\r\n")
            if verb == "DATA" and reply.startswith("354"):
                data = []
            if verb == "QUIT" or reply.startswith("421"):
                return


@pytest.fixture
def raw_server() -> Iterator[Any]:
    servers: list[RawSmtp] = []

    def start(**kwargs: Any) -> RawSmtp:
        server = RawSmtp(**kwargs)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.quiet.set()
        server.shutdown()
        server.server_close()


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def journal_dir(tmp_path: Path, settings: Any) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path / "delivery"


@pytest.fixture
def alert(library: Unit) -> Alert:
    return alert_make(
        library,
        status=Alert.Status.SENT,
        sent_at=timezone.now(),
        title="Vannlekkasje på Østre vei",
        text="Vannet er stengt til kl. 18.\n.Punktum først på linja.\nKok vannet før bruk.",
    )


def queue(alert: Alert, *destinations: str) -> list[Delivery]:
    rows = []
    for destination in destinations:
        subscription = subscription_make(
            alert.municipality, destination=destination, medium=Medium.EMAIL
        )
        rows.append(
            Delivery.objects.create(
                alert=alert,
                medium=Medium.EMAIL,
                destination=destination,
                subscription=subscription,
                next_attempt_at=timezone.now(),
            )
        )
    return rows


def smtp(port: int, **kwargs: Any) -> SmtpProvider:
    return SmtpProvider(host="127.0.0.1", port=port, rate_per_second=0, **kwargs)


def engine(provider: SmtpProvider) -> DeliveryEngine:
    return DeliveryEngine(providers={"email": provider}, worker_id="smtp-test")


def outgoing(delivery_id: int, destination: str = "nora@example.no") -> Outgoing:
    return Outgoing(
        delivery_id=delivery_id,
        destination=destination,
        subject="Test",
        body="Hei\n",
        headers={"Message-ID": f"<delivery-{delivery_id}.x@example.no>"},
    )


# --- content ----------------------------------------------------------------------------------


def test_smtp_delivers_the_alert_with_its_headers_and_text(
    alert: Alert, journal_dir: Path, aiosmtpd_server: Any
) -> None:
    handler = Scripted()
    (row,) = queue(alert, "nora@example.no")
    eng = engine(smtp(aiosmtpd_server(handler)))
    assert eng.run_once() == 1
    eng.close()

    row.refresh_from_db()
    assert row.status == Status.DELIVERED and row.delivered_at is not None
    (message,) = handler.accepted
    assert message["To"] == "nora@example.no"
    assert message["Subject"] == "Vannlekkasje på Østre vei"
    assert message["Message-ID"] == f"<delivery-{row.pk}.{alert.identifier}@testserver>"
    assert row.provider_id == message["Message-ID"].strip("<>")
    assert row.subscription is not None
    assert row.subscription.token in message["List-Unsubscribe"]
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content().replace("\r\n", "\n")
    assert "Kok vannet før bruk." in body
    # The dot-stuffed line arrives as written.
    assert "\n.Punktum først på linja.\n" in body


# --- replies ----------------------------------------------------------------------------------


def test_451_is_retried_with_backoff_until_the_server_takes_it(
    alert: Alert, journal_dir: Path, aiosmtpd_server: Any
) -> None:
    handler = Scripted(data_replies=["451 4.3.0 Try again later", "451 4.3.0 Still busy"])
    (row,) = queue(alert, "nora@example.no")
    eng = engine(smtp(aiosmtpd_server(handler)))
    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in (1, 2):
            assert eng.run_once() == 1
            row.refresh_from_db()
            assert (row.status, row.attempts) == (Status.QUEUED, attempt)
            assert row.error.startswith("451 4.3.0")
            waits.append(row.next_attempt_at - timezone.now())
            assert eng.run_once() == 0  # not due yet
            clock.shift(waits[-1] + datetime.timedelta(seconds=1))
        assert eng.run_once() == 1
    eng.close()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == (Status.DELIVERED, 3, "")
    assert waits[1] > waits[0] > datetime.timedelta(0)
    assert handler.transactions == 3 and len(handler.accepted) == 1


def test_550_fails_with_the_reason_and_the_rest_of_the_batch_goes_on(
    alert: Alert, journal_dir: Path, aiosmtpd_server: Any
) -> None:
    handler = Scripted(refuse={"nobody@example.no": "550 5.1.1 <nobody@example.no>: no such user"})
    bad, good = queue(alert, "nobody@example.no", "nora@example.no")
    eng = engine(smtp(aiosmtpd_server(handler)))
    eng.run_once()
    eng.close()
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.status == Status.FAILED
    assert bad.error == "550 5.1.1 <nobody@example.no>: no such user"
    assert good.status == Status.DELIVERED
    assert [m["To"] for m in handler.accepted] == ["nora@example.no"]


def test_550_after_the_message_fails_permanently(aiosmtpd_server: Any) -> None:
    handler = Scripted(data_replies=["554 5.7.1 Rejected as spam"])
    provider = smtp(aiosmtpd_server(handler))
    handed: list[int] = []
    (outcome,) = provider.send([outgoing(7)], handed.append)
    provider.close()
    assert outcome.result is Result.PERMANENT
    assert outcome.error == "554 5.7.1 Rejected as spam"
    # It was handed over (the dot was written) and then refused.
    assert handed == [7]


def test_a_server_that_goes_silent_is_a_temporary_failure_with_the_reason(
    alert: Alert, journal_dir: Path, raw_server: Any
) -> None:
    server = raw_server(script={"MAIL": [None]})
    (row,) = queue(alert, "nora@example.no")
    eng = engine(smtp(server.port, timeout=0.5))
    eng.run_once()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.QUEUED, 1)
    assert row.error == "SMTP: timed out waiting for the server"
    assert row.next_attempt_at > timezone.now()


def test_garbage_from_the_server_is_a_temporary_failure_and_a_new_connection(
    raw_server: Any,
) -> None:
    server = raw_server(script={"MAIL": ["what is this"]})
    provider = smtp(server.port, timeout=2)
    first, second = provider.send([outgoing(1), outgoing(2)], lambda _id: None)
    provider.close()
    assert first.result is Result.TEMPORARY
    assert first.error.startswith("unreadable SMTP reply before the message")
    # The connection was dropped and opened anew for the next message, which went through.
    assert second.result is Result.DELIVERED
    assert server.connections == 2 and len(server.messages) == 1


def test_garbage_after_the_message_is_retried(raw_server: Any) -> None:
    server = raw_server(script={".": ["no idea"]})
    provider = smtp(server.port, timeout=2)
    handed: list[int] = []
    (outcome,) = provider.send([outgoing(3)], handed.append)
    provider.close()
    assert handed == [3]
    assert outcome.result is Result.TEMPORARY
    assert outcome.error.startswith("unreadable SMTP reply after the message")


def test_an_unreachable_server_fails_the_batch_temporarily() -> None:
    provider = smtp(free_port(), timeout=2)
    outcomes = provider.send([outgoing(1), outgoing(2)], lambda _id: None)
    assert [o.result for o in outcomes] == [Result.TEMPORARY, Result.TEMPORARY]
    assert outcomes[0].error.startswith("cannot reach 127.0.0.1:")


# --- connection -------------------------------------------------------------------------------


def test_pipelining_sends_the_envelope_in_one_write_and_handles_a_refused_recipient(
    raw_server: Any,
) -> None:
    server = raw_server(pipelining=True, script={"RCPT": ["250 ok", "550 5.1.1 unknown"]})
    provider = smtp(server.port, timeout=2)
    handed: list[int] = []
    outcomes = provider.send(
        [outgoing(1), outgoing(2, "nobody@example.no"), outgoing(3)], handed.append
    )
    provider.close()
    assert [o.result for o in outcomes] == [Result.DELIVERED, Result.PERMANENT, Result.DELIVERED]
    assert outcomes[1].error == "550 5.1.1 unknown"
    assert handed == [1, 3]
    # RFC 2920: DATA was accepted although RCPT was not, so an empty message was ended.
    assert len(server.messages) == 3 and server.messages[1] == b""
    assert server.connections == 1
    assert b"Message-ID: <delivery-3.x@example.no>" in server.messages[2]


def test_the_connection_is_kept_across_batches_and_opened_again_after_421(
    raw_server: Any,
) -> None:
    server = raw_server(script={"MAIL": ["250 ok", "250 ok", "421 4.4.2 closing"]})
    provider = smtp(server.port, timeout=2)
    first = provider.send([outgoing(1)], lambda _id: None)
    second = provider.send([outgoing(2)], lambda _id: None)
    assert server.connections == 1
    third = provider.send([outgoing(3), outgoing(4)], lambda _id: None)
    provider.close()
    assert [o.result for o in first + second + third] == [
        Result.DELIVERED,
        Result.DELIVERED,
        Result.TEMPORARY,
        Result.DELIVERED,
    ]
    assert third[0].error == "421 4.4.2 closing"
    assert server.connections == 2


def test_engine_counts_show_the_whole_batch_delivered(
    alert: Alert, journal_dir: Path, aiosmtpd_server: Any
) -> None:
    handler = Scripted()
    queue(alert, *(f"person{i}@example.no" for i in range(12)))
    provider = smtp(aiosmtpd_server(handler))
    provider.batch_size = 5
    eng = engine(provider)
    while eng.run_once():
        pass
    eng.close()
    assert delivery_counts(alert)["delivered"] == 12
    ids = [m["Message-ID"] for m in handler.accepted]
    assert len(ids) == len(set(ids)) == 12


def test_socket_reads_time_out_rather_than_hang(raw_server: Any) -> None:
    server = raw_server(script={".": [None]})
    provider = smtp(server.port, timeout=0.3)
    handed: list[int] = []
    began = timezone.now()
    (outcome,) = provider.send([outgoing(5)], handed.append)
    assert timezone.now() - began < datetime.timedelta(seconds=5)
    # Ambiguous (the server may have taken it): retried, and recorded as handed over first.
    assert handed == [5]
    assert outcome.result is Result.TEMPORARY
    assert outcome.error == "SMTP: timed out waiting for the server"


def test_a_refusal_after_the_dot_leaves_the_next_pipelined_message_unharmed(
    raw_server: Any,
) -> None:
    server = raw_server(pipelining=True, script={".": ["554 5.7.1 spam", "421 4.3.2 bye"]})
    provider = smtp(server.port, timeout=2)
    handed: list[int] = []
    outcomes = provider.send([outgoing(1), outgoing(2), outgoing(3)], handed.append)
    provider.close()
    assert [(o.result, o.error) for o in outcomes] == [
        (Result.PERMANENT, "554 5.7.1 spam"),
        (Result.TEMPORARY, "421 4.3.2 bye"),
        (Result.DELIVERED, ""),
    ]
    assert handed == [1, 2, 3]
    # The 421 closed the connection; the third message went over a new one.
    assert server.connections == 2
    assert b"delivery-3." in server.messages[-1]


def test_render_stuffs_dots_folds_long_subjects_and_ends_lines_with_crlf() -> None:
    provider = smtp(25)
    provider._eightbit = True  # as after EHLO from a server that offers 8BITMIME
    wire = provider.render(
        Outgoing(
            delivery_id=1,
            destination="nora@example.no",
            subject="Æ" * 60,
            body=".først\nmidt\n..to\n.",
            headers={"Message-ID": "<delivery-1.x@example.no>"},
        )
    )
    assert b"\n" not in wire.replace(b"\r\n", b"")
    head, body = wire.split(b"\r\n\r\n", 1)
    assert body == "..først\r\nmidt\r\n...to\r\n..\r\n".encode()
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert parsed["Subject"] == "Æ" * 60
    assert b"\r\n " in head  # the encoded subject is folded over several lines

"""The HTTP JSON SMS provider against a real HTTP server on 127.0.0.1, and its callbacks
(delivery receipts, incoming SMS) with the shared secret."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from torget.alerts.delivery import DeliveryEngine
from torget.alerts.models import Alert, Delivery, Inbound, Receipt
from torget.alerts.providers.base import Outcome, Outgoing, Result
from torget.alerts.providers.http_sms import HttpSmsProvider
from torget.alerts.receipts import receipts_apply_pending
from torget.alerts.tests.factories import alert_make, alert_sent_make
from torget.alerts.tests.smsc import free_port
from torget.organisation.models import Unit

Status = Delivery.Status
SECRET = "webhook-secret-for-tests"
RECEIPT_URL = "/varsler/sms/kvittering/"
INBOUND_URL = "/varsler/sms/innkommende/"


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    close: bool = False


@dataclass
class Gateway:
    """What the provider's server should answer (in turn; then 200 with a new id), and what
    it received."""

    answers: list[Answer] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    connections: set[int] = field(default_factory=set)
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(gateway: Gateway) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with gateway.lock:
                gateway.count += 1
                gateway.connections.add(self.client_address[1])
                gateway.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "content_type": self.headers.get("Content-Type"),
                        "json": json.loads(body),
                    }
                )
                answer = (
                    gateway.answers.pop(0)
                    if gateway.answers
                    else Answer(200, json.dumps({"id": f"msg-{gateway.count}"}).encode())
                )
            if answer.delay:
                # The slow provider: wait (a server-side delay is the behaviour under test).
                threading.Event().wait(answer.delay)
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.body)))
            if answer.close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(answer.body)

    return Handler


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, str]]:
    state = Gateway()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/api/sms?v=1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def provider(gateway: tuple[Gateway, str]) -> Iterator[HttpSmsProvider]:
    sms = HttpSmsProvider(
        url=gateway[1], token="tok-123", sender="Testvik", timeout=0.5, rate_per_second=0
    )
    yield sms
    sms.close()


def send(provider: HttpSmsProvider, messages: list[Outgoing]) -> tuple[list[Outcome], list[int]]:
    handed: list[int] = []
    return provider.send(messages, handed.append), handed


# --- sending --------------------------------------------------------------------------------


def test_http_sms_posts_json_with_bearer_token_on_one_connection(
    gateway: tuple[Gateway, str], provider: HttpSmsProvider
) -> None:
    state, _url = gateway
    outcomes, handed = send(
        provider,
        [Outgoing(7, "912 34 567", "Vann stengt"), Outgoing(8, "+4741234567", "Vann 😀")],
    )
    assert [(o.result, o.provider_id) for o in outcomes] == [
        (Result.SENT, "msg-1"),
        (Result.SENT, "msg-2"),
    ]
    assert handed == [7, 8]
    first = state.requests[0]
    assert first["path"] == "/api/sms?v=1"
    assert first["authorization"] == "Bearer tok-123"
    assert first["content_type"] == "application/json"
    assert first["json"] == {
        "to": "+4791234567",
        "from": "Testvik",
        "text": "Vann stengt",
        "reference": "torget-7",
    }
    assert state.requests[1]["json"]["text"] == "Vann 😀"
    assert len(state.connections) == 1  # kept alive


@pytest.mark.parametrize(
    ("answer", "result", "error"),
    [
        (Answer(429, b'{"error": "slow down"}'), Result.TEMPORARY, "HTTP 429: slow down"),
        (Answer(503, b"<html>maintenance</html>"), Result.TEMPORARY, "HTTP 503: <html>"),
        (
            Answer(400, b'{"message": "unknown destination"}'),
            Result.PERMANENT,
            "HTTP 400: unknown destination",
        ),
        (Answer(403, b""), Result.PERMANENT, "HTTP 403: (no message)"),
        (Answer(200, b"not json at all"), Result.TEMPORARY, "HTTP 200 without a message id"),
        (Answer(200, b'{"status": "ok"}'), Result.TEMPORARY, "HTTP 200 without a message id"),
    ],
)
def test_http_sms_classifies_the_providers_answer(
    gateway: tuple[Gateway, str],
    provider: HttpSmsProvider,
    answer: Answer,
    result: Result,
    error: str,
) -> None:
    gateway[0].answers.append(answer)
    outcomes, handed = send(provider, [Outgoing(1, "91234567", "Vann stengt")])
    assert outcomes[0].result is result
    assert outcomes[0].error.startswith(error)
    assert handed == [1]
    # The connection is still good for the next message.
    again, _ = send(provider, [Outgoing(2, "91234567", "Vann stengt")])
    assert again[0].result is Result.SENT


def test_http_sms_slow_provider_times_out_as_temporary(
    gateway: tuple[Gateway, str], provider: HttpSmsProvider
) -> None:
    gateway[0].answers.append(Answer(200, b'{"id": "late"}', delay=1.5))
    outcomes, handed = send(provider, [Outgoing(1, "91234567", "Vann stengt")])
    assert outcomes[0].result is Result.TEMPORARY
    assert outcomes[0].error == "no answer from the provider within 0.5 s"
    assert handed == [1]
    again, _ = send(provider, [Outgoing(2, "91234567", "Vann stengt")])
    assert again[0].result is Result.SENT


def test_http_sms_reconnects_when_the_server_closed_the_connection(
    gateway: tuple[Gateway, str], provider: HttpSmsProvider
) -> None:
    state, _url = gateway
    state.answers.append(Answer(200, b'{"id": "first"}', close=True))
    outcomes, _ = send(provider, [Outgoing(1, "91234567", "a"), Outgoing(2, "91234567", "b")])
    assert [o.provider_id for o in outcomes] == ["first", "msg-2"]
    assert len(state.connections) == 2


def test_http_sms_unreachable_is_temporary_and_nothing_is_handed() -> None:
    provider = HttpSmsProvider(url=f"http://127.0.0.1:{free_port()}/sms", token="t", timeout=1)
    outcomes, handed = send(provider, [Outgoing(1, "91234567", "Vann stengt")])
    assert outcomes[0].result is Result.TEMPORARY
    assert outcomes[0].error.startswith("cannot reach the provider")
    assert handed == []


def test_http_sms_bad_number_and_too_long_are_permanent_and_not_posted(
    gateway: tuple[Gateway, str], provider: HttpSmsProvider
) -> None:
    outcomes, handed = send(
        provider, [Outgoing(1, "22 00 00 00", "Vann"), Outgoing(2, "91234567", "x" * 2000)]
    )
    assert [o.result for o in outcomes] == [Result.PERMANENT, Result.PERMANENT]
    assert outcomes[0].error.startswith("invalid phone number")
    assert "more than 10 SMS" in outcomes[1].error
    assert handed == []
    assert gateway[0].requests == []


# --- callbacks ------------------------------------------------------------------------------


@pytest.fixture
def hooks(settings: Any, municipality: object) -> None:
    settings.SMS_WEBHOOK_SECRET = SECRET


def post(client: Client, url: str, data: Any, secret: str | None = SECRET) -> Any:
    headers = {"X-Torget-Secret": secret} if secret is not None else {}
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


def sent_row(alert: Alert, provider_id: str, destination: str = "+4791234567") -> Delivery:
    now = timezone.now()
    return Delivery.objects.create(
        alert=alert,
        medium="sms",
        destination=destination,
        status=Status.SENT,
        provider="http",
        provider_id=provider_id,
        next_attempt_at=now,
        sent_at=now,
    )


def test_receipt_hook_refuses_a_missing_or_wrong_secret(client: Client, hooks: None) -> None:
    assert post(client, RECEIPT_URL, {"id": "x", "status": "delivered"}, None).status_code == 403
    assert post(client, RECEIPT_URL, {"id": "x", "status": "delivered"}, "nope").status_code == 403
    assert (
        post(client, INBOUND_URL, {"id": "x", "from": "91234567", "text": "hei"}, "no").status_code
        == 403
    )
    assert Receipt.objects.count() == 0


def test_receipt_hook_refused_when_no_secret_is_configured(
    client: Client, settings: Any, municipality: object
) -> None:
    settings.SMS_WEBHOOK_SECRET = ""
    assert post(client, RECEIPT_URL, {"id": "x", "status": "delivered"}, "").status_code == 403


def test_receipt_hook_delivers_once_even_when_sent_twice(
    client: Client, hooks: None, library: Unit
) -> None:
    row = sent_row(alert_make(library), "msg-9")
    first = post(client, RECEIPT_URL, {"id": "msg-9", "status": "delivered"})
    assert first.status_code == 200
    assert first.json() == {"recorded": True, "applied": 1}
    second = post(client, RECEIPT_URL, {"id": "msg-9", "status": "DELIVERED"})
    assert second.json() == {"recorded": False, "applied": 0}
    row.refresh_from_db()
    assert row.status == Status.DELIVERED
    assert row.delivered_at is not None
    assert Receipt.objects.count() == 1


def test_receipt_hook_failed_records_the_reason(client: Client, hooks: None, library: Unit) -> None:
    row = sent_row(alert_make(library), "msg-10")
    response = post(
        client, RECEIPT_URL, {"id": "msg-10", "status": "undelivered", "error": "absent subscriber"}
    )
    assert response.json()["applied"] == 1
    row.refresh_from_db()
    assert (row.status, row.error) == (Status.FAILED, "receipt undelivered: absent subscriber")


def test_receipt_hook_before_the_id_is_known_is_applied_later(
    client: Client, hooks: None, library: Unit
) -> None:
    response = post(client, RECEIPT_URL, {"id": "early-1", "status": "delivered"})
    assert response.json() == {"recorded": True, "applied": 0}
    row = sent_row(alert_make(library), "early-1")
    assert receipts_apply_pending() == 1
    row.refresh_from_db()
    assert row.status == Status.DELIVERED
    assert receipts_apply_pending() == 0


def test_receipt_hook_ignores_interim_states_and_rejects_nonsense(
    client: Client, hooks: None
) -> None:
    assert post(client, RECEIPT_URL, {"id": "a", "status": "accepted"}).json() == {
        "recorded": False,
        "applied": 0,
    }
    assert post(client, RECEIPT_URL, {"id": "a", "status": "maybe"}).status_code == 400
    assert post(client, RECEIPT_URL, {"status": "delivered"}).status_code == 400
    assert post(client, RECEIPT_URL, ["not", "an", "object"]).status_code == 400
    garbage = client.post(
        RECEIPT_URL, b"{{{", content_type="application/json", headers={"X-Torget-Secret": SECRET}
    )
    assert garbage.status_code == 400
    assert Receipt.objects.count() == 0


def test_inbound_hook_stores_an_answer_once(client: Client, hooks: None, library: Unit) -> None:
    alert_sent_make(library, destinations={"+4798765432": "sms"})
    data = {"id": "in-1", "from": "987 65 432", "text": "Gjelder dette Storgata 3?"}
    first = post(client, INBOUND_URL, data)
    assert first.status_code == 200
    assert first.json()["result"] == Inbound.Result.THREAD
    assert post(client, INBOUND_URL, data).status_code == 200
    inbound = Inbound.objects.get()
    assert (inbound.provider, inbound.external_id, inbound.sender) == (
        "http",
        "in-1",
        "+4798765432",
    )
    assert inbound.body == "Gjelder dette Storgata 3?"


def test_inbound_hook_rejects_a_bad_number_or_missing_text(client: Client, hooks: None) -> None:
    bad = post(client, INBOUND_URL, {"id": "in-2", "from": "not a number", "text": "hei"})
    assert bad.status_code == 400
    assert "not a phone number" in bad.json()["error"]
    assert post(client, INBOUND_URL, {"id": "in-3", "from": "91234567"}).status_code == 400
    assert Inbound.objects.count() == 0


# --- the whole way, through the engine ------------------------------------------------------


def test_http_sms_through_the_engine_then_the_receipt_callback(
    client: Client,
    hooks: None,
    library: Unit,
    gateway: tuple[Gateway, str],
    provider: HttpSmsProvider,
    tmp_path: Path,
) -> None:
    alert = alert_make(library, status=Alert.Status.SENT, sent_at=timezone.now())
    now = timezone.now()
    rows = [
        Delivery.objects.create(alert=alert, medium="sms", destination=number, next_attempt_at=now)
        for number in ("+4791000001", "+4791000002")
    ]
    engine = DeliveryEngine(providers={"sms": provider}, worker_id="h2-http", journal_dir=tmp_path)
    engine.start()
    try:
        deadline = time.monotonic() + 10
        while engine.run_once():
            assert time.monotonic() < deadline
    finally:
        engine.close()
    ids = sorted(Delivery.objects.filter(alert=alert).values_list("provider_id", flat=True))
    assert ids == ["msg-1", "msg-2"]
    assert {row.status for row in Delivery.objects.filter(alert=alert)} == {Status.SENT}
    assert gateway[0].requests[0]["json"]["text"] == engine.render([rows[0]])[0].body
    for provider_id in ids:
        post(client, RECEIPT_URL, {"id": provider_id, "status": "delivered"})
    assert {row.status for row in Delivery.objects.filter(alert=alert)} == {Status.DELIVERED}

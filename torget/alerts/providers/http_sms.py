"""SMS through a generic HTTP JSON provider.

Each message is one `POST {TORGET_SMS_HTTP_URL}` with `{"to", "from", "text", "reference"}` and
`Authorization: Bearer {TORGET_SMS_HTTP_TOKEN}`, on one kept-alive connection (the standard
library's http.client: nothing more is needed for one request after another). `reference` is
`torget-<delivery id>`, stable across retries, so a provider that deduplicates can.

- 2xx with JSON `{"id": ...}`: SENT, the id kept for the receipt callback;
- 429, 5xx, a timeout, a broken connection, or a 2xx without a JSON id: TEMPORARY with the reason;
- any other 4xx: PERMANENT with the provider's own message.

`handed(id)` is called once the request is written, before its answer is read. Receipts and
incoming SMS come back to `torget.alerts.views.sms_hooks`.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.parse
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from torget.alerts.providers.base import Handed, Outcome, Outgoing, Result
from torget.alerts.sms import MAX_SEGMENTS, phone_for_sending, sms_length

logger = logging.getLogger("torget.alerts.http_sms")

# The most of a provider's answer we keep as the reason.
REASON_CHARS = 200


def _reason(status: int, body: bytes) -> str:
    """The provider's message from its answer: a JSON `error`/`message`/`detail`, else text."""
    text = body[:2000].decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "detail", "description"):
            if isinstance(data.get(key), str) and data[key].strip():
                text = data[key].strip()
                break
    return f"HTTP {status}: {text[:REASON_CHARS] or '(no message)'}"


class HttpSmsProvider:
    """The generic HTTP JSON SMS provider (`TORGET_SMS_HTTP_*`)."""

    medium = "sms"

    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        sender: str | None = None,
        timeout: float | None = None,
        rate_per_second: float | None = None,
        batch_size: int | None = None,
        name: str = "http",
    ) -> None:
        """Read every value not given from the settings."""
        self.name = name
        self.url = url if url is not None else settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.sender = sender if sender is not None else settings.SMS_SENDER
        self.timeout = float(timeout if timeout is not None else settings.SMS_HTTP_TIMEOUT)
        self.rate_per_second = float(
            rate_per_second if rate_per_second is not None else settings.SMS_HTTP_RATE
        )
        self.batch_size = batch_size if batch_size is not None else settings.SMS_HTTP_BATCH_SIZE
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ImproperlyConfigured(
                f"TORGET_SMS_HTTP_URL must be an http(s) URL, not {self.url!r}"
            )
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        self._connection: http.client.HTTPConnection | None = None

    @classmethod
    def from_settings(cls) -> HttpSmsProvider:
        return cls()

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            kind = (
                http.client.HTTPSConnection
                if self._scheme == "https"
                else http.client.HTTPConnection
            )
            self._connection = kind(self._host, self._port, timeout=self.timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def send(self, messages: Sequence[Outgoing], handed: Handed) -> list[Outcome]:
        """POST each message in turn; one outcome per message, in their order."""
        return [self._send_one(message, handed) for message in messages]

    def _send_one(self, message: Outgoing, handed: Handed) -> Outcome:
        delivery_id = message.delivery_id
        try:
            to = phone_for_sending(message.destination)
        except ValidationError as exc:
            return Outcome(
                delivery_id, Result.PERMANENT, error=f"invalid phone number: {exc.messages[0]}"
            )
        if sms_length(message.body).segments > MAX_SEGMENTS:
            return Outcome(
                delivery_id, Result.PERMANENT, error=f"the text takes more than {MAX_SEGMENTS} SMS"
            )
        payload = json.dumps(
            {
                "to": to,
                "from": self.sender,
                "text": message.body,
                "reference": f"torget-{delivery_id}",
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.token}",
        }
        try:
            self._write(payload, headers)
        except OSError as exc:
            self.close()
            return Outcome(
                delivery_id, Result.TEMPORARY, error=f"cannot reach the provider: {exc!r}"
            )
        handed(delivery_id)
        try:
            response = self._connect().getresponse()
            body = response.read()
        except TimeoutError:
            self.close()
            return Outcome(
                delivery_id,
                Result.TEMPORARY,
                error=f"no answer from the provider within {self.timeout:g} s",
            )
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Outcome(delivery_id, Result.TEMPORARY, error=f"the connection broke: {exc!r}")
        if response.will_close:
            self.close()
        return self._outcome(delivery_id, response.status, body)

    def _write(self, payload: bytes, headers: dict[str, str]) -> None:
        """Write the request; on a kept-alive connection the server may have closed meanwhile,
        which shows only now: then once more on a new connection (nothing was handed over)."""
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request("POST", self._path, body=payload, headers=headers)
                return
            except (BrokenPipeError, ConnectionResetError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
            except OSError:
                self.close()
                raise

    def _outcome(self, delivery_id: int, status: int, body: bytes) -> Outcome:
        if 200 <= status < 300:
            provider_id = self._id(body)
            if provider_id:
                return Outcome(delivery_id, Result.SENT, provider_id=provider_id)
            return Outcome(
                delivery_id,
                Result.TEMPORARY,
                error=f"HTTP {status} without a message id: {body[:REASON_CHARS]!r}",
            )
        result = Result.TEMPORARY if status == 429 or status >= 500 else Result.PERMANENT
        return Outcome(delivery_id, result, error=_reason(status, body)[:300])

    @staticmethod
    def _id(body: bytes) -> str:
        try:
            data: Any = json.loads(body)
        except ValueError:
            return ""
        if not isinstance(data, dict) or data.get("id") in (None, ""):
            return ""
        value = data["id"]
        return str(value)[:100] if isinstance(value, str | int) else ""

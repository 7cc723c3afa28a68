"""Alert e-mail over SMTP, with the moment of handing over known exactly.

`smtplib.SMTP.sendmail` does the whole transaction in one call, so nobody can tell whether a
worker killed inside it had handed the message over. This provider drives smtplib at the
command level instead: MAIL, RCPT and DATA (in one write when the server offers PIPELINING,
RFC 2920), then the dot-stuffed message and the end-of-data dot in one write, then
`handed(id)`, and only then the server's reply. The connection stays open across batches and
is opened again after any failure.

What a reply means:
- 2xx to the end of data: `DELIVERED` (e-mail has no delivery receipt; the server took it), the
  provider id is the Message-ID;
- 4xx anywhere: `TEMPORARY`, retried with backoff; 5xx: `PERMANENT`, with the server's words;
- a timeout, a dropped connection or a reply that is not SMTP: `TEMPORARY` with the reason, and
  the connection is opened anew. After the end-of-data dot this is ambiguous (RFC 1047: the
  server may have taken the message without our hearing it); we retry rather than risk losing
  an alert, and the Message-ID stays the same so that the duplicate can be recognised.
"""

from __future__ import annotations

import binascii
import contextlib
import email.utils
import functools
import logging
import smtplib
import socket
import ssl
import time
from collections.abc import Sequence
from email.header import Header

from django.conf import settings

from torget.alerts.providers.base import Handed, Outcome, Outgoing, Result

logger = logging.getLogger("torget.alerts.smtp")

# RFC 5321: a line of at most 998 octets plus CRLF; longer lines go quoted-printable.
MAX_LINE = 998


@functools.lru_cache(maxsize=4096)
def _header_value(value: str) -> str:
    """A header value on one line, RFC 2047-encoded if it is not ASCII. Cached: an alert's
    subject is the same in every message, and encoding it costs more than sending it."""
    value = " ".join(value.replace("\r", " ").replace("\n", " ").split())
    if value.isascii():
        return value
    return Header(value, "utf-8", maxlinelen=76).encode()


def _address(text: str) -> str:
    return email.utils.parseaddr(text)[1] or text


def _recipient(destination: str) -> tuple[str, str]:
    """The address for RCPT TO, and why it cannot be used ("" if it can)."""
    if not destination.isascii():
        return destination, "address is not ASCII"
    if any(c in destination for c in "<>\r\n ") or "@" not in destination:
        return destination, "not an e-mail address"
    return destination, ""


class SmtpProvider:
    """Sends `Outgoing` e-mails over one SMTP connection (see the module docstring)."""

    name = "smtp"
    medium = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str = "",
        password: str = "",
        tls: bool = False,
        timeout: float = 20.0,
        rate_per_second: float = 100.0,
        batch_size: int = 200,
        sender: str = "",
        local_hostname: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.user, self.password, self.tls = user, password, tls
        self.timeout = timeout
        self.rate_per_second = rate_per_second
        self.batch_size = batch_size
        self.sender = sender or settings.DEFAULT_FROM_EMAIL
        self.local_hostname = local_hostname
        self._smtp: smtplib.SMTP | None = None
        self._pipelining = False
        self._eightbit = False
        self._pending = False
        self._mail = b""
        self._date = ("", 0)

    @classmethod
    def from_settings(cls) -> SmtpProvider:
        return cls(
            host=settings.ALERT_SMTP_HOST,
            port=settings.ALERT_SMTP_PORT,
            user=settings.ALERT_SMTP_USER,
            password=settings.ALERT_SMTP_PASSWORD,
            tls=settings.ALERT_SMTP_TLS,
            timeout=settings.ALERT_SMTP_TIMEOUT,
            rate_per_second=settings.ALERT_SMTP_RATE,
        )

    # --- connection ---------------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(timeout=self.timeout, local_hostname=self.local_hostname)
        try:
            code, message = smtp.connect(self.host, self.port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, message)
            smtp.ehlo_or_helo_if_needed()
            if self.tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password)
        except BaseException:
            self._drop(smtp)
            raise
        self._pipelining = smtp.has_extn("pipelining")
        self._eightbit = smtp.has_extn("8bitmime")
        self._mail = b"MAIL FROM:<%s>%s\r\n" % (
            _address(self.sender).encode(),
            b" BODY=8BITMIME" if self._eightbit else b"",
        )
        self._smtp = smtp
        return smtp

    @staticmethod
    def _drop(smtp: smtplib.SMTP | None) -> None:
        if smtp is None:
            return
        with contextlib.suppress(OSError):
            smtp.close()

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._drop(smtp)

    # --- messages -----------------------------------------------------------------------------

    def _now_header(self) -> str:
        """The Date header, formatted once a second rather than once a message."""
        second = int(time.time())
        if self._date[1] != second:
            self._date = (email.utils.formatdate(second, localtime=False), second)
        return self._date[0]

    def render(self, message: Outgoing) -> bytes:
        """The message as it goes over the wire after DATA: headers, body, dot-stuffed, CRLF
        line ends; without the end-of-data dot."""
        headers: dict[str, str] = {
            "From": self.sender,
            "To": message.destination,
            "Subject": message.subject,
            "Date": self._now_header(),
        }
        headers.update(message.headers)
        headers["MIME-Version"] = "1.0"
        headers["Content-Type"] = "text/plain; charset=utf-8"
        text = message.body.replace("\r\n", "\n").replace("\r", "\n")
        if not text.endswith("\n"):
            text += "\n"
        body = text.encode("utf-8")
        short_lines = max(map(len, body.split(b"\n"))) <= MAX_LINE
        if body.isascii() and short_lines:
            headers["Content-Transfer-Encoding"] = "7bit"
        elif self._eightbit and short_lines:
            headers["Content-Transfer-Encoding"] = "8bit"
        else:
            headers["Content-Transfer-Encoding"] = "quoted-printable"
            body = binascii.b2a_qp(body, istext=True)
        # Folded encoded words break lines with "\n " too: every line end becomes CRLF.
        head = "".join(f"{name}: {_header_value(value)}\n" for name, value in headers.items())
        body = body.replace(b"\n", b"\r\n")
        # Dot-stuffing (RFC 5321 4.5.2): a line that starts with "." gets another. Header
        # lines never start with one.
        if body[:1] == b".":
            body = b"." + body
        body = body.replace(b"\r\n.", b"\r\n..")
        return head.replace("\n", "\r\n").encode("ascii") + b"\r\n" + body

    # --- sending ------------------------------------------------------------------------------

    def send(self, messages: Sequence[Outgoing], handed: Handed) -> list[Outcome]:
        outcomes: list[Outcome] = []
        recipients = [_recipient(m.destination) for m in messages]
        # Every message is built before anything is written, so that no failure to build one
        # can come between an envelope already sent and its replies.
        wires: list[bytes] = []
        for index, message in enumerate(messages):
            try:
                wires.append(self.render(message))
            except (ValueError, UnicodeError) as exc:
                wires.append(b"")
                recipients[index] = (recipients[index][0], f"cannot build the message: {exc}")
        # The envelope of the next message goes out in the same write as this message's
        # end-of-data dot (RFC 2920 allows it): one write and one read per message.
        self._pending = False
        for index, message in enumerate(messages):
            recipient, problem = recipients[index]
            if problem:
                outcomes.append(Outcome(message.delivery_id, Result.PERMANENT, error=problem))
                continue
            if self._smtp is None:
                try:
                    self._connect()
                except (OSError, smtplib.SMTPException) as exc:
                    reason = f"cannot reach {self.host}:{self.port}: {_describe(exc)}"
                    # One failed connection stands for the rest of the batch: not handed over.
                    outcomes += [
                        Outcome(m.delivery_id, Result.TEMPORARY, error=reason)
                        for m in messages[index:]
                    ]
                    return outcomes
            following = ""
            if index + 1 < len(messages) and not recipients[index + 1][1]:
                following = recipients[index + 1][0]
            outcomes.append(self._send_one(message, wires[index], recipient, following, handed))
        return outcomes

    def _envelope(self, recipient: str) -> bytes:
        return b"%sRCPT TO:<%s>\r\nDATA\r\n" % (self._mail, recipient.encode())

    def _send_one(
        self, message: Outgoing, data: bytes, recipient: str, following: str, handed: Handed
    ) -> Outcome:
        """Send one message (`data` as rendered) whose envelope may already be on its way
        (`self._pending`); `following` is the next message's recipient, whose envelope may
        follow the dot."""
        smtp = self._smtp
        assert smtp is not None
        delivery_id = message.delivery_id
        try:
            if self._pipelining:
                if not self._pending:
                    smtp.send(self._envelope(recipient))
                self._pending = False
                replies = [smtp.getreply(), smtp.getreply(), smtp.getreply()]
            else:
                replies = []
                for command in self._envelope(recipient).split(b"\r\n")[:3]:
                    smtp.send(command + b"\r\n")
                    replies.append(smtp.getreply())
                    if replies[-1][0] not in (250, 251, 354):
                        break
            refused = next(((c, m) for c, m in replies if c not in (250, 251, 354)), None)
            if refused is not None or replies[-1][0] != 354:
                if len(replies) == 3 and replies[2][0] == 354:
                    # RFC 2920: DATA was taken although MAIL or RCPT was not: end it empty.
                    smtp.send(b".\r\n")
                    smtp.getreply()
                code, text = refused or replies[-1]
                self._reset(code)
                return self._failure(delivery_id, code, text, "before the message")
            tail = self._envelope(following) if following and self._pipelining else b""
            smtp.sock.sendall(data + b".\r\n" + tail)  # type: ignore[union-attr]
        except (OSError, smtplib.SMTPException) as exc:
            return self._broken(delivery_id, exc)
        # Outside the network's error handling: a journal that cannot be written must stop
        # the worker, not pass for a network failure (which would send the message again).
        handed(delivery_id)
        self._pending = bool(tail)
        try:
            code, text = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            return self._broken(delivery_id, exc)
        if 200 <= code < 300:
            message_id = message.headers.get("Message-ID", "").strip().strip("<>")
            return Outcome(delivery_id, Result.DELIVERED, provider_id=message_id[:100])
        # The reply to the dot ends the transaction whatever it says: no RSET (and none may
        # come between the next envelope, already sent, and its replies).
        if code == 421 or code < 200:
            self._drop(smtp)
            self._smtp = None
            self._pending = False
        return self._failure(delivery_id, code, text, "after the message")

    def _broken(self, delivery_id: int, exc: BaseException) -> Outcome:
        """The connection failed (timeout, reset, closed): drop it, try again later."""
        self._drop(self._smtp)
        self._smtp = None
        self._pending = False
        return Outcome(delivery_id, Result.TEMPORARY, error=f"SMTP: {_describe(exc)}")

    def _reset(self, code: int) -> None:
        """After a refused transaction: RSET, or a new connection when the server is leaving
        (421) or said something that is not SMTP."""
        smtp = self._smtp
        if smtp is None:
            return
        if code == 421 or code < 200:
            self._drop(smtp)
            self._smtp = None
            return
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop(smtp)
            self._smtp = None

    @staticmethod
    def _failure(delivery_id: int, code: int, text: bytes, when: str) -> Outcome:
        words = text.decode("utf-8", "replace").replace("\n", " ")
        if code < 200 or code >= 600:
            reason = f"unreadable SMTP reply {when}: {words[:200]!r}"
            return Outcome(delivery_id, Result.TEMPORARY, error=reason)
        result = Result.PERMANENT if code >= 500 else Result.TEMPORARY
        if 200 <= code < 400:
            # A 2xx or 3xx where the other was due: the dialogue is out of step.
            result = Result.TEMPORARY
        return Outcome(delivery_id, result, error=f"{code} {words}"[:300])


def _describe(exc: BaseException) -> str:
    # smtplib turns a read timeout into SMTPServerDisconnected; the timeout is its context.
    if isinstance(exc, socket.timeout | TimeoutError) or isinstance(
        exc.__context__, socket.timeout | TimeoutError
    ):
        return "timed out waiting for the server"
    text = str(exc) or type(exc).__name__
    return text[:250]

"""The one small interface every provider implements.

The delivery engine (`torget.alerts.delivery`) hands a provider a batch of messages. The
provider calls `handed(delivery_id)` at the moment a message is irrevocably handed over (the
SMTP end-of-data dot written, the SMPP `submit_sm` written): the engine journals it at once,
so that a worker killed between handing over and recording the result neither sends it again
nor loses it. It then returns one `Outcome` per message.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence
from typing import Protocol


class Result(enum.Enum):
    SENT = "sent"  # accepted; a delivery receipt may follow
    DELIVERED = "delivered"  # accepted and final (e-mail accepted by the server)
    TEMPORARY = "temporary"  # try again later, with backoff
    PERMANENT = "permanent"  # never try again; `error` says why


@dataclasses.dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    destination: str
    body: str
    subject: str = ""
    # E-mail headers (Message-ID, Reply-To, List-Unsubscribe, ...).
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Outcome:
    delivery_id: int
    result: Result
    provider_id: str = ""
    error: str = ""


Handed = Callable[[int], None]


class Provider(Protocol):
    name: str
    medium: str  # "sms" or "email"
    # Messages per second this provider accepts from us; the engine keeps below it.
    rate_per_second: float
    # How many messages the engine hands over in one call.
    batch_size: int

    def send(self, messages: Sequence[Outgoing], handed: Handed) -> list[Outcome]: ...

    def close(self) -> None: ...

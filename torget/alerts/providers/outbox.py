"""The development outbox: messages are kept in the database and shown to staff at
/ansatt/varsler/utboks/ instead of leaving the machine. The default for both media under
`make run` (TORGET_ALERT_EMAIL_PROVIDER / TORGET_ALERT_SMS_PROVIDER).

Storing is idempotent per delivery: a message already in the outbox for a delivery is not
stored again, so even a worker killed between the commit and its journal write keeps the
outbox free of doubles.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from torget.alerts.models import OutboxMessage
from torget.alerts.providers.base import Handed, Outcome, Outgoing, Result


class OutboxProvider:
    name = "outbox"
    # Nothing leaves the machine: no limit beyond the database's own pace.
    rate_per_second = 0.0
    batch_size = 200

    def __init__(self, medium: str) -> None:
        self.medium = medium

    def send(self, messages: Sequence[Outgoing], handed: Handed) -> list[Outcome]:
        direct = [m for m in messages if not m.delivery_id]
        if direct:
            # Messages outside an alert (a confirmation code, an answer): delivery id 0.
            rows = OutboxMessage.objects.bulk_create(
                OutboxMessage(
                    medium=self.medium,
                    destination=m.destination,
                    subject=m.subject[:200],
                    body=m.body,
                )
                for m in direct
            )
            outcomes = [Outcome(0, Result.DELIVERED, provider_id=f"outbox-{r.pk}") for r in rows]
            rest = [m for m in messages if m.delivery_id]
            return outcomes + (self.send(rest, handed) if rest else [])
        ids = [m.delivery_id for m in messages]
        with transaction.atomic():
            stored = dict(
                OutboxMessage.objects.filter(delivery_id__in=ids).values_list("delivery_id", "pk")
            )
            fresh = [
                OutboxMessage(
                    medium=self.medium,
                    destination=m.destination,
                    subject=m.subject[:200],
                    body=m.body,
                    delivery_id=m.delivery_id,
                )
                for m in messages
                if m.delivery_id not in stored
            ]
            for row in OutboxMessage.objects.bulk_create(fresh):
                if row.delivery_id is not None:
                    stored[row.delivery_id] = row.pk
        # Handed over once the rows are committed.
        for delivery_id in ids:
            handed(delivery_id)
        return [
            Outcome(delivery_id, Result.DELIVERED, provider_id=f"outbox-{stored[delivery_id]}")
            for delivery_id in ids
        ]

    def close(self) -> None:
        """Nothing to close."""

"""Delivery receipts: stored first, applied to the delivery rows once.

A receipt (SMPP `deliver_sm` with the receipt bit, an HTTP callback) names the provider's id of
a message. It can arrive before the worker has written that id to the delivery row: the SMSC
answers `submit_sm` and sends the receipt a moment later, while the worker still holds the
answer in memory. So every receipt is first a `Receipt` row, and `receipts_apply_pending` applies
those whose delivery row is now known, with a conditional UPDATE (only a row that is `sent`
moves, to `delivered` or to `failed` with the reason): a receipt sent twice, or applied by two
workers at once, changes the row once. A receipt for a row that is already delivered or failed
changes nothing and is marked applied.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from torget.alerts.models import Delivery, Receipt

# Pending receipts are read in chunks of this many.
CHUNK = 1000
# A receipt that matched no delivery row for this long is left alone: it is for a message this
# system did not send (or a part of a long message other than the one whose id we keep), and
# reading it again on every pass would only cost.
PENDING_FOR = datetime.timedelta(days=3)


@dataclasses.dataclass(frozen=True)
class ReceiptIn:
    """One receipt as a provider reported it."""

    provider: str
    provider_id: str
    status: str  # Receipt.Status
    error: str = ""


def receipt_record(*, provider: str, provider_id: str, status: str, error: str = "") -> bool:
    """Store one receipt; True if it is new, False if the same one was stored before."""
    if not provider_id or status not in Receipt.Status.values:
        return False
    _, created = Receipt.objects.get_or_create(
        provider=provider,
        provider_id=provider_id[:100],
        status=status,
        defaults={"error": error[:300], "received_at": timezone.now()},
    )
    return created


def receipts_record(receipts: Iterable[ReceiptIn], *, now: datetime.datetime | None = None) -> int:
    """Store receipts in one statement, ignoring ones stored before (the provider repeats a
    receipt it thinks we missed). Returns how many were given (not how many were new: the
    databases do not all say so for ignored conflicts)."""
    received_at = now or timezone.now()
    rows = [
        Receipt(
            provider=item.provider,
            provider_id=item.provider_id[:100],
            status=item.status,
            error=item.error[:300],
            received_at=received_at,
        )
        for item in receipts
        if item.provider_id and item.status in Receipt.Status.values
    ]
    Receipt.objects.bulk_create(rows, ignore_conflicts=True, batch_size=CHUNK)
    return len(rows)


def receipts_apply_pending(
    *, provider: str | None = None, provider_ids: Iterable[str] | None = None
) -> int:
    """Apply every unapplied receipt whose delivery row is known; return how many rows changed.

    `provider` and `provider_ids` narrow the pass to receipts just recorded (a webhook, the SMPP
    provider's poll). Safe to run at the same time in several processes.
    """
    pending = Receipt.objects.filter(
        applied_at__isnull=True, received_at__gte=timezone.now() - PENDING_FOR
    )
    if provider is not None:
        pending = pending.filter(provider=provider)
    if provider_ids is not None:
        wanted = list(provider_ids)
        if not wanted:
            return 0
        pending = pending.filter(provider_id__in=wanted)
    changed = 0
    after = 0
    while True:
        chunk = list(
            pending.filter(pk__gt=after)
            .order_by("pk")
            .values("pk", "provider", "provider_id", "status", "error", "received_at")[:CHUNK]
        )
        if not chunk:
            return changed
        after = chunk[-1]["pk"]
        changed += _apply_chunk(chunk)


def _apply_chunk(chunk: Sequence[Mapping[str, Any]]) -> int:
    """Apply one chunk of pending receipts (dicts of their columns)."""
    by_provider: dict[str, list[str]] = defaultdict(list)
    for receipt in chunk:
        by_provider[receipt["provider"]].append(receipt["provider_id"])
    rows: dict[tuple[str, str], tuple[int, str]] = {}
    for name, ids in by_provider.items():
        for pk, provider_id, status in (
            Delivery.objects.filter(provider=name, provider_id__in=ids)
            .exclude(provider_id="")
            .values_list("pk", "provider_id", "status")
        ):
            rows[(name, provider_id)] = (pk, status)

    # Receipts with the same outcome, reason and arrival time move their rows in one UPDATE.
    groups: dict[tuple[str, str, datetime.datetime], list[int]] = defaultdict(list)
    settled: list[int] = []
    for receipt in chunk:
        row = rows.get((receipt["provider"], receipt["provider_id"]))
        if row is None:
            continue  # not known yet: the worker has not written the id; next pass
        pk, status = row
        if status == Delivery.Status.SENT:
            groups[(receipt["status"], receipt["error"], receipt["received_at"])].append(pk)
            settled.append(receipt["pk"])
        elif status in (Delivery.Status.DELIVERED, Delivery.Status.FAILED):
            settled.append(receipt["pk"])  # final already: nothing to change
        # queued or claimed: the row is being (re)sent; its receipt waits for the outcome.

    if not settled:
        return 0
    changed = 0
    now = timezone.now()
    with transaction.atomic():
        for (status, error, received_at), pks in groups.items():
            sent = Delivery.objects.filter(pk__in=pks, status=Delivery.Status.SENT)
            if status == Receipt.Status.DELIVERED:
                changed += sent.update(status=Delivery.Status.DELIVERED, delivered_at=received_at)
            else:
                changed += sent.update(status=Delivery.Status.FAILED, error=error[:300])
        Receipt.objects.filter(pk__in=settled, applied_at__isnull=True).update(applied_at=now)
    return changed

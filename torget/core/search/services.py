"""Writes of search: logging a query that found nothing.

Residents paste all sorts of things into a search field, personal data among them; what looks
like a national identity number (or D-number), a phone number or an e-mail address is never
logged.
"""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.utils import timezone

from torget.core.models import SearchDocument
from torget.core.search import backend, index, registry
from torget.core.search.selectors import MAX_QUERY
from torget.organisation.models import Municipality

E_MAIL = re.compile(r"\S+@\S+")
# A run of digits with the separators people type inside numbers ("912 34 567",
# "+47 912-34-567", "010190 12345"); eight digits or more is a phone or identity number.
NUMBER = re.compile(r"\+?\d[\d\s().\-/]*\d")
PERSONAL_DIGITS = 8


def normalise_query(query: str) -> str:
    """Trimmed, lower case, whitespace collapsed, at most MAX_QUERY characters."""
    return " ".join(query.split()).lower()[:MAX_QUERY]


def looks_personal(query: str) -> bool:
    """True when `query` holds something that looks like an e-mail address, a phone number
    or a national identity number."""
    if E_MAIL.search(query):
        return True
    return any(
        sum(ch.isdigit() for ch in match.group(0)) >= PERSONAL_DIGITS
        for match in NUMBER.finditer(query)
    )


def search_miss_record(*, municipality_id: int, query: str) -> bool:
    """Count one search for `query` that found nothing, in today's row for the normalised query.

    No actor: anyone may search, and who searched is not kept. Returns False (and stores
    nothing) for an empty query or one that looks like personal data. One statement, safe
    against two searches at once (an upsert on the unique municipality, query and day).
    """
    normalised = normalise_query(query)
    if not normalised or looks_personal(normalised):
        return False
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_searchmiss (municipality_id, query, day, count, last_at) "
            "VALUES (%s, %s, %s, 1, %s) "
            "ON CONFLICT (municipality_id, query, day) "
            "DO UPDATE SET count = core_searchmiss.count + 1, last_at = excluded.last_at",
            [
                municipality_id,
                normalised,
                connection.ops.adapt_datefield_value(timezone.localdate(now)),
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
    return True


def search_reindex(*, municipality_id: int | None = None) -> dict[str, int]:
    """Rebuild the index from every registered kind, for one municipality or all.

    Each registered kind's `documents(municipality)` is upserted; what the index held for the
    municipality and no kind yields any more (a deleted page, an unregistered kind) is taken
    out. Rebuilding everything also starts the vocabulary afresh. One transaction, so searches
    meanwhile see the old index or the new one. Returns how many documents each kind wrote.
    """
    municipalities = Municipality.objects.order_by("pk")
    if municipality_id is not None:
        municipalities = municipalities.filter(pk=municipality_id)
    written: dict[str, int] = {}
    with transaction.atomic():
        if municipality_id is None:
            backend.index_clear()
        for municipality in municipalities:
            kept: set[int] = set()
            for kind in registry.kind_list():
                if kind.documents is None:
                    continue
                count = 0
                for values in kind.documents(municipality):
                    document = index.document_upsert(**values)
                    kept.add(document.pk)
                    count += 1
                written[kind.kind] = written.get(kind.kind, 0) + count
            stale = list(
                SearchDocument.objects.filter(municipality_id=municipality.pk)
                .exclude(pk__in=kept)
                .values_list("pk", flat=True)
            )
            backend.index_remove(stale)
            SearchDocument.objects.filter(pk__in=stale).delete()
        if municipality_id is None:
            orphans = SearchDocument.objects.exclude(
                municipality_id__in=municipalities.values("pk")
            )
            backend.index_remove(list(orphans.values_list("pk", flat=True)))
            orphans.delete()
            backend.index_prune()
    return written

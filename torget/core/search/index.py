"""Writing to the search index. Call these from a module's services, inside its transaction.

Each call keeps the full-text index in step with SearchDocument in the same transaction (on
SQLite the FTS5 row and the vocabulary; on PostgreSQL the tsvector is a generated column and
only the vocabulary is written): no signals, nothing to run later.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from torget.core.models import SearchDocument
from torget.core.search import backend


def document_upsert(
    *,
    municipality_id: int,
    kind: str,
    object_id: int,
    title: str,
    body: str,
    url: str,
    language: str = "nb",
    unit_id: int | None = None,
) -> SearchDocument:
    """Put one document in the index, or replace what the index holds for it.

    `body` is plain text (strip Markdown or HTML first): snippets are cut from it as it is.
    """
    with transaction.atomic():
        document, _created = SearchDocument.objects.update_or_create(
            kind=kind,
            object_id=object_id,
            language=language,
            defaults={
                "municipality_id": municipality_id,
                "title": title[:300],
                "body": body,
                "url": url,
                "unit_id": unit_id,
                "updated_at": timezone.now(),
            },
        )
        backend.index_write(document.pk, title=document.title, body=body)
    return document


def document_delete(*, kind: str, object_id: int) -> int:
    """Take a document out of the index (every language). Returns how many rows went."""
    with transaction.atomic():
        ids = list(
            SearchDocument.objects.filter(kind=kind, object_id=object_id).values_list(
                "pk", flat=True
            )
        )
        if not ids:
            return 0
        backend.index_remove(ids)
        deleted, _ = SearchDocument.objects.filter(pk__in=ids).delete()
    return deleted

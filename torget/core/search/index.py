"""Writing to the search index. Call these from a module's services, inside its transaction."""

from __future__ import annotations

from django.utils import timezone

from torget.core.models import SearchDocument


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
    """Put one document in the index, or replace what the index holds for it."""
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
    return document


def document_delete(*, kind: str, object_id: int) -> int:
    """Take a document out of the index (every language). Returns how many rows went."""
    deleted, _ = SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()
    return deleted

"""What the site search holds for an information page.

The services put a page in the index whenever it is published or changed, and take it out
when it is unpublished or deleted, in the same transaction (`page_index`). The search module
rebuilds the whole index from `page_documents` (and one page from `page_document_by_id`),
which it registers itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch

from torget.core.search.index import document_delete, document_upsert
from torget.organisation.models import Municipality
from torget.services.markdown import markdown_to_text
from torget.services.models import InfoPage, LifeSituation

KIND = "page"


def page_document(page: InfoPage) -> dict[str, Any]:
    """The keyword arguments of `document_upsert` for `page`: its summary, its text without
    markup and the titles of its life situations make the body."""
    situations = [s.title for s in page.life_situations.all()]
    body = "\n\n".join(
        part for part in (page.summary, markdown_to_text(page.body), " · ".join(situations)) if part
    )
    return {
        "municipality_id": page.municipality_id,
        "kind": KIND,
        "object_id": page.pk,
        "title": page.title,
        "body": body,
        "url": page.get_absolute_url(),
        "language": page.language,
        "unit_id": page.unit_id,
    }


def page_index(page: InfoPage, *, previous_language: str | None = None) -> None:
    """Bring the index in line with `page`: in it while published, out of it otherwise.

    The index keys a document by its language too, so a page whose language changed is first
    taken out under the old one. Call inside the transaction that changed the page.
    """
    if not page.is_published:
        document_delete(kind=KIND, object_id=page.pk)
        return
    if previous_language and previous_language != page.language:
        document_delete(kind=KIND, object_id=page.pk)
    document_upsert(**page_document(page))


def page_unindex(page_id: int) -> None:
    document_delete(kind=KIND, object_id=page_id)


def page_documents(municipality: Municipality) -> Iterator[dict[str, Any]]:
    """Every published page of `municipality` as `document_upsert` keyword arguments, for a
    rebuild of the index. Two queries, however many pages."""
    pages = (
        InfoPage.objects.filter(municipality=municipality, is_published=True)
        .prefetch_related(
            Prefetch("life_situations", queryset=LifeSituation.objects.order_by("position"))
        )
        .order_by("pk")
    )
    for page in pages.iterator(chunk_size=500):
        yield page_document(page)


def page_document_by_id(object_id: int) -> dict[str, Any] | None:
    """The `document_upsert` keyword arguments of page `object_id`, or None when it must not
    be found (deleted or not published). For the search module's one-object reindex."""
    page = (
        InfoPage.objects.filter(pk=object_id, is_published=True)
        .prefetch_related(
            Prefetch("life_situations", queryset=LifeSituation.objects.order_by("position"))
        )
        .first()
    )
    return page_document(page) if page is not None else None

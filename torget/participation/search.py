"""What the site search holds for participation: published hearings (kind "hearing").

A hearing is in the index while it and its process are published: its title, and its
introduction with the headings and texts of its sections as the body (plain text). The hearing
services call `hearing_index` in their transaction whenever a hearing or one of its sections
changes; `hearing_documents` gives every such hearing of a municipality, for rebuilding the
index. When a process is published or withdrawn, call `hearing_index_process` for its hearings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from torget.core.search.index import document_delete, document_upsert
from torget.organisation.models import Municipality
from torget.participation.models import Hearing, HearingSection, Process
from torget.services.markdown import markdown_to_text

KIND = "hearing"


def _sections(hearing: Hearing) -> list[HearingSection]:
    return sorted(hearing.sections.all(), key=lambda s: (s.position, s.pk))


def hearing_document(hearing: Hearing) -> dict[str, Any]:
    """The keyword arguments of `document_upsert` for `hearing`."""
    process = hearing.process
    parts = [markdown_to_text(hearing.intro)]
    for section in _sections(hearing):
        parts.append(str(section))
        parts.append(markdown_to_text(section.body))
    return {
        "municipality_id": process.municipality_id,
        "kind": KIND,
        "object_id": hearing.pk,
        "title": hearing.title,
        "body": "\n\n".join(part.strip() for part in parts if part and part.strip()),
        "url": reverse("participation:hearing-detail", args=[process.slug, hearing.pk]),
        "language": process.municipality.malform,
        "unit_id": process.unit_id,
    }


def _published() -> Any:
    return (
        Hearing.objects.filter(process__is_published=True)
        .select_related("process", "process__municipality")
        .prefetch_related(Prefetch("sections", queryset=HearingSection.objects.all()))
    )


def hearing_documents(municipality: Municipality) -> Iterator[dict[str, Any]]:
    """One document per hearing of a published process of `municipality`."""
    for hearing in _published().filter(process__municipality=municipality).order_by("pk"):
        yield hearing_document(hearing)


def hearing_document_by_id(object_id: int) -> dict[str, Any] | None:
    """The document of one hearing, or None when it is gone or its process is not published."""
    hearing = _published().filter(pk=object_id).first()
    return hearing_document(hearing) if hearing is not None else None


def hearing_index(hearing: Hearing) -> None:
    """Put `hearing` in the index while its process is published, else take it out. Call it
    in the transaction that changed the hearing or its sections."""
    document = hearing_document_by_id(hearing.pk)
    if document is not None:
        document_upsert(**document)
    else:
        document_delete(kind=KIND, object_id=hearing.pk)


def hearing_index_process(process: Process) -> None:
    """(Re)index or remove every hearing of `process` (after it is published or withdrawn)."""
    for pk in Hearing.objects.filter(process=process).values_list("pk", flat=True):
        document = hearing_document_by_id(pk)
        if document is not None:
            document_upsert(**document)
        else:
            document_delete(kind=KIND, object_id=pk)

"""What the site search holds for a self-service form.

A published form is in the index (kind "form"): its title, and its introduction with the
labels of its fields as the body. The form services call `form_index` in their transaction
whenever a form is published, unpublished or changed; `form_documents` gives every published
form of a municipality, for rebuilding the index.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from torget.cases.models import Form, FormField
from torget.core.search.index import document_delete, document_upsert
from torget.organisation.models import Municipality

KIND = "form"


def form_document(form: Form, fields: list[FormField] | None = None) -> dict[str, Any]:
    """The keyword arguments of `document_upsert` for `form`."""
    labels = [f.label for f in (fields if fields is not None else form.fields.all())]
    body = "\n\n".join(part for part in (form.intro, " · ".join(labels)) if part)
    return {
        "municipality_id": form.municipality_id,
        "kind": KIND,
        "object_id": form.pk,
        "title": form.title,
        "body": body,
        "url": reverse("cases:form-fill", args=[form.slug]),
        "language": form.municipality.malform,
        "unit_id": form.unit_id,
    }


def form_documents(municipality: Municipality) -> Iterator[dict[str, Any]]:
    """One document per published form of `municipality`."""
    forms = (
        Form.objects.filter(municipality=municipality, is_published=True)
        .select_related("municipality")
        .prefetch_related(Prefetch("fields", queryset=FormField.objects.order_by("position", "pk")))
        .order_by("pk")
    )
    for form in forms:
        yield form_document(form)


def form_index(form: Form) -> None:
    """Put `form` in the index when it is published, take it out when it is not. Call it in
    the transaction that changed the form."""
    if form.is_published:
        document_upsert(**form_document(form))
    else:
        document_delete(kind=KIND, object_id=form.pk)


def form_document_by_id(object_id: int) -> dict[str, Any] | None:
    """The document of one form, or None when it is gone or not published."""
    form = (
        Form.objects.filter(pk=object_id, is_published=True).select_related("municipality").first()
    )
    return form_document(form) if form is not None else None

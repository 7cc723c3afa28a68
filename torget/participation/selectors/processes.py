"""Reads of processes: the public list and page, the staff list, documents, the timeline
with its current phase, and what the search index holds for a process."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from torget.accounts.models import User
from torget.organisation.models import Municipality, Unit
from torget.organisation.selectors import unit_list_under_roles
from torget.participation import policies
from torget.participation.models import (
    PHASE_ORDER,
    Phase,
    PhaseKind,
    Process,
    ProcessDocument,
    ProcessKind,
)
from torget.services.markdown import markdown_to_text

AnyUser = User | AnonymousUser

PER_PAGE = 20
SEARCH_KIND = "process"


def document_type_words(content_type: str) -> str:
    """The document's type in words ("PDF", "PNG image"), translated."""
    words = {
        "application/pdf": _("PDF"),
        "image/png": _("PNG image"),
        "image/jpeg": _("JPEG image"),
        "image/webp": _("WebP image"),
        "application/vnd.oasis.opendocument.text": _("OpenDocument text (ODT)"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _(
            "Word document (DOCX)"
        ),
    }
    return words.get(content_type, _("File"))


def _phases_prefetch() -> Any:
    return Prefetch("phases", queryset=Phase.objects.order_by("starts_on", "pk"))


# --- the timeline -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """A process's phases in order, the one that covers `day`, and what residents can do."""

    phases: list[Phase]
    current: Phase | None
    day: datetime.date
    now_text: str

    @property
    def starts_on(self) -> datetime.date | None:
        return self.phases[0].starts_on if self.phases else None

    @property
    def ends_on(self) -> datetime.date | None:
        return self.phases[-1].ends_on if self.phases else None


def _day(day: datetime.date) -> str:
    return date_format(day, "DATE_FORMAT")


def _now_text(
    process: Process, phases: list[Phase], current: Phase | None, day: datetime.date
) -> str:
    """One sentence on what residents can do today."""
    if not process.is_published:
        return _("This process is not published.")
    by_kind = {phase.kind: phase for phase in phases}
    input_phase = by_kind.get(PhaseKind.INPUT)
    if current is None:
        upcoming = [phase for phase in phases if phase.starts_on > day]
        if not phases:
            return _("The dates of this process are not set yet.")
        if not upcoming:
            return _("This process is finished.")
        if input_phase is not None and input_phase.starts_on > day:
            return _("You can give input from %(day)s.") % {"day": _day(input_phase.starts_on)}
        return _("The next phase, %(phase)s, starts %(day)s.") % {
            "phase": upcoming[0].get_kind_display().lower(),
            "day": _day(upcoming[0].starts_on),
        }
    if current.kind == PhaseKind.INPUT:
        return _("You can give input until %(day)s.") % {"day": _day(current.ends_on)}
    if current.kind == PhaseKind.INFORMATION:
        if input_phase is not None:
            return _("Read about the plans now. You can give input from %(day)s.") % {
                "day": _day(input_phase.starts_on)
            }
        return _("Read about the plans now.")
    if current.kind == PhaseKind.PROCESSING:
        return _("The time for input is over. The municipality is working through the input.")
    return _("The decision is being made. Input can no longer be given.")


def timeline_of(process: Process, day: datetime.date | None = None) -> Timeline:
    """The timeline of `process` on `day` (default: today in Oslo). Reads `process.phases`
    (prefetch it for lists)."""
    day = day or policies.today()
    phases = sorted(
        process.phases.all(), key=lambda phase: (phase.starts_on, PHASE_ORDER.index(phase.kind))
    )
    current = policies.current_phase(phases, day)
    return Timeline(
        phases=phases,
        current=current,
        day=day,
        now_text=_now_text(process, phases, current, day),
    )


# --- public reads -----------------------------------------------------------------------------


def process_page_public(
    *, municipality: Municipality, kind: str = "", page: int | str | None = None
) -> Page[Process]:
    """One page of the published processes of `municipality`, newest first, optionally of one
    `kind`; each with its unit and phases (three queries and a count)."""
    queryset = (
        Process.objects.filter(municipality=municipality, is_published=True)
        .select_related("unit")
        .prefetch_related(_phases_prefetch())
        .order_by("-created_at", "-pk")
    )
    if kind in ProcessKind.values:
        queryset = queryset.filter(kind=kind)
    result = Paginator(queryset, PER_PAGE).get_page(page)
    day = policies.today()
    for process in result:
        process.timeline = timeline_of(process, day)  # type: ignore[attr-defined]
    return result


def process_get_public(*, municipality: Municipality, slug: str, viewer: AnyUser) -> Process:
    """The process `slug` as `viewer` may see it: published, or a draft for those who run it.
    Raises Http404 otherwise."""
    process = (
        Process.objects.filter(municipality=municipality, slug=slug)
        .select_related("unit", "municipality")
        .prefetch_related(_phases_prefetch())
        .first()
    )
    if process is None or not policies.can_view_process(viewer, process):
        raise Http404("process")
    return process


def document_list(*, process: Process) -> list[ProcessDocument]:
    """The documents of `process`, in their order, each with `type_words`."""
    documents = list(ProcessDocument.objects.filter(process=process).order_by("position", "pk"))
    for document in documents:
        document.type_words = document_type_words(document.content_type)  # type: ignore[attr-defined]
    return documents


def document_get_public(
    *, municipality: Municipality, slug: str, pk: int, viewer: AnyUser
) -> ProcessDocument:
    """A document of a process `viewer` may see. Raises Http404 for a document of another
    process, or of a process the viewer may not see."""
    process = process_get_public(municipality=municipality, slug=slug, viewer=viewer)
    document = ProcessDocument.objects.filter(process=process, pk=pk).first()
    if document is None:
        raise Http404("document")
    return document


# --- staff reads ------------------------------------------------------------------------------


def unit_list_managed(*, viewer: AnyUser, municipality: Municipality) -> list[Unit]:
    """The units whose processes `viewer` runs (their communicator and unit administrator
    roles, and every unit below those), in tree order. Two queries."""
    return unit_list_under_roles(
        viewer=viewer, municipality=municipality, roles=policies.MANAGER_ROLES
    )


def process_page_for_staff(*, units: list[Unit], page: int | str | None = None) -> Page[Process]:
    """One page of the processes of `units`, drafts included, newest first, each with its unit
    and timeline."""
    queryset = (
        Process.objects.filter(unit__in=units)
        .select_related("unit")
        .prefetch_related(_phases_prefetch())
        .order_by("-created_at", "-pk")
    )
    result = Paginator(queryset, PER_PAGE).get_page(page)
    day = policies.today()
    for process in result:
        process.timeline = timeline_of(process, day)  # type: ignore[attr-defined]
    return result


def process_get_for_staff(*, municipality: Municipality, slug: str, viewer: AnyUser) -> Process:
    """The process `slug` for its staff page. Raises Http404 when there is none in
    `municipality`, PermissionDenied when `viewer` does not run it."""
    process = (
        Process.objects.filter(municipality=municipality, slug=slug)
        .select_related("unit", "municipality")
        .prefetch_related(_phases_prefetch())
        .first()
    )
    if process is None:
        raise Http404("process")
    if not policies.can_manage_process(viewer, process):
        raise PermissionDenied
    return process


# --- the search index -------------------------------------------------------------------------


def process_search_document(process: Process) -> dict[str, Any]:
    """The keyword arguments of `document_upsert` for `process`."""
    phases = [phase.description for phase in process.phases.all() if phase.description]
    body = "\n\n".join(part for part in (markdown_to_text(process.summary), *phases) if part)
    return {
        "municipality_id": process.municipality_id,
        "kind": SEARCH_KIND,
        "object_id": process.pk,
        "title": process.title,
        "body": body,
        "url": reverse("participation:process-detail", args=[process.slug]),
        "language": process.municipality.malform,
        "unit_id": process.unit_id,
    }


def process_search_documents(municipality: Municipality) -> Iterator[dict[str, Any]]:
    """One search document per published process of `municipality`."""
    processes = (
        Process.objects.filter(municipality=municipality, is_published=True)
        .select_related("municipality")
        .prefetch_related(_phases_prefetch())
        .order_by("pk")
    )
    for process in processes:
        yield process_search_document(process)


def process_search_document_by_id(object_id: int) -> dict[str, Any] | None:
    """The search document of one process, or None when it is gone or not published."""
    process = (
        Process.objects.filter(pk=object_id, is_published=True)
        .select_related("municipality")
        .prefetch_related(_phases_prefetch())
        .first()
    )
    return process_search_document(process) if process is not None else None

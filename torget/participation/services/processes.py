"""Every write to processes, their phases and their documents.

Each service takes keyword arguments and an explicit `actor` (None: the system, e.g. the
demo), runs in one transaction, checks that the actor runs the process's unit
(`policies.can_manage_process`), and keeps the search index in step in the same transaction:
a published process is in the index (kind "process"), a draft is not.

The phase rules (`phases_set`): a phase has both dates or none; it ends on or after the day it
starts; the phases come in the order information → input → processing → decision, each
starting after the previous one (of those present) ends; and a published process has an input
phase.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.core.search.index import document_delete, document_upsert
from torget.organisation.models import Unit
from torget.pages import files
from torget.participation import policies
from torget.participation.models import (
    PHASE_ORDER,
    Phase,
    PhaseKind,
    Process,
    ProcessDocument,
    ProcessKind,
)
from torget.participation.search import hearing_index_process
from torget.participation.search_topics import topic_index_process
from torget.participation.selectors.processes import SEARCH_KIND, process_search_document

MAX_TITLE = 200
MAX_SUMMARY = 20_000
MAX_SLUG = 80
MAX_DOCUMENT_TITLE = 200
MAX_DOCUMENT_DESCRIPTION = 300
MAX_PHASE_DESCRIPTION = 2_000
# Words the staff URLs use for themselves (/ansatt/medvirkning/ny/).
RESERVED_SLUGS = frozenset({"ny"})
# What may be uploaded as a process document (plain text may not: it says nothing on a plan).
DOCUMENT_TYPES = frozenset({files.PDF, files.PNG, files.JPEG, files.WEBP, files.ODT, files.DOCX})
DOCUMENT_TYPES_TEXT = "PDF, PNG, JPEG, WebP, ODT, DOCX"


@dataclass(frozen=True)
class ProcessFields:
    """What staff write about a process."""

    title: str
    slug: str
    kind: str
    summary: str = ""
    is_published: bool = False


@dataclass(frozen=True)
class PhaseDates:
    """One phase as staff give it: both dates or neither (then the phase is left out)."""

    kind: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    description: str = ""


def _check(actor: User | None, process: Process) -> None:
    if actor is not None and not policies.can_manage_process(actor, process):
        raise PermissionDenied


def _index(process: Process) -> None:
    """Put a published process in the search index, take a draft out. In the transaction."""
    if process.is_published:
        document_upsert(**process_search_document(process))
    else:
        document_delete(kind=SEARCH_KIND, object_id=process.pk)


def _clean_fields(fields: ProcessFields, *, unit: Unit, process: Process | None) -> ProcessFields:
    """`fields` stripped and checked. Raises ValidationError with the errors per field."""
    errors: dict[str, list[ValidationError]] = {}
    title = " ".join((fields.title or "").split())
    slug = (fields.slug or "").strip().lower()
    summary = (fields.summary or "").strip()
    if not title:
        errors["title"] = [ValidationError(_("Give the process a title."), code="empty")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [
            ValidationError(
                _("The title is too long: at most %(max)d characters."),
                code="too_long",
                params={"max": MAX_TITLE},
            )
        ]
    if len(summary) > MAX_SUMMARY:
        errors["summary"] = [
            ValidationError(
                _("The summary is too long: at most %(max)d characters."),
                code="too_long",
                params={"max": MAX_SUMMARY},
            )
        ]
    if fields.kind not in ProcessKind.values:
        errors["kind"] = [ValidationError(_("Choose the kind of process."), code="kind")]
    if not slug:
        errors["slug"] = [ValidationError(_("Give the process an address name."), code="empty")]
    elif len(slug) > MAX_SLUG or not all(c.isascii() and (c.isalnum() or c == "-") for c in slug):
        errors["slug"] = [
            ValidationError(
                _("Use only the letters a–z, digits and hyphens, at most %(max)d characters."),
                code="invalid",
                params={"max": MAX_SLUG},
            )
        ]
    elif slug in RESERVED_SLUGS:
        errors["slug"] = [ValidationError(_("This address name is reserved."), code="reserved")]
    else:
        others = Process.objects.filter(municipality=unit.municipality, slug=slug)
        if process is not None:
            others = others.exclude(pk=process.pk)
        if others.exists():
            errors["slug"] = [
                ValidationError(
                    _("Another process has this address name. Choose another."), code="taken"
                )
            ]
    if errors:
        raise ValidationError(errors)
    return ProcessFields(
        title=title,
        slug=slug,
        kind=fields.kind,
        summary=summary,
        is_published=fields.is_published,
    )


def _needs_input_phase() -> ValidationError:
    return ValidationError(
        _(
            "A published process needs an input phase. Set the dates of the input phase "
            "before you publish."
        ),
        code="no_input_phase",
    )


@transaction.atomic
def process_create(*, unit: Unit, actor: User | None, fields: ProcessFields) -> Process:
    """A new process of `unit`. It has no phases yet, so it cannot be published at once: set
    its phases first (with an input phase), then publish it.

    Raises PermissionDenied unless `actor` runs processes of `unit`; ValidationError per field
    (title, slug, kind, summary, is_published).
    """
    probe = Process(municipality=unit.municipality, unit=unit)
    _check(actor, probe)
    clean = _clean_fields(fields, unit=unit, process=None)
    if clean.is_published:
        raise ValidationError({"is_published": [_needs_input_phase()]})
    process = Process.objects.create(
        municipality=unit.municipality,
        unit=unit,
        slug=clean.slug,
        kind=clean.kind,
        title=clean.title,
        summary=clean.summary,
        is_published=False,
    )
    _index(process)
    return process


@transaction.atomic
def process_update(
    *, process: Process, actor: User | None, fields: ProcessFields, unit: Unit | None = None
) -> Process:
    """Change what `process` says, its unit, and whether it is published; the search index
    follows (a published process is found, a draft is not).

    Raises PermissionDenied unless `actor` runs the process and, when moving it, the new unit
    too; ValidationError per field; "is_published" when a process without an input phase
    would be published.
    """
    _check(actor, process)
    unit = unit or process.unit
    if unit.pk != process.unit_id:
        if unit.municipality_id != process.municipality_id:
            raise PermissionDenied
        _check(actor, Process(municipality=unit.municipality, unit=unit))
    clean = _clean_fields(fields, unit=unit, process=process)
    locked = Process.objects.select_for_update().get(pk=process.pk)
    if (
        clean.is_published
        and not Phase.objects.filter(process=locked, kind=PhaseKind.INPUT).exists()
    ):
        raise ValidationError({"is_published": [_needs_input_phase()]})
    locked.unit = unit
    locked.slug = clean.slug
    locked.kind = clean.kind
    locked.title = clean.title
    locked.summary = clean.summary
    locked.is_published = clean.is_published
    locked.save()
    _index(locked)
    # The hearings of a process are found while it is published, at its address.
    hearing_index_process(locked)
    topic_index_process(locked)
    return locked


def _phase_errors(
    phases: list[PhaseDates], *, published: bool
) -> tuple[dict[str, list[ValidationError]], list[PhaseDates]]:
    """The errors of `phases` by form field ("<kind>_starts_on", "<kind>_ends_on",
    "<kind>_description"), and the phases that have dates, in phase order."""
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, error: ValidationError) -> None:
        errors.setdefault(field, []).append(error)

    by_kind = {phase.kind: phase for phase in phases}
    unknown = set(by_kind) - set(PHASE_ORDER)
    if unknown or len(by_kind) != len(phases):
        raise ValidationError(_("Each phase may be given once."), code="phase_kind")
    present: list[PhaseDates] = []
    for kind in PHASE_ORDER:
        phase = by_kind.get(kind)
        if phase is None:
            continue
        start, end = phase.starts_on, phase.ends_on
        description = (phase.description or "").strip()
        if len(description) > MAX_PHASE_DESCRIPTION:
            add(
                f"{kind}_description",
                ValidationError(
                    _("The description is too long: at most %(max)d characters."),
                    code="too_long",
                    params={"max": MAX_PHASE_DESCRIPTION},
                ),
            )
        if start is None and end is None:
            if description:
                add(
                    f"{kind}_starts_on",
                    ValidationError(
                        _("Give the dates of this phase, or leave its description empty."),
                        code="dates_missing",
                    ),
                )
            continue
        if start is None or end is None:
            missing = "starts_on" if start is None else "ends_on"
            add(
                f"{kind}_{missing}",
                ValidationError(
                    _("Give both the first and the last day of the phase, or neither."),
                    code="one_date",
                ),
            )
            continue
        if end < start:
            add(
                f"{kind}_ends_on",
                ValidationError(
                    _("The phase cannot end before it starts."), code="ends_before_start"
                ),
            )
            continue
        present.append(PhaseDates(kind=kind, starts_on=start, ends_on=end, description=description))
    for previous, phase in itertools.pairwise(present):
        assert previous.ends_on is not None and phase.starts_on is not None
        if phase.starts_on <= previous.ends_on:
            add(
                f"{phase.kind}_starts_on",
                ValidationError(
                    _(
                        "The phases come one after another: %(phase)s must start after "
                        "%(previous)s ends (%(day)s)."
                    ),
                    code="overlap",
                    params={
                        "phase": PhaseKind(phase.kind).label,
                        "previous": PhaseKind(previous.kind).label,
                        "day": date_format(previous.ends_on, "DATE_FORMAT"),
                    },
                ),
            )
    if published and not errors and PhaseKind.INPUT not in {p.kind for p in present}:
        add(f"{PhaseKind.INPUT}_starts_on", _needs_input_phase())
    return errors, present


@transaction.atomic
def phases_set(*, process: Process, actor: User | None, phases: list[PhaseDates]) -> list[Phase]:
    """Replace the phases of `process` with `phases` (a phase given without dates is left out).

    Raises PermissionDenied unless `actor` runs the process; ValidationError with the errors
    per field ("<kind>_starts_on", "<kind>_ends_on", "<kind>_description") when a phase rule is
    broken (see the module's docstring). Returns the phases, in order.
    """
    _check(actor, process)
    locked = Process.objects.select_for_update().get(pk=process.pk)
    errors, present = _phase_errors(phases, published=locked.is_published)
    if errors:
        raise ValidationError(errors)
    kinds = [phase.kind for phase in present]
    Phase.objects.filter(process=locked).exclude(kind__in=kinds).delete()
    saved = []
    for phase in present:
        row, _created = Phase.objects.update_or_create(
            process=locked,
            kind=phase.kind,
            defaults={
                "starts_on": phase.starts_on,
                "ends_on": phase.ends_on,
                "description": phase.description,
            },
        )
        saved.append(row)
    # The updated_at of the process tells that its timeline changed.
    locked.save(update_fields=["updated_at"])
    _index(locked)
    return saved


# --- documents --------------------------------------------------------------------------------


def _document_clean(title: str, description: str) -> tuple[str, str]:
    errors: dict[str, list[ValidationError]] = {}
    title = " ".join((title or "").split())
    description = " ".join((description or "").split())
    if not title:
        errors["title"] = [
            ValidationError(_("Give the document a title residents understand."), code="empty")
        ]
    elif len(title) > MAX_DOCUMENT_TITLE:
        errors["title"] = [
            ValidationError(
                _("The title is too long: at most %(max)d characters."),
                code="too_long",
                params={"max": MAX_DOCUMENT_TITLE},
            )
        ]
    if len(description) > MAX_DOCUMENT_DESCRIPTION:
        errors["description"] = [
            ValidationError(
                _("The description is too long: at most %(max)d characters."),
                code="too_long",
                params={"max": MAX_DOCUMENT_DESCRIPTION},
            )
        ]
    if errors:
        raise ValidationError(errors)
    return title, description


def document_check(upload: File, name: str) -> files.CheckedFile:
    """Check an upload for a process document: what `files.check_upload` checks, and one of
    the document types. Raises ValidationError with a message naming the file."""
    checked = files.check_upload(upload, name)
    if checked.content_type not in DOCUMENT_TYPES:
        raise ValidationError(
            _("The file %(name)s is of a type we do not accept. Allowed: %(types)s."),
            code="type",
            params={"name": name, "types": DOCUMENT_TYPES_TEXT},
        )
    return checked


@transaction.atomic
def document_add(
    *,
    process: Process,
    actor: User | None,
    upload: File,
    name: str,
    title: str,
    description: str = "",
) -> ProcessDocument:
    """Add a document to `process`, last in its order. The file is checked by its content
    (`document_check`) and stored under a new name; `name` (the uploaded file's name) is kept
    for the download.

    Raises PermissionDenied unless `actor` runs the process; ValidationError on "file",
    "title" or "description".
    """
    _check(actor, process)
    errors: dict[str, list[ValidationError]] = {}
    try:
        checked = document_check(upload, name)
    except ValidationError as exc:
        errors["file"] = [exc]
    try:
        title, description = _document_clean(title, description)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    Process.objects.select_for_update().filter(pk=process.pk).first()
    last = ProcessDocument.objects.filter(process=process).aggregate(last=Max("position"))["last"]
    extension = name.rsplit(".", 1)[-1].lower()
    document = ProcessDocument(
        process=process,
        title=title,
        description=description,
        original_name=name[-200:],
        content_type=checked.content_type,
        size=checked.size,
        position=0 if last is None else last + 1,
    )
    upload.seek(0)
    document.file.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
    stored = document.file.name
    try:
        document.save()
    except Exception:
        document.file.storage.delete(stored)
        raise
    return document


@transaction.atomic
def document_move(*, document: ProcessDocument, actor: User | None, direction: str) -> None:
    """Move `document` one place "up" or "down" among its process's documents (nothing happens
    at either end). Raises PermissionDenied unless `actor` runs the process, ValueError for
    another direction."""
    if direction not in ("up", "down"):
        raise ValueError(direction)
    process = document.process
    _check(actor, process)
    Process.objects.select_for_update().filter(pk=process.pk).first()
    ordered = list(ProcessDocument.objects.filter(process=process).order_by("position", "pk"))
    index = next(i for i, d in enumerate(ordered) if d.pk == document.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        if item.position != position:
            ProcessDocument.objects.filter(pk=item.pk).update(position=position)


@transaction.atomic
def document_remove(*, document: ProcessDocument, actor: User | None) -> None:
    """Delete `document`; its file goes once the deletion is committed. Raises
    PermissionDenied unless `actor` runs the process."""
    _check(actor, document.process)
    storage, name = document.file.storage, document.file.name
    document.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))

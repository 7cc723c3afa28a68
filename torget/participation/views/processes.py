"""Pages of processes: the public list and process page with its timeline, documents and the
parts (hearings, proposals, short views, forums); the document download; and the staff pages
to create and edit a process, set its phases and keep its documents.

Staff pages are for the communicators and unit administrators of the process's unit or a unit
above it: others are sent to log in (visitors), get 403 (no such role, or not for this unit)
or 404 (no such process). A refused save answers 422 and keeps everything typed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from torget.accounts.models import User
from torget.organisation.models import Municipality, Unit
from torget.pages.files import IMAGE_TYPES, PDF
from torget.participation import policies
from torget.participation.forms.processes import DocumentForm, PhasesForm, ProcessForm
from torget.participation.models import Process, ProcessDocument, ProcessKind
from torget.participation.selectors import processes as selectors
from torget.participation.services import processes as services
from torget.participation.views import forums, hearings, proposals, shortviews
from torget.services.markdown import markdown_to_html, markdown_to_text

View = Callable[..., HttpResponse]


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _hosts(municipality: Municipality) -> list[str]:
    return list(municipality.hostnames.values_list("name", flat=True))


# --- public pages -----------------------------------------------------------------------------


@require_safe
def process_list(request: HttpRequest) -> HttpResponse:
    """The published processes of the municipality, newest first, filterable by kind."""
    kind = request.GET.get("type", "")
    kind = kind if kind in ProcessKind.values else ""
    page_obj = selectors.process_page_public(
        municipality=_municipality(request), kind=kind, page=request.GET.get("page")
    )
    context = {"page_obj": page_obj, "kind": kind, "kinds": ProcessKind.choices}
    return render(request, "participation/processes/list.html", context)


@require_safe
def process_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A process: summary, timeline with the current phase, documents, then each part."""
    process = selectors.process_get_public(
        municipality=_municipality(request), slug=slug, viewer=request.user
    )
    # Each part renders its own templates (escaped there) and returns the HTML.
    parts = [
        mark_safe(part(request, process))  # noqa: S308
        for part in (
            hearings.process_part,
            proposals.process_part,
            shortviews.process_part,
            forums.process_part,
        )
    ]
    context = {
        "process": process,
        "summary_html": markdown_to_html(process.summary, hosts=_hosts(process.municipality)),
        "summary_text": "\n\n".join(
            part for part in (process.title, markdown_to_text(process.summary)) if part
        ),
        "timeline": selectors.timeline_of(process),
        "documents": selectors.document_list(process=process),
        "parts": [part for part in parts if part.strip()],
        "can_manage": policies.can_manage_process(request.user, process),
    }
    return render(request, "participation/processes/detail.html", context)


@require_safe
def document_download(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """A document of a process the viewer may see. PDFs and pictures open in the browser;
    other files are downloaded. The type is the one stored when the content was checked, and
    the browser is told not to guess another."""
    document = selectors.document_get_public(
        municipality=_municipality(request), slug=slug, pk=pk, viewer=request.user
    )
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("document file") from exc
    response = FileResponse(
        handle,
        as_attachment=not (document.content_type == PDF or document.content_type in IMAGE_TYPES),
        filename=document.original_name,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- staff pages ------------------------------------------------------------------------------


def manager_required(view: View) -> View:
    """Log-in, then a communicator or unit administrator role in some unit; passes the units
    the viewer runs processes of to the view."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        units = selectors.unit_list_managed(
            viewer=request.user, municipality=_municipality(request)
        )
        if not units:
            raise PermissionDenied
        return view(request, *args, units=units, **kwargs)

    return wrapper


def _staff_process(request: HttpRequest, slug: str) -> Process:
    return selectors.process_get_for_staff(
        municipality=_municipality(request), slug=slug, viewer=request.user
    )


@require_safe
@manager_required
def staff_process_list(request: HttpRequest, units: list[Unit]) -> HttpResponse:
    """The processes of the units the viewer runs, drafts included."""
    page_obj = selectors.process_page_for_staff(units=units, page=request.GET.get("page"))
    return render(request, "participation/processes/staff_list.html", {"page_obj": page_obj})


@require_http_methods(["GET", "HEAD", "POST"])
@manager_required
def staff_process_create(request: HttpRequest, units: list[Unit]) -> HttpResponse:
    """A new process (a draft) of one of the viewer's units."""
    form = ProcessForm(
        request.POST if request.method == "POST" else None,
        units=units,
        initial={"unit": units[0].pk, "kind": ProcessKind.PROJECT},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                process = services.process_create(
                    unit=form.cleaned_data["unit"],
                    actor=_user(request),
                    fields=form.process_fields(),
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(
                    request, _("The process is saved as a draft. Set its phases next.")
                )
                return HttpResponseRedirect(
                    reverse("participation:staff-process-phases", args=[process.slug])
                )
    return render(request, "participation/processes/staff_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@manager_required
def staff_process_edit(request: HttpRequest, slug: str, units: list[Unit]) -> HttpResponse:
    """Change a process: its texts, unit, and whether it is published."""
    process = _staff_process(request, slug)
    choices = units if process.unit in units else [process.unit, *units]
    form = ProcessForm(
        request.POST if request.method == "POST" else None,
        units=choices,
        initial=ProcessForm.initial_for(process),
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                process = services.process_update(
                    process=process,
                    actor=_user(request),
                    fields=form.process_fields(),
                    unit=form.cleaned_data["unit"],
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("The process is saved."))
                return HttpResponseRedirect(
                    reverse("participation:staff-process-detail", args=[process.slug])
                )
    context = {"form": form, "process": process}
    return render(request, "participation/processes/staff_form.html", context, status=status)


@require_safe
@manager_required
def staff_process_detail(request: HttpRequest, slug: str, units: list[Unit]) -> HttpResponse:
    """The staff page of a process: its state, links to edit it, and each part's staff view."""
    process = _staff_process(request, slug)
    parts = [
        mark_safe(part(request, process))  # noqa: S308
        for part in (
            hearings.staff_process_part,
            proposals.staff_process_part,
            shortviews.staff_process_part,
            forums.staff_process_part,
        )
    ]
    context = {
        "process": process,
        "timeline": selectors.timeline_of(process),
        "documents": selectors.document_list(process=process),
        "parts": [part for part in parts if part.strip()],
    }
    return render(request, "participation/processes/staff_detail.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@manager_required
def staff_process_phases(request: HttpRequest, slug: str, units: list[Unit]) -> HttpResponse:
    """The four phases of a process in one form."""
    process = _staff_process(request, slug)
    form = PhasesForm(
        request.POST if request.method == "POST" else None,
        initial=PhasesForm.initial_for(list(process.phases.all())),
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.phases_set(
                    process=process, actor=_user(request), phases=form.phase_dates()
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("The phases are saved."))
                return HttpResponseRedirect(
                    reverse("participation:staff-process-detail", args=[process.slug])
                )
    context = {"form": form, "process": process}
    return render(request, "participation/processes/staff_phases.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@manager_required
def staff_process_documents(request: HttpRequest, slug: str, units: list[Unit]) -> HttpResponse:
    """The documents of a process, in order, with the form to upload one more."""
    process = _staff_process(request, slug)
    form = DocumentForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                services.document_add(
                    process=process,
                    actor=_user(request),
                    upload=upload,
                    name=upload.name,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("The document is added."))
                return HttpResponseRedirect(
                    reverse("participation:staff-process-documents", args=[process.slug])
                )
    context = {
        "form": form,
        "process": process,
        "documents": selectors.document_list(process=process),
    }
    return render(request, "participation/processes/staff_documents.html", context, status=status)


def _staff_document(request: HttpRequest, slug: str, pk: int) -> ProcessDocument:
    process = _staff_process(request, slug)
    document = ProcessDocument.objects.filter(process=process, pk=pk).first()
    if document is None:
        raise Http404("document")
    document.process = process
    return document


@require_POST
@manager_required
def staff_document_move(
    request: HttpRequest, slug: str, pk: int, units: list[Unit]
) -> HttpResponse:
    """Move a document one place up or down."""
    document = _staff_document(request, slug, pk)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        raise Http404("direction")
    services.document_move(document=document, actor=_user(request), direction=direction)
    return HttpResponseRedirect(
        reverse("participation:staff-process-documents", args=[slug]) + f"#dokument-{pk}"
    )


@require_http_methods(["GET", "HEAD", "POST"])
@manager_required
def staff_document_delete(
    request: HttpRequest, slug: str, pk: int, units: list[Unit]
) -> HttpResponse:
    """Ask, then delete a document."""
    document = _staff_document(request, slug, pk)
    if request.method == "POST":
        services.document_remove(document=document, actor=_user(request))
        messages.success(request, _("The document “%(title)s” is deleted.") % {"title": document})
        return HttpResponseRedirect(reverse("participation:staff-process-documents", args=[slug]))
    context = {"document": document, "process": document.process}
    return render(request, "participation/processes/staff_document_delete.html", context)

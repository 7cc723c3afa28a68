"""Pages of alternative proposals: a process's proposals with the form to propose one, a
proposal with its support button, picture, drawing and conversation, the staff's status form,
and the drawing as GeoJSON. Thin: parse, call one selector or service, render.

Every form posts without JavaScript. A refused form (a wrong picture, a drawing that is not a
valid geometry, support outside the input phase, ...) re-renders the page with status 422, the
message next to the field and what was typed kept (a chosen picture must be chosen again, and
the form says so).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from torget.alerts.staff_selectors import map_bounds
from torget.conversations import selectors as conversation_selectors
from torget.conversations import services as conversations
from torget.conversations.models import ThreadStatus
from torget.conversations.views.common import _refuse
from torget.core.errors import TorgetError
from torget.organisation.models import Municipality
from torget.organisation.policies import can_moderate_unit
from torget.participation import policies
from torget.participation.forms.proposals import CommentForm, ProposalForm, StatusForm
from torget.participation.geometry import (
    drawing_bounds,
    drawing_describe,
    drawing_kind,
    drawing_positions_text,
)
from torget.participation.models import Process, Proposal
from torget.participation.selectors import proposals as selectors
from torget.participation.services import proposals as services


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _process(request: HttpRequest, slug: str) -> Process:
    return selectors.process_get_for_proposals(
        municipality=_municipality(request), slug=slug, viewer=request.user
    )


def _list_url(process: Process) -> str:
    return reverse("participation:proposal-list", args=[process.slug])


def _detail_url(proposal: Proposal, anchor: str = "") -> str:
    url = reverse("participation:proposal-detail", args=[proposal.process.slug, proposal.pk])
    return f"{url}#{anchor}" if anchor else url


def _map_context(request: HttpRequest) -> dict[str, Any]:
    """What static/js/proposal_map.js needs: the tiles (none when not configured), where to
    look first, and the words of the drawing tools."""
    return {
        "map_tiles_url": getattr(settings, "TORGET_MAP_TILES_URL", ""),
        "map_tiles_attribution": getattr(settings, "TORGET_MAP_ATTRIBUTION", ""),
        "map_bounds": map_bounds(municipality=_municipality(request)),
        "map_texts": {
            "marker": _("Draw a point"),
            "polyline": _("Draw a line"),
            "polygon": _("Draw an area"),
            "markerStart": _("Click on the map to place the point."),
            "lineStart": _("Click on the map to start the line."),
            "lineCont": _("Click to continue the line."),
            "lineEnd": _("Click the last point again to finish the line."),
            "polygonStart": _("Click on the map to place the first corner."),
            "polygonCont": _("Click to place the next corner."),
            "polygonEnd": _("Click the first corner to close the area."),
            "finish": _("Finish"),
            "finishTitle": _("Finish the drawing"),
            "undo": _("Delete the last point"),
            "undoTitle": _("Delete the last point you placed"),
            "cancel": _("Cancel"),
            "cancelTitle": _("Stop drawing"),
            "crossing": _("The edges of the area must not cross."),
            "drawn": _("The drawing is made: its points are in the field below."),
            "zoomIn": _("Zoom in"),
            "zoomOut": _("Zoom out"),
            "edit": _("Move the points"),
            "editDisabled": _("Nothing to change yet"),
            "remove": _("Delete the drawing"),
            "removeDisabled": _("Nothing to delete yet"),
            "save": _("Save"),
            "saveTitle": _("Keep the changes"),
            "clearAll": _("Delete all"),
            "editTip": _("Drag the points to move them."),
            "editSubtip": _("Cancel undoes the changes."),
            "removeTip": _("Click the drawing to delete it."),
            "removed": _("The drawing is deleted."),
        },
    }


# --- the list of a process's proposals, and the form to propose one -------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def proposal_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The process's proposals, the most supported first, and for a logged-in resident in the
    input phase the form to propose an alternative."""
    process = _process(request, slug)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(f"{_list_url(process)}#nytt-forslag")
        form = ProposalForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                proposal = services.proposal_submit(
                    process=process,
                    actor=request.user,
                    title=data["title"],
                    body=data["body"],
                    image=data.get("image"),
                    image_alt=data.get("image_alt") or "",
                    geometry=data.get("drawing"),
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            except (TorgetError, PermissionDenied) as exc:
                _refuse(form, None, exc)
            else:
                messages.success(request, _("Your proposal has been published."))
                return redirect(_detail_url(proposal))
        return _render_list(request, process, form=form, status=422)
    return _render_list(request, process, form=ProposalForm())


def _render_list(
    request: HttpRequest, process: Process, *, form: ProposalForm, status: int = 200
) -> HttpResponse:
    accepts = policies.accepts_input(process)
    page_obj = selectors.proposal_page_for_process(process=process, page=request.GET.get("page"))
    context = {
        "process": process,
        "page_obj": page_obj,
        "proposals": page_obj.object_list,
        "can_moderate": can_moderate_unit(request.user, process.unit),
        "accepts_input": accepts,
        "input_window": selectors.input_window_text(process),
        "form": form if accepts and request.user.is_authenticated else None,
        **(_map_context(request) if accepts and request.user.is_authenticated else {}),
    }
    return render(request, "participation/proposals/proposal_list.html", context, status=status)


# --- one proposal -------------------------------------------------------------------------------


def _proposal(request: HttpRequest, slug: str, pk: int) -> Proposal:
    process = _process(request, slug)
    return selectors.proposal_get_for_viewer(process=process, pk=pk, viewer=request.user)


def _shown_proposal(request: HttpRequest, slug: str, pk: int) -> Proposal:
    """The proposal, unless a moderator hid its text and the viewer does not moderate (404):
    its picture and drawing are hidden with it."""
    proposal = _proposal(request, slug, pk)
    if selectors.proposal_text_is_hidden(proposal=proposal) and not can_moderate_unit(
        request.user, proposal.thread.unit
    ):
        raise Http404("hidden")
    return proposal


def _render_detail(
    request: HttpRequest,
    proposal: Proposal,
    *,
    comment_form: CommentForm | None = None,
    status_form: StatusForm | None = None,
    support_error: str = "",
    status: int = 200,
) -> HttpResponse:
    process = proposal.process
    thread = proposal.thread
    user = request.user
    thread_messages = conversation_selectors.message_list_for_page(thread=thread, viewer=user)
    # The proposal's text is the thread's first message; the rest is the conversation.
    opening = thread_messages[0] if thread_messages else None
    can_manage = policies.can_manage_process(user, process)
    can_moderate = can_moderate_unit(user, thread.unit)
    geometry = proposal.geometry
    context = {
        "process": process,
        "proposal": proposal,
        "opening": opening,
        "thread_messages": thread_messages[1:],
        "can_moderate": can_moderate,
        # A moderator hid the proposal's text: its title, picture and drawing go with it.
        "text_hidden": bool(opening and opening.is_hidden and not can_moderate),
        "accepts_input": policies.accepts_input(process),
        "input_window": selectors.input_window_text(process),
        "supported": selectors.proposal_is_supported_by(proposal=proposal, viewer=user),
        "is_author": user.is_authenticated and proposal.author_id == user.pk,
        "support_error": support_error,
        "thread_closed": thread.status == ThreadStatus.CLOSED,
        "comment_form": comment_form or CommentForm(),
        "can_manage": can_manage,
        "status_form": (
            (status_form or StatusForm(initial={"status": proposal.status})) if can_manage else None
        ),
        "drawing": (
            {
                "kind": drawing_kind(geometry),
                "text": drawing_describe(geometry),
                "points": drawing_positions_text(geometry).splitlines(),
                "bounds": drawing_bounds(geometry),
            }
            if geometry
            else None
        ),
        "geometry": geometry,
        "map_tiles_url": getattr(settings, "TORGET_MAP_TILES_URL", ""),
        "map_tiles_attribution": getattr(settings, "TORGET_MAP_ATTRIBUTION", ""),
    }
    return render(request, "participation/proposals/proposal_detail.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def proposal_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A proposal: status, supports, text, picture, drawing and conversation. A POST is a
    resident's comment in the conversation."""
    proposal = _proposal(request, slug, pk)
    if request.method != "POST":
        return _render_detail(request, proposal)
    if not request.user.is_authenticated:
        return redirect_to_login(_detail_url(proposal, "kommenter"))
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            message = conversations.message_add_resident(
                thread=proposal.thread, actor=request.user, body=form.cleaned_data["body"]
            )
        except (ValidationError, TorgetError, PermissionDenied) as exc:
            _refuse(form, "body", exc)
        else:
            messages.success(request, _("Your comment has been published."))
            return redirect(_detail_url(proposal, f"melding-{message.pk}"))
    proposal.thread.refresh_from_db(fields=["status"])
    return _render_detail(request, proposal, comment_form=form, status=422)


@require_POST
def proposal_support(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Support the proposal (action=support) or withdraw one's support (action=withdraw)."""
    proposal = _proposal(request, slug, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(_detail_url(proposal, "stotte"))
    withdraw = request.POST.get("action") == "withdraw"
    try:
        if withdraw:
            services.proposal_support_withdraw(proposal=proposal, actor=request.user)
        else:
            services.proposal_support(proposal=proposal, actor=request.user)
    except ValidationError as exc:
        return _render_detail(request, proposal, support_error=" ".join(exc.messages), status=422)
    messages.success(
        request,
        _("You no longer support this proposal.")
        if withdraw
        else _("Thank you: you now support this proposal."),
    )
    return redirect(_detail_url(proposal, "stotte"))


@require_POST
def proposal_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Staff: set the proposal's official status, with an optional official answer."""
    proposal = _proposal(request, slug, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(_detail_url(proposal, "status"))
    if not policies.can_manage_process(request.user, proposal.process):
        raise PermissionDenied
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.proposal_status_set(
                proposal=proposal,
                actor=request.user,
                status=form.cleaned_data["status"],
                answer=form.cleaned_data["answer"],
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except TorgetError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("The status is saved and the answer is sent.")
                if form.cleaned_data["answer"].strip()
                else _("The status is saved."),
            )
            return redirect(_detail_url(proposal, "status"))
    return _render_detail(request, proposal, status_form=form, status=422)


@require_GET
def proposal_drawing(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The proposal's drawing as a GeoJSON Feature, to download (404 without a drawing)."""
    proposal = _shown_proposal(request, slug, pk)
    if not proposal.geometry:
        raise Http404("drawing")
    feature = {
        "type": "Feature",
        "geometry": proposal.geometry,
        "properties": {
            "title": proposal.title,
            "status": proposal.status,
            "supports": proposal.support_count,
            "url": request.build_absolute_uri(_detail_url(proposal)),
        },
    }
    response = HttpResponse(
        json.dumps(feature, ensure_ascii=False, indent=2),
        content_type="application/geo+json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="forslag-{proposal.pk}.geojson"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def proposal_image(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """The proposal's picture, shown inline with the type found when it was checked; with
    ?size=small its small copy for the list (the picture itself where there is none)."""
    proposal = _shown_proposal(request, slug, pk)
    if not proposal.image:
        raise Http404("image")
    storage, name = proposal.image.storage, proposal.image.name
    content_type, filename = proposal.image_type, proposal.image_name
    if request.GET.get("size") == "small" and storage.exists(services.thumbnail_name(name)):
        name, content_type = services.thumbnail_name(name), "image/webp"
        filename = ""
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError as exc:
        raise Http404("image file") from exc
    response = FileResponse(
        handle,
        filename=filename or name.rsplit("/", 1)[-1],
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- the parts on the process pages -------------------------------------------------------------


def process_part(request: HttpRequest, process: Process) -> str:
    """The proposals part of the process's public page, rendered ("" when there is none)."""
    count = selectors.proposal_count(process=process)
    accepts = policies.accepts_input(process)
    if not count and not accepts:
        return ""
    context = {
        "process": process,
        "proposals": selectors.proposal_list_top(process=process) if count else [],
        "count": count,
        "accepts_input": accepts,
        "can_moderate": can_moderate_unit(request.user, process.unit),
    }
    return render_to_string("participation/proposals/_process_part.html", context, request=request)


def staff_process_part(request: HttpRequest, process: Process) -> str:
    """The proposals part of the process's staff page, rendered ("" when there is none)."""
    counts = selectors.proposal_counts_by_status(process=process)
    context = {
        "process": process,
        "counts": counts,
        "total": sum(row.count for row in counts),
    }
    return render_to_string(
        "participation/proposals/_staff_process_part.html", context, request=request
    )

"""Views of the short views part of participation: the public page (vote one statement at a
time without JavaScript, add your own, results and opinion groups), the staff page (add,
moderate, withdraw), and the parts shown on the process pages.

Views parse, call one service or selector, and render. A refused vote or statement answers
422 with the message beside the form and what was typed kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from torget.conversations.views.common import _next_url, staff_required
from torget.core.errors import TorgetError
from torget.organisation.models import Municipality
from torget.participation import plot, policies
from torget.participation.forms.shortviews import RejectForm, ShortViewForm, VoteForm
from torget.participation.models import Process, ShortView
from torget.participation.selectors import processes as process_selectors
from torget.participation.selectors import shortviews as selectors
from torget.participation.services import shortviews as services

PER_PAGE = 20
MODERATION_QUEUE = 50
BAR_WIDTH = 240


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _page_url(process: Process, anchor: str = "") -> str:
    return reverse("participation:short-views", args=[process.slug]) + anchor


def _staff_url(process: Process, anchor: str = "") -> str:
    return reverse("participation:staff-short-views", args=[process.slug]) + anchor


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _result_row(view: ShortView, my_vote: int | None = None, here: str = "") -> dict[str, Any]:
    """A statement with its counts, shares in per cent and bar widths (numbers written too),
    and where a changed vote returns to (`here`, at this statement)."""
    total = view.vote_count
    widths = [
        round(BAR_WIDTH * n / total) if total else 0
        for n in (view.agree_count, view.disagree_count)
    ]
    return {
        "view": view,
        "total": total,
        "agree_percent": _percent(view.agree_count, total),
        "disagree_percent": _percent(view.disagree_count, total),
        "pass_percent": _percent(view.pass_count, total),
        "agree_width": widths[0],
        "disagree_width": widths[1],
        "disagree_x": widths[0],
        "pass_x": widths[0] + widths[1],
        "pass_width": BAR_WIDTH - widths[0] - widths[1] if total else 0,
        "bar_width": BAR_WIDTH,
        "my_vote": my_vote,
        "label_id": f"sv-text-{view.pk}",
        "next": f"{here}#synspunkt-{view.pk}" if here else "",
    }


def _groups_context(process: Process, viewer: Any) -> dict[str, Any]:
    """The opinion groups as last computed: picture, table rows, consensus, and when."""
    groups = selectors.opinion_groups_get(process)
    result = groups.result if groups is not None else {}
    if not result.get("points"):
        return {"opinion": groups, "has_groups": False}
    texts = selectors.statement_texts(process, selectors.result_statement_ids(result))
    viewer_id = viewer.pk if viewer.is_authenticated else None
    my_group = next(
        (result["groups"][p[3]]["label"] for p in result["points"] if p[0] == viewer_id), None
    )
    consensus = [
        {
            **item,
            "text": texts[item["statement"]],
            "agree_percent": round(100 * item["agree"]),
            "disagree_percent": round(100 * item["disagree"]),
        }
        for item in result.get("consensus", [])
        if item["statement"] in texts
    ]
    return {
        "opinion": groups,
        "has_groups": True,
        "opinion_result": result,
        "opinion_svg": plot.opinion_svg(result, viewer_id=viewer_id),
        "group_rows": plot.group_rows(result, texts),
        "consensus_agree": [c for c in consensus if c["direction"] == "agree"],
        "consensus_disagree": [c for c in consensus if c["direction"] == "disagree"],
        "my_group": my_group,
    }


def _page(
    request: HttpRequest,
    process: Process,
    *,
    form: ShortViewForm | None = None,
    vote_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    accepts = policies.accepts_input(process)
    published = selectors.short_view_list_published(process)
    my_votes = selectors.short_view_votes_of(process, user)
    page_obj = Paginator(selectors.short_view_list_for_results(process), PER_PAGE).get_page(
        request.GET.get("page")
    )
    here = request.get_full_path() if request.method == "GET" else _page_url(process)
    context = {
        "process": process,
        "accepts_input": accepts,
        "next_view": selectors.short_view_next_for(process, user) if accepts else None,
        "published_count": published.count(),
        "voted_count": len(my_votes),
        "page_obj": page_obj,
        "rows": [_result_row(view, my_votes.get(view.pk), here) for view in page_obj],
        "own_statements": selectors.short_view_list_own_pending(process, user),
        "form": form if form is not None else ShortViewForm(),
        "vote_error": vote_error,
        "max_length": services.MAX_SHORT_VIEW,
        "summary": selectors.short_view_summary(process),
        **_groups_context(process, user),
    }
    return render(request, "participation/shortviews/page.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD"])
def short_views(request: HttpRequest, slug: str) -> HttpResponse:
    """The public short views page of a process."""
    process = process_selectors.process_get_public(
        municipality=_municipality(request), slug=slug, viewer=request.user
    )
    return _page(request, process)


def _back_to(url: str, request: HttpRequest) -> HttpResponse:
    """A GET of a form's address (a link on a page that answered its POST) goes to the page."""
    query = request.META.get("QUERY_STRING", "")
    return redirect(f"{url}?{query}" if query else url)


@require_http_methods(["GET", "HEAD", "POST"])
def short_view_vote(request: HttpRequest, slug: str) -> HttpResponse:
    """Agree, disagree or pass (one of three submit buttons); then on to the next statement
    (or back to where the vote was changed)."""
    process = process_selectors.process_get_public(
        municipality=_municipality(request), slug=slug, viewer=request.user
    )
    if request.method != "POST":
        return _back_to(_page_url(process), request)
    if not request.user.is_authenticated:
        return redirect_to_login(_page_url(process))
    form = VoteForm(request.POST)
    if not form.is_valid():
        return _page(request, process, vote_error=_("Choose agree, disagree or pass."), status=422)
    short_view = ShortView.objects.filter(
        process=process, pk=form.cleaned_data["short_view"]
    ).first()
    if short_view is None:
        raise Http404("short view")
    try:
        services.vote_cast(
            short_view=short_view,
            actor=request.user,  # type: ignore[arg-type]
            choice=form.cleaned_data["choice"],
        )
    except ValidationError as exc:
        return _page(request, process, vote_error=" ".join(exc.messages), status=422)
    messages.success(request, _("Your vote has been counted."))
    return redirect(_next_url(request, _page_url(process, "#stem")))


@require_http_methods(["GET", "HEAD", "POST"])
def short_view_add(request: HttpRequest, slug: str) -> HttpResponse:
    """A resident's own statement (it waits for moderation)."""
    process = process_selectors.process_get_public(
        municipality=_municipality(request), slug=slug, viewer=request.user
    )
    if request.method != "POST":
        return _back_to(_page_url(process), request)
    if not request.user.is_authenticated:
        return redirect_to_login(_page_url(process))
    form = ShortViewForm(request.POST)
    if form.is_valid():
        try:
            view = services.short_view_add(
                process=process,
                actor=request.user,  # type: ignore[arg-type]
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except TorgetError as exc:
            form.add_error(None, str(exc.message))
        else:
            if view.status == "published":
                messages.success(request, _("Your statement has been published."))
            else:
                messages.success(
                    request,
                    _(
                        "Thank you. Your statement has been sent; it is shown when a moderator "
                        "has approved it."
                    ),
                )
            return redirect(_page_url(process, "#dine-synspunkter"))
    return _page(request, process, form=form, status=422)


# --- staff -------------------------------------------------------------------------------------


def _staff_process(request: HttpRequest, slug: str) -> tuple[Process, bool, bool]:
    """The process and whether the viewer manages and moderates it; 404 when there is none,
    403 for staff who do neither."""
    process = (
        Process.objects.filter(municipality=_municipality(request), slug=slug)
        .select_related("unit")
        .first()
    )
    if process is None:
        raise Http404("process")
    manages = policies.can_manage_process(request.user, process)
    moderates = policies.can_moderate_process(request.user, process)
    if not (manages or moderates):
        raise PermissionDenied
    return process, manages, moderates


def _staff_page(
    request: HttpRequest,
    process: Process,
    manages: bool,
    moderates: bool,
    *,
    form: ShortViewForm | None = None,
    reject_forms: dict[int, RejectForm] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    pending = list(selectors.short_view_list_pending(process)[:MODERATION_QUEUE])
    reject_forms = reject_forms or {}
    page_obj = Paginator(selectors.short_view_list_staff(process), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "process": process,
        "manages": manages,
        "moderates": moderates,
        "accepts_input": policies.accepts_input(process),
        "form": form if form is not None else ShortViewForm(),
        "pending": [
            (view, reject_forms.get(view.pk) or RejectForm(short_view_id=view.pk))
            for view in pending
        ],
        "pending_count": selectors.short_view_count_pending(process),
        "page_obj": page_obj,
        "rows": [_result_row(view) for view in page_obj],
        "error": error,
        "summary": selectors.short_view_summary(process),
        **_groups_context(process, request.user),
    }
    return render(request, "participation/shortviews/staff.html", context, status=status)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def staff_short_views(request: HttpRequest, slug: str) -> HttpResponse:
    """The staff page: add statements (managers), the moderation queue (moderators), withdraw,
    and the results."""
    process, manages, moderates = _staff_process(request, slug)
    if request.method != "POST":
        return _staff_page(request, process, manages, moderates)
    if not manages:
        raise PermissionDenied
    form = ShortViewForm(request.POST)
    if form.is_valid():
        try:
            services.short_view_add(
                process=process,
                actor=request.user,  # type: ignore[arg-type]
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("The statement has been published."))
            return redirect(_staff_url(process))
    return _staff_page(request, process, manages, moderates, form=form, status=422)


def _staff_short_view(process: Process, pk: int) -> ShortView:
    view = ShortView.objects.filter(process=process, pk=pk).select_related("process").first()
    if view is None:
        raise Http404("short view")
    return view


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_short_view_moderate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Approve (button "approve") or reject with a reason (button "reject")."""
    process, manages, moderates = _staff_process(request, slug)
    if request.method != "POST":
        return _back_to(_staff_url(process), request)
    view = _staff_short_view(process, pk)
    approve = request.POST.get("action") == "approve"
    form = RejectForm(request.POST, short_view_id=view.pk)
    if not approve and not form.is_valid():
        return _staff_page(
            request, process, manages, moderates, reject_forms={view.pk: form}, status=422
        )
    try:
        services.short_view_moderate(
            short_view=view,
            actor=request.user,  # type: ignore[arg-type]
            approve=approve,
            reason="" if approve else form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        if approve:
            return _staff_page(
                request, process, manages, moderates, error=" ".join(exc.messages), status=422
            )
        form.apply_service_errors(exc)
        return _staff_page(
            request, process, manages, moderates, reject_forms={view.pk: form}, status=422
        )
    messages.success(
        request,
        _("The statement has been published.") if approve else _("The statement was rejected."),
    )
    return redirect(_staff_url(process, "#moderering"))


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_short_view_withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Withdraw a published statement (its votes are kept; no new votes)."""
    process, manages, moderates = _staff_process(request, slug)
    if request.method != "POST":
        return _back_to(_staff_url(process), request)
    view = _staff_short_view(process, pk)
    try:
        services.short_view_withdraw(short_view=view, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _staff_page(
            request, process, manages, moderates, error=" ".join(exc.messages), status=422
        )
    messages.success(request, _("The statement has been withdrawn; its votes are kept."))
    return redirect(_staff_url(process, "#synspunkter"))


# --- the parts on the process pages --------------------------------------------------------------


def process_part(request: HttpRequest, process: Process) -> str:
    """The short views part of the process's public page, rendered ("" when there is none)."""
    summary = selectors.short_view_summary(process)
    accepts = policies.accepts_input(process)
    if not summary.statements and not accepts:
        return ""
    context = {"process": process, "summary": summary, "accepts_input": accepts}
    return render_to_string("participation/shortviews/_process_part.html", context, request=request)


def staff_process_part(request: HttpRequest, process: Process) -> str:
    """The short views part of the process's staff page, rendered ("" when there is none)."""
    context = {
        "process": process,
        "summary": selectors.short_view_summary(process),
        "pending_count": selectors.short_view_count_pending(process),
    }
    return render_to_string(
        "participation/shortviews/_staff_process_part.html", context, request=request
    )

"""The staff pages of the e-service square: the owners' dashboard, the page editor, reviews,
the version history and restore. For the communicators and unit administrators of a page's
unit; other staff get 403, visitors are sent to log in. A refused save answers 422 and keeps
everything typed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from torget.organisation.models import Unit
from torget.services import policies, selectors, services
from torget.services.forms import PageForm
from torget.services.models import InfoPage
from torget.services.views.common import municipality_of, user_of

View = Callable[..., HttpResponse]
DIFF_LABELS = {
    "title": gettext_lazy("Title"),
    "summary": gettext_lazy("Summary"),
    "body": gettext_lazy("Text"),
    "contact": gettext_lazy("Contact"),
}


def editor_required(view: View) -> View:
    """Log-in, then editing rights for at least one unit; passes those units to the view."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        units = selectors.unit_list_editable(
            viewer=request.user, municipality=municipality_of(request)
        )
        if not units:
            raise PermissionDenied
        return view(request, *args, units=units, **kwargs)

    return wrapper


def _staff_page(request: HttpRequest, pk: int) -> InfoPage:
    """The page `pk` if the viewer may edit it (Http404, PermissionDenied)."""
    page = selectors.page_get_for_staff(municipality=municipality_of(request), pk=pk)
    if not policies.can_edit_page(request.user, page):
        raise PermissionDenied
    return page


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@require_GET
@editor_required
def staff_page_list(request: HttpRequest, units: list[Unit]) -> HttpResponse:
    """The owners' dashboard: the pages of the units the viewer keeps, with their feedback."""
    filters = selectors.StaffFilter(
        unit=_int(request.GET.get("enhet")), needs_review=request.GET.get("forfalt") == "1"
    )
    pages = selectors.page_page_for_staff(
        units=units, filters=filters, page=request.GET.get("page")
    )
    for page in pages:
        page.helpful_share = selectors.feedback_share(page.helpful_yes, page.helpful_no)  # type: ignore[attr-defined]
    query = "&".join(
        part
        for part in (
            f"enhet={filters.unit}" if filters.unit else "",
            "forfalt=1" if filters.needs_review else "",
        )
        if part
    )
    context = {
        "pages": pages,
        "units": units,
        "filters": filters,
        "query": f"&{query}" if query else "",
        "today": timezone.localdate(),
    }
    return render(request, "services/staff/page_list.html", context)


def _page_form(request: HttpRequest, *, units: list[Unit], initial: dict[str, Any]) -> PageForm:
    return PageForm(
        request.POST if request.method == "POST" else None,
        units=units,
        municipality=municipality_of(request),
        initial=initial,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@editor_required
def staff_page_create(request: HttpRequest, units: list[Unit]) -> HttpResponse:
    """Write a new information page for one of the viewer's units."""
    municipality = municipality_of(request)
    form = _page_form(
        request,
        units=units,
        initial={"unit": units[0].pk, "language": municipality.malform, "review_every_days": 365},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                page = services.page_create(
                    unit=form.cleaned_data["unit"],
                    actor=user_of(request),
                    fields=form.page_fields(),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("The page is saved."))
                return HttpResponseRedirect(reverse("services:staff-page-edit", args=[page.pk]))
    return render(request, "services/staff/page_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@editor_required
def staff_page_edit(request: HttpRequest, pk: int, units: list[Unit]) -> HttpResponse:
    """Change a page; every save is a new version."""
    page = _staff_page(request, pk)
    choices = units if page.unit in units else [page.unit, *units]
    initial = {
        "unit": page.unit_id,
        "title": page.title,
        "slug": page.slug,
        "summary": page.summary,
        "body": page.body,
        "contact": page.contact,
        "language": page.language,
        "life_situations": [s.pk for s in page.life_situations.all()],
        "review_every_days": page.review_every_days,
        "is_published": page.is_published,
    }
    form = _page_form(request, units=choices, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.page_update(
                    page=page,
                    actor=user_of(request),
                    fields=form.page_fields(),
                    note=form.cleaned_data["note"],
                    unit=form.cleaned_data["unit"],
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("The page is saved as a new version."))
                return HttpResponseRedirect(reverse("services:staff-page-edit", args=[page.pk]))
    context = {
        "form": form,
        "page": page,
        "written": selectors.feedback_list_written(page=page),
        "today": timezone.localdate(),
    }
    return render(request, "services/staff/page_form.html", context, status=status)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@editor_required
def staff_page_review(request: HttpRequest, pk: int, units: list[Unit]) -> HttpResponse:
    """Mark the page as reviewed today."""
    page = _staff_page(request, pk)
    services.page_mark_reviewed(page=page, actor=user_of(request))
    messages.success(request, _("“%(title)s” is marked as reviewed today.") % {"title": page.title})
    return HttpResponseRedirect(
        _safe_next(request, reverse("services:staff-page-edit", args=[page.pk]))
    )


@require_GET
@editor_required
def staff_page_history(request: HttpRequest, pk: int, units: list[Unit]) -> HttpResponse:
    """Who changed the page, when, and what they said they changed."""
    page = _staff_page(request, pk)
    versions = selectors.version_page(page=page, number=request.GET.get("page"))
    return render(request, "services/staff/page_history.html", {"page": page, "versions": versions})


@require_GET
@editor_required
def staff_version_detail(
    request: HttpRequest, pk: int, number: int, units: list[Unit]
) -> HttpResponse:
    """One version, with what changed from the version before it, and "restore"."""
    page = _staff_page(request, pk)
    version = selectors.version_get(page=page, number=number)
    previous = selectors.version_get_previous(version=version)
    context = {
        "page": page,
        "version": version,
        "previous": previous,
        "diffs": selectors.version_diff(previous, version, DIFF_LABELS),
        "is_current": not page.versions.filter(number__gt=version.number).exists(),
    }
    return render(request, "services/staff/version_detail.html", context)


@require_POST
@editor_required
def staff_version_restore(
    request: HttpRequest, pk: int, number: int, units: list[Unit]
) -> HttpResponse:
    """Put a version's text back on the page (as a new version)."""
    page = _staff_page(request, pk)
    version = selectors.version_get(page=page, number=number)
    restored = services.page_restore_version(page=page, actor=user_of(request), version=version)
    messages.success(
        request,
        _("Version %(old)d is restored as version %(new)d.")
        % {"old": version.number, "new": restored.number},
    )
    return HttpResponseRedirect(reverse("services:staff-page-history", args=[page.pk]))

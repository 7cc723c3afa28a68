"""The search page and the staff page of searches that found nothing."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from torget.core.ratelimit import client_address, ratelimit_hit
from torget.core.search import policies, selectors, services
from torget.core.search.forms import SearchForm
from torget.core.views import too_many_requests
from torget.organisation.selectors import unit_get_root

# Gentle: a person clicking through pages never meets it; a script hammering the index does.
SEARCHES_PER_MINUTE = 60
KIND = re.compile(r"[a-z][a-z0-9_-]{0,29}")


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1


def search(request: HttpRequest) -> HttpResponse:
    """/sok/?q=...: results grouped by kind; ?kind=page&page=2 pages through one kind.

    An empty or too long query answers 422 with the error beside the field and the text kept.
    A query that finds nothing is counted for staff (services.search_miss_record).
    """
    municipality = request.municipality  # type: ignore[attr-defined]
    context: dict[str, object] = {"form": SearchForm(), "results": None}
    if "q" not in request.GET:
        return render(request, "search/search.html", context)
    form = SearchForm(request.GET)
    context["form"] = form
    if not form.is_valid():
        return render(request, "search/search.html", context, status=422)
    if not ratelimit_hit(f"search:{client_address(request)}", limit=SEARCHES_PER_MINUTE, period=60):
        return too_many_requests(request)
    raw_kind = request.GET.get("kind", "")
    kind = raw_kind if KIND.fullmatch(raw_kind) else None
    query = form.cleaned_data["q"]
    results = selectors.search(
        municipality_id=municipality.pk,
        query=query,
        language=translation.get_language() or municipality.malform,
        kind=kind,
        page=_page_number(request.GET.get("page")),
    )
    context["results"] = results
    if results.total == 0:
        if kind is None:
            services.search_miss_record(municipality_id=municipality.pk, query=query)
        context["contact"] = unit_get_root(municipality=municipality)
    return render(request, "search/search.html", context)


@login_required
def miss_list(request: HttpRequest) -> HttpResponse:
    """/ansatt/sok/: what residents searched for and did not find, the last 30 days."""
    municipality = request.municipality  # type: ignore[attr-defined]
    if not policies.can_view_search_misses(request.user, municipality):
        raise PermissionDenied
    misses = selectors.search_miss_page(
        municipality_id=municipality.pk, page=request.GET.get("page")
    )
    return render(request, "search/misses.html", {"misses": misses, "days": selectors.MISS_DAYS})

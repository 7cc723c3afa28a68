"""The municipality's front page and each unit's page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from torget.organisation import selectors


def front(request: HttpRequest) -> HttpResponse:
    """The municipality's front page: who it is and its units."""
    municipality = request.municipality  # type: ignore[attr-defined]
    units = list(selectors.unit_list(municipality=municipality))
    return render(
        request,
        "organisation/front.html",
        {"root": units[0] if units else None, "units": units[1:]},
    )


def unit_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A unit's page: what it does, how to reach it, when it is open."""
    unit = selectors.unit_get(municipality=request.municipality, slug=slug)  # type: ignore[attr-defined]
    return render(request, "organisation/unit_detail.html", {"unit": unit})

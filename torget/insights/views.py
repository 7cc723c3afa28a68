"""The staff dashboard of dialogue metrics, its CSV export, and the public open data."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from torget.insights import reports
from torget.insights.forms import MetricsFilterForm
from torget.organisation.models import Municipality
from torget.organisation.policies import is_staff_in
from torget.organisation.selectors import unit_list

OPEN_DATA_SECONDS = 3600
DEFINITIONS = Path(settings.BASE_DIR) / "docs" / "metrics.md"


def _staff_municipality(request: HttpRequest) -> Municipality:
    """The request's municipality, if the person holds a staff role in it (else 403)."""
    municipality: Municipality = request.municipality  # type: ignore[attr-defined]
    if not is_staff_in(request.user, municipality):
        raise PermissionDenied
    return municipality


def _filtered(
    request: HttpRequest, municipality: Municipality
) -> tuple[MetricsFilterForm, reports.Dashboard | None]:
    form = MetricsFilterForm(request.GET or None, units=list(unit_list(municipality=municipality)))
    if form.is_bound and not form.is_valid():
        return form, None
    return form, reports.dashboard_get(municipality=municipality, scope=form.scope())


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Dialogue metrics for staff: the figures of the chosen unit, channel and period, goal
    against practice per unit, the channels and the monthly trend. A filter that does not
    validate shows the form again with its errors (422)."""
    municipality = _staff_municipality(request)
    form, board = _filtered(request, municipality)
    return render(
        request,
        "insights/dashboard.html",
        {"form": form, "board": board, "query": request.GET.urlencode()},
        status=200 if board is not None else 422,
    )


@require_safe
@login_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """The goal-against-practice table of the dashboard's filter as a CSV file."""
    municipality = _staff_municipality(request)
    form, board = _filtered(request, municipality)
    if board is None:
        return render(
            request,
            "insights/dashboard.html",
            {"form": form, "board": None, "query": request.GET.urlencode()},
            status=422,
        )
    scope = board.scope
    name = (
        f"dialog-{scope.unit.slug if scope.unit else 'kommune'}-{scope.first_day}-{scope.last_day}"
    )
    # UTF-8 with a byte-order mark: without it Excel guesses another encoding and breaks æøå.
    response = HttpResponse(
        "\ufeff" + reports.units_csv(board), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_safe
def open_data(request: HttpRequest) -> HttpResponse:
    """The municipality's dialogue figures of the last twelve months as open data (JSON).

    Aggregates only. Computed at most once an hour per municipality and cached by browsers
    and proxies for as long."""
    municipality: Municipality = request.municipality  # type: ignore[attr-defined]
    key = f"torget:insights:open-data:{municipality.pk}"
    body = cache.get(key)
    if body is None:
        data = reports.open_data_get(
            municipality=municipality,
            definitions_url=request.build_absolute_uri(reverse("insights:definitions")),
        )
        body = json.dumps(data, ensure_ascii=False, indent=2)
        cache.set(key, body, OPEN_DATA_SECONDS)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    patch_cache_control(response, public=True, max_age=OPEN_DATA_SECONDS)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def definitions(request: HttpRequest) -> HttpResponse:
    """docs/metrics.md, the definitions of every figure, as published with the open data."""
    try:
        text = DEFINITIONS.read_text(encoding="utf-8")
    except OSError as exc:
        raise Http404("definitions") from exc
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=OPEN_DATA_SECONDS)
    return response

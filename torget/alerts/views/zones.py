"""Predefined zones (/ansatt/varsler/soner/): the municipality's own communicators name areas
(a water supply zone, a part of town) that every unit can pick when it writes an alert."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from torget.alerts import staff_selectors as selectors
from torget.alerts.forms import ZoneForm
from torget.alerts.models import Zone
from torget.alerts.policies import can_manage_zones
from torget.alerts.services import alerts as services
from torget.alerts.views.staff import _map_context
from torget.conversations.views.common import _municipality, _user, staff_required
from torget.organisation.selectors import unit_get_root


def _check(request: HttpRequest) -> None:
    root = unit_get_root(municipality=_municipality(request))
    if not can_manage_zones(request.user, root):
        raise PermissionDenied


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def zone_list(request: HttpRequest) -> HttpResponse:
    """The zones, and a form to draw or type a new one."""
    _check(request)
    municipality = _municipality(request)
    form = ZoneForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                zone = services.zone_create(
                    actor=_user(request),
                    municipality_id=municipality.pk,
                    name=form.cleaned_data["name"],
                    area=form.cleaned_data["area"],
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("The zone “%(name)s” is saved.") % {"name": zone.name})
                return redirect("alerts:staff-zone-list")
        status = 422
    context = {"form": form, "zones": selectors.zone_list(municipality=municipality)}
    context.update(_map_context(request))
    return render(request, "alerts/staff/zone_list.html", context, status=status)


@staff_required
@require_POST
def zone_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a zone; alerts that used it keep their area."""
    _check(request)
    zone = Zone.objects.filter(municipality=_municipality(request), pk=pk).first()
    if zone is None:
        raise Http404("zone")
    services.zone_delete(actor=_user(request), zone=zone)
    messages.success(request, _("The zone “%(name)s” is removed.") % {"name": zone.name})
    return redirect("alerts:staff-zone-list")

"""The staff page that imports the address register or a contact list from CSV and reports the
rows it rejected, and why."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from torget.alerts.services import imports as services
from torget.alerts.subscription_forms import ImportForm
from torget.organisation.models import Municipality


@require_http_methods(["GET", "HEAD", "POST"])
def alert_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV; see how many rows were imported and each rejected row with its reason."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    municipality: Municipality = request.municipality  # type: ignore[attr-defined]
    if not services.can_import_alert_data(request.user, municipality):
        raise PermissionDenied
    form = ImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            importer = (
                services.address_import
                if form.cleaned_data["kind"] == ImportForm.ADDRESSES
                else services.contacts_import
            )
            upload = form.cleaned_data["file"]
            try:
                report = importer(
                    municipality=municipality,
                    actor=request.user,  # type: ignore[arg-type]
                    stream=upload.file,
                    crs=form.cleaned_data["crs"],
                )
            except ValidationError as exc:
                form.add_error("file", exc.messages)
        if report is None:
            status = 422
    context = {
        "form": form,
        "report": report,
        "kind": form.cleaned_data.get("kind") if report else "",
        "max_rejected": services.MAX_REPORTED,
    }
    return render(request, "alerts/import.html", context, status=status)

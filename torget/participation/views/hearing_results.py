"""Views of a hearing's results: the export of all statements for the case file (the CSV in
the request, the PDF prepared in the background and fetched from a page of its own), and "how
your input was used".

The staff views need a staff role in the municipality (else 403) and the right to manage the
hearing's process (else 404, as for a hearing that does not exist). `result_part` and
`staff_result_part` are rendered into the hearing pages of the hearings part.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from torget.accounts.models import User
from torget.conversations.views.common import _next_url, staff_required
from torget.organisation.models import Municipality
from torget.pages.forms import AccessibleErrorsMixin
from torget.participation import export, policies
from torget.participation.models import Hearing, HearingExport
from torget.participation.selectors.hearing_results import (
    statement_list_for_export,
)
from torget.participation.services import exports as export_services
from torget.participation.services import hearing_results as services
from torget.services.markdown import markdown_to_html

TEMPLATES = "participation/hearing_results"
_HEADING = re.compile(r"<(/?)h([2-5])>")


class ResultForm(AccessibleErrorsMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("How your input was used"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=gettext_lazy(
            "Markdown. Shown on the hearing's public page once published; everyone who gave "
            "a statement gets an e-mail the first time."
        ),
    )


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _language(request: HttpRequest, hearing: Hearing) -> str:
    return str(getattr(request, "LANGUAGE_CODE", "") or hearing.process.municipality.malform)


def _hearing_for_staff(request: HttpRequest, slug: str, pk: int) -> Hearing:
    """The hearing, if the viewer manages its process; else 404 (as if it did not exist)."""
    hearing = (
        Hearing.objects.select_related("process__unit", "process__municipality")
        .filter(pk=pk, process__slug=slug, process__municipality=_municipality(request))
        .first()
    )
    if hearing is None or not policies.can_manage_process(request.user, hearing.process):
        raise Http404("hearing")
    return hearing


def _filename(hearing: Hearing, suffix: str) -> str:
    return f"horing-{hearing.process.slug}-{hearing.pk}-uttalelser.{suffix}"


def _download(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
@never_cache
@require_safe
def hearing_export_csv(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Every statement of the hearing as a CSV for the case file (Excel: UTF-8, semicolons)."""
    hearing = _hearing_for_staff(request, slug, pk)
    statements = statement_list_for_export(hearing=hearing)
    body = export.statements_csv(statements, language=_language(request, hearing))
    return _download(body, "text/csv; charset=utf-8", _filename(hearing, "csv"))


@staff_required
@never_cache
@require_safe
def hearing_export_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The old address of the PDF export, built in the request until it became a background
    job: now it leads to the page of the hearing's exports."""
    hearing = _hearing_for_staff(request, slug, pk)
    return redirect("participation:staff-hearing-exports", hearing.process.slug, hearing.pk)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def hearing_exports(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The PDF exports of the hearing: GET lists the newest with their status; POST asks for
    one (or finds the one being prepared) and comes back here (post/redirect/get). The page
    does not refresh itself (WCAG 2.2.1): a link checks again."""
    hearing = _hearing_for_staff(request, slug, pk)
    if request.method == "POST":
        user: User = request.user  # type: ignore[assignment]
        made = export_services.export_request(
            hearing=hearing, actor=user, language=_language(request, hearing)
        )
        return redirect(
            reverse("participation:staff-hearing-exports", args=[slug, pk]) + f"#eksport-{made.pk}"
        )
    now = timezone.now()
    exports = list(hearing.exports.select_related("requested_by")[: export_services.KEEP])
    rows = [
        {
            "export": item,
            "stale": item.status == HearingExport.Status.PENDING
            and item.enqueued_at < now - export_services.STALE_PENDING,
            "url": reverse("participation:staff-hearing-export-download", args=[slug, pk, item.pk]),
        }
        for item in exports
    ]
    context = {
        "hearing": hearing,
        "rows": rows,
        "pending": any(item.status == HearingExport.Status.PENDING for item in exports),
        "exports_url": reverse("participation:staff-hearing-exports", args=[slug, pk]),
        "hearing_url": reverse("participation:staff-hearing-detail", args=[slug, pk]),
    }
    return render(request, f"{TEMPLATES}/exports_page.html", context)


# staff_required is typed for HttpResponse; the FileResponse (streamed, as the PDF may be large)
# passes through it unchanged.
@staff_required  # type: ignore[arg-type]
@never_cache
@require_safe
def hearing_export_download(
    request: HttpRequest, slug: str, pk: int, export_pk: int
) -> FileResponse:
    """A ready PDF export of the hearing, always downloaded. Not ready, of another hearing, or
    its file gone: 404."""
    hearing = _hearing_for_staff(request, slug, pk)
    found = HearingExport.objects.filter(
        pk=export_pk, hearing=hearing, status=HearingExport.Status.READY
    ).first()
    if found is None or not found.file:
        raise Http404("export")
    try:
        handle = found.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("export file") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=_filename(hearing, "pdf"),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _staff_context(request: HttpRequest, hearing: Hearing, form: ResultForm) -> dict[str, object]:
    slug, pk = hearing.process.slug, hearing.pk
    return {
        "hearing": hearing,
        "form": form,
        "closed": timezone.now() >= hearing.closes_at,
        "published": hearing.result_published_at is not None,
        "csv_url": reverse("participation:staff-hearing-export-csv", args=[slug, pk]),
        "exports_url": reverse("participation:staff-hearing-exports", args=[slug, pk]),
        "result_url": reverse("participation:staff-hearing-result", args=[slug, pk]),
    }


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def hearing_result(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Publish, update or unpublish "how your input was used". A refusal (before the closing
    date, an empty text) answers 422 with the text kept; success goes back to where the form
    was (the staff hearing page)."""
    hearing = _hearing_for_staff(request, slug, pk)
    user: User = request.user  # type: ignore[assignment]
    form = ResultForm(
        request.POST if request.method == "POST" else None, initial={"text": hearing.result}
    )
    status = 200
    back = _next_url(
        request, reverse("participation:staff-hearing-detail", args=[slug, pk]) + "#resultat"
    )
    if request.method == "POST":
        if request.POST.get("action") == "unpublish":
            services.result_unpublish(hearing=hearing, actor=user)
            messages.success(request, _("The result is no longer shown on the hearing's page."))
            return redirect(back)
        if form.is_valid():
            try:
                services.result_publish(hearing=hearing, actor=user, text=form.cleaned_data["text"])
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("The result is published on the hearing's page."))
                return redirect(back)
        status = 422
    context = _staff_context(request, hearing, form) | {"next": back}
    return render(request, f"{TEMPLATES}/result_page.html", context, status=status)


def _shift_headings(html: str) -> str:
    """The result's own headings one level below the part's <h2> (h2 becomes h3, ...)."""
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}>", html)


def result_html(hearing: Hearing) -> SafeString:
    """The published result as safe HTML (Markdown rendered and sanitised)."""
    hosts = list(hearing.process.municipality.hostnames.values_list("name", flat=True))
    html = markdown_to_html(hearing.result, hosts=hosts)
    return mark_safe(_shift_headings(html))  # noqa: S308 — sanitised by markdown_to_html (nh3)


def result_part(request: HttpRequest, hearing: Hearing) -> str:
    """The published result ("how your input was used") for the public hearing page, rendered
    ("" while none is published). The hearing page shows it above the statements."""
    if hearing.result_published_at is None or not hearing.result.strip():
        return ""
    return render_to_string(
        f"{TEMPLATES}/result_part.html",
        {"hearing": hearing, "result_html": result_html(hearing)},
        request=request,
    )


def staff_result_part(request: HttpRequest, hearing: Hearing) -> str:
    """The export links and the result editor for the staff hearing page, rendered."""
    if not policies.can_manage_process(request.user, hearing.process):
        return ""
    form = ResultForm(initial={"text": hearing.result})
    context = _staff_context(request, hearing, form) | {"next": request.get_full_path()}
    return render_to_string(f"{TEMPLATES}/staff_part.html", context, request=request)

"""Residents' side of self-service forms: the list, filling in (drafts and sending), the
receipt page and the receipt PDF. Thin: parse, call one service or selector, render.

Every flow works without JavaScript: "Save draft", "Send" and "Remove" (an attachment) are
submit buttons of the one form. A form that fails answers 422 with everything typed kept, the
errors beside their fields and a summary on top that links to each.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import OperationalError
from django.forms.utils import ErrorDict, ErrorList
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from torget.accounts.models import User
from torget.cases import formbuilder, receipt
from torget.cases.models import Case, FieldKind, Form, FormField
from torget.cases.services import submission
from torget.core.errors import TorgetError
from torget.organisation.models import Municipality

PER_PAGE = 25


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class SeeOther(HttpResponseRedirect):
    status_code = 303


@require_GET
def form_list(request: HttpRequest) -> HttpResponse:
    """The municipality's published forms, open to everyone."""
    forms = (
        Form.objects.filter(municipality=_municipality(request), is_published=True)
        .select_related("unit")
        .order_by("title", "pk")
    )
    page = Paginator(forms, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cases/form_list.html", {"page_obj": page, "forms": page.object_list})


def _published_form(request: HttpRequest, slug: str) -> Form:
    return get_object_or_404(
        Form.objects.select_related("unit"),
        municipality=_municipality(request),
        slug=slug,
        is_published=True,
    )


def _submission_key(raw: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return uuid.uuid4()


def _uploads(request: HttpRequest, definitions: list[FormField]) -> dict[str, list[Any]]:
    return {
        d.key: request.FILES.getlist(d.key)
        for d in definitions
        if d.kind == FieldKind.FILE and request.FILES.getlist(d.key)
    }


def _with_errors(form: formbuilder.FilledForm, errors: dict[str, list[str]]) -> None:
    """Show `errors` (by field key; other keys on top) on a bound form without validating."""
    found = ErrorDict()
    for key, messages_ in errors.items():
        name = key if key in form.fields else "__all__"
        found.setdefault(name, ErrorList()).extend(messages_)
    form._errors = found  # type: ignore[attr-defined]
    form._describe()


def _render_fill(
    request: HttpRequest,
    form_def: Form,
    bound: formbuilder.FilledForm,
    *,
    key: uuid.UUID,
    status: int = 200,
    preview: bool = False,
) -> HttpResponse:
    attachments = (
        [] if preview else submission.draft_attachments(form=form_def, user=_user(request))
    )
    by_field: dict[str, list[Any]] = {}
    for attachment in attachments:
        by_field.setdefault(attachment.field_key, []).append(attachment)
    fields = [(bound[name], by_field.get(name, [])) for name in bound.fields]
    context = {
        "form_def": form_def,
        "form": bound,
        "fields": fields,
        "submission_key": key,
        "preview": preview,
    }
    return render(request, "cases/form_fill.html", context, status=status)


def form_render_preview(request: HttpRequest, form_def: Form) -> HttpResponse:
    """The form as residents see it, without drafts or sending (the staff preview)."""
    definitions = list(form_def.fields.all())
    bound = formbuilder.build_form_class(definitions)()
    return _render_fill(request, form_def, bound, key=uuid.uuid4(), preview=True)


def _kept_files(form_def: Form, user: User, definitions: list[FormField]) -> set[str]:
    """The keys of file fields that already hold a file in the draft. They only matter to a
    required file field (a kept file counts as given), so without one there is no query."""
    if not any(d.kind == FieldKind.FILE and d.required for d in definitions):
        return set()
    return {a.field_key for a in submission.draft_attachments(form=form_def, user=user)}


@require_http_methods(["GET", "POST"])
def form_fill(request: HttpRequest, slug: str) -> HttpResponse:
    """Fill in a form: GET shows it with the person's draft; POST saves the draft, removes an
    attachment, or sends (validated; a valid one becomes a case and goes to the receipt)."""
    form_def = _published_form(request, slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = _user(request)
    definitions = list(form_def.fields.all())
    form_class = formbuilder.build_form_class(
        definitions, kept_files=_kept_files(form_def, user, definitions)
    )
    if request.method == "GET":
        draft = submission.draft_get(form=form_def, user=user)
        initial = formbuilder.initial_from_draft(definitions, draft.data if draft else {})
        return _render_fill(request, form_def, form_class(initial=initial), key=uuid.uuid4())

    key = _submission_key(request.POST.get("submission_key"))
    remove = [int(v) for v in request.POST.getlist("remove") if v.isdigit()]
    if "send" not in request.POST or remove:
        return _save_draft(request, form_def, definitions, form_class, key=key, remove=remove)

    bound = form_class(data=request.POST, files=request.FILES)
    if not bound.is_valid():
        # Keep what was typed and the files that passed, so that nothing is typed twice.
        good_uploads = {
            k: v for k, v in _uploads(request, definitions).items() if k not in bound.errors
        }
        # A draft too large to keep is skipped; the page still shows what was typed.
        with contextlib.suppress(ValidationError):
            submission.draft_save(
                form=form_def,
                actor=user,
                values=formbuilder.draft_values(definitions, request.POST),
                uploads=good_uploads,
            )
        return _render_fill(request, form_def, bound, key=key, status=422)
    uploads = {
        d.key: [bound.cleaned_data[d.key]]
        for d in definitions
        if d.kind == FieldKind.FILE and bound.cleaned_data.get(d.key)
    }
    cleaned = {k: v for k, v in bound.cleaned_data.items() if k not in uploads}
    try:
        case = submission.case_submit(
            form=form_def,
            actor=user,
            cleaned=cleaned,
            submission_key=key,
            uploads=uploads,
            definitions=definitions,
        )
    except ValidationError as exc:
        _with_errors(
            bound, exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        )
        return _render_fill(request, form_def, bound, key=key, status=422)
    except OperationalError as exc:
        # The database stayed busy through every try (SQLite's one writer under a heavy
        # load). Nothing was stored; the page keeps what was typed and the same submission
        # key, so sending again is safe.
        if "database is locked" not in str(exc):
            raise
        _with_errors(
            bound,
            {
                "__all__": [
                    _(
                        "We could not receive your form just now, so nothing was sent. "
                        "Wait a minute and press Send again; what you wrote is kept."
                    )
                ]
            },
        )
        return _render_fill(request, form_def, bound, key=key, status=503)
    except (TorgetError, PermissionDenied) as exc:
        text = (
            str(exc.message)
            if isinstance(exc, TorgetError)
            else (str(exc.args[0]) if exc.args else _("You may not send this form."))
        )
        _with_errors(bound, {"__all__": [text]})
        return _render_fill(request, form_def, bound, key=key, status=422)
    return SeeOther(reverse("cases:receipt", args=[case.reference]))


def _save_draft(
    request: HttpRequest,
    form_def: Form,
    definitions: list[FormField],
    form_class: type[formbuilder.FilledForm],
    *,
    key: uuid.UUID,
    remove: list[int],
) -> HttpResponse:
    user = _user(request)
    try:
        _draft, errors = submission.draft_save(
            form=form_def,
            actor=user,
            values=formbuilder.draft_values(definitions, request.POST),
            uploads=_uploads(request, definitions),
            remove=remove,
        )
    except ValidationError as exc:
        errors = {"__all__": exc.messages}
    if errors:
        kept = {a.field_key for a in submission.draft_attachments(form=form_def, user=user)}
        bound = formbuilder.build_form_class(definitions, kept_files=kept)(data=request.POST)
        _with_errors(bound, errors)
        return _render_fill(request, form_def, bound, key=key, status=422)
    if remove:
        messages.success(request, _("The attachment was removed."))
    else:
        messages.success(request, _("Your draft is saved. You can come back and send it later."))
    return SeeOther(reverse("cases:form-fill", args=[form_def.slug]))


def _case_for_receipt(request: HttpRequest, reference: str) -> Case:
    """The case behind a receipt, for its applicant or the unit's staff; 404 for others (a
    stranger must not learn that the reference exists)."""
    case = (
        Case.objects.select_related("unit", "municipality", "form", "applicant")
        .filter(municipality=_municipality(request), reference=reference)
        .first()
    )
    if case is None or not receipt.can_view_receipt(request.user, case):
        raise Http404
    return case


@require_GET
def receipt_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The receipt page after sending: reference, what was sent, the expected time."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    case = _case_for_receipt(request, reference)
    context = {
        "case": case,
        "title": receipt.form_title(case),
        "rows": receipt.receipt_rows(case),
        "attachments": list(case.attachments.all()),
        "submitted": receipt.local_time(case.submitted_at),
        "due": receipt.local_time(case.due_at) if case.due_at else "",
    }
    return render(request, "cases/receipt.html", context)


@require_GET
def receipt_download(request: HttpRequest, reference: str) -> HttpResponse:
    """The receipt as a PDF, for the applicant and the unit's staff."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    case = _case_for_receipt(request, reference)
    language = str(getattr(request, "LANGUAGE_CODE", "") or case.municipality.malform)
    response = HttpResponse(
        receipt.receipt_pdf(case, language=language), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="kvittering-{case.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response

"""Case pages: the resident's own case, the attachment download, and the staff list and page.

Views parse, call one selector or service, and render. A resident's URL with someone else's
reference or attachment answers 404, as one that does not exist. Staff pages need a staff
role in the municipality (else 403) and a case of a unit the viewer serves (else 404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from torget.accounts.models import User
from torget.cases import policies, selectors
from torget.cases.formbuilder import display_value
from torget.cases.models import CASE_TRANSITIONS, OPEN_STATUSES, Case, CaseStatus
from torget.cases.services import status as status_services
from torget.conversations import selectors as conversation_selectors
from torget.conversations import services as conversations
from torget.conversations.forms import AnswerForm, NoteForm, ResidentMessageForm
from torget.conversations.models import ThreadStatus
from torget.conversations.views.common import _refuse, staff_required
from torget.core.errors import TorgetError
from torget.organisation.models import Municipality

# The statuses as staff read them: "Waiting for you" is the resident's word.
STAFF_STATUS_CHOICES = [
    (
        value,
        gettext_lazy("Waiting for the resident")
        if value == CaseStatus.WAITING_FOR_RESIDENT
        else label,
    )
    for value, label in CaseStatus.choices
]


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _answers(case: Case) -> list[dict[str, Any]]:
    """The submitted answers from the case's snapshot, each with its value as text."""
    return [
        {
            "key": row.get("key"),
            "label": row.get("label"),
            "kind": row.get("kind"),
            "text": display_value(row),
        }
        for row in selectors.case_answer_rows(case)
    ]


def _case_context(case: Case, user: Any) -> dict[str, Any]:
    """What the resident's and the staff's case pages both show: answers, history,
    attachments and the conversation as `user` may see it."""
    thread = case.thread
    return {
        "case": case,
        "answers": _answers(case),
        "events": selectors.case_event_list(case=case),
        "attachments": selectors.case_attachment_list(case=case),
        "thread": thread,
        "thread_messages": (
            conversation_selectors.message_list_for_page(thread=thread, viewer=user)
            if thread is not None
            else []
        ),
        "thread_closed": thread is None or thread.status == ThreadStatus.CLOSED,
    }


# --- the resident's case page ------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The applicant's case: status and history, answers, attachments, and the private
    conversation with a reply form."""
    user = _user(request)
    case = selectors.case_get_for_applicant(
        reference=reference, user=user, municipality=_municipality(request)
    )
    form = ResidentMessageForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                message = status_services.case_message_add(
                    case=case, actor=user, body=form.cleaned_data["body"]
                )
            except (ValidationError, TorgetError, PermissionDenied) as exc:
                _refuse(form, "body", exc)  # a block is shown; any other refusal is a 403
            else:
                messages.success(request, _("Your message has been sent."))
                return redirect(
                    f"{reverse('cases:case-detail', args=[reference])}#melding-{message.pk}"
                )
        status = 422
        case.refresh_from_db(fields=["status"])
    context = {**_case_context(case, user), "form": form}
    return render(request, "cases/case_detail.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
def case_attachment(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    """An attachment of a case, for its applicant and the unit's staff: always downloaded,
    never rendered, with the type stored when its content was checked."""
    attachment = selectors.case_attachment_get_for_viewer(
        municipality=_municipality(request), reference=reference, pk=pk, viewer=request.user
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("attachment file") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the staff pages ---------------------------------------------------------------------------


class CaseFilterForm(django_forms.Form):
    """The filters of the staff case list, read from the query string (invalid ones left out)."""

    status = django_forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    form = django_forms.TypedChoiceField(
        label=gettext_lazy("Form"), required=False, coerce=int, empty_value=None
    )
    overdue = django_forms.BooleanField(label=gettext_lazy("Only overdue"), required=False)

    def __init__(self, *args: Any, forms: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", gettext_lazy("All statuses")), *STAFF_STATUS_CHOICES]  # type: ignore[attr-defined]
        self.fields["form"].choices = [("", gettext_lazy("All forms"))] + [  # type: ignore[attr-defined]
            (f.pk, f.title) for f in forms
        ]

    def to_filter(self) -> selectors.CaseFilter:
        if not self.is_bound:
            return selectors.CaseFilter()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return selectors.CaseFilter(
            status=data.get("status") or "",
            form=data.get("form"),
            overdue=bool(data.get("overdue")),
        )

    @property
    def is_filtered(self) -> bool:
        return self.to_filter() != selectors.CaseFilter()


class StatusChangeForm(django_forms.Form):
    """A new status among those the current one allows, and a note the resident will read."""

    status = django_forms.ChoiceField(
        label=gettext_lazy("New status"),
        error_messages={"required": gettext_lazy("Choose a status.")},
    )
    note = django_forms.CharField(
        label=gettext_lazy("Note to the resident (optional)"),
        required=False,
        max_length=status_services.MAX_NOTE,
        widget=django_forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "status_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        allowed = CASE_TRANSITIONS.get(case.status, frozenset())
        self.fields["status"].choices = [("", gettext_lazy("Choose a status"))] + [  # type: ignore[attr-defined]
            (value, label) for value, label in STAFF_STATUS_CHOICES if value in allowed
        ]


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def staff_case_list(request: HttpRequest) -> HttpResponse:
    """The cases of the units the staff member serves, the newest first, with filters."""
    municipality = _municipality(request)
    user = request.user
    filter_form = CaseFilterForm(
        request.GET or None,
        forms=selectors.form_list_for_staff(viewer=user, municipality=municipality),
    )
    now = timezone.now()
    page_obj = selectors.case_page_for_staff(
        viewer=user,
        municipality=municipality,
        filters=filter_form.to_filter(),
        page=request.GET.get("page"),
        now=now,
    )
    context = {
        "filter_form": filter_form,
        "is_filtered": filter_form.is_filtered,
        "page_obj": page_obj,
        "now": now,
        "open_statuses": OPEN_STATUSES,
    }
    return render(request, "cases/case_staff_list.html", context)


def _staff_forms(request: HttpRequest, case: Case, bound: str = "") -> dict[str, django_forms.Form]:
    def data(name: str) -> Any:
        return request.POST if name == bound else None

    return {
        "status": StatusChangeForm(data("status"), case=case),
        "answer": AnswerForm(data("answer")),
        "note": NoteForm(data("note")),
    }


def _staff_case_render(
    request: HttpRequest, case: Case, page_forms: dict[str, django_forms.Form], status: int = 200
) -> HttpResponse:
    user = request.user
    context = {
        **_case_context(case, user),
        "forms": page_forms,
        "can_handle": policies.can_handle_case(user, case),
        "now": timezone.now(),
        "is_open": case.status in OPEN_STATUSES,
    }
    return render(request, "cases/case_staff_detail.html", context, status=status)


def _staff_case(request: HttpRequest, pk: int) -> Case:
    return selectors.case_get_for_staff(
        viewer=request.user, municipality=_municipality(request), pk=pk
    )


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def staff_case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A case for its unit's staff: answers, attachments, history, the thread, and forms to
    change the status, answer and add an internal note."""
    case = _staff_case(request, pk)
    return _staff_case_render(request, case, _staff_forms(request, case))


def _staff_action(
    request: HttpRequest,
    pk: int,
    *,
    name: str,
    field: str | None,
    act: Callable[[Case, Any], str],
) -> HttpResponse:
    """Validate the form `name`, run `act` (one service; it returns the success text and may
    name an anchor), or render the page again with 422 and the refusal next to `field`."""
    case = _staff_case(request, pk)
    page_forms = _staff_forms(request, case, bound=name)
    form = page_forms[name]
    if form.is_valid():
        try:
            text = act(case, form)
        except (ValidationError, TorgetError) as exc:
            _refuse(form, field, exc)
        else:
            messages.success(request, text)
            return redirect("cases:staff-case-detail", pk=case.pk)
    return _staff_case_render(request, case, page_forms, status=422)


@staff_required
@require_POST
def staff_case_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the status of the case, with a note; the resident is told by e-mail."""

    def act(case: Case, form: Any) -> str:
        event = status_services.case_status_change(
            case=case,
            actor=_user(request),
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
        return _("The case is now “%(status)s”. The resident will be told by e-mail.") % {
            "status": event.get_status_to_display()
        }

    return _staff_action(request, pk, name="status", field="status", act=act)


@staff_required
@require_POST
def staff_case_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the resident in the case's private thread."""

    def act(case: Case, form: Any) -> str:
        if case.thread is None:
            raise ValidationError(_("This case has no conversation."))
        conversations.thread_answer(
            threads=[case.thread], actor=_user(request), body=form.cleaned_data["body"]
        )
        return _("Your answer has been sent.")

    return _staff_action(request, pk, name="answer", field="body", act=act)


@staff_required
@require_POST
def staff_case_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an internal note to the case's thread (only staff see it)."""

    def act(case: Case, form: Any) -> str:
        if case.thread is None:
            raise ValidationError(_("This case has no conversation."))
        conversations.note_add(
            thread=case.thread, actor=_user(request), body=form.cleaned_data["body"]
        )
        return _("The note has been saved.")

    return _staff_action(request, pk, name="note", field="body", act=act)

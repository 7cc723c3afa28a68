"""What the cases app adds to other modules' registries: where a case's thread is shown (to
the resident and to staff), the "My cases" section of Min side, the person's cases and drafts
in "my data", and open cases as a reason not to delete an account yet.

Called once from CasesConfig.ready():

    from torget.cases.mydata import register
    register()
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from torget.accounts import mypage
from torget.accounts.models import User
from torget.cases import selectors
from torget.cases.models import OPEN_STATUSES, Case, CaseAttachment, CaseEvent, Draft
from torget.conversations.models import Thread
from torget.organisation.models import Municipality


def thread_path_on_case(thread: Thread) -> str:
    """The resident's case page, where the case's private thread is shown. Reads the case
    from `thread.subject` (one query, none when the subjects were prefetched)."""
    case = thread.subject
    if not isinstance(case, Case) or not case.reference:
        return reverse("conversations:thread-detail", args=[thread.pk])
    return reverse("cases:case-detail", args=[case.reference])


def staff_path_on_case(thread: Thread) -> str:
    """The staff case page of the case whose thread this is."""
    return reverse("cases:staff-case-detail", args=[thread.subject_id])


def section_context(user: User, municipality: Municipality, page: str | None) -> dict[str, Any]:
    return {
        "page_obj": selectors.case_list_for_applicant(
            user=user, municipality=municipality, page=page, per_page=10
        ),
        "open_statuses": OPEN_STATUSES,
    }


def _attachment(attachment: CaseAttachment) -> dict[str, Any]:
    return {
        "field": attachment.field_key,
        "file_name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "added_at": attachment.created_at,
    }


def personal_data_cases(user: User) -> list[dict[str, Any]]:
    """The person's cases with their answers, status history and attachments' metadata."""
    cases = (
        Case.objects.filter(applicant=user)
        .select_related("form", "unit", "municipality")
        .prefetch_related(
            models.Prefetch("events", queryset=CaseEvent.objects.order_by("at", "pk")),
            "attachments",
        )
        .order_by("submitted_at", "pk")
    )
    return [
        {
            "reference": case.reference,
            "municipality": case.municipality.name,
            "form": case.form.title,
            "unit": case.unit.name,
            "status": case.status,
            "submitted_at": case.submitted_at,
            "due_at": case.due_at,
            "decided_at": case.decided_at,
            "closed_at": case.closed_at,
            "answers": selectors.case_answer_rows(case),
            "events": [
                {
                    "from": event.status_from,
                    "to": event.status_to,
                    "note": event.note,
                    "at": event.at,
                }
                for event in case.events.all()
            ],
            "attachments": [_attachment(a) for a in case.attachments.all()],
        }
        for case in cases
    ]


def personal_data_drafts(user: User) -> list[dict[str, Any]]:
    """The person's unsent drafts, with their attachments' metadata."""
    drafts = Draft.objects.filter(user=user).select_related("form").order_by("updated_at", "pk")
    files = CaseAttachment.objects.filter(owner=user, case__isnull=True).order_by("pk")
    by_form: dict[int, list[CaseAttachment]] = {}
    for attachment in files:
        by_form.setdefault(attachment.form_id, []).append(attachment)
    return [
        {
            "form": draft.form.title,
            "data": draft.data,
            "updated_at": draft.updated_at,
            "attachments": [_attachment(a) for a in by_form.get(draft.form_id, [])],
        }
        for draft in drafts
    ]


def erasure_blocker(user: User) -> list[Any]:
    """Each open case of the person, named with a link: it must be decided or closed first."""
    cases = (
        Case.objects.filter(applicant=user, status__in=list(OPEN_STATUSES))
        .exclude(reference__isnull=True)
        .select_related("form")
        .order_by("submitted_at", "pk")
    )
    return [
        format_html(
            _("Your case {link} is “{status}”. It must be decided or closed first."),
            link=format_html(
                '<a href="{}">{} {}</a>',
                reverse("cases:case-detail", args=[case.reference]),
                case.reference,
                case.form.title,
            ),
            status=case.get_status_display(),
        )
        for case in cases
    ]


def erasure_step(user: User) -> None:
    """Delete the files of the person's unsent drafts (their rows would lose the owner)."""
    for attachment in CaseAttachment.objects.filter(owner=user, case__isnull=True):
        attachment.file.delete(save=False)
        attachment.delete()


def register() -> None:
    from torget.conversations.registry import register_staff_subject, register_subject

    register_subject(Case, thread_path_on_case)
    register_staff_subject(Case, staff_path_on_case)
    mypage.register_section(
        "cases",
        gettext_lazy("My cases"),
        "cases/mypage_cases.html",
        section_context,
        order=10,
    )
    mypage.register_personal_data("cases", personal_data_cases)
    mypage.register_personal_data("drafts", personal_data_drafts)
    mypage.register_erasure_blocker(erasure_blocker)
    mypage.register_erasure_step(erasure_step)

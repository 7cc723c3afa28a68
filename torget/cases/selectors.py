"""Reads of cases: the applicant's own, the staff's lists and pages, attachments.

Every read that takes a reference or an id from a URL filters by who may see it in the query
itself, and answers Http404 for anything else: a resident cannot tell another resident's case
from a case that does not exist.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from torget.accounts.models import User
from torget.cases import policies
from torget.cases.models import OPEN_STATUSES, Case, CaseAttachment, CaseEvent, Form
from torget.conversations.selectors import units_served
from torget.organisation.models import Municipality

AnyUser = User | AnonymousUser
CASES_PER_PAGE = 20
STAFF_CASES_PER_PAGE = 25


def _cases() -> QuerySet[Case]:
    return Case.objects.exclude(reference__isnull=True).select_related("form", "unit")


def case_list_for_applicant(
    *,
    user: AnyUser,
    municipality: Municipality,
    page: int | str | None = None,
    per_page: int = CASES_PER_PAGE,
) -> Page:
    """One page of the applicant's cases in `municipality`, the newest first (form and unit
    loaded: two queries a page)."""
    if not user.is_authenticated:
        return Paginator(Case.objects.none(), per_page).get_page(page)
    cases = (
        _cases()
        .filter(applicant_id=user.pk, municipality=municipality)
        .order_by("-submitted_at", "-pk")
    )
    return Paginator(cases, per_page).get_page(page)


def case_get_for_applicant(*, reference: str, user: AnyUser, municipality: Municipality) -> Case:
    """The case `reference` if `user` applied for it. Raises Http404 for anyone else's case,
    never PermissionDenied, so that the existence of a reference does not leak."""
    if not user.is_authenticated:
        raise Http404("case")
    case = (
        _cases()
        .select_related("thread", "applicant")
        .filter(reference=reference, municipality=municipality, applicant_id=user.pk)
        .first()
    )
    if case is None:
        raise Http404("case")
    return case


@dataclass(frozen=True)
class CaseFilter:
    status: str = ""
    form: int | None = None
    overdue: bool = False


def case_list_for_staff(
    *,
    viewer: AnyUser,
    municipality: Municipality,
    filters: CaseFilter,
    now: datetime.datetime | None = None,
) -> QuerySet[Case]:
    """The cases of the units `viewer` serves (a staff role there or above), the oldest
    submission first among open ones. `overdue`: open cases past their expected decision."""
    served = units_served(viewer=viewer, municipality=municipality)
    cases = _cases().filter(municipality=municipality, unit__in=served).select_related("applicant")
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.form:
        cases = cases.filter(form_id=filters.form)
    if filters.overdue:
        cases = cases.filter(status__in=list(OPEN_STATUSES), due_at__lt=now or timezone.now())
    return cases.order_by("-submitted_at", "-pk")


def case_page_for_staff(
    *,
    viewer: AnyUser,
    municipality: Municipality,
    filters: CaseFilter,
    page: int | str | None,
    now: datetime.datetime | None = None,
    per_page: int = STAFF_CASES_PER_PAGE,
) -> Page:
    """One page of `case_list_for_staff` (two queries: count and rows)."""
    cases = case_list_for_staff(viewer=viewer, municipality=municipality, filters=filters, now=now)
    return Paginator(cases, per_page).get_page(page)


def form_list_for_staff(*, viewer: AnyUser, municipality: Municipality) -> list[Form]:
    """The forms handled by the units `viewer` serves (the staff list's form filter)."""
    served = units_served(viewer=viewer, municipality=municipality)
    return list(Form.objects.filter(municipality=municipality, unit__in=served).order_by("title"))


def case_get_for_staff(*, viewer: AnyUser, municipality: Municipality, pk: int) -> Case:
    """The case `pk` for the staff case page, if `viewer` serves its unit. Raises Http404
    otherwise (another unit's case, another municipality's, or none)."""
    served = units_served(viewer=viewer, municipality=municipality)
    case = (
        _cases()
        .select_related("thread", "thread__unit", "applicant")
        .filter(pk=pk, municipality=municipality, unit__in=served)
        .first()
    )
    if case is None:
        raise Http404("case")
    return case


def case_answer_rows(case: Case) -> list[dict[str, Any]]:
    """The rows of the case's answer snapshot (key, label, kind, value), in the form's order.
    A submission stores them under "fields" beside the form's slug and title."""
    data = case.data
    rows = data.get("fields", []) if isinstance(data, dict) else data
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def case_event_list(*, case: Case) -> list[CaseEvent]:
    """The status history of `case`, oldest first, with who made each change."""
    return list(case.events.select_related("actor").order_by("at", "pk"))


def case_attachment_list(*, case: Case) -> list[CaseAttachment]:
    """The files of a submitted case, in the order they were added."""
    return list(case.attachments.order_by("created_at", "pk"))


def case_attachment_get_for_viewer(
    *, municipality: Municipality, reference: str, pk: int, viewer: AnyUser
) -> CaseAttachment:
    """The attachment `pk` of case `reference` if `viewer` is its applicant or staff of its
    unit. Raises Http404 for anything else (never 403: nothing about the case leaks)."""
    attachment = (
        CaseAttachment.objects.select_related("case", "case__unit")
        .filter(
            pk=pk,
            municipality=municipality,
            case__reference=reference,
            case__municipality=municipality,
        )
        .first()
    )
    if attachment is None or not policies.can_download_attachment(viewer, attachment):
        raise Http404("attachment")
    return attachment

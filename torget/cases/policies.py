"""Who may see, handle and download what of a case. Pure predicates.

A case is the applicant's and its unit's: the applicant sees it, the unit's staff (any staff
role in the unit or above it, as for the case's private thread) see it, and those who answer
for the unit (case officers, communicators, unit administrators) change its status.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from torget.accounts.models import User
from torget.cases.models import Case, CaseAttachment
from torget.organisation.models import STAFF_ROLES
from torget.organisation.policies import can_answer_for_unit, has_role

AnyUser = User | AnonymousUser


def is_case_applicant(user: AnyUser, case: Case) -> bool:
    return bool(
        user.is_authenticated and case.applicant_id is not None and case.applicant_id == user.pk
    )


def is_staff_for_case(user: AnyUser, case: Case) -> bool:
    """Any staff role in the case's unit or in a unit above it."""
    return has_role(user, case.unit, STAFF_ROLES)


def can_view_case(user: AnyUser, case: Case) -> bool:
    return is_case_applicant(user, case) or is_staff_for_case(user, case)


def can_handle_case(user: AnyUser, case: Case) -> bool:
    """Change the status of the case: staff who answer for its unit."""
    return can_answer_for_unit(user, case.unit)


def can_write_in_case(user: AnyUser, case: Case) -> bool:
    """The applicant writes in the case's private thread."""
    return is_case_applicant(user, case)


def can_download_attachment(user: AnyUser, attachment: CaseAttachment) -> bool:
    """A submitted case's attachment: its applicant and the unit's staff."""
    if attachment.case is None:
        return False
    return can_view_case(user, attachment.case)

"""Who may act for which unit. Pure predicates over users, units and memberships.

A staff role in a unit covers that unit and every unit below it in the tree, so the
municipality's own communicators can answer for every etat.
"""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import AnonymousUser

from torget.accounts.models import User
from torget.organisation.models import STAFF_ROLES, Membership, Municipality, Role, Unit


def _ancestor_ids(unit: Unit) -> list[int]:
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def has_role(user: User | AnonymousUser, unit: Unit, roles: Collection[str]) -> bool:
    """True if `user` holds one of `roles` in `unit` or in a unit above it."""
    if not user.is_authenticated or not user.is_active:
        return False
    return Membership.objects.filter(
        user_id=user.pk, unit_id__in=_ancestor_ids(unit), role__in=list(roles)
    ).exists()


def is_staff_in(user: User | AnonymousUser, municipality: Municipality) -> bool:
    """True if `user` holds any staff role in `municipality`."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user_id=user.pk, unit__municipality=municipality, role__in=list(STAFF_ROLES)
    ).exists()


def can_manage_unit(user: User | AnonymousUser, unit: Unit) -> bool:
    """Unit administrators edit the unit's contact details, opening hours and staff."""
    return has_role(user, unit, {Role.UNIT_ADMIN})


def can_answer_for_unit(user: User | AnonymousUser, unit: Unit) -> bool:
    """Communicators, case officers and unit administrators answer on the unit's behalf."""
    return has_role(user, unit, {Role.COMMUNICATOR, Role.CASE_OFFICER, Role.UNIT_ADMIN})


def can_moderate_unit(user: User | AnonymousUser, unit: Unit) -> bool:
    """Moderators and unit administrators hide and restore messages in the unit."""
    return has_role(user, unit, {Role.MODERATOR, Role.UNIT_ADMIN})

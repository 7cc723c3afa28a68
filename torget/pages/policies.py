"""Who may publish on which page, and who may follow."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from torget.accounts.models import User
from torget.organisation.models import Role, Unit
from torget.organisation.policies import has_role

AnyUser = User | AnonymousUser
# Communicators write for a unit's page; unit administrators run the unit and may too.
PUBLISHER_ROLES = frozenset({Role.COMMUNICATOR, Role.UNIT_ADMIN})


def can_publish_for_unit(user: AnyUser, unit: Unit) -> bool:
    """Communicators and unit administrators of `unit` (or of a unit above it) write and edit
    posts on its page."""
    return has_role(user, unit, PUBLISHER_ROLES)


def can_follow_unit(user: AnyUser, unit: Unit) -> bool:
    """Anyone logged in with an active account may follow a unit's page."""
    return bool(user.is_authenticated and user.is_active)

"""Who may write and keep information pages."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from torget.accounts.models import User
from torget.organisation.models import Role, Unit
from torget.organisation.policies import has_role
from torget.services.models import InfoPage

AnyUser = User | AnonymousUser
# The people who keep a unit's information up to date: its communicators and administrators
# (and those of the units above it, as everywhere in Torget).
EDITOR_ROLES = frozenset({Role.COMMUNICATOR, Role.UNIT_ADMIN})


def can_edit_pages_of_unit(user: AnyUser, unit: Unit) -> bool:
    """Communicators and unit administrators of `unit` (or above it) write its pages."""
    return has_role(user, unit, EDITOR_ROLES)


def can_edit_page(user: AnyUser, page: InfoPage) -> bool:
    """Edit, review, publish and restore `page`: an editor of its responsible unit."""
    return can_edit_pages_of_unit(user, page.unit)


def can_view_page(user: AnyUser, page: InfoPage) -> bool:
    """Published pages are for everyone; an unpublished one only for its editors."""
    return page.is_published or can_edit_page(user, page)

"""Who may do what with alerts. Pure predicates."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from torget.accounts.models import User
from torget.alerts.models import Alert
from torget.organisation.models import Role, Unit
from torget.organisation.policies import has_role

SENDER_ROLES = {Role.COMMUNICATOR, Role.UNIT_ADMIN}


def can_send_alert(user: User | AnonymousUser, unit: Unit) -> bool:
    """Communicators and unit administrators write and send alerts for their unit."""
    return has_role(user, unit, SENDER_ROLES)


def can_manage_zones(user: User | AnonymousUser, root_unit: Unit) -> bool:
    """Communicators and administrators of the municipality itself (its root unit) keep the
    predefined zones every unit may pick."""
    return root_unit.parent_id is None and can_send_alert(user, root_unit)


def can_approve_alert(user: User | AnonymousUser, alert: Alert) -> bool:
    """A second person who may send for the unit approves: never the one who wrote it."""
    return (
        user.is_authenticated
        and user.pk != alert.created_by_id
        and can_send_alert(user, alert.unit)
    )

"""Who may do what in participation, and when residents may give input. Pure predicates."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from torget.accounts.models import User
from torget.organisation.models import Role
from torget.organisation.policies import has_role
from torget.participation.models import Phase, PhaseKind, Process

AnyUser = User | AnonymousUser

# Communicators and unit administrators run processes: phases, documents, hearings, forums,
# official statuses of proposals, and the short views put to residents.
MANAGER_ROLES = frozenset({Role.COMMUNICATOR, Role.UNIT_ADMIN})
# Moderators also approve or reject residents' short views.
MODERATOR_ROLES = frozenset({Role.COMMUNICATOR, Role.MODERATOR, Role.UNIT_ADMIN})


def can_manage_process(user: AnyUser, process: Process) -> bool:
    return has_role(user, process.unit, MANAGER_ROLES)


def can_moderate_process(user: AnyUser, process: Process) -> bool:
    return has_role(user, process.unit, MODERATOR_ROLES)


def can_view_process(user: AnyUser, process: Process) -> bool:
    """A published process is for everyone; a draft only for those who run it."""
    return process.is_published or can_manage_process(user, process)


def today(at: datetime.datetime | None = None) -> datetime.date:
    return timezone.localdate(at or timezone.now())


def current_phase(phases: list[Phase], day: datetime.date) -> Phase | None:
    """The phase that covers `day`, if any (phases never overlap: see services.processes)."""
    return next((phase for phase in phases if phase.covers(day)), None)


def accepts_input(process: Process, at: datetime.datetime | None = None) -> bool:
    """Residents propose, support, vote and add short views only while the process is in its
    input phase (and published)."""
    if not process.is_published:
        return False
    day = today(at)
    phase = current_phase(list(process.phases.all()), day)
    return phase is not None and phase.kind == PhaseKind.INPUT

"""Who may see, write in, answer and moderate which thread."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from torget.accounts.models import User
from torget.conversations.models import Message, Thread, Visibility
from torget.organisation.models import STAFF_ROLES, Role
from torget.organisation.policies import (
    can_answer_for_unit,
    can_moderate_unit,
    has_role,
)

AnyUser = User | AnonymousUser
# Channels where a politician's answer on behalf of the unit belongs (public debate).
POLITICIAN_CHANNELS = frozenset({"web", "forum", "hearing", "live", "council"})


def is_staff_for_thread(user: AnyUser, thread: Thread) -> bool:
    """Any staff role in the thread's unit (or above it)."""
    return has_role(user, thread.unit, STAFF_ROLES)


def can_view_thread(user: AnyUser, thread: Thread) -> bool:
    """Public threads are for everyone; private ones for the resident who opened them and the
    unit's staff."""
    if thread.visibility == Visibility.PUBLIC:
        return True
    if user.is_authenticated and thread.opened_by_id == user.pk:
        return True
    return is_staff_for_thread(user, thread)


def can_write_in_thread(user: AnyUser, thread: Thread) -> bool:
    """A resident's follow-up: the resident who opened a private thread, or anyone logged in
    in a public one. (Whether the thread is open, and blocks and limits, the service checks.)"""
    if not user.is_authenticated:
        return False
    return thread.visibility == Visibility.PUBLIC or thread.opened_by_id == user.pk


def can_answer_thread(user: AnyUser, thread: Thread) -> bool:
    """Staff who answer for the unit; politicians in public debate channels."""
    if can_answer_for_unit(user, thread.unit):
        return True
    return thread.channel in POLITICIAN_CHANNELS and has_role(user, thread.unit, {Role.POLITICIAN})


def can_note_thread(user: AnyUser, thread: Thread) -> bool:
    """Internal notes, assignment and status changes: any staff member of the unit."""
    return is_staff_for_thread(user, thread)


def can_view_message(user: AnyUser, message: Message) -> bool:
    """Internal notes are for staff; private messages for the thread's resident and staff."""
    if message.visibility == Visibility.INTERNAL:
        return is_staff_for_thread(user, message.thread)
    if message.visibility == Visibility.PRIVATE:
        return (
            user.is_authenticated and message.thread.opened_by_id == user.pk
        ) or is_staff_for_thread(user, message.thread)
    return True


def can_moderate_message(user: AnyUser, message: Message) -> bool:
    return can_moderate_unit(user, message.thread.unit)

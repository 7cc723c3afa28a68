"""Reads about people."""

from __future__ import annotations

from allauth.mfa.models import Authenticator

from torget.accounts.models import User
from torget.organisation.models import Membership


def user_has_totp(*, user: User) -> bool:
    """True if the person has set up an authenticator app (TOTP)."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_needs_two_factor(*, user: User) -> bool:
    """Anyone who holds a role in a unit (staff and politicians) must log in with two factors."""
    return user.is_superuser or Membership.objects.filter(user=user).exists()

"""Writes about people."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)

from torget.accounts.models import User


def user_create(*, email: str, password: str | None, name: str = "") -> User:
    """Create a person; without a password they log in by a one-time code sent by e-mail."""
    return User.objects.create_user(email=email, password=password, name=name)


def user_activate_totp(*, user: User, secret: str) -> Authenticator:
    """Give `user` an authenticator app with the base32 `secret` (idempotent)."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return existing
    return TOTP.activate(user, secret).instance


def totp_current_code(*, secret: str) -> str:
    """The six-digit code an authenticator app with `secret` shows right now."""
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))

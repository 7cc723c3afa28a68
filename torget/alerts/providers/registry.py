"""Which provider carries each medium, from the settings (TORGET_ALERT_EMAIL_PROVIDER,
TORGET_ALERT_SMS_PROVIDER). The SMS adapters are imported only when chosen."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from torget.alerts.models import Medium
from torget.alerts.providers.base import Provider

EMAIL_CHOICES = ("smtp", "outbox")
SMS_CHOICES = ("outbox", "smpp", "http")


def _from_settings(cls: Any) -> Provider:
    factory = getattr(cls, "from_settings", None)
    return factory() if callable(factory) else cls()  # type: ignore[no-any-return]


def provider_for(medium: str) -> Provider:
    """A new provider for `medium` ("email" or "sms") as the settings choose it.

    Raises ImproperlyConfigured for an unknown medium or provider name.
    """
    if medium == Medium.EMAIL:
        choice = settings.ALERT_EMAIL_PROVIDER
        if choice == "smtp":
            from torget.alerts.providers.smtp import SmtpProvider

            return SmtpProvider.from_settings()
        if choice == "outbox":
            from torget.alerts.providers.outbox import OutboxProvider

            return OutboxProvider(Medium.EMAIL)
        raise ImproperlyConfigured(
            f"TORGET_ALERT_EMAIL_PROVIDER must be one of {', '.join(EMAIL_CHOICES)}, not {choice!r}"
        )
    if medium == Medium.SMS:
        choice = settings.ALERT_SMS_PROVIDER
        if choice == "outbox":
            from torget.alerts.providers.outbox import OutboxProvider

            return OutboxProvider(Medium.SMS)
        if choice == "smpp":
            from torget.alerts.providers.smpp import SmppProvider

            return _from_settings(SmppProvider)
        if choice == "http":
            from torget.alerts.providers.http_sms import HttpSmsProvider

            return _from_settings(HttpSmsProvider)
        raise ImproperlyConfigured(
            f"TORGET_ALERT_SMS_PROVIDER must be one of {', '.join(SMS_CHOICES)}, not {choice!r}"
        )
    raise ImproperlyConfigured(f"no provider for medium {medium!r}")

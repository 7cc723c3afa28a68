"""Short names of CAP's severities, for the banner and the alert pages (the model's choices
carry CAP's long explanations, for the staff form)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from torget.alerts.models import Severity


def severity_short_label(severity: str) -> str:
    """ "Extreme", "Severe", "Moderate" or "Minor" in the active language."""
    labels = {
        Severity.EXTREME: _("Extreme"),
        Severity.SEVERE: _("Severe"),
        Severity.MODERATE: _("Moderate"),
        Severity.MINOR: _("Minor"),
    }
    return labels.get(severity, severity)  # type: ignore[call-overload]

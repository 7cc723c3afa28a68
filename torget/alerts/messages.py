"""What an alert says, by SMS and by e-mail. Built once per alert, filled in per delivery.

The SMS text is counted as it is sent (title, text, link, how to answer), so the length the
composer shows is the length the resident receives. E-mails carry a Message-ID made from the
delivery, so that an answer (its In-Reply-To) leads back to the alert, and a List-Unsubscribe
link with the subscription's secret.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from torget.alerts.models import Alert, Delivery, Medium
from torget.alerts.providers.base import Outgoing
from torget.core.links import absolute_url

# Stands in for the subscription's own link in the text shared by all deliveries.
_MANAGE = "\x00manage\x00"
STOP_WORDS = frozenset({"stop", "stopp", "avslutt", "unsubscribe"})


def _prefix(alert: Alert) -> str:
    if alert.kind == Alert.Kind.UPDATE:
        return _("UPDATE") + ": "
    if alert.kind == Alert.Kind.CANCEL:
        return _("ALL CLEAR") + ": "
    return ""


def alert_page_url(alert: Alert) -> str:
    if alert.pk is None and alert.original_id is None:
        # Not saved yet (its length is being counted): the number it will most likely get.
        last = Alert.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        return absolute_url(alert.municipality, reverse("alerts:alert-detail", args=[last + 1]))
    return absolute_url(alert.municipality, alert.get_absolute_url())


def sms_text(alert: Alert, language: str = "") -> str:
    """The SMS exactly as it is sent, in `language` (default: the municipality's)."""
    with translation.override(language or alert.municipality.malform):
        lines = [f"{_prefix(alert)}{alert.title}".strip(), alert.text.strip()]
        if alert.contact_phone:
            lines.append(_("Phone: %(phone)s") % {"phone": alert.contact_phone})
        lines.append(_("More: %(url)s") % {"url": alert_page_url(alert)})
        lines.append(_("Answer this SMS to reply. STOP ends the alerts."))
    return "\n".join(line for line in lines if line)


def delivery_id_from_message_id(value: str) -> int | None:
    """The delivery an e-mail answer refers to, from its In-Reply-To or References header."""
    for part in value.replace(",", " ").split():
        part = part.strip("<>")
        if part.startswith("delivery-") and "." in part:
            number = part[len("delivery-") :].split(".", 1)[0]
            if number.isdigit():
                return int(number)
    return None


class AlertMessages:
    """The texts of one alert, rendered once per language and reused for every delivery."""

    def __init__(self, alert: Alert) -> None:
        self.alert = alert
        self._sms: dict[str, str] = {}
        self._email: dict[str, tuple[str, str]] = {}
        # Links are built once per alert: a query or a URL reverse per message would cost more
        # than writing the message to the SMTP server.
        site = absolute_url(alert.municipality, "")
        marker = "TOKEN-MARKER"
        self._manage_parts = (site + reverse("alerts:subscription-manage", args=[marker])).split(
            marker, 1
        )
        self._subscribe_url = site + reverse("alerts:subscribe")
        self._host = (
            alert.municipality.hostnames.order_by("pk").values_list("name", flat=True).first()
            or "torget.localhost"
        )

    def _language(self, delivery: Delivery) -> str:
        return delivery.language or self.alert.municipality.malform

    def _email_parts(self, language: str) -> tuple[str, str]:
        if language not in self._email:
            alert = self.alert
            with translation.override(language):
                subject = f"{_prefix(alert)}{alert.title}"
                lines = [
                    subject,
                    "",
                    alert.text.strip(),
                    "",
                    _("From: %(unit)s, %(municipality)s")
                    % {"unit": alert.unit.name, "municipality": alert.municipality.name},
                    _("Valid from %(onset)s")
                    % {
                        "onset": formats.date_format(
                            timezone.localtime(alert.onset), "DATETIME_FORMAT"
                        )
                    },
                ]
                if alert.expires:
                    lines.append(
                        _("Valid until %(expires)s")
                        % {
                            "expires": formats.date_format(
                                timezone.localtime(alert.expires), "DATETIME_FORMAT"
                            )
                        }
                    )
                if alert.contact_phone:
                    lines.append(_("Phone: %(phone)s") % {"phone": alert.contact_phone})
                if alert.contact_email:
                    lines.append(_("E-mail: %(email)s") % {"email": alert.contact_email})
                if alert.contact_url:
                    lines.append(_("Web: %(url)s") % {"url": alert.contact_url})
                lines += [
                    _("More: %(url)s") % {"url": alert_page_url(alert)},
                    "",
                    _("Answer this e-mail to reply to the municipality."),
                    _("End or change your alerts: %(url)s") % {"url": _MANAGE},
                ]
            self._email[language] = (subject, "\n".join(lines))
        return self._email[language]

    def _manage_url(self, token: str) -> str:
        if not token:
            return self._subscribe_url
        return f"{self._manage_parts[0]}{token}{self._manage_parts[1]}"

    def outgoing(self, delivery: Delivery, token: str = "") -> Outgoing:
        """The message for one delivery; `token` is its subscription's secret, if any."""
        language = self._language(delivery)
        if delivery.medium == Medium.SMS:
            if language not in self._sms:
                self._sms[language] = sms_text(self.alert, language)
            return Outgoing(
                delivery_id=delivery.pk, destination=delivery.destination, body=self._sms[language]
            )
        subject, body = self._email_parts(language)
        manage = self._manage_url(token)
        headers = {
            "Message-ID": f"<delivery-{delivery.pk}.{self.alert.identifier}@{self._host}>",
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{manage}>",
        }
        reply_to = getattr(settings, "ALERT_REPLY_TO", "")
        if reply_to:
            headers["Reply-To"] = reply_to
        return Outgoing(
            delivery_id=delivery.pk,
            destination=delivery.destination,
            subject=subject,
            body=body.replace(_MANAGE, manage),
            headers=headers,
        )

"""Single messages outside an alert — an official answer to an SMS, a confirmation code — sent
at once through the configured provider of their medium (the outbox under `make run`).

Callers run inside a task or a request and are at least once: a task that is retried sends
again. Alerts themselves never go this way; they go through delivery rows.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from torget.alerts.models import Medium
from torget.alerts.providers.base import Outcome, Outgoing, Result
from torget.alerts.providers.registry import provider_for
from torget.conversations.models import Message

log = logging.getLogger(__name__)


class NotSent(Exception):
    """The provider refused the message or could not be reached; the reason is the text."""


def message_send_now(*, medium: str, destination: str, body: str, subject: str = "") -> Outcome:
    """Send one message now. Raises NotSent with the provider's reason when it fails."""
    provider = provider_for(medium)
    try:
        outcomes = provider.send(
            [Outgoing(delivery_id=0, destination=destination, body=body, subject=subject)],
            lambda _id: None,
        )
    finally:
        provider.close()
    outcome = outcomes[0]
    if outcome.result not in (Result.SENT, Result.DELIVERED):
        raise NotSent(outcome.error or outcome.result.value)
    return outcome


def sms_answer_send(message: Message) -> None:
    """An official answer in a thread that a resident opened by SMS goes back by SMS."""
    thread = message.thread
    if not thread.contact.startswith("+"):
        return
    from django.utils import translation

    with translation.override(thread.unit.municipality.malform):
        signature = _("Answer from %(unit)s") % {"unit": thread.unit.name}
    message_send_now(
        medium=Medium.SMS, destination=thread.contact, body=f"{signature}:\n{message.body}"
    )

"""Background work of subscriptions: the confirmation e-mail and the SMS code.

A module of its own beside the delivery engine's tasks, so that the two grow apart without
touching each other. Both tasks take the subscription's id, re-read it, do nothing unless it
still waits for confirmation, and are safe to run twice: the e-mail carries the same Message-ID
(mail clients show it once) and the SMS the same code (it is derived, see
`services/subscriptions.py`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from torget.core.links import absolute_url

if TYPE_CHECKING:
    from torget.alerts.models import Subscription

logger = logging.getLogger(__name__)


class CodeNotSent(Exception):
    """The SMS provider refused the code or could not be reached; a later run sends it."""


def _pending(subscription_id: int, medium: str) -> Subscription | None:
    from torget.alerts.models import Subscription

    return (
        Subscription.objects.select_related("municipality")
        .filter(pk=subscription_id, medium=medium, status=Subscription.Status.PENDING)
        .first()
    )


@task()
def send_subscription_confirmation(subscription_id: int) -> bool:
    """E-mail the confirmation link of a pending e-mail subscription, in the resident's
    language. Returns whether an e-mail was sent."""
    from torget.alerts.models import Medium

    subscription = _pending(subscription_id, Medium.EMAIL)
    if subscription is None:
        return False
    municipality = subscription.municipality
    language = subscription.language or municipality.malform
    context = {
        "subscription": subscription,
        "municipality": municipality,
        "confirm_link": absolute_url(
            municipality, reverse("alerts:subscription-confirm", args=[subscription.token])
        ),
        "manage_link": absolute_url(
            municipality, reverse("alerts:subscription-manage", args=[subscription.token])
        ),
    }
    with translation.override(language):
        subject = render_to_string("alerts/email/subscription_confirm_subject.txt", context)
        body = render_to_string("alerts/email/subscription_confirm_body.txt", context)
    host = (
        municipality.hostnames.order_by("pk").values_list("name", flat=True).first()
        or "torget.localhost"
    )
    EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        to=[subscription.destination],
        headers={
            "Message-ID": f"<subscription-{subscription.pk}@{host}>",
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{context['manage_link']}>",
        },
    ).send()
    return True


@task()
def send_subscription_code(subscription_id: int) -> bool:
    """Send the SMS code of a pending SMS subscription through the configured SMS provider (the
    outbox under `make run`). Returns whether it was handed over; raises CodeNotSent when the
    provider refused it."""
    from torget.alerts.models import Medium
    from torget.alerts.providers.base import Outgoing, Result
    from torget.alerts.providers.registry import provider_for
    from torget.alerts.services.subscriptions import CODE_LIFETIME, subscription_code

    subscription = _pending(subscription_id, Medium.SMS)
    if subscription is None:
        return False
    code = subscription_code(subscription)
    if not code:
        return False
    municipality = subscription.municipality
    with translation.override(subscription.language or municipality.malform):
        body = _(
            "%(code)s is your code to confirm alerts from %(municipality)s. It is valid for "
            "%(minutes)s minutes."
        ) % {
            "code": code,
            "municipality": municipality.name,
            "minutes": int(CODE_LIFETIME.total_seconds() // 60),
        }
    provider = provider_for(Medium.SMS)
    try:
        outcomes = provider.send(
            [Outgoing(delivery_id=0, destination=subscription.destination, body=body)],
            lambda _delivery_id: None,
        )
    finally:
        provider.close()
    outcome = outcomes[0] if outcomes else None
    if outcome is None or outcome.result in (Result.TEMPORARY, Result.PERMANENT):
        reason = outcome.error if outcome else "no answer"
        logger.warning("subscription code not sent", extra={"subscription": subscription.pk})
        raise CodeNotSent(f"code for subscription {subscription.pk} not sent: {reason}")
    return True

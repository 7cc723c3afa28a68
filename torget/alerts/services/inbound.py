"""Answers to alerts, by SMS or e-mail, into the follow-up inbox; STOP into an unsubscribe.

An incoming message is stored first (once: the provider's id is unique) and handled second.
Handling finds the alert the sender received — for an e-mail from the delivery its
In-Reply-To names, else the latest alert delivered to that number or address — and adds the
text to that sender's private thread about the alert (channel `sms` or `email`) in the inbox
of the unit that sent it. A message whose first word is STOP unsubscribes the number instead.
Handling a stored message twice changes nothing.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import email.utils
import hashlib
import logging
from email.message import EmailMessage

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from torget.alerts.messages import STOP_WORDS, delivery_id_from_message_id
from torget.alerts.models import Delivery, Inbound, Medium, Subscription
from torget.conversations import services as conversations
from torget.conversations.models import Thread, ThreadStatus, Visibility
from torget.core.errors import InvalidTransition

log = logging.getLogger(__name__)

THREAD_SOURCE = "alert-answer"
MAX_BODY = 5000


def inbound_receive(
    *,
    medium: str,
    provider: str,
    external_id: str,
    sender: str,
    body: str,
    reference: str = "",
    received_at: datetime.datetime | None = None,
    ignore_reason: str = "",
) -> Inbound:
    """Store an incoming SMS or e-mail once, then handle it. Safe to call twice with the same
    `external_id`: the second call returns the first row. With `ignore_reason` (an automatic
    reply) it is stored as ignored and never reaches the inbox."""
    sender = sender.strip().lower() if medium == Medium.EMAIL else sender.strip()
    try:
        with transaction.atomic():
            inbound = Inbound.objects.create(
                medium=medium,
                provider=provider,
                external_id=external_id[:200],
                sender=sender[:254],
                body=body[:MAX_BODY],
                reference=reference[:200],
                received_at=received_at or timezone.now(),
                result=Inbound.Result.IGNORED if ignore_reason else Inbound.Result.PENDING,
                detail=ignore_reason[:300],
            )
    except IntegrityError:
        inbound = Inbound.objects.get(provider=provider, external_id=external_id[:200])
    return inbound_handle(inbound_id=inbound.pk)


def _first_word(body: str) -> str:
    words = body.strip().split()
    return words[0].strip(".!").lower() if words else ""


def _delivery_for(inbound: Inbound) -> Delivery | None:
    deliveries = Delivery.objects.select_related("alert__unit__municipality", "alert__original")
    if inbound.reference:
        delivery_id = delivery_id_from_message_id(inbound.reference)
        if delivery_id is not None:
            found = deliveries.filter(pk=delivery_id, destination__iexact=inbound.sender).first()
            if found is not None:
                return found
    return (
        deliveries.filter(
            medium=inbound.medium,
            destination=inbound.sender,
            status__in=[Delivery.Status.SENT, Delivery.Status.DELIVERED],
        )
        .order_by("-sent_at", "-pk")
        .first()
    )


def _finish(inbound: Inbound, result: str, detail: str = "") -> Inbound:
    inbound.result = result
    inbound.detail = detail[:300]
    inbound.save(update_fields=["result", "detail"])
    return inbound


def _stop(inbound: Inbound, delivery: Delivery | None) -> Inbound:
    from torget.alerts.services.subscriptions import subscriptions_stop

    if delivery is not None:
        municipality_ids = [delivery.alert.municipality_id]
    else:
        municipality_ids = list(
            Subscription.objects.filter(destination=inbound.sender, medium=inbound.medium)
            .values_list("municipality_id", flat=True)
            .distinct()
        )
    from torget.organisation.models import Municipality

    count = sum(
        subscriptions_stop(municipality=municipality, destination=inbound.sender)
        for municipality in Municipality.objects.filter(pk__in=municipality_ids)
    )
    return _finish(inbound, Inbound.Result.UNSUBSCRIBED, f"{count} subscription(s) ended")


def _answer(inbound: Inbound, delivery: Delivery) -> Inbound:
    alert = delivery.alert.root
    channel = inbound.medium  # the thread channels `sms` and `email` match the media
    external_id = f"{alert.pk}:{inbound.medium}:{inbound.sender}"
    body = inbound.body.strip() or "…"
    thread = (
        Thread.objects.filter(
            municipality_id=alert.municipality_id, source=THREAD_SOURCE, external_id=external_id
        )
        .exclude(status=ThreadStatus.CLOSED)
        .first()
    )
    if thread is None:
        closed = Thread.objects.filter(
            municipality_id=alert.municipality_id, source=THREAD_SOURCE, external_id=external_id
        ).exists()
        with override(alert.municipality.malform):
            title = _("Answer to the alert: %(title)s") % {"title": alert.title}
        conversations.thread_open(
            unit=alert.unit,
            channel=channel,
            body=body,
            actor=None,
            visibility=Visibility.PRIVATE,
            subject=alert,
            title=title,
            contact=inbound.sender,
            author_name=inbound.sender,
            source=THREAD_SOURCE,
            # A closed thread keeps its id; a new answer after it opens a fresh one.
            external_id=f"{external_id}:{inbound.pk}" if closed else external_id,
            at=inbound.received_at,
        )
    else:
        conversations.message_add_resident(
            thread=thread,
            actor=None,
            body=body,
            author_name=inbound.sender,
            source=THREAD_SOURCE,
            external_id=str(inbound.pk),
            at=inbound.received_at,
        )
    return _finish(inbound, Inbound.Result.THREAD, f"alert {alert.pk}")


def inbound_handle(*, inbound_id: int) -> Inbound:
    """Handle a stored incoming message once (a second call returns it unchanged)."""
    with transaction.atomic():
        inbound = Inbound.objects.select_for_update().get(pk=inbound_id)
        if inbound.result != Inbound.Result.PENDING:
            return inbound
        delivery = _delivery_for(inbound)
        if _first_word(inbound.body) in STOP_WORDS:
            return _stop(inbound, delivery)
        if delivery is None:
            return _finish(inbound, Inbound.Result.IGNORED, "no alert was sent to this sender")
        try:
            return _answer(inbound, delivery)
        except (ValidationError, InvalidTransition) as error:
            return _finish(
                inbound, Inbound.Result.IGNORED, "; ".join(getattr(error, "messages", [str(error)]))
            )


def _plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    text = part.get_content()
    # Keep what the resident wrote, not the quoted alert below it.
    kept = []
    for line in text.splitlines():
        if line.startswith(">"):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def inbound_email_receive(raw: bytes, *, provider: str = "email") -> Inbound | None:
    """An e-mail answer in RFC 5322 form (from the MTA's pipe or a provider's webhook).
    Automatic replies (out-of-office, bounces) are stored as ignored, never as answers."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    sender = email.utils.parseaddr(str(message.get("From", "")))[1]
    if not sender:
        return None
    external_id = (
        str(message.get("Message-ID", "")).strip() or f"sha256:{hashlib.sha256(raw).hexdigest()}"
    )
    reference = str(message.get("In-Reply-To", "") or message.get("References", ""))
    auto = str(message.get("Auto-Submitted", "no")).lower() != "no" or message.get("X-Autoreply")
    return inbound_receive(
        medium=Medium.EMAIL,
        provider=provider,
        external_id=external_id,
        sender=sender,
        body=_plain_text(message),
        reference=reference,
        ignore_reason="automatic reply" if auto else "",
    )

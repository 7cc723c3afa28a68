"""Background work of approval: telling the people who may approve an alert that it waits.

In an emergency the second person must not have to happen to look at the list: everyone who
may approve the alert (a communicator or unit administrator of its unit or of a unit above it,
not its author) gets an e-mail with a link to it. The task takes the alert's id, re-reads it,
does nothing unless it still waits, and is safe to run twice: each e-mail carries a Message-ID
made from the alert and the person, so mail clients show a repeat once.
"""

from __future__ import annotations

import logging

from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from torget.core.links import absolute_url

logger = logging.getLogger(__name__)


@task()
def notify_approval_wanted(alert_id: int) -> int:
    """E-mail each person who may approve alert `alert_id` that it waits for approval, in
    their language. Returns how many e-mails were sent (0 once it no longer waits)."""
    from torget.accounts.models import User
    from torget.alerts.models import Alert
    from torget.alerts.policies import SENDER_ROLES

    alert = (
        Alert.objects.select_related("unit", "municipality", "created_by")
        .filter(pk=alert_id, status=Alert.Status.PENDING_APPROVAL)
        .first()
    )
    if alert is None:
        return 0
    unit_ids = [int(part) for part in alert.unit.path.strip("/").split("/") if part]
    approvers = User.objects.filter(
        is_active=True,
        memberships__unit_id__in=unit_ids,
        memberships__role__in=list(SENDER_ROLES),
    )
    if alert.created_by_id is not None:
        approvers = approvers.exclude(pk=alert.created_by_id)
    approvers = approvers.exclude(email="").distinct().order_by("pk")
    link = absolute_url(alert.municipality, reverse("alerts:staff-alert-detail", args=[alert.pk]))
    host = link.split("/")[2].split(":")[0]
    sent = 0
    with get_connection() as connection:
        for person in approvers:
            context = {"alert": alert, "link": link, "person": person}
            with translation.override(person.language or alert.municipality.malform):
                subject = render_to_string(
                    "alerts/email/approval_wanted_subject.txt", context
                ).strip()
                body = render_to_string("alerts/email/approval_wanted_body.txt", context)
            EmailMultiAlternatives(
                subject=" ".join(subject.split()),
                body=body,
                to=[person.email],
                headers={"Message-ID": f"<approval-{alert.identifier}-{person.pk}@{host}>"},
                connection=connection,
            ).send()
            sent += 1
    logger.info("alert %d waits for approval: %d people told", alert.pk, sent)
    return sent

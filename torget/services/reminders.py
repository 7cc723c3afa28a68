"""Review reminders: the responsible unit hears when one of its pages is out of date.

A page is overdue when `last_reviewed_on + review_every_days` (its `review_due_on`) lies before
today. Each overdue page gets one e-mail to its unit's editors per overdue period: the e-mail
is sent inside the transaction that sets `reminded_at` by compare-and-set, so a second run (or
a second worker at the same time) finds the page claimed and sends nothing, and a send that
fails rolls the claim back for the next run. Marking the page reviewed clears `reminded_at`.
"""

from __future__ import annotations

import datetime
import logging

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from torget.accounts.models import User
from torget.core.links import absolute_url
from torget.organisation.models import Membership, Unit
from torget.services.models import InfoPage
from torget.services.policies import EDITOR_ROLES

logger = logging.getLogger(__name__)


def page_list_stale(*, today: datetime.date | None = None) -> list[int]:
    """Ids of the published pages overdue for review whose unit was not yet reminded."""
    day = today or timezone.localdate()
    return list(
        InfoPage.objects.filter(is_published=True, review_due_on__lt=day, reminded_at__isnull=True)
        .order_by("review_due_on", "pk")
        .values_list("pk", flat=True)
    )


def reminder_recipients(unit: Unit) -> list[tuple[str, str]]:
    """(e-mail address, language) of the unit's communicators and administrators; if it has
    none, of those of the nearest unit above that has; failing that the unit's own address.
    The language is the person's own choice, else the municipality's målform."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    memberships = (
        Membership.objects.filter(
            unit_id__in=ids, role__in=list(EDITOR_ROLES), user__is_active=True
        )
        .select_related("user", "unit__municipality")
        .order_by("user__email")
    )
    by_unit: dict[int, dict[str, str]] = {}
    for membership in memberships:
        user: User = membership.user
        language = user.language or membership.unit.municipality.malform
        by_unit.setdefault(membership.unit_id, {})[user.email] = language
    for unit_id in reversed(ids):  # the unit itself first, then upwards
        if by_unit.get(unit_id):
            return sorted(by_unit[unit_id].items())
    return [(unit.email, unit.municipality.malform)] if unit.email else []


def page_remind_stale(*, today: datetime.date | None = None) -> int:
    """E-mail the editors of every overdue page once per overdue period. Returns how many
    pages were reminded by this run (0 when run again)."""
    day = today or timezone.localdate()
    sent = 0
    connection = get_connection()
    for page_id in page_list_stale(today=day):
        try:
            if _remind(page_id, day=day, connection=connection):
                sent += 1
        except OSError:
            # The claim rolled back with the failed send: the next run tries again.
            logger.exception("review reminder for page %s could not be sent", page_id)
    return sent


@transaction.atomic
def _remind(page_id: int, *, day: datetime.date, connection: object) -> bool:
    claimed = InfoPage.objects.filter(
        pk=page_id, is_published=True, review_due_on__lt=day, reminded_at__isnull=True
    ).update(reminded_at=timezone.now())
    if not claimed:
        return False
    page = InfoPage.objects.select_related("unit__municipality", "municipality").get(pk=page_id)
    recipients = reminder_recipients(page.unit)
    if not recipients:
        logger.warning("page %s is overdue for review but its unit has no address", page.pk)
        return True
    municipality = page.municipality
    due = page.review_due_on.strftime("%Y%m%d")
    context = {
        "page": page,
        "unit": page.unit,
        "days_overdue": (day - page.review_due_on).days,
        "page_link": absolute_url(municipality, page.get_absolute_url()),
        "edit_link": absolute_url(
            municipality, reverse("services:staff-page-edit", args=[page.pk])
        ),
    }
    # One e-mail a person, in their language. Should a send fail, the claim rolls back and the
    # next run sends to everyone again, with the same Message-IDs (mail clients show one).
    for number, (address, language) in enumerate(recipients):
        with translation.override(language):
            subject = render_to_string("services/email/reminder_subject.txt", context)
            body = render_to_string("services/email/reminder_body.txt", context)
        EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=body,
            to=[address],
            headers={
                "Message-ID": f"<review-{page.pk}-{due}-{number}@torget.{municipality.number}>"
            },
            connection=connection,  # type: ignore[arg-type]
        ).send()
    return True

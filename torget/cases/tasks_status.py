"""Background work of case handling: the e-mail to the resident about a status change.

Tasks take ids, re-read, and are safe to run twice.
"""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from torget.core.links import absolute_url


@task()
def notify_status(event_id: int) -> None:
    """E-mail the applicant the new status of their case, the note, and a link to the case.

    At least once: sent, then marked (`CaseEvent.notified_at`); a worker killed in between
    sends again on retry with the same Message-ID, so mail clients show it once. A marked
    event sends nothing. Written in the applicant's chosen language, else the municipality's.
    """
    from torget.cases.models import CaseEvent

    event = (
        CaseEvent.objects.select_related(
            "case__unit", "case__municipality", "case__form", "case__applicant"
        )
        .filter(pk=event_id, notified_at__isnull=True)
        .first()
    )
    if event is None:
        return
    case = event.case
    applicant = case.applicant
    if applicant is None or not applicant.email or not case.reference:
        return
    municipality = case.municipality
    language = applicant.language or municipality.malform
    path = reverse("cases:case-detail", args=[case.reference])
    with translation.override(language):
        context = {
            "event": event,
            "case": case,
            "unit": case.unit,
            "status": event.get_status_to_display(),
            "link": absolute_url(municipality, path),
        }
        subject = render_to_string("cases/case_status_email_subject.txt", context).strip()
        body = render_to_string("cases/case_status_email_body.txt", context)
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        to=[applicant.email],
        headers={
            "Message-ID": f"<case-status-{event.pk}@torget.{municipality.number}>",
            "Content-Language": language,
        },
    )
    email.send()
    CaseEvent.objects.filter(pk=event.pk).update(notified_at=timezone.now())

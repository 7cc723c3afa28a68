"""The receipt e-mail of a submission: the text summary with the PDF attached.

At least once and idempotent: the task sends only while `case.receipt_sent_at` is empty and
sets it right after the SMTP server took the e-mail, so a later run sends nothing. A worker
killed in between (or two workers at the same moment) may send it twice, always with the same
Message-ID, so that mail clients show it once.
"""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.db import OperationalError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from torget.cases.models import Case
from torget.core.links import absolute_url


def receipt_message_id(case_pk: int, municipality_number: str) -> str:
    return f"<receipt-{case_pk}@torget.{municipality_number}>"


@task()
def send_receipt(case_id: int) -> bool:
    """E-mail the applicant the receipt of case `case_id`. Returns True if this run sent it."""
    from torget.cases.receipt import form_title, local_time, receipt_pdf, receipt_rows

    case = (
        Case.objects.select_related("applicant", "unit", "municipality", "form")
        .filter(pk=case_id, receipt_sent_at__isnull=True, reference__isnull=False)
        .first()
    )
    if case is None or case.applicant is None or not case.applicant.email:
        return False
    applicant = case.applicant
    municipality = case.municipality
    language = str(applicant.language or municipality.malform)
    with translation.override(language):
        context = {
            "case": case,
            "title": form_title(case),
            "rows": receipt_rows(case),
            "attachments": [a.original_name for a in case.attachments.all()],
            "submitted": local_time(case.submitted_at),
            "due": local_time(case.due_at) if case.due_at else "",
            "unit": case.unit,
            "municipality": municipality,
            "link": absolute_url(municipality, reverse("cases:receipt", args=[case.reference])),
        }
        subject = render_to_string("cases/receipt_email_subject.txt", context)
        body = render_to_string("cases/receipt_email_body.txt", context)
        pdf = receipt_pdf(case, language=language)
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        to=[applicant.email],
        headers={"Message-ID": receipt_message_id(case.pk, municipality.number)},
    )
    email.attach(f"kvittering-{case.reference}.pdf", pdf, "application/pdf")
    # No transaction is held while the PDF is made and the e-mail goes out: on SQLite that
    # would hold the database's one write lock against every submission meanwhile.
    email.send()
    return _mark_sent(case.pk)


def _mark_sent(case_pk: int, attempts: int = 5) -> bool:
    """Record that the receipt went out. The e-mail is gone already, so a busy SQLite write
    lock is waited out a few times rather than leaving the case looking unsent."""
    for attempt in range(1, attempts + 1):
        try:
            marked = Case.objects.filter(pk=case_pk, receipt_sent_at__isnull=True).update(
                receipt_sent_at=timezone.now()
            )
        except OperationalError as exc:
            if "database is locked" not in str(exc) or attempt == attempts:
                raise
            continue
        return bool(marked)
    return False

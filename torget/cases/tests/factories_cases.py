"""Cases for the tests of case handling and Min side, made as a submission makes them: a
case with its first event and its private thread (channel `case`).

Until the forms helper's `case_submit` is used here, this is the one place that builds a case
by hand. Importing it also registers the cases app's hooks (idempotent), in case the app's
ready() does not yet.
"""

from __future__ import annotations

import datetime
import itertools

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone

from torget.accounts.models import User
from torget.cases.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    CaseStatus,
    Form,
    FormField,
)
from torget.cases.mydata import register
from torget.conversations.models import Channel, Visibility
from torget.conversations.services import thread_open
from torget.organisation.models import Unit

register()

_numbers = itertools.count(1)

KINDERGARTEN_ANSWERS = [
    {"key": "child_name", "label": "Child's name", "kind": "text", "value": "Ola Bakken"},
    {"key": "start_date", "label": "Wished start date", "kind": "date", "value": "2027-08-15"},
    {
        "key": "kindergartens",
        "label": "Kindergartens in order of preference",
        "kind": "ranked_choice",
        "value": ["Solsikken", "Trollskogen"],
    },
    {"key": "needs", "label": "Special needs", "kind": "textarea", "value": "Nøtteallergi"},
]


def form_make(
    unit: Unit, *, slug: str = "barnehageplass", title: str = "Søknad om barnehageplass"
) -> Form:
    form, _created = Form.objects.get_or_create(
        municipality=unit.municipality,
        slug=slug,
        defaults={"unit": unit, "title": title, "processing_days": 20, "is_published": True},
    )
    if _created:
        for position, row in enumerate(KINDERGARTEN_ANSWERS):
            FormField.objects.create(
                form=form, key=row["key"], label=row["label"], kind=row["kind"], position=position
            )
    return form


def case_make(
    *,
    unit: Unit,
    applicant: User,
    form: Form | None = None,
    status: str = CaseStatus.RECEIVED,
    submitted_at: datetime.datetime | None = None,
    due_in_days: int = 28,
) -> Case:
    """A submitted case of `applicant` to `unit`: its first event (received) and its thread.
    A `status` other than received is set directly, with an event, as if handled earlier."""
    form = form or form_make(unit)
    now = submitted_at or timezone.now()
    number = next(_numbers)
    case = Case.objects.create(
        municipality=unit.municipality,
        form=form,
        unit=unit,
        applicant=applicant,
        reference=f"{now.year}-{number:06d}",
        # The shape case_submit stores: the form, and the snapshot rows under "fields".
        data={"form": {"slug": form.slug, "title": form.title}, "fields": KINDERGARTEN_ANSWERS},
        status=CaseStatus.RECEIVED,
        submitted_at=now,
        due_at=now + datetime.timedelta(days=due_in_days),
        updated_at=now,
    )
    CaseEvent.objects.create(
        case=case,
        status_from="",
        status_to=CaseStatus.RECEIVED,
        actor=applicant,
        at=now,
        notified_at=now,
    )
    # A submission is not a message written in a hurry: the factory makes cases as fast as
    # tests need, so the residents' write limits (a cache counter) start afresh.
    cache.clear()
    case.thread = thread_open(
        unit=unit,
        channel=Channel.CASE,
        visibility=Visibility.PRIVATE,
        subject=case,
        actor=applicant,
        title=f"{form.title} {case.reference}",
        body=f"Søknaden {case.reference} er sendt.",
        at=now,
    )
    case.save(update_fields=["thread"])
    if status != CaseStatus.RECEIVED:
        CaseEvent.objects.create(
            case=case, status_from=CaseStatus.RECEIVED, status_to=status, at=now, notified_at=now
        )
        case.status = status
        if status == CaseStatus.DECIDED:
            case.decided_at = now
        if status == CaseStatus.CLOSED:
            case.closed_at = now
        case.save(update_fields=["status", "decided_at", "closed_at"])
    return case


def attachment_make(
    case: Case, *, name: str = "legeattest.pdf", content: bytes = b"%PDF-1.4 test\n"
) -> CaseAttachment:
    attachment = CaseAttachment(
        municipality=case.municipality,
        form=case.form,
        owner=case.applicant,
        case=case,
        field_key="attachment",
        original_name=name,
        content_type="application/pdf",
        size=len(content),
        created_at=timezone.now(),
    )
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    return attachment

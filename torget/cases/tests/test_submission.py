"""Filling in a form over HTTP: drafts, the 422 that keeps what was typed, the submission that
makes a case (event, thread in the unit's inbox, receipt e-mail with the PDF) and the repeated
POST that finds the case it already made."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import run_tasks
from torget.accounts.models import User
from torget.cases.models import Case, CaseAttachment, CaseEvent, CaseStatus, Draft, Form
from torget.cases.services import submission
from torget.cases.tests.test_formbuilder import PDF, form_make, good_answers
from torget.conversations.models import Channel, ThreadStatus, Visibility
from torget.conversations.selectors import InboxFilter, thread_list_waiting
from torget.organisation.models import Unit
from torget.organisation.workinghours import OSLO, WeeklyHours

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def form(school: Unit) -> Form:
    return form_make(school)


def _url(form: Form) -> str:
    return reverse("cases:form-fill", args=[form.slug])


def _key(page: str) -> str:
    found = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page)
    assert found, "the form page has no submission key"
    return found.group(1)


def _send(client: Client, form: Form, data: dict[str, Any], **extra: Any) -> Any:
    page = client.get(_url(form), **EN)
    return client.post(
        _url(form), {**data, "submission_key": _key(page.text), "send": "1", **extra}, **EN
    )


def test_form_list_is_open_to_all_and_shows_only_published_forms(
    client: Client, form: Form, school: Unit
) -> None:
    form_make(school, slug="hemmelig", published=False).__class__.objects.filter(
        slug="hemmelig"
    ).update(title="Upublisert skjema")
    response = client.get(reverse("cases:form-list"), **EN)
    assert response.status_code == 200
    assert "Søknad om barnehageplass" in response.text
    assert "Upublisert skjema" not in response.text


def test_form_list_has_an_empty_state(client: Client, municipality: Any) -> None:
    response = client.get(reverse("cases:form-list"), **EN)
    assert "There are no forms to fill in yet." in response.text


def test_anonymous_visitor_is_sent_to_log_in_and_back(client: Client, form: Form) -> None:
    response = client.get(_url(form), **EN)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert response["Location"].endswith("?next=" + _url(form))


def test_unpublished_form_is_not_found(client: Client, resident: User, school: Unit) -> None:
    hidden = form_make(school, slug="utkast", published=False)
    client.force_login(resident)
    assert client.get(_url(hidden), **EN).status_code == 404


def test_form_page_shows_labelled_fields_and_a_submission_key(
    client: Client, resident: User, form: Form
) -> None:
    client.force_login(resident)
    page = client.get(_url(form), **EN).text
    assert '<label for="id_child_name">Barnets navn</label>' in page
    assert '<label for="id_kindergartens_0">1st choice</label>' in page
    assert "<legend>Barnehager i prioritert rekkefølge</legend>" in page
    uuid.UUID(_key(page))


def test_draft_keeps_invalid_input_and_survives_logout(
    client: Client, resident: User, form: Form
) -> None:
    client.force_login(resident)
    typed = {"child_name": "Å", "child_id": "123", "kindergartens_0": "Maurtua", "draft": "1"}
    response = client.post(_url(form), {**typed, "submission_key": str(uuid.uuid4())}, **EN)
    assert response.status_code == 303
    draft = Draft.objects.get(form=form, user=resident)
    assert draft.data["child_id"] == "123"
    assert draft.data["kindergartens"] == ["Maurtua"]
    client.logout()
    client.force_login(resident)
    page = client.get(_url(form), **EN).text
    assert 'value="123"' in page
    assert 'value="Å"' in page
    assert '<option value="Maurtua" selected>' in page
    assert Case.objects.count() == 0


def test_draft_is_the_persons_own(
    client: Client, resident: User, other_resident: User, form: Form
) -> None:
    submission.draft_save(form=form, actor=resident, values={"child_name": "Nora sitt barn"})
    client.force_login(other_resident)
    assert "Nora sitt barn" not in client.get(_url(form), **EN).text


def test_draft_keeps_attachments_and_removes_one(
    client: Client, resident: User, form: Form
) -> None:
    client.force_login(resident)
    upload = SimpleUploadedFile("legeerklæring.pdf", PDF, content_type="application/pdf")
    response = client.post(
        _url(form), {"draft": "1", "documentation": upload, "child_name": "Ola"}, **EN
    )
    assert response.status_code == 303
    attachment = CaseAttachment.objects.get(owner=resident, case__isnull=True)
    assert attachment.original_name == "legeerklæring.pdf"
    assert attachment.content_type == "application/pdf"
    page = client.get(_url(form), **EN).text
    assert "legeerklæring.pdf" in page
    assert f'name="remove" value="{attachment.pk}"' in page
    removed = client.post(_url(form), {"remove": str(attachment.pk), "child_name": "Ola"}, **EN)
    assert removed.status_code == 303
    assert not CaseAttachment.objects.filter(pk=attachment.pk).exists()
    assert Draft.objects.get(user=resident).data["child_name"] == "Ola"


def test_invalid_send_answers_422_keeps_everything_and_marks_each_field(
    client: Client, resident: User, form: Form
) -> None:
    client.force_login(resident)
    data = {**good_answers(), "child_id": "12345678901", "kindergartens_1": "Maurtua"}
    response = _send(client, form, data)
    assert response.status_code == 422
    page = response.text
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary is not None
    assert 'href="#id_child_id"' in summary.group(0)
    assert 'href="#id_kindergartens_0"' in summary.group(0)
    assert 'id="id_child_id_error"' in page
    assert 'aria-describedby="id_child_id_error"' in page
    assert "not a valid national identity number" in page
    assert "only once" in page
    # Everything typed is there again.
    assert 'value="12345678901"' in page
    assert 'value="Åse Ødegård"' in page
    assert "Allergi mot nøtter." in page
    assert Case.objects.count() == 0


def test_send_creates_case_event_thread_and_due_time(
    client: Client, resident: User, case_officer: User, form: Form, school: Unit
) -> None:
    client.force_login(resident)
    submission.draft_save(form=form, actor=resident, values={"child_name": "gammelt"})
    upload = SimpleUploadedFile("vedtak.pdf", PDF, content_type="application/pdf")
    response = _send(client, form, {**good_answers(), "documentation": upload})
    assert response.status_code == 303
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:receipt", args=[case.reference])
    year = case.submitted_at.astimezone(OSLO).year
    assert case.reference == f"{year}-{case.pk:06d}"
    assert case.status == CaseStatus.RECEIVED
    assert case.applicant == resident
    assert case.unit == school
    rows = case.data["fields"]
    assert [r["key"] for r in rows] == [f.key for f in form.fields.all()]
    assert rows[0] == {
        "key": "child_name",
        "label": "Barnets navn",
        "kind": "text",
        "value": "Åse Ødegård",
    }
    assert rows[3]["value"] == ["Maurtua", "Solsikken"]
    assert rows[5]["value"] == ["vedtak.pdf"]
    assert case.attachments.get().original_name == "vedtak.pdf"
    event = CaseEvent.objects.get(case=case)
    assert (event.status_from, event.status_to, event.actor) == ("", "received", resident)
    # The due time: 20 working days of a unit open weekdays, at its closing time.
    assert case.due_at is not None
    assert case.due_at.astimezone(OSLO).time() == datetime.time(17, 0)
    assert 26 <= (case.due_at - case.submitted_at).days <= 34
    thread = case.thread
    assert thread is not None
    assert (thread.channel, thread.visibility, thread.unit) == (
        Channel.CASE,
        Visibility.PRIVATE,
        school,
    )
    assert thread.title == f"Søknad om barnehageplass {case.reference}"
    assert thread.status == ThreadStatus.WAITING
    assert "Barnets navn: Åse Ødegård" in thread.messages.get().body
    inbox = thread_list_waiting(
        viewer=case_officer, municipality=school.municipality, filters=InboxFilter()
    )
    assert thread in list(inbox)
    assert not Draft.objects.filter(user=resident).exists()
    assert DBTaskResult.objects.filter(task_path__endswith="send_receipt").count() == 1


def test_repeated_post_returns_the_same_case(client: Client, resident: User, form: Form) -> None:
    client.force_login(resident)
    page = client.get(_url(form), **EN)
    data = {**good_answers(), "submission_key": _key(page.text), "send": "1"}
    first = client.post(_url(form), data, **EN)
    second = client.post(_url(form), data, **EN)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


def test_case_submit_with_someone_elses_key_is_refused(
    resident: User, other_resident: User, form: Form
) -> None:
    from django.core.exceptions import PermissionDenied

    key = uuid.uuid4()
    cleaned = {"child_name": "A", "kindergartens": ["Maurtua"], "consent": True}
    case = submission.case_submit(form=form, actor=resident, cleaned=cleaned, submission_key=key)
    assert (
        submission.case_submit(form=form, actor=resident, cleaned=cleaned, submission_key=key)
        == case
    )
    with pytest.raises(PermissionDenied):
        submission.case_submit(form=form, actor=other_resident, cleaned=cleaned, submission_key=key)


def test_receipt_email_has_the_summary_and_the_pdf(
    client: Client, resident: User, form: Form, smtp_server: Any
) -> None:
    client.force_login(resident)
    _send(client, form, good_answers())
    case = Case.objects.get()
    run_tasks()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == resident.email
    assert case.reference in message["Subject"]
    assert message["Message-ID"] == f"<receipt-{case.pk}@torget.{case.municipality.number}>"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert case.reference in text
    assert "Åse Ødegård" in text
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"kvittering-{case.reference}.pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    case.refresh_from_db()
    assert case.receipt_sent_at is not None
    # Idempotent: running the task again sends nothing more.
    from torget.cases.tasks_receipt import send_receipt

    assert send_receipt.call(case_id=case.pk) is False
    assert len(smtp_server.messages) == 1


def test_add_working_days_skips_weekends_and_holidays() -> None:
    hours = WeeklyHours.from_intervals((d, datetime.time(8), datetime.time(16)) for d in range(5))
    # Thursday 2026-05-14 is Ascension Day; Friday 15th is a working day, Monday 18th too.
    start = datetime.datetime(2026, 5, 13, 10, 0, tzinfo=OSLO)
    due = submission.add_working_days(start, 2, hours)
    assert due.astimezone(OSLO) == datetime.datetime(2026, 5, 18, 16, 0, tzinfo=OSLO)
    no_hours = submission.add_working_days(start, 1, WeeklyHours.from_intervals([]))
    assert no_hours.astimezone(OSLO).date() == datetime.date(2026, 5, 15)


def test_submitted_snapshot_does_not_change_when_the_form_changes(
    client: Client, resident: User, form: Form
) -> None:
    client.force_login(resident)
    _send(client, form, good_answers())
    form.fields.filter(key="child_name").update(label="Nytt navn på feltet")
    case = Case.objects.get()
    case.refresh_from_db()
    assert case.data["fields"][0]["label"] == "Barnets navn"
    assert timezone.now() >= case.submitted_at

"""A case as a real submission makes it (the forms' `case_submit`), followed through its
handling: shown on Min side and on the case page with its answers, handled by the school's
case officer with an e-mail per change, answered in its thread, closed with it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from conftest import run_tasks
from torget.accounts.models import User
from torget.cases.models import Case, CaseStatus, FieldKind, Form, FormField
from torget.cases.mydata import register
from torget.cases.services.status import case_status_change
from torget.cases.services.submission import case_submit
from torget.conversations.models import ThreadStatus
from torget.organisation.models import Unit

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _registered() -> None:
    """What CasesConfig.ready() is to call (torget.cases.mydata.register); idempotent."""
    register()


@pytest.fixture
def form(school: Unit) -> Form:
    form = Form.objects.create(
        municipality=school.municipality,
        unit=school,
        slug="barnehageplass",
        title="Søknad om barnehageplass",
        processing_days=20,
        is_published=True,
    )
    FormField.objects.create(form=form, key="barn", label="Barnets navn", kind=FieldKind.TEXT)
    FormField.objects.create(
        form=form, key="behov", label="Særskilte behov", kind=FieldKind.TEXTAREA, position=1
    )
    return form


@pytest.fixture
def case(form: Form, resident: User) -> Case:
    return case_submit(
        form=form,
        actor=resident,
        cleaned={"barn": "Ola Bakken", "behov": "Nøtteallergi"},
        submission_key=uuid.uuid4(),
    )


def test_submitted_case_is_followed_from_min_side_to_decision(
    client: Client, case: Case, resident: User, case_officer: User, smtp_server: object
) -> None:
    run_tasks()  # the receipt
    receipts = len(smtp_server.messages)  # type: ignore[attr-defined]
    client.force_login(resident)
    my_page = client.get("/min-side/", **EN).text
    assert f'href="/saker/{case.reference}/"' in my_page and "Received" in my_page
    page = client.get(f"/saker/{case.reference}/", **EN).text
    assert "Barnets navn" in page and "Ola Bakken" in page and "Nøtteallergi" in page
    assert "Expected decision by" in page

    client.force_login(case_officer)
    staff_page = client.get(f"/ansatt/saker/{case.pk}/", **EN).text
    assert "Ola Bakken" in staff_page
    client.post(
        f"/ansatt/saker/{case.pk}/status/",
        {"status": "waiting_for_resident", "note": "Legg ved legeattest."},
    )
    run_tasks()
    mails = smtp_server.wait_for(receipts + 1)  # type: ignore[attr-defined]
    assert "Legg ved legeattest." in mails[-1].get_content()

    client.force_login(resident)
    client.post(f"/saker/{case.reference}/", {"body": "Attesten kommer i morgen."})
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS

    event = case_status_change(case=case, actor=case_officer, status=CaseStatus.DECIDED)
    case_status_change(case=case, actor=case_officer, status=CaseStatus.CLOSED)
    run_tasks()
    smtp_server.wait_for(receipts + 3)  # type: ignore[attr-defined]
    case.refresh_from_db()
    assert case.decided_at == event.at and case.closed_at is not None
    assert case.thread is not None and case.thread.status == ThreadStatus.CLOSED
    assert (
        "Decided" in client.get("/min-side/", **EN).text
        or "Closed" in client.get("/min-side/", **EN).text
    )


def test_submitted_case_of_one_resident_is_404_for_another(
    client: Client, case: Case, other_resident: User
) -> None:
    client.force_login(other_resident)
    assert client.get(f"/saker/{case.reference}/").status_code == 404
    assert case.reference not in client.get("/min-side/", **EN).text

"""'How your input was used': published by the process's staff only after the closing date,
shown on the public hearing page while published, taken back with unpublish, and told by
e-mail once to each person who gave a statement (however often the task or the publishing
runs)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from conftest import run_tasks
from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.participation.models import Hearing
from torget.participation.services import hearing_results as services
from torget.participation.tasks_hearing_results import notify_result
from torget.participation.tests.factories import hearing_make, process_make
from torget.participation.tests.test_hearing_results_export import person, statement_make
from torget.participation.views.hearing_results import result_part, staff_result_part

RESULT = "## Endringer\n\nVi flytter **bussholdeplassen** etter innspillene. <script>x()</script>"


@pytest.fixture
def open_hearing(library: Unit) -> Hearing:
    return hearing_make(process_make(library, slug="sentrum"))


@pytest.fixture
def closed_hearing(library: Unit) -> Hearing:
    now = timezone.now()
    return hearing_make(
        process_make(library, slug="sentrum", phases="processing"),
        opens_at=now - datetime.timedelta(days=20),
        closes_at=now - datetime.timedelta(hours=2),
    )


def _url(hearing: Hearing) -> str:
    return f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/resultat/"


def _public(hearing: Hearing) -> str:
    return f"/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/"


# --- the rules of the service ----------------------------------------------------------------


def test_the_result_cannot_be_published_before_the_closing_date(
    open_hearing: Hearing, communicator: User
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.result_publish(hearing=open_hearing, actor=communicator, text=RESULT)
    with translation.override("en"):
        assert "when the hearing has closed" in str(refused.value.messages[0])
    open_hearing.refresh_from_db()
    assert open_hearing.result == "" and open_hearing.result_published_at is None


def test_only_who_manages_the_process_publishes(
    closed_hearing: Hearing, case_officer: User, moderator: User, resident: User
) -> None:
    for actor in (case_officer, moderator, resident):
        with pytest.raises(PermissionDenied):
            services.result_publish(hearing=closed_hearing, actor=actor, text=RESULT)
        with pytest.raises(PermissionDenied):
            services.result_unpublish(hearing=closed_hearing, actor=actor)
    closed_hearing.refresh_from_db()
    assert closed_hearing.result_published_at is None


def test_publish_edit_and_unpublish(
    closed_hearing: Hearing, communicator: User, admin: User
) -> None:
    published = services.result_publish(hearing=closed_hearing, actor=communicator, text=RESULT)
    first = published.result_published_at
    assert first is not None and published.result == RESULT
    assert published.result_changed_by == communicator and published.result_changed_at == first
    edited = services.result_publish(
        hearing=closed_hearing, actor=communicator, text="Ny tekst om bussen."
    )
    assert edited.result == "Ny tekst om bussen."
    assert edited.result_published_at == first  # an edit keeps the date it was published
    hidden = services.result_unpublish(hearing=closed_hearing, actor=admin)
    assert hidden.result_published_at is None
    assert hidden.result == "Ny tekst om bussen."  # kept as a draft
    hidden.refresh_from_db()
    assert hidden.result_changed_by == admin and hidden.result_changed_at > first
    with pytest.raises(ValidationError):
        services.result_publish(hearing=closed_hearing, actor=communicator, text="   ")


# --- the pages -------------------------------------------------------------------------------


def test_the_published_result_is_on_the_public_hearing_page(
    client: Client, closed_hearing: Hearing, communicator: User
) -> None:
    page = client.get(_public(closed_hearing)).content.decode()
    assert "How your input was used" not in page and "bussholdeplassen" not in page
    services.result_publish(hearing=closed_hearing, actor=communicator, text=RESULT)
    page = client.get(_public(closed_hearing), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="resultat"' in page
    assert "How your input was used" in page
    assert "Vi flytter <strong>bussholdeplassen</strong> etter innspillene." in page
    assert "<h3>Endringer</h3>" in page  # below the part's own h2
    assert "<script>" not in page and "&lt;script&gt;" in page
    published = timezone.localdate(closed_hearing.result_published_at or timezone.now())
    assert f"Published {published.day} {published.strftime('%B')} {published.year}" in page
    services.result_unpublish(hearing=closed_hearing, actor=communicator)
    page = client.get(_public(closed_hearing)).content.decode()
    assert "bussholdeplassen" not in page


def test_result_part_is_empty_until_published(closed_hearing: Hearing, communicator: User) -> None:
    request = RequestFactory().get("/")
    assert result_part(request, closed_hearing) == ""
    request.user = communicator
    with translation.override("en"):
        staff = staff_result_part(request, closed_hearing)
    assert "Publish the result" in staff and "eksport.csv" in staff and "eksport/" in staff
    assert "Prepare PDF of all statements" in staff
    assert "Unpublish the result" not in staff


def test_staff_publish_through_the_form_and_return_to_the_staff_hearing_page(
    client: Client, closed_hearing: Hearing, communicator: User
) -> None:
    client.force_login(communicator)
    staff_page = f"/ansatt/medvirkning/sentrum/horing/{closed_hearing.pk}/"
    page = client.get(staff_page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'action="{_url(closed_hearing)}"' in page and "Publish the result" in page
    response = client.post(
        _url(closed_hearing), {"text": RESULT, "action": "publish", "next": staff_page}
    )
    assert response.status_code == 302 and response["Location"] == staff_page
    closed_hearing.refresh_from_db()
    assert closed_hearing.result == RESULT and closed_hearing.result_published_at is not None
    page = client.get(staff_page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Unpublish the result" in page and "Save changes" in page
    assert f"by {communicator}." in page and "Last changed " in page
    response = client.post(_url(closed_hearing), {"action": "unpublish", "next": staff_page})
    assert response.status_code == 302
    closed_hearing.refresh_from_db()
    assert closed_hearing.result_published_at is None and closed_hearing.result == RESULT


def test_publishing_before_closing_answers_422_and_keeps_the_text(
    client: Client, open_hearing: Hearing, communicator: User
) -> None:
    client.force_login(communicator)
    response = client.post(
        _url(open_hearing),
        {"text": "Et utkast vi ikke vil miste", "action": "publish"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "The result can be published when the hearing has closed" in page
    assert "Et utkast vi ikke vil miste</textarea>" in page
    assert 'class="error-summary"' in page
    open_hearing.refresh_from_db()
    assert open_hearing.result_published_at is None


def test_an_empty_result_answers_422_next_to_the_field(
    client: Client, closed_hearing: Hearing, communicator: User
) -> None:
    client.force_login(communicator)
    response = client.post(
        _url(closed_hearing), {"text": "  ", "action": "publish"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#id_text"' in page and "Write how the input was used." in page
    assert 'aria-invalid="true"' in page


def test_others_may_not_publish(
    client: Client,
    closed_hearing: Hearing,
    resident: User,
    case_officer: User,
    moderator: User,
) -> None:
    client.force_login(resident)
    assert client.post(_url(closed_hearing), {"text": RESULT}).status_code == 403
    for staff in (case_officer, moderator):
        client.force_login(staff)
        assert client.post(_url(closed_hearing), {"text": RESULT}).status_code == 404
        assert client.get(_url(closed_hearing)).status_code == 404
    closed_hearing.refresh_from_db()
    assert closed_hearing.result == "" and closed_hearing.result_published_at is None


# --- the e-mail ------------------------------------------------------------------------------


@pytest.fixture
def submitters(library: Unit) -> tuple[Hearing, dict[str, User]]:
    """An open hearing with statements from three people (one gave two, one a private one, one
    in English), then closed."""
    hearing = hearing_make(process_make(library, slug="sentrum"))
    people = {
        "kari": person("kari@example.no", "Kari Nordmann"),
        "ola": person("ola@example.no", "Ola Nordmann"),
        "jane": person("jane@example.com", "Jane Doe", language="en"),
    }
    statement_make(hearing, people["kari"], "Første uttalelse fra Kari.")
    statement_make(hearing, people["ola"], "Ola vil ikke vise dette.", public=False)
    statement_make(hearing, people["kari"], "Andre uttalelse fra Kari.")
    statement_make(hearing, people["jane"], "Jane's statement.")
    Hearing.objects.filter(pk=hearing.pk).update(
        closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    hearing.refresh_from_db()
    return hearing, people


def test_each_submitter_gets_one_email_however_often_it_runs(
    submitters: tuple[Hearing, dict[str, User]], communicator: User, smtp_server: Any
) -> None:
    hearing, _people = submitters
    services.result_publish(hearing=hearing, actor=communicator, text=RESULT)
    run_tasks()
    mails = smtp_server.wait_for(3)
    assert sorted(m["To"] for m in mails) == [
        "jane@example.com",
        "kari@example.no",
        "ola@example.no",
    ]
    by_to = {m["To"]: m for m in mails}
    kari = by_to["kari@example.no"]
    body = kari.get_body(preferencelist=("plain",)).get_content()
    assert "Kari Nordmann," in body.splitlines()[0]
    assert "1, 3" in body  # both her statements, in one e-mail
    assert f"http://testserver/medvirkning/sentrum/horing/{hearing.pk}/#resultat" in body
    assert "bussholdeplassen" in body
    jane = by_to["jane@example.com"]
    assert jane["Subject"].strip() == f'How your input to "{hearing.title}" was used'
    assert jane["Message-ID"].startswith(f"<hearing-result-{hearing.pk}-")
    # The task again, directly and through the queue; then unpublish, edit and publish again.
    assert notify_result.call(hearing.pk) == 0
    services.result_publish(hearing=hearing, actor=communicator, text="Rettet tekst.")
    services.result_unpublish(hearing=hearing, actor=communicator)
    services.result_publish(hearing=hearing, actor=communicator, text="Publisert igjen.")
    run_tasks()
    assert notify_result.call(hearing.pk) == 0
    assert len(smtp_server.messages) == 3


def test_no_email_while_the_result_is_not_published(
    submitters: tuple[Hearing, dict[str, User]], smtp_server: Any
) -> None:
    hearing, _people = submitters
    assert notify_result.call(hearing.pk) == 0
    assert smtp_server.messages == []

"""The PDF of a hearing's statements is prepared in the background: staff ask for it, a task
builds it, and a page of its own lists it with its status and a link to download it.

The build is safe to run twice, a failed build says why and can be asked for again, a build
lost with its worker is enqueued again once stale, only the newest exports are kept, and only
the staff who manage the hearing's process see or fetch any of it."""

from __future__ import annotations

import datetime
import io
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from conftest import run_tasks
from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.participation import export, tasks_exports
from torget.participation.models import Hearing, HearingExport
from torget.participation.services import exports as services
from torget.participation.tests.factories import hearing_make, process_make
from torget.participation.tests.test_hearing_results_export import (
    pdf_bytes,
    person,
    statement_make,
)

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
Status = HearingExport.Status


@pytest.fixture
def hearing(library: Unit) -> Hearing:
    """A closed hearing of the library with two statements, one carrying a PDF."""
    process = process_make(library, slug="sentrum", phases="processing")
    now = timezone.now()
    hearing = hearing_make(
        process,
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=1),
    )
    statement_make(
        hearing,
        person("ola@example.no", "Ola Nordmann"),
        "Bygg fortau langs Storgata, kjennetegn Ord001kvist.",
        attachments=[("skisse.pdf", "application/pdf", pdf_bytes("Vedleggsordet Multe"))],
    )
    statement_make(
        hearing,
        person("kari@example.no", "Kari Nordmann"),
        "Flere benker ved torget, kjennetegn Ord002kvist.",
        public=False,
    )
    return hearing


@pytest.fixture
def other_hearing(library: Unit) -> Hearing:
    process = process_make(library, slug="havna", phases="processing")
    return hearing_make(process, title="Høring om havna")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def export_files(hearing: Hearing) -> list[str]:
    try:
        _folders, names = default_storage.listdir(f"participation/exports/{hearing.pk}")
    except FileNotFoundError:
        return []
    return sorted(names)


def queued() -> int:
    return DBTaskResult.objects.ready().count()


def ask(hearing: Hearing, actor: User, capture: Any, language: str = "en") -> HearingExport:
    """export_request, with its after-commit enqueue run (tests run inside a transaction)."""
    with capture(execute=True):
        return services.export_request(hearing=hearing, actor=actor, language=language)


# --- the service and the task ------------------------------------------------------------------


def test_export_request_makes_a_pending_export_that_the_task_builds(
    hearing: Hearing, communicator: User, django_capture_on_commit_callbacks: Any
) -> None:
    made = ask(hearing, communicator, django_capture_on_commit_callbacks)
    assert (made.status, made.file.name, made.requested_by, made.language) == (
        Status.PENDING,
        "",
        communicator,
        "en",
    )
    assert queued() == 1
    assert run_tasks() == 1
    made.refresh_from_db()
    assert made.status == Status.READY and made.finished_at is not None and made.error == ""
    assert made.statements == 2
    assert made.file.name.startswith(f"participation/exports/{hearing.pk}/{made.pk}-")
    with made.file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF") and made.size == len(data)
    text = pdf_text(data)
    assert "Statement 1" in text and "Ord001kvist" in text
    assert "Statement 2" in text and "Ord002kvist" in text  # the private one too
    assert "Vedleggsordet Multe side 1" in text  # the attached PDF is in the bundle


def test_a_second_request_while_pending_reuses_the_export_and_enqueues_nothing(
    hearing: Hearing, communicator: User, admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    first = ask(hearing, communicator, django_capture_on_commit_callbacks)
    again = ask(hearing, admin, django_capture_on_commit_callbacks)
    assert again.pk == first.pk and queued() == 1
    # Another language is another document.
    norwegian = ask(hearing, communicator, django_capture_on_commit_callbacks, language="nb")
    assert norwegian.pk != first.pk and queued() == 2
    assert run_tasks() == 2
    # Once ready, asking again prepares a new one (statements may have come or been answered).
    fresh = ask(hearing, communicator, django_capture_on_commit_callbacks)
    assert fresh.pk not in (first.pk, norwegian.pk) and fresh.status == Status.PENDING


def test_the_build_run_twice_leaves_one_file_and_one_ready_export(
    hearing: Hearing, communicator: User, django_capture_on_commit_callbacks: Any
) -> None:
    made = ask(hearing, communicator, django_capture_on_commit_callbacks)
    # The same build on the queue twice (say, enqueued again while the first was waiting).
    tasks_exports.build_hearing_export.enqueue(export_id=made.pk)
    assert run_tasks() == 2
    made.refresh_from_db()
    assert made.status == Status.READY
    assert export_files(hearing) == [Path(made.file.name).name]
    built_at = made.finished_at
    again = services.export_build(export_id=made.pk)
    assert again is not None and again.finished_at == built_at and again.file == made.file
    assert export_files(hearing) == [Path(made.file.name).name]
    assert HearingExport.objects.filter(hearing=hearing).count() == 1


def test_a_build_of_an_export_deleted_meanwhile_does_nothing(
    hearing: Hearing, communicator: User, django_capture_on_commit_callbacks: Any
) -> None:
    made = ask(hearing, communicator, django_capture_on_commit_callbacks)
    HearingExport.objects.filter(pk=made.pk).delete()
    assert services.export_build(export_id=made.pk) is None
    assert export_files(hearing) == []


def test_a_failing_build_is_marked_failed_with_its_error_and_asking_again_makes_a_new_one(
    hearing: Hearing,
    communicator: User,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("the font file is missing")

    monkeypatch.setattr(export, "statements_pdf", broken)
    made = ask(hearing, communicator, django_capture_on_commit_callbacks)
    with caplog.at_level(logging.ERROR, logger="torget.participation.services.exports"):
        assert run_tasks() == 1
    made.refresh_from_db()
    assert made.status == Status.FAILED and made.file.name == ""
    assert made.error == "RuntimeError: the font file is missing"
    assert f"hearing export {made.pk} of hearing {hearing.pk} failed" in caplog.text
    assert "the font file is missing" in caplog.text  # with the traceback
    # A failed export stays failed: running its build again changes nothing.
    assert services.export_build(export_id=made.pk).status == Status.FAILED  # type: ignore[union-attr]
    monkeypatch.undo()
    retry = ask(hearing, communicator, django_capture_on_commit_callbacks)
    assert retry.pk != made.pk and retry.status == Status.PENDING
    assert run_tasks() == 1
    retry.refresh_from_db()
    assert retry.status == Status.READY


def test_a_stale_pending_export_is_enqueued_again_once(
    hearing: Hearing, communicator: User, django_capture_on_commit_callbacks: Any
) -> None:
    """A worker killed during the build leaves the export pending with no task left: the next
    request after STALE_PENDING enqueues it again, and only that one."""
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        made = ask(hearing, communicator, django_capture_on_commit_callbacks)
        DBTaskResult.objects.all().delete()  # the task is lost with its worker
        clock.shift(services.STALE_PENDING - datetime.timedelta(seconds=1))
        assert ask(hearing, communicator, django_capture_on_commit_callbacks).pk == made.pk
        assert queued() == 0  # not stale yet
        clock.shift(datetime.timedelta(seconds=2))
        assert ask(hearing, communicator, django_capture_on_commit_callbacks).pk == made.pk
        assert queued() == 1
        made.refresh_from_db()
        assert made.enqueued_at == timezone.now()
        assert ask(hearing, communicator, django_capture_on_commit_callbacks).pk == made.pk
        assert queued() == 1  # enqueued once, and fresh again
    assert run_tasks() == 1
    made.refresh_from_db()
    assert made.status == Status.READY


def test_only_the_newest_exports_of_a_hearing_are_kept_with_their_files(
    hearing: Hearing,
    other_hearing: Hearing,
    communicator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    elsewhere = ask(other_hearing, communicator, django_capture_on_commit_callbacks)
    made = []
    for _ in range(services.KEEP + 2):
        made.append(ask(hearing, communicator, django_capture_on_commit_callbacks))
        run_tasks()
    kept = list(HearingExport.objects.filter(hearing=hearing).order_by("pk"))
    assert [e.pk for e in kept] == [e.pk for e in made[-services.KEEP :]]
    assert export_files(hearing) == sorted(Path(e.file.name).name for e in kept)
    assert HearingExport.objects.filter(pk=elsewhere.pk).exists()


def test_only_staff_who_manage_the_process_may_ask(
    hearing: Hearing, case_officer: User, resident: User
) -> None:
    from django.core.exceptions import PermissionDenied

    for user in (case_officer, resident):
        with pytest.raises(PermissionDenied):
            services.export_request(hearing=hearing, actor=user, language="en")
    assert not HearingExport.objects.exists()


# --- the pages ---------------------------------------------------------------------------------


def _url(hearing: Hearing, suffix: str = "") -> str:
    return f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/{suffix}"


def test_staff_prepare_the_pdf_check_its_status_and_download_it(
    client: Client,
    hearing: Hearing,
    communicator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(communicator)
    staff_page = client.get(_url(hearing), **EN).content.decode()
    assert f'action="{_url(hearing, "eksport/")}"' in staff_page
    assert "Prepare PDF of all statements" in staff_page
    assert "eksport.pdf" not in staff_page

    page = client.get(_url(hearing, "eksport/"), **EN).content.decode()
    assert "No PDF has been prepared yet." in page and "Check again" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(hearing, "eksport/"), **EN)
    made = HearingExport.objects.get(hearing=hearing)
    assert response.status_code == 302
    assert response["Location"] == _url(hearing, f"eksport/#eksport-{made.pk}")

    response = client.get(_url(hearing, "eksport/"), **EN)
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    assert "Being prepared" in page and "Check again" in page
    assert f"by {communicator.name or communicator.email}:" in page
    assert 'http-equiv="refresh"' not in page  # no timed refresh (WCAG 2.2.1)
    assert _url(hearing, f"eksport/{made.pk}.pdf") not in page
    assert client.get(_url(hearing, f"eksport/{made.pk}.pdf")).status_code == 404  # not ready

    run_tasks()
    made.refresh_from_db()
    page = client.get(_url(hearing, "eksport/"), **EN).content.decode()
    assert "Being prepared" not in page and "Check again" not in page
    assert "Ready — download (PDF, " in page and "2 statements." in page
    assert f'href="{_url(hearing, f"eksport/{made.pk}.pdf")}"' in page

    response = client.get(_url(hearing, f"eksport/{made.pk}.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="horing-sentrum-{hearing.pk}-uttalelser.pdf"'
    )
    assert response["Cache-Control"].startswith("private, no-store")
    assert response["X-Content-Type-Options"] == "nosniff"
    data = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert "Ord002kvist" in pdf_text(data)

    # The old address of the PDF leads to this page.
    old = client.get(_url(hearing, "eksport.pdf"))
    assert old.status_code == 302 and old["Location"] == _url(hearing, "eksport/")


def test_the_page_says_why_a_build_failed_and_offers_to_try_again(
    client: Client,
    hearing: Hearing,
    communicator: User,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("the font file is missing")

    monkeypatch.setattr(export, "statements_pdf", broken)
    client.force_login(communicator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(hearing, "eksport/"), **EN)
    run_tasks()
    page = client.get(_url(hearing, "eksport/"), **EN).content.decode()
    assert "Failed: RuntimeError: the font file is missing." in page
    assert "Try again with the button above." in page
    assert "Check again" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(hearing, "eksport/"), **EN)
    statuses = list(HearingExport.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [Status.FAILED, Status.PENDING]


def test_a_stale_export_is_shown_as_late_with_the_way_to_start_it_again(
    client: Client,
    hearing: Hearing,
    communicator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    made = ask(hearing, communicator, django_capture_on_commit_callbacks)
    HearingExport.objects.filter(pk=made.pk).update(
        enqueued_at=timezone.now() - services.STALE_PENDING - datetime.timedelta(minutes=1)
    )
    client.force_login(communicator)
    page = client.get(_url(hearing, "eksport/"), **EN).content.decode()
    assert "Still being prepared, longer than it should take." in page
    assert "Press the button above to start it again." in page


def test_an_export_of_another_hearing_is_not_found_under_this_one(
    client: Client,
    hearing: Hearing,
    other_hearing: Hearing,
    communicator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    made = ask(other_hearing, communicator, django_capture_on_commit_callbacks)
    run_tasks()
    client.force_login(communicator)
    assert client.get(_url(other_hearing, f"eksport/{made.pk}.pdf")).status_code == 200
    assert client.get(_url(hearing, f"eksport/{made.pk}.pdf")).status_code == 404
    page = client.get(_url(hearing, "eksport/"), **EN).content.decode()
    assert f"eksport-{made.pk}" not in page and "No PDF has been prepared yet." in page


@pytest.mark.parametrize("who", ["resident", "case_officer", "anonymous"])
def test_others_get_neither_the_page_nor_the_pdf_and_ask_for_nothing(
    client: Client,
    hearing: Hearing,
    communicator: User,
    resident: User,
    case_officer: User,
    django_capture_on_commit_callbacks: Any,
    who: str,
) -> None:
    made = ask(hearing, communicator, django_capture_on_commit_callbacks)
    run_tasks()
    if who != "anonymous":
        client.force_login(resident if who == "resident" else case_officer)
    expected = {"resident": 403, "case_officer": 404, "anonymous": 302}[who]
    for method, suffix in (
        ("get", "eksport/"),
        ("post", "eksport/"),
        ("get", f"eksport/{made.pk}.pdf"),
        ("get", "eksport.pdf"),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(_url(hearing, suffix))
        assert response.status_code == expected, (method, suffix)
        if who == "anonymous":
            assert response["Location"].startswith("/konto/login/")
        assert not response.streaming and b"Ord001kvist" not in response.content
        assert b"Ready" not in response.content
    assert list(HearingExport.objects.values_list("pk", flat=True)) == [made.pk]
    assert queued() == 0


# --- the e-mail when it took long -------------------------------------------------------------


def test_whoever_asked_is_emailed_once_when_the_build_took_more_than_a_minute(
    hearing: Hearing,
    communicator: User,
    django_capture_on_commit_callbacks: Any,
    smtp_server: Any,
) -> None:
    communicator.language = "en"
    communicator.save(update_fields=["language"])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        made = ask(hearing, communicator, django_capture_on_commit_callbacks)
        clock.shift(services.NOTIFY_AFTER + datetime.timedelta(seconds=5))  # a long queue
        assert run_tasks() == 1
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == communicator.email
    # (The parser keeps the space the folded, encoded header starts with.)
    assert mail["Subject"].strip() == f'The PDF of the statements to "{hearing.title}" is ready'
    number = hearing.process.municipality.number
    assert mail["Message-ID"] == f"<hearing-export-{made.pk}@torget.{number}>"
    body = mail.get_content()
    assert "that you asked for is ready" in body
    assert f"/ansatt/medvirkning/sentrum/horing/{hearing.pk}/eksport/#eksport-{made.pk}" in body
    made.refresh_from_db()
    assert made.notified_at is not None
    # The task run again (say, enqueued twice) sends nothing more.
    tasks_exports.build_hearing_export.enqueue(export_id=made.pk)
    assert run_tasks() == 1
    assert services.export_notify(export_id=made.pk) is False
    assert len(smtp_server.messages) == 1


def test_a_failed_long_build_is_emailed_with_its_error(
    hearing: Hearing,
    communicator: User,
    django_capture_on_commit_callbacks: Any,
    smtp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("the font file is missing")

    monkeypatch.setattr(export, "statements_pdf", broken)
    communicator.language = "en"
    communicator.save(update_fields=["language"])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        ask(hearing, communicator, django_capture_on_commit_callbacks)
        clock.shift(services.NOTIFY_AFTER + datetime.timedelta(seconds=5))
        run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert mail["Subject"].strip() == (
        f'The PDF of the statements to "{hearing.title}" could not be prepared'
    )
    assert "could not be prepared (RuntimeError: the font file is missing)" in mail.get_content()


def test_a_quick_build_sends_no_email(
    hearing: Hearing,
    communicator: User,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[Any],
) -> None:
    made = ask(hearing, communicator, django_capture_on_commit_callbacks)
    assert run_tasks() == 1
    made.refresh_from_db()
    assert made.status == Status.READY and made.notified_at is None
    assert mailoutbox == []


def test_a_file_no_export_names_is_swept_by_the_next_request_once_a_day_old(
    hearing: Hearing, communicator: User, django_capture_on_commit_callbacks: Any
) -> None:
    """A build killed between writing its file and flipping the export leaves a file behind."""
    folder = Path(default_storage.path(f"participation/exports/{hearing.pk}"))
    folder.mkdir(parents=True)
    old, fresh = folder / "1-dead.pdf", folder / "2-building.pdf"
    for path in (old, fresh):
        path.write_bytes(b"%PDF-1.4\n")
    day_ago = (timezone.now() - services.ORPHAN_AGE - datetime.timedelta(minutes=1)).timestamp()
    os.utime(old, (day_ago, day_ago))
    made = ask(hearing, communicator, django_capture_on_commit_callbacks)
    assert export_files(hearing) == ["2-building.pdf"]
    run_tasks()
    made.refresh_from_db()
    assert export_files(hearing) == sorted(["2-building.pdf", Path(made.file.name).name])

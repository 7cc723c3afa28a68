"""The staff process pages: who may use them, creating and editing a process, the phases form,
and the documents (upload refusals keep what was typed, move, delete)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import UserFactory
from torget.accounts.models import User
from torget.accounts.services import user_activate_totp
from torget.organisation import services as org
from torget.organisation.models import Role, Unit
from torget.pages import files
from torget.participation.models import Process, ProcessDocument
from torget.participation.services import processes as services
from torget.participation.tests.factories import process_make

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF_BYTES = b"%PDF-1.4\n" + b"1" * 5000 + b"\n%%EOF\n"


def _main(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error"><li>(.*?)</li>', html, re.S)
    assert found, f"no error at {field}"
    return found.group(1)


@pytest.fixture
def process(library: Unit) -> Process:
    return process_make(library, slug="veisystemet", title="Veisystemet i sentrum")


@pytest.fixture
def school_process(school: Unit) -> Process:
    return process_make(school, slug="skolevei", title="Trygg skolevei", published=False)


# --- who may ----------------------------------------------------------------------------------


def test_staff_list_shows_processes_of_the_viewers_units_drafts_included(
    client: Client, communicator: User, process: Process, school_process: Process, library: Unit
) -> None:
    process_make(library, slug="utkast", title="Bibliotekets utkast", published=False)
    client.force_login(communicator)
    html = _main(client.get("/ansatt/medvirkning/", **EN).text)
    assert "Veisystemet i sentrum" in html
    assert "Bibliotekets utkast" in html and "Draft" in html
    assert "Trygg skolevei" not in html
    assert 'href="/ansatt/medvirkning/ny/">New process</a>' in html


@pytest.mark.parametrize("who", ["case_officer", "moderator", "resident"])
def test_staff_pages_are_403_without_a_manager_role(
    client: Client, request: pytest.FixtureRequest, who: str, process: Process
) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get("/ansatt/medvirkning/").status_code == 403
    assert client.get("/ansatt/medvirkning/veisystemet/").status_code == 403


def test_staff_pages_send_visitors_to_log_in(client: Client, process: Process) -> None:
    response = client.get("/ansatt/medvirkning/veisystemet/")
    assert (
        response.status_code == 302
        and "next=/ansatt/medvirkning/veisystemet/" in response["Location"]
    )


def test_communicator_of_another_unit_gets_403_and_changes_nothing(
    client: Client, communicator: User, school_process: Process
) -> None:
    phases = list(school_process.phases.values_list("kind", "starts_on", "ends_on"))
    client.force_login(communicator)
    assert client.get("/ansatt/medvirkning/skolevei/").status_code == 403
    response = client.post(
        "/ansatt/medvirkning/skolevei/rediger/",
        {"unit": school_process.unit_id, "kind": "project", "title": "Kapret", "slug": "skolevei"},
    )
    assert response.status_code == 403
    response = client.post(
        "/ansatt/medvirkning/skolevei/faser/",
        {"input_starts_on": "2027-01-01", "input_ends_on": "2027-01-31"},
    )
    assert response.status_code == 403
    school_process.refresh_from_db()
    assert school_process.title == "Trygg skolevei"
    assert list(school_process.phases.values_list("kind", "starts_on", "ends_on")) == phases
    assert client.get("/ansatt/medvirkning/finnes-ikke/").status_code == 404


def test_a_communicator_above_the_unit_and_a_unit_admin_may_manage(
    client: Client, root_unit: Unit, admin: User, process: Process
) -> None:
    chief = UserFactory(email="kommunikasjonssjef@example.no")
    org.membership_grant(user=chief, unit=root_unit, role=Role.COMMUNICATOR)
    user_activate_totp(user=chief, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    for user in (chief, admin):
        client.force_login(user)
        html = _main(client.get("/ansatt/medvirkning/veisystemet/", **EN).text)
        assert "<h1>Veisystemet i sentrum</h1>" in html
        assert 'href="/ansatt/medvirkning/veisystemet/faser/">Phases</a>' in html


def test_service_refuses_an_actor_who_does_not_run_the_process(
    school_process: Process, communicator: User
) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.phases_set(process=school_process, actor=communicator, phases=[])
    with pytest.raises(PermissionDenied):
        services.process_create(
            unit=school_process.unit,
            actor=communicator,
            fields=services.ProcessFields(title="X", slug="x", kind="project"),
        )


# --- creating and editing ---------------------------------------------------------------------


def test_create_a_process_as_a_draft_then_set_phases_then_publish(
    client: Client, communicator: User, library: Unit
) -> None:
    client.force_login(communicator)
    response = client.post(
        "/ansatt/medvirkning/ny/",
        {
            "unit": library.pk,
            "kind": "project",
            "title": "Gamle industriområdet blir boliger",
            "slug": "industriomradet",
            "summary": "Nye boliger.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/ansatt/medvirkning/industriomradet/faser/"
    made = Process.objects.get(slug="industriomradet")
    assert (made.unit, made.is_published) == (library, False)
    response = client.post(
        "/ansatt/medvirkning/industriomradet/faser/",
        {
            "information_starts_on": "2027-01-01",
            "information_ends_on": "2027-01-14",
            "input_starts_on": "2027-01-15",
            "input_ends_on": "2027-02-15",
            "input_description": "Send forslag og støtt andres.",
        },
    )
    assert response.status_code == 302
    assert list(made.phases.values_list("kind", flat=True)) == ["information", "input"]
    response = client.post(
        "/ansatt/medvirkning/industriomradet/rediger/",
        {
            "unit": library.pk,
            "kind": "project",
            "title": "Gamle industriområdet blir boliger",
            "slug": "industriomradet",
            "summary": "Nye boliger.",
            "is_published": "on",
        },
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.is_published


def test_create_refuses_a_taken_slug_and_keeps_the_input(
    client: Client, communicator: User, library: Unit, process: Process
) -> None:
    client.force_login(communicator)
    response = client.post(
        "/ansatt/medvirkning/ny/",
        {
            "unit": library.pk,
            "kind": "topic",
            "title": "Et nytt veiprosjekt",
            "slug": "veisystemet",
            "summary": "Tekst som ikke må gå tapt",
        },
        **EN,
    )
    assert response.status_code == 422
    html = response.text
    assert _field_error(html, "slug") == "Another process has this address name. Choose another."
    assert 'value="Et nytt veiprosjekt"' in html
    assert "Tekst som ikke må gå tapt</textarea>" in html
    assert Process.objects.filter(slug="veisystemet").count() == 1


def test_create_refuses_a_unit_the_viewer_does_not_serve(
    client: Client, communicator: User, school: Unit
) -> None:
    client.force_login(communicator)
    response = client.post(
        "/ansatt/medvirkning/ny/",
        {"unit": school.pk, "kind": "project", "title": "Skolen", "slug": "skolen"},
    )
    assert response.status_code == 422
    assert not Process.objects.filter(slug="skolen").exists()


def test_publishing_without_an_input_phase_is_refused_at_the_field(
    client: Client, communicator: User, library: Unit
) -> None:
    process_make(library, slug="utkast", phases=None, published=False)
    client.force_login(communicator)
    response = client.post(
        "/ansatt/medvirkning/utkast/rediger/",
        {
            "unit": library.pk,
            "kind": "project",
            "title": "Utkast",
            "slug": "utkast",
            "is_published": "on",
        },
        **EN,
    )
    assert response.status_code == 422
    assert "needs an input phase" in _field_error(response.text, "is_published")
    assert not Process.objects.get(slug="utkast").is_published


# --- the phases form --------------------------------------------------------------------------


def test_phases_form_shows_the_rule_broken_and_keeps_the_dates(
    client: Client, communicator: User, process: Process
) -> None:
    before = list(process.phases.values_list("kind", "starts_on", "ends_on"))
    client.force_login(communicator)
    response = client.post(
        "/ansatt/medvirkning/veisystemet/faser/",
        {
            "information_starts_on": "2027-01-01",
            "information_ends_on": "2027-01-20",
            "input_starts_on": "2027-01-15",
            "input_ends_on": "2027-02-15",
            "processing_starts_on": "2027-03-01",
            "decision_ends_on": "2027-05-01",
            "input_description": "Beskrivelse som blir",
        },
        **EN,
    )
    assert response.status_code == 422
    html = response.text
    assert "Information ends (20 January 2027)" in _field_error(html, "input_starts_on")
    assert _field_error(html, "processing_ends_on").startswith("Give both the first")
    assert _field_error(html, "decision_starts_on").startswith("Give both the first")
    assert 'value="2027-01-15"' in html and "Beskrivelse som blir</textarea>" in html
    assert 'class="error-summary"' in html and 'href="#id_input_starts_on"' in html
    assert list(process.phases.values_list("kind", "starts_on", "ends_on")) == before


# --- documents --------------------------------------------------------------------------------


def _upload(client: Client, name: str, content: bytes, **data: str) -> Any:
    return client.post(
        "/ansatt/medvirkning/veisystemet/dokumenter/",
        {"file": SimpleUploadedFile(name, content), **data},
        **EN,
    )


def test_upload_adds_a_document_last(client: Client, communicator: User, process: Process) -> None:
    client.force_login(communicator)
    for title in ("Planskisse", "Kart"):
        response = _upload(client, f"{title}.pdf", PDF_BYTES, title=title, description="Fra plan")
        assert response.status_code == 302
    documents = list(ProcessDocument.objects.filter(process=process))
    assert [(d.title, d.position, d.content_type, d.size) for d in documents] == [
        ("Planskisse", 0, "application/pdf", len(PDF_BYTES)),
        ("Kart", 1, "application/pdf", len(PDF_BYTES)),
    ]
    assert documents[0].original_name == "Planskisse.pdf"
    assert documents[0].file.read() == PDF_BYTES


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notat.txt", b"Bare tekst", "is of a type we do not accept. Allowed: PDF, PNG, JPEG"),
        ("side.pdf", b"<html><script>alert(1)</script></html>", "does not match its file type"),
        ("tom.pdf", b"", "is empty"),
    ],
)
def test_upload_refuses_a_wrong_file_and_keeps_title_and_description(
    client: Client, communicator: User, process: Process, name: str, content: bytes, message: str
) -> None:
    client.force_login(communicator)
    response = _upload(client, name, content, title="Min tittel", description="Min beskrivelse")
    assert response.status_code == 422
    assert message in _field_error(response.text, "file")
    assert 'value="Min tittel"' in response.text and 'value="Min beskrivelse"' in response.text
    assert not ProcessDocument.objects.exists()


def test_upload_refuses_a_file_too_large(
    client: Client, communicator: User, process: Process, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_ATTACHMENT_MB", 1)
    client.force_login(communicator)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    response = _upload(client, "stor.pdf", big, title="Stor plan")
    assert response.status_code == 422
    assert "is too large (1.0\xa0MB). The limit is 1.0\xa0MB per file." in _field_error(
        response.text, "file"
    )
    assert 'value="Stor plan"' in response.text
    assert not ProcessDocument.objects.exists()


def test_documents_move_and_delete_after_confirmation(
    client: Client,
    communicator: User,
    process: Process,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(communicator)
    for title in ("A", "B", "C"):
        _upload(client, f"{title}.pdf", PDF_BYTES, title=title)
    a, b, c = ProcessDocument.objects.filter(process=process)
    base = "/ansatt/medvirkning/veisystemet/dokumenter"
    assert client.post(f"{base}/{c.pk}/flytt/", {"direction": "up"}).status_code == 302
    assert [d.title for d in ProcessDocument.objects.filter(process=process)] == ["A", "C", "B"]
    client.post(f"{base}/{a.pk}/flytt/", {"direction": "down"})
    assert [d.title for d in ProcessDocument.objects.filter(process=process)] == ["C", "A", "B"]
    client.post(f"{base}/{c.pk}/flytt/", {"direction": "up"})  # already first: nothing moves
    assert [d.title for d in ProcessDocument.objects.filter(process=process)] == ["C", "A", "B"]

    confirm = client.get(f"{base}/{b.pk}/slett/", **EN)
    assert "<h1>Delete “B”?</h1>" in confirm.text and 'method="post"' in confirm.text
    assert ProcessDocument.objects.filter(pk=b.pk).exists()
    storage, name = b.file.storage, b.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{base}/{b.pk}/slett/").status_code == 302
    assert not ProcessDocument.objects.filter(pk=b.pk).exists()
    assert not storage.exists(name)
    assert [d.title for d in ProcessDocument.objects.filter(process=process)] == ["C", "A"]


def test_document_pages_of_another_units_process_are_403(
    client: Client, communicator: User, school_process: Process
) -> None:
    document = services.document_add(
        process=school_process,
        actor=None,
        upload=SimpleUploadedFile("a.pdf", PDF_BYTES),
        name="a.pdf",
        title="Skolens plan",
    )
    client.force_login(communicator)
    base = f"/ansatt/medvirkning/skolevei/dokumenter/{document.pk}"
    assert client.post(f"{base}/slett/").status_code == 403
    assert client.post(f"{base}/flytt/", {"direction": "down"}).status_code == 403
    assert ProcessDocument.objects.filter(pk=document.pk).exists()

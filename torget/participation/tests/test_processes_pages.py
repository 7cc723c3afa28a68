"""The public process pages: the list, the process page (timeline, what residents can do now,
documents), the document download, and the search index."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from torget.accounts.models import User
from torget.core.models import SearchDocument
from torget.core.search.selectors import search
from torget.organisation.models import Unit
from torget.participation.models import PhaseKind, Process, ProcessDocument, ProcessKind
from torget.participation.services import processes as services
from torget.participation.tests.factories import hearing_make, process_make

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF_BYTES = b"%PDF-1.4\n" + b"0" * (2_400_000) + b"\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048


def _main(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def _add(process: Process, name: str, content: bytes, title: str, **kw: str) -> ProcessDocument:
    return services.document_add(
        process=process,
        actor=None,
        upload=SimpleUploadedFile(name, content),
        name=name,
        title=title,
        description=kw.get("description", ""),
    )


@pytest.fixture
def road(library: Unit) -> Process:
    process = process_make(
        library,
        slug="veisystemet",
        title="Omlegging av veisystemet i sentrum",
        summary="Vi vil flytte **gjennomgangstrafikken** ut av sentrum.\n\n<script>x</script>",
    )
    _add(process, "skisse.pdf", PDF_BYTES, "Planskisse", description="Alternativ A og B")
    _add(process, "kart.png", PNG_BYTES, "Kart over sentrum")
    return process


def test_process_list_shows_published_processes_with_their_phase(
    client: Client, road: Process, library: Unit
) -> None:
    process_make(library, slug="utkast", title="Hemmelig utkast", published=False)
    html = _main(client.get("/medvirkning/", **EN).text)
    assert "Omlegging av veisystemet i sentrum" in html
    assert "Testvik bibliotek" in html
    assert "Now: Input" in html
    assert "You can give input until" in html
    assert "Hemmelig utkast" not in html


def test_process_list_filters_by_kind(client: Client, road: Process, library: Unit) -> None:
    process_make(library, slug="framtida", title="Testvik 2040", kind=ProcessKind.FUTURE)
    html = _main(client.get("/medvirkning/?type=future", **EN).text)
    assert "Testvik 2040" in html
    assert "Omlegging av veisystemet" not in html
    assert '<option value="future" selected>' in html


def test_process_list_has_an_empty_state_and_pages(client: Client, library: Unit) -> None:
    html = _main(client.get("/medvirkning/", **EN).text)
    assert "No participation processes right now." in html
    for number in range(21):
        process_make(library, slug=f"prosess-{number}", phases=None)
    first = _main(client.get("/medvirkning/", **EN).text)
    assert first.count('class="post-card"') == 20
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    second = _main(client.get("/medvirkning/?page=2", **EN).text)
    assert second.count('class="post-card"') == 1
    assert "Dates not set" in second


def test_process_page_shows_the_timeline_with_the_current_phase(
    client: Client, road: Process
) -> None:
    html = _main(client.get("/medvirkning/veisystemet/", **EN).text)
    assert '<h1 id="process-title">Omlegging av veisystemet i sentrum</h1>' in html
    assert "<strong>gjennomgangstrafikken</strong>" in html
    assert "<script>x</script>" not in html
    timeline = html.split('id="timeline-heading"', 1)[1].split("</ol>", 1)[0]
    kinds = re.findall(r"<strong>(\w+)</strong>", timeline)
    assert kinds == ["Information", "Input", "Processing", "Decision"]
    current = re.findall(
        r'<li aria-current="step">\s*<strong>(\w+)</strong> <span[^>]*>Now</span>', timeline
    )
    assert current == ["Input"]
    ends = road.phases.get(kind=PhaseKind.INPUT).ends_on
    assert f"You can give input until {ends.day} {ends.strftime('%B')} {ends.year}." in html


def test_process_page_says_when_input_opens(client: Client, library: Unit) -> None:
    process = process_make(library, slug="snart", phases="information")
    starts = process.phases.get(kind=PhaseKind.INPUT).starts_on
    html = _main(client.get("/medvirkning/snart/", **EN).text)
    assert f"You can give input from {starts.day} {starts.strftime('%B')} {starts.year}." in html
    assert "Now: Information" not in html  # the badge is for lists; the page marks the step
    assert re.search(r'<li aria-current="step">\s*<strong>Information</strong>', html)


def test_process_page_lists_documents_with_type_and_size(client: Client, road: Process) -> None:
    html = _main(client.get("/medvirkning/veisystemet/", **EN).text)
    documents = html.split('id="documents-heading"', 1)[1]
    pdf = ProcessDocument.objects.get(process=road, title="Planskisse")
    assert f'href="/medvirkning/veisystemet/dokument/{pdf.pk}/">Planskisse</a>' in documents
    assert "(PDF, 2.3\xa0MB)" in documents
    assert "(PNG image, 2.0\xa0KB)" in documents
    assert "Alternativ A og B" in documents
    assert documents.index("Planskisse") < documents.index("Kart over sentrum")


def test_unpublished_process_is_404_except_for_those_who_run_it(
    client: Client, library: Unit, communicator: User, resident: User
) -> None:
    process_make(library, slug="utkast", published=False)
    assert client.get("/medvirkning/utkast/").status_code == 404
    client.force_login(resident)
    assert client.get("/medvirkning/utkast/").status_code == 404
    client.force_login(communicator)
    html = _main(client.get("/medvirkning/utkast/", **EN).text)
    assert "This process is not published. Only those who run it can see it." in html


def test_document_download_sends_the_bytes_with_safe_headers(client: Client, road: Process) -> None:
    pdf = ProcessDocument.objects.get(process=road, title="Planskisse")
    response = client.get(f"/medvirkning/veisystemet/dokument/{pdf.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="skisse.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_document_download_of_an_office_file_is_an_attachment(
    client: Client, road: Process
) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    document = _add(road, "Høringsnotat.docx", buffer.getvalue(), "Høringsnotat")
    response = client.get(f"/medvirkning/veisystemet/dokument/{document.pk}/")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "H%C3%B8ringsnotat.docx" in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_document_of_another_or_unpublished_process_is_404(
    client: Client, road: Process, library: Unit
) -> None:
    other = process_make(library, slug="annen")
    pdf = ProcessDocument.objects.get(process=road, title="Planskisse")
    assert client.get(f"/medvirkning/{other.slug}/dokument/{pdf.pk}/").status_code == 404
    Process.objects.filter(pk=road.pk).update(is_published=False)
    assert client.get(f"/medvirkning/veisystemet/dokument/{pdf.pk}/").status_code == 404


def test_search_finds_a_published_process_and_not_a_draft(
    library: Unit, communicator: User
) -> None:
    draft = services.process_create(
        unit=library,
        actor=communicator,
        fields=services.ProcessFields(
            title="Gamle industriområdet blir boliger",
            slug="industriomradet",
            kind=ProcessKind.PROJECT,
            summary="Nye boliger ved elva.",
        ),
    )
    municipality_id = library.municipality_id

    def found() -> list[str]:
        results = search(municipality_id=municipality_id, query="industriområdet", language="nb")
        return [hit.url for group in results.groups for hit in group.hits]

    assert found() == []
    today = timezone.localdate()
    services.phases_set(
        process=draft,
        actor=communicator,
        phases=[
            services.PhaseDates(
                kind="input", starts_on=today, ends_on=today + datetime.timedelta(days=30)
            )
        ],
    )
    services.process_update(
        process=draft,
        actor=communicator,
        fields=services.ProcessFields(
            title=draft.title,
            slug=draft.slug,
            kind=draft.kind,
            summary=draft.summary,
            is_published=True,
        ),
    )
    assert found() == ["/medvirkning/industriomradet/"]
    assert SearchDocument.objects.get(kind="process", object_id=draft.pk).unit_id == library.pk
    services.process_update(
        process=draft,
        actor=communicator,
        fields=services.ProcessFields(title=draft.title, slug=draft.slug, kind=draft.kind),
    )
    assert found() == []


def test_withdrawing_and_moving_a_process_takes_its_hearings_along_in_the_index(
    road: Process, communicator: User
) -> None:
    hearing = hearing_make(road, title="Høring om trafikken")

    def hearing_url() -> list[str]:
        return list(
            SearchDocument.objects.filter(kind="hearing", object_id=hearing.pk).values_list(
                "url", flat=True
            )
        )

    fields = services.ProcessFields(
        title=road.title, slug="sentrum", kind=road.kind, summary=road.summary, is_published=True
    )
    services.process_update(process=road, actor=communicator, fields=fields)
    assert hearing_url() == [f"/medvirkning/sentrum/horing/{hearing.pk}/"]
    assert (
        SearchDocument.objects.get(kind="process", object_id=road.pk).url == "/medvirkning/sentrum/"
    )
    withdrawn = services.ProcessFields(title=road.title, slug="sentrum", kind=road.kind)
    services.process_update(process=road, actor=communicator, fields=withdrawn)
    assert hearing_url() == []
    assert not SearchDocument.objects.filter(kind="process", object_id=road.pk).exists()


def test_process_page_shows_the_parts_after_the_documents(client: Client, road: Process) -> None:
    hearing_make(road, title="Høring om den nye traseen")
    html = _main(client.get("/medvirkning/veisystemet/", **EN).text)
    assert html.index('id="documents-heading"') < html.index("Høring om den nye traseen")


def test_search_documents_for_a_rebuild_hold_only_published_processes(
    road: Process, library: Unit
) -> None:
    from torget.participation.selectors.processes import process_search_documents

    process_make(library, slug="utkast", title="Et utkast", published=False)
    documents = list(process_search_documents(library.municipality))
    assert [(d["kind"], d["title"], d["url"]) for d in documents] == [
        ("process", "Omlegging av veisystemet i sentrum", "/medvirkning/veisystemet/")
    ]
    assert "gjennomgangstrafikken" in documents[0]["body"]
    assert "**" not in documents[0]["body"]

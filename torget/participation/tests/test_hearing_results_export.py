"""The export of a hearing's statements for the case file: every statement is in the CSV and
in the PDF bundle (public, private, hidden, with attachments and answers), the CSV opens in
Norwegian Excel and runs no formulas, and only the staff who manage the process get it."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader

from conftest import run_tasks
from torget.accounts.models import User
from torget.conversations import services as conversations
from torget.organisation.models import Unit
from torget.participation import export
from torget.participation.models import Hearing, HearingExport, Statement
from torget.participation.selectors.hearing_results import (
    hearing_counts,
    statement_list_for_export,
)
from torget.participation.services.hearings import statement_submit
from torget.participation.tests.factories import hearing_make, process_make

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


def statement_make(
    hearing: Hearing,
    author: User,
    body: str,
    *,
    public: bool = True,
    on_behalf_of: str = "",
    section: Any = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> Statement:
    """A statement through the hearings service, given while the hearing was open (an hour
    after the previous one)."""
    count = Statement.objects.filter(hearing=hearing).count()
    return statement_submit(
        hearing=hearing,
        actor=author,
        body=body,
        section=section,
        on_behalf_of=on_behalf_of,
        is_public=public,
        attachments=[
            SimpleUploadedFile(name, data, content_type=kind) for name, kind, data in attachments
        ],
        at=hearing.opens_at + datetime.timedelta(hours=count + 1),
    )


def person(email: str, name: str = "", language: str = "") -> User:
    """A resident without a password (hashing one costs time and proves nothing here)."""
    return User.objects.create(email=email, name=name, language=language)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes(words: str, pages: int = 2) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=14)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(0, 10, f"{words} side {page}")
    return bytes(pdf.output())


@pytest.fixture
def closed_hearing(library: Unit) -> Hearing:
    process = process_make(library, phases="processing")
    now = timezone.now()
    return hearing_make(
        process,
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=1),
    )


@pytest.fixture
def full_hearing(
    closed_hearing: Hearing, communicator: User, politician: User, moderator: User
) -> Hearing:
    """Twelve statements: public and private ones, one hidden by moderation, one from an
    account since deleted, one on a section on behalf of an organisation, one with a PNG, a
    PDF and a document; answers by staff (one to many) and by a politician."""
    hearing = closed_hearing
    section = hearing.sections.first()
    made = []
    for i in range(1, 13):
        extras: dict[str, Any] = {}
        if i == 3:
            extras["attachments"] = [
                ("kart.png", "image/png", png_bytes()),
                ("innspill.pdf", "application/pdf", pdf_bytes("Vedleggsordet Tyttebær")),
                ("notat.txt", "text/plain", b"Et notat om trafikken."),
            ]
        if i == 5:
            extras |= {"section": section, "on_behalf_of": "Sentrum velforening"}
        author = person(f"innbygger{i}@example.no", f"Innbygger {i}")
        made.append(
            statement_make(
                hearing,
                author,
                f"Uttalelse nummer {i} med kjennetegnet Ord{i:03d}kvist. Hilsen oss.",
                public=i % 4 != 0,
                **extras,
            )
        )
    first = made[6].thread.messages.order_by("pk").first()
    assert first is not None
    conversations.message_hide(message=first, actor=moderator, reason="Personangrep")
    conversations.thread_answer(
        threads=[made[0].thread, made[1].thread],
        actor=communicator,
        body="Takk, vi tar dette med i saken.",
    )
    conversations.thread_answer(
        threads=[made[1].thread], actor=politician, body="Jeg støtter forslaget ditt."
    )
    deleted = made[9].author
    assert deleted is not None
    deleted.delete()
    return hearing


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def pdf_pages(body: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


# --- completeness ----------------------------------------------------------------------------


def test_the_csv_has_every_statement_with_its_number_text_and_answers(
    full_hearing: Hearing,
) -> None:
    statements = statement_list_for_export(hearing=full_hearing)
    rows = csv_rows(export.statements_csv(statements, language="en"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Number", "Submitted", "Name"]
    assert len(body) == Statement.objects.filter(hearing=full_hearing).count() == 12
    by_number = {int(row[0]): dict(zip(header, row, strict=True)) for row in body}
    assert sorted(by_number) == list(range(1, 13))
    for number, row in by_number.items():
        assert (
            row["Text"]
            == f"Uttalelse nummer {number} med kjennetegnet Ord{number:03d}kvist. Hilsen oss."
        )
        assert row["Public"] == ("no" if number % 4 == 0 else "yes")
    assert by_number[7]["Hidden by moderation"] == "yes"
    assert by_number[7]["Reason for hiding"] == "Personangrep"
    assert by_number[1]["Hidden by moderation"] == "no"
    assert by_number[10]["Name"] == "(deleted account)" and by_number[10]["E-mail"] == ""
    assert by_number[2]["Name"] == "Innbygger 2"
    assert by_number[2]["E-mail"] == "innbygger2@example.no"
    assert by_number[3]["Attachments"].splitlines() == ["kart.png", "innspill.pdf", "notat.txt"]
    assert by_number[5]["On behalf of"] == "Sentrum velforening"
    assert by_number[5]["Section"] == "1 Del 1"
    assert "Takk, vi tar dette med i saken." in by_number[1]["Official answers"]
    answers = by_number[2]["Official answers"]
    assert "Takk, vi tar dette med i saken." in answers
    assert "(politician): Jeg støtter forslaget ditt." in answers
    assert by_number[4]["Official answers"] == ""


def test_the_pdf_bundle_has_every_statement_and_the_attached_pdf_after_its_statement(
    full_hearing: Hearing,
) -> None:
    statements = statement_list_for_export(hearing=full_hearing)
    counts = hearing_counts(statements)
    assert (counts.total, counts.public, counts.private, counts.answered, counts.hidden) == (
        12,
        9,
        3,
        2,
        1,
    )
    body = export.statements_pdf(full_hearing, statements, counts, language="en")
    reader = PdfReader(io.BytesIO(body))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    for number in range(1, 13):
        assert f"Statement {number}" in text
        assert f"Ord{number:03d}kvist" in text
    cover = pages[0]
    assert "Testvik kommune" in cover and full_hearing.title in cover
    assert "Statements" in cover and "12" in cover and "Answered" in cover
    assert "Personangrep" in text  # the hidden one says why
    assert "Jeg støtter forslaget ditt." in text and "politician" in text
    assert "notat.txt (text/plain" in text
    # The attached PDF's two pages follow the page statement 3 ends on, before statement 4.
    own = next(i for i, page in enumerate(pages) if "Ord003kvist" in page)
    assert "Vedleggsordet Tyttebær side 1" in pages[own + 1]
    assert "Vedleggsordet Tyttebær side 2" in pages[own + 2]
    assert "Statement 4" in pages[own + 3]
    # The PNG is in the page of statement 3 as an image.
    assert reader.pages[own].images, "the PNG attachment is embedded"
    # Metadata, and one bookmark per statement.
    assert reader.metadata is not None
    assert reader.metadata.title == f"Statements to the hearing {full_hearing.title}"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert [t.split(" – ")[0] for t in titles] == [f"Statement {n}" for n in range(1, 13)]


def test_the_pdf_of_a_hearing_without_statements_says_so(closed_hearing: Hearing) -> None:
    body = export.statements_pdf(
        closed_hearing, [], hearing_counts([]), language="en", compress=False
    )
    assert "No statements were given to this hearing." in "\n".join(pdf_pages(body))


# --- CSV safety ------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_cells_that_would_start_a_formula_get_an_apostrophe(
    closed_hearing: Hearing, start: str
) -> None:
    author = person("formel@example.no", f'{start}HYPERLINK("http://x")')
    statement_make(closed_hearing, author, f"{start}1+1 er ikke en formel", on_behalf_of="@lag")
    rows = csv_rows(
        export.statements_csv(statement_list_for_export(hearing=closed_hearing), language="en")
    )
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Text"] == f"'{start}1+1 er ikke en formel"
    assert row["Name"] == f'\'{start}HYPERLINK("http://x")'
    assert row["On behalf of"] == "'@lag"
    assert row["Number"] == "1"


def test_csv_cell_guards_tab_and_carriage_return_and_leaves_other_text() -> None:
    assert export.csv_cell("\tcmd") == "'\tcmd"
    assert export.csv_cell("\rcmd") == "'\rcmd"
    assert export.csv_cell("Vanlig tekst - med bindestrek") == "Vanlig tekst - med bindestrek"
    assert export.csv_cell("") == ""


def test_csv_keeps_norwegian_letters_semicolons_and_line_breaks(closed_hearing: Hearing) -> None:
    text = "Blåbær; rømme og ærfugl.\nAndre linje; «sitat»."
    statement_make(closed_hearing, person("oyvind@example.no", "Øyvind Ås"), text)
    body = export.statements_csv(statement_list_for_export(hearing=closed_hearing), language="nb")
    assert b"\r\n" in body and ";" in body.decode("utf-8-sig").splitlines()[0]
    rows = csv_rows(body)
    assert len(rows) == 2
    assert rows[1][2] == "Øyvind Ås" and text in rows[1]


# --- through the views, and who may have them ------------------------------------------------


def _url(hearing: Hearing, suffix: str) -> str:
    return f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/{suffix}"


def test_the_processs_communicator_downloads_both_exports(
    client: Client,
    full_hearing: Hearing,
    communicator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The CSV comes in the request; the PDF is prepared in the background (see
    test_hearing_exports) and downloaded from the exports page."""
    client.force_login(communicator)
    response = client.get(_url(full_hearing, "eksport.csv"), **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    assert response["Cache-Control"].startswith("private")
    assert len(csv_rows(response.content)) == 13
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(full_hearing, "eksport/"), **EN)
    run_tasks()  # the build, and the answer notices of the fixture
    made = HearingExport.objects.get(hearing=full_hearing, status=HearingExport.Status.READY)
    response = client.get(_url(full_hearing, f"eksport/{made.pk}.pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert "Ord012kvist" in "\n".join(pdf_pages(body))


def test_the_unit_admin_may_export_too(client: Client, full_hearing: Hearing, admin: User) -> None:
    client.force_login(admin)
    response = client.get(_url(full_hearing, "eksport.csv"))
    assert response.status_code == 200 and len(csv_rows(response.content)) == 13


@pytest.mark.parametrize("suffix", ["eksport.csv", "eksport.pdf", "eksport/"])
def test_residents_and_other_staff_get_no_export(
    client: Client,
    full_hearing: Hearing,
    resident: User,
    case_officer: User,
    moderator: User,
    politician: User,
    suffix: str,
) -> None:
    url = _url(full_hearing, suffix)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/konto/login/" in anonymous["Location"]
    client.force_login(resident)
    refused = client.get(url)
    assert refused.status_code == 403
    assert b"Ord001kvist" not in refused.content
    # A politician holds no staff role: 403 as for a resident.
    client.force_login(politician)
    assert client.get(url).status_code == 403
    # Staff of another unit (the school), and root moderators who do not run processes: 404.
    for staff in (case_officer, moderator):
        client.force_login(staff)
        response = client.get(url)
        assert response.status_code == 404, staff.email
        assert b"Ord001kvist" not in response.content


def test_a_hearing_of_another_process_slug_is_not_found(
    client: Client, full_hearing: Hearing, communicator: User
) -> None:
    client.force_login(communicator)
    url = f"/ansatt/medvirkning/noe-annet/horing/{full_hearing.pk}/eksport.csv"
    assert client.get(url).status_code == 404


def test_long_texts_and_long_words_wrap_within_the_page(closed_hearing: Hearing) -> None:
    pdf = export._Bundle("Høring")
    pdf.set_font(pdf.family, "", 11)
    long_word = "Trafikksikkerhetstiltak" * 12
    text = f"Start {long_word} midt\n\n" + "Mange ord om sentrum og bussen. " * 300 + "Slutten."
    lines = pdf.wrap(text, pdf.epw)
    assert all(pdf.get_string_width(line) <= pdf.epw + 0.01 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    statement = (
        f"Start {long_word} midt\n\n" + "Mange ord om sentrum og bussen. " * 130 + "Slutten."
    )
    statement_make(closed_hearing, person("lang@example.no", "Lang Tekst"), statement)
    statements = statement_list_for_export(hearing=closed_hearing)
    body = export.statements_pdf(
        closed_hearing, statements, hearing_counts(statements), language="en"
    )
    pages = pdf_pages(body)
    assert len(pages) >= 3  # the cover, and the statement over more than one page
    assert "Start" in pages[1] and "Slutten." not in pages[1]
    assert "Slutten." in pages[-1]

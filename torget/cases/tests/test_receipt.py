"""The receipt page and PDF: what they say, and who may see them (the applicant and the
unit's staff; another resident gets 404, an anonymous visitor the log-in)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import unit_make
from torget.accounts.models import User
from torget.cases import receipt
from torget.cases.models import Case, CaseAttachment, Form
from torget.cases.services import submission
from torget.cases.tests.test_formbuilder import form_make, good_answers
from torget.organisation.models import Unit

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _unescape(raw: bytes) -> bytes:
    """A PDF literal string's bytes, without its backslash escapes."""
    out = bytearray()
    i = 0
    simple = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
    while i < len(raw):
        c = raw[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        nxt = raw[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif 0x30 <= nxt <= 0x37:
            digits = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            assert digits is not None
            out.append(int(digits.group(0), 8) & 0xFF)
            i += 1 + len(digits.group(0))
        else:
            out.append(nxt)
            i += 2
    return bytes(out)


def _object(pdf: bytes, number: bytes) -> bytes:
    found = re.search(rb"(?:^|\n)" + number + rb" 0 obj(.*?)endobj", pdf, re.S)
    assert found is not None, number
    return found.group(1)


def _cmaps(pdf: bytes) -> dict[bytes, dict[int, str]]:
    """Each embedded font's resource name (b"F1") with its ToUnicode table."""
    tables: dict[bytes, dict[int, str]] = {}
    for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", pdf):
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", _object(pdf, number))
        if to_unicode is None:
            continue
        cmap = _object(pdf, to_unicode.group(1))
        tables[name] = {
            int(code, 16): chr(int(uni, 16))
            for code, uni in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4,8})>", cmap)
        }
    return tables


def pdf_text(pdf: bytes) -> str:
    """The text of an uncompressed fpdf2 PDF, one line per text operator: Latin-1 strings for
    the core fonts, two-byte glyph codes mapped back through each embedded font's ToUnicode
    table for TrueType fonts."""
    tables = _cmaps(pdf)
    lines = []
    font = b""
    for op in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", pdf, re.S):
        if op.group(1):
            font = op.group(1)
            continue
        raw = _unescape(op.group(2))
        table = tables.get(font)
        if table is None:
            lines.append(raw.decode("latin-1"))
        else:
            lines.append(
                "".join(
                    table.get(int.from_bytes(raw[i : i + 2], "big"), "?")
                    for i in range(0, len(raw), 2)
                )
            )
    return "\n".join(lines)


@pytest.fixture
def form(school: Unit) -> Form:
    return form_make(school)


@pytest.fixture
def case(form: Form, resident: User) -> Case:
    cleaned = {
        "child_name": "Åse Ødegård",
        "child_id": good_answers()["child_id"],
        "start": timezone.localdate(),
        "kindergartens": ["Maurtua", "Solsikken"],
        "needs": "Čhalmmit – samisk navn",
        "consent": True,
    }
    made = submission.case_submit(
        form=form, actor=resident, cleaned=cleaned, submission_key=uuid.uuid4()
    )
    CaseAttachment.objects.create(
        municipality=made.municipality,
        form=form,
        owner=resident,
        case=made,
        field_key="documentation",
        file="cases/x/y",
        original_name="legeerklæring.pdf",
        content_type="application/pdf",
        size=10,
        created_at=made.submitted_at,
    )
    return made


def test_pdf_with_dejavu_holds_every_answer_in_unicode(case: Case) -> None:
    assert receipt.DEJAVU.exists()
    pdf = receipt.receipt_pdf(case, language="en", compress=False)
    assert pdf.startswith(b"%PDF-")
    assert b"/Lang (en)" in pdf
    assert b"/Title <feff" in pdf
    text = pdf_text(pdf)
    for expected in (
        "Testvik kommune",
        "Testvik skole",
        "Søknad om barnehageplass",
        str(case.reference),
        receipt.local_time(case.submitted_at),
        "Åse Ødegård",
        "1. Maurtua; 2. Solsikken",
        "Čhalmmit – samisk navn",
        "Yes",
        "legeerklæring.pdf",
        "Reference number",
    ):
        assert expected in text, expected


def test_pdf_without_dejavu_uses_helvetica_and_replaces_other_letters(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receipt, "DEJAVU", Path("/nonexistent/DejaVuSans.ttf"))
    pdf = receipt.receipt_pdf(case, language="nb", compress=False)
    assert b"/Helvetica" in pdf
    assert b"/Lang (nb)" in pdf
    text = pdf_text(pdf)
    assert "Åse Ødegård" in text
    assert "?halmmit ? samisk navn" in text
    assert str(case.reference) in text


def test_receipt_page_shows_reference_answers_and_links(
    client: Client, resident: User, case: Case
) -> None:
    client.force_login(resident)
    response = client.get(reverse("cases:receipt", args=[case.reference]), **EN)
    assert response.status_code == 200
    page = response.text
    assert str(case.reference) in page
    assert "Åse Ødegård" in page
    assert "20 working days" in page
    assert reverse("cases:receipt-pdf", args=[case.reference]) in page
    assert reverse("accounts:my-page") in page


def test_receipt_page_escapes_what_residents_wrote(
    client: Client, resident: User, form: Form
) -> None:
    made = submission.case_submit(
        form=form,
        actor=resident,
        cleaned={"child_name": "<script>alert(1)</script>", "consent": True},
        submission_key=uuid.uuid4(),
    )
    client.force_login(resident)
    page = client.get(reverse("cases:receipt", args=[made.reference]), **EN).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("name", ["receipt", "receipt-pdf"])
def test_applicant_gets_the_receipt(client: Client, resident: User, case: Case, name: str) -> None:
    client.force_login(resident)
    response = client.get(reverse(f"cases:{name}", args=[case.reference]), **EN)
    assert response.status_code == 200
    if name == "receipt-pdf":
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("name", ["receipt", "receipt-pdf"])
def test_another_resident_gets_404(
    client: Client, other_resident: User, case: Case, name: str
) -> None:
    client.force_login(other_resident)
    response = client.get(reverse(f"cases:{name}", args=[case.reference]), **EN)
    assert response.status_code == 404
    assert b"%PDF" not in response.content
    assert "Åse" not in response.content.decode()


@pytest.mark.parametrize("name", ["receipt", "receipt-pdf"])
def test_anonymous_is_sent_to_log_in(client: Client, case: Case, name: str) -> None:
    url = reverse(f"cases:{name}", args=[case.reference])
    response = client.get(url, **EN)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_staff_of_the_unit_may_download_the_pdf(
    client: Client, case_officer: User, case: Case
) -> None:
    client.force_login(case_officer)
    response = client.get(reverse("cases:receipt-pdf", args=[case.reference]), **EN)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_staff_of_another_unit_gets_404(
    client: Client, communicator: User, case: Case, municipality: Any
) -> None:
    client.force_login(communicator)
    for name in ("receipt", "receipt-pdf"):
        response = client.get(reverse(f"cases:{name}", args=[case.reference]), **EN)
        assert response.status_code == 404


def test_staff_of_a_unit_above_may_see_it(
    client: Client, case: Case, school: Unit, case_officer: User, municipality: Any
) -> None:
    sub = unit_make(municipality, slug="barnehagen", kind="school", parent=school)
    Case.objects.filter(pk=case.pk).update(unit=sub)
    client.force_login(case_officer)
    assert client.get(reverse("cases:receipt-pdf", args=[case.reference])).status_code == 200

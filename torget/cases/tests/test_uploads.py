"""Attachments to a form are checked by content: the wrong type behind a right-looking name,
a file too large, and an archive bomb dressed as a Word document are refused with the reason,
on the form page beside the field."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from torget.accounts.models import User
from torget.cases.models import CaseAttachment, FieldKind, Form, FormField
from torget.cases.tests.test_formbuilder import PDF, form_make, good_answers
from torget.organisation.models import Unit
from torget.pages import files

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
GIB = 1024 * 1024 * 1024


def docx_bytes(*, zeros: int = 0, entries: int = 0) -> bytes:
    """A real DOCX-shaped zip. `zeros` bytes of zeros go in one entry, written in 1 MB chunks
    so that the test never holds them in memory (deflate shrinks them about 1000 times);
    `entries` adds that many tiny files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        if zeros:
            chunk = bytes(1024 * 1024)
            with archive.open("word/media/zeros.bin", "w", force_zip64=True) as entry:
                left = zeros
                while left > 0:
                    entry.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
        for number in range(entries):
            archive.writestr(f"word/part{number}.xml", "x")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """About 1 MB of zip that holds 1 GB of zeros."""
    return docx_bytes(zeros=GIB)


def test_the_bomb_is_small_but_holds_a_gigabyte(bomb: bytes) -> None:
    assert len(bomb) < 2 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert sum(i.file_size for i in archive.infolist()) >= GIB


def test_check_upload_refuses_the_bomb_and_accepts_a_real_docx(bomb: bytes) -> None:
    with pytest.raises(ValidationError) as refused:
        files.check_upload(SimpleUploadedFile("søknad.docx", bomb), "søknad.docx")
    assert refused.value.code == "archive"
    checked = files.check_upload(SimpleUploadedFile("brev.docx", docx_bytes()), "brev.docx")
    assert checked.content_type == files.DOCX


def test_check_upload_refuses_a_zip_that_claims_too_much() -> None:
    # A zip whose directory claims 1 GB for a tiny entry: the declared sizes decide.
    real = bytearray(docx_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(real))) as archive:
        info = archive.getinfo("word/document.xml")
    claimed = GIB.to_bytes(4, "little")
    directory = real.rfind(b"PK\x01\x02", 0, real.rfind(b"word/document.xml") + 1)
    real[directory + 24 : directory + 28] = claimed
    assert info.file_size < 100
    with zipfile.ZipFile(io.BytesIO(bytes(real))) as archive:
        assert archive.getinfo("word/document.xml").file_size == GIB
    with pytest.raises(ValidationError) as refused:
        files.check_upload(SimpleUploadedFile("liten.docx", bytes(real)), "liten.docx")
    assert refused.value.code == "archive"


def test_check_upload_refuses_too_many_entries() -> None:
    many = docx_bytes(entries=files.ZIP_MAX_ENTRIES + 1)
    with pytest.raises(ValidationError) as refused:
        files.check_upload(SimpleUploadedFile("mange.docx", many), "mange.docx")
    assert refused.value.code == "archive"


@pytest.fixture
def form(school: Unit) -> Form:
    made = form_make(school)
    FormField.objects.filter(form=made, kind=FieldKind.FILE).update(
        options={"file_types": ["pdf", "docx"], "max_mb": 1}
    )
    return made


def _post_with(client: Client, form: Form, upload: SimpleUploadedFile, button: str) -> Any:
    url = reverse("cases:form-fill", args=[form.slug])
    page = client.get(url, **EN).text
    key = re.search(r'name="submission_key" value="([^"]+)"', page)
    assert key is not None
    data = {**good_answers(), "documentation": upload, "submission_key": key.group(1), button: "1"}
    return client.post(url, data, **EN)


@pytest.mark.parametrize("button", ["send", "draft"])
def test_html_named_pdf_is_refused_beside_the_field(
    client: Client, resident: User, form: Form, button: str
) -> None:
    client.force_login(resident)
    fake = SimpleUploadedFile("kvittering.pdf", b"<!DOCTYPE html><html><script>x</script>")
    response = _post_with(client, form, fake, button)
    assert response.status_code == 422
    error = re.search(
        r'<ul class="errorlist" id="id_documentation_error">(.*?)</ul>', response.text, re.S
    )
    assert error is not None
    assert "does not match its file type" in error.group(1)
    assert not CaseAttachment.objects.exists()
    assert 'value="Åse Ødegård"' in response.text


def test_too_large_file_is_refused(client: Client, resident: User, form: Form) -> None:
    client.force_login(resident)
    large = SimpleUploadedFile("stor.pdf", PDF + b"0" * (1024 * 1024))
    response = _post_with(client, form, large, "send")
    assert response.status_code == 422
    assert "too large" in response.text
    assert not CaseAttachment.objects.exists()


def test_zip_bomb_is_refused_on_the_form(client: Client, resident: User, form: Form) -> None:
    client.force_login(resident)
    # Under the 1 MB limit of the field, yet a gigabyte inside.
    bomb = docx_bytes(zeros=512 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    response = _post_with(client, form, SimpleUploadedFile("søknad.docx", bomb), "send")
    assert response.status_code == 422
    assert "unpacks to far more data than a document holds" in response.text
    assert not CaseAttachment.objects.exists()


def test_type_the_field_does_not_accept_is_refused(
    client: Client, resident: User, form: Form
) -> None:
    client.force_login(resident)
    png = SimpleUploadedFile("bilde.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40)
    response = _post_with(client, form, png, "send")
    assert response.status_code == 422
    assert "of a type this form does not accept. Allowed: PDF, DOCX" in response.text

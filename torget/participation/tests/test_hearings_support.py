"""Helpers shared by the hearing tests (no tests here): files that are and are not what their
names say, and a statement made through the service."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from torget.accounts.models import User
from torget.participation.models import Hearing, Statement
from torget.participation.services.hearings import statement_submit

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "innspill.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def html_named_pdf(name: str = "lure.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )


def statement_make(
    hearing: Hearing, author: User, body: str = "Jeg er imot planen.", **kwargs: Any
) -> Statement:
    """A statement through the service, a minute ago (rate limits aside: each test's cache is
    clean, and a test that makes many uses several residents or `at`)."""
    kwargs.setdefault("at", timezone.now() - datetime.timedelta(minutes=1))
    return statement_submit(hearing=hearing, actor=author, body=body, **kwargs)

"""Which files may be attached to a post, judged by their content.

The browser's content type and the file name are both chosen by whoever uploads; a page that
serves an "PDF" which is really HTML would run that HTML on our origin. So the type is read
from the first bytes (magic numbers) and, for the two zip-based office formats, from the zip's
own table of contents, and it must agree with the name's extension.

Why our own check and no library: the list of allowed types is short and fixed, and the office
formats need a look inside the zip that generic sniffers (libmagic and its pure-Python cousins)
either lack or need a system library for.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO, cast

from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# The largest attachment, per file. Change it here (tests change it with monkeypatch).
MAX_ATTACHMENT_MB = 10

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
TEXT = "text/plain"
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TYPES_BY_EXTENSION = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "webp": WEBP,
    "txt": TEXT,
    "odt": ODT,
    "docx": DOCX,
}
IMAGE_TYPES = frozenset({PNG, JPEG, WEBP})
ALLOWED_EXTENSIONS_TEXT = "PDF, PNG, JPEG, WebP, TXT, ODT, DOCX"
# Markup that a browser might render if it ever ignored our headers; never "plain text".
_MARKUP_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml")
_SNIFF_BYTES = 4096
ZIP_TYPES = frozenset({ODT, DOCX})
# An office document is a zip; one that unpacks to more than this, holds more entries, or
# shrank more than this ratio is an archive bomb for whatever later opens it (an indexer, a
# previewer, the case officer's word processor). Real documents stay far below all three.
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_RATIO = 200


@dataclass(frozen=True)
class CheckedFile:
    """What the content check found out about an upload."""

    content_type: str
    size: int
    is_image: bool


def max_attachment_bytes() -> int:
    return MAX_ATTACHMENT_MB * 1024 * 1024


def _zip_type(handle: IO[bytes]) -> str | None:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(100).strip() == ODT.encode():
                        return ODT
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return None
    return None


def check_archive(handle: IO[bytes], name: str) -> None:
    """Refuse a zip-based file that would unpack to something absurd.

    Only the zip's central directory is read (the sizes it declares); nothing is extracted.
    Raises ValidationError (code "archive") for too many entries, too much uncompressed data
    or a compression ratio no real document has. Leaves the handle at the start.
    """
    handle.seek(0)
    refused = ValidationError(
        _("The file %(name)s unpacks to far more data than a document holds, so we refuse it."),
        code="archive",
        params={"name": name},
    )
    try:
        with zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise refused from exc
    finally:
        handle.seek(0)
    if len(entries) > ZIP_MAX_ENTRIES:
        raise refused
    uncompressed = sum(entry.file_size for entry in entries)
    compressed = sum(entry.compress_size for entry in entries)
    if uncompressed > ZIP_MAX_UNCOMPRESSED:
        raise refused
    # Small files may shrink a lot (a page of repeated XML); the ratio matters from 1 MB on.
    if uncompressed > 1024 * 1024 and uncompressed > ZIP_MAX_RATIO * max(compressed, 1):
        raise refused


def _is_plain_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    text = head.removeprefix(b"\xef\xbb\xbf")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sniffed slice may end inside a multi-byte character.
        if exc.start < len(text) - 3:
            return False
        decoded = text[: exc.start].decode("utf-8")
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in decoded):
        return False
    return not decoded.lstrip().lower().encode().startswith(_MARKUP_STARTS)


def sniff(handle: IO[bytes]) -> str | None:
    """The allowed type the content of `handle` is, or None. Leaves the handle at the start."""
    handle.seek(0)
    head = handle.read(_SNIFF_BYTES)
    handle.seek(0)
    found: str | None = None
    if head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        found = WEBP
    elif head.startswith(b"PK\x03\x04"):
        found = _zip_type(handle)
        handle.seek(0)
    elif head and _is_plain_text(head):
        found = TEXT
    return found


def check_upload(upload: File, name: str) -> CheckedFile:
    """Check an upload's size and its real type against its name.

    Raises ValidationError (with a message naming the file) when it is empty, larger than
    MAX_ATTACHMENT_MB, of a type that is not allowed, or when the content is not what the
    name's extension says (e.g. HTML named `.pdf`), or when an office document is an
    archive bomb (`check_archive`).
    """
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file %(name)s is empty."), code="empty", params={"name": name})
    if size > max_attachment_bytes():
        raise ValidationError(
            _("The file %(name)s is too large (%(size)s). The limit is %(max)s per file."),
            code="too_large",
            params={
                "name": name,
                "size": filesizeformat(size),
                "max": filesizeformat(max_attachment_bytes()),
            },
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = TYPES_BY_EXTENSION.get(extension)
    if expected is None:
        raise ValidationError(
            _("The file %(name)s is of a type we do not accept. Allowed: %(types)s."),
            code="type",
            params={"name": name, "types": ALLOWED_EXTENSIONS_TEXT},
        )
    actual = sniff(cast(IO[bytes], upload))
    if actual != expected:
        raise ValidationError(
            _(
                "The content of %(name)s does not match its file type. Save it again as a real "
                "%(extension)s file."
            ),
            code="mismatch",
            params={"name": name, "extension": extension.upper()},
        )
    if actual in ZIP_TYPES:
        check_archive(cast(IO[bytes], upload), name)
    return CheckedFile(content_type=actual, size=size, is_image=actual in IMAGE_TYPES)

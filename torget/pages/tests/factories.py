"""Posts, comment threads and sample files for the pages tests."""

from __future__ import annotations

import datetime
import io
import struct
import zipfile
import zlib

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from torget.accounts.models import User
from torget.conversations.models import (
    AuthorRole,
    Channel,
    Message,
    Thread,
    ThreadStatus,
    Visibility,
)
from torget.organisation.models import Unit
from torget.pages.models import Post, PostKind


def post_make(
    unit: Unit,
    *,
    title: str = "Nye åpningstider i sommer",
    body: str = "Fra 1. juni åpner vi kl. 10.",
    kind: str = PostKind.INFORMATION,
    author: User | None = None,
    published_at: datetime.datetime | None = None,
    comments_open: bool = True,
) -> Post:
    """A published post on `unit`'s page, written straight to the table (no notices)."""
    return Post.objects.create(
        municipality_id=unit.municipality_id,
        unit=unit,
        author=author,
        title=title,
        body=body,
        kind=kind,
        comments_open=comments_open,
        published_at=published_at or timezone.now(),
    )


def threads_make(
    post: Post, *, count: int, author: User, replies: int = 2, answered_by: User | None = None
) -> list[Thread]:
    """`count` public comment threads under `post`, each with the comment, `replies` more
    resident messages and, if `answered_by`, an official answer. Bulk-created: fast enough for
    hundreds, and free of the services' rate limits."""
    now = timezone.now()
    subject_type = ContentType.objects.get_for_model(Post)
    threads = Thread.objects.bulk_create(
        [
            Thread(
                municipality_id=post.municipality_id,
                unit_id=post.unit_id,
                channel=Channel.WEB,
                visibility=Visibility.PUBLIC,
                subject_type=subject_type,
                subject_id=post.pk,
                title=post.title,
                opened_by=author,
                status=ThreadStatus.ANSWERED if answered_by else ThreadStatus.WAITING,
                opened_at=now - datetime.timedelta(minutes=count - i),
                last_message_at=now,
                first_resident_at=now,
            )
            for i in range(count)
        ]
    )
    messages = []
    for thread in threads:
        for n in range(1 + replies):
            messages.append(
                Message(
                    thread=thread,
                    author=author,
                    role=AuthorRole.RESIDENT,
                    visibility=Visibility.PUBLIC,
                    body=f"Kommentar {n} i samtale {thread.pk}",
                    created_at=thread.opened_at + datetime.timedelta(seconds=n),
                )
            )
        if answered_by is not None:
            messages.append(
                Message(
                    thread=thread,
                    author=answered_by,
                    role=AuthorRole.OFFICIAL,
                    visibility=Visibility.PUBLIC,
                    body=f"Svar i samtale {thread.pk}",
                    created_at=thread.opened_at + datetime.timedelta(seconds=30),
                )
            )
    Message.objects.bulk_create(messages)
    return threads


# --- sample files: small but real, so that the content check sees the true type --------------


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
WEBP_BYTES = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00"
    b"\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)
TEXT_BYTES = "Referat fra møtet.\nNeste møte er 3. mars.\n".encode()
HTML_BYTES = b"<!DOCTYPE html><html><body><script>alert('x')</script></body></html>"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def odt_bytes() -> bytes:
    return _zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b"<office:document-content/>",
        }
    )


def docx_bytes() -> bytes:
    return _zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<w:document/>",
        }
    )


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)

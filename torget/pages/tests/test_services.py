"""Writing posts (permissions, attachment checks), comments under them, and follows."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from torget.accounts.models import User
from torget.conversations import services as conversations
from torget.conversations.models import Channel, Message, Thread, Visibility
from torget.conversations.registry import thread_path
from torget.core.errors import InvalidTransition
from torget.organisation.models import Unit
from torget.pages import files, services
from torget.pages.models import Follow, FollowFrequency, Post, PostAttachment, PostKind
from torget.pages.services import NewAttachment
from torget.pages.tests.factories import (
    HTML_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    TEXT_BYTES,
    WEBP_BYTES,
    docx_bytes,
    odt_bytes,
    png_bytes,
    post_make,
    threads_make,
    upload,
)


def publish(unit: Unit, actor: User, **kw: object) -> Post:
    fields: dict[str, object] = {
        "title": "Sommeråpent bibliotek",
        "body": "Vi holder åpent hele sommeren.",
        "kind": PostKind.INFORMATION,
    }
    fields.update(kw)
    return services.post_create(unit=unit, actor=actor, **fields)  # type: ignore[arg-type]


def test_post_create_by_communicator_publishes_with_attachments(
    library: Unit, communicator: User
) -> None:
    post = publish(
        library,
        communicator,
        kind=PostKind.DIALOGUE,
        attachments=[
            NewAttachment(file=upload("Program.pdf", PDF_BYTES, "text/html")),
            NewAttachment(file=upload("kart.png", png_bytes()), alt_text="Kart over biblioteket"),
        ],
    )
    assert (post.unit, post.municipality_id, post.author) == (
        library,
        library.municipality_id,
        communicator,
    )
    assert post.invites_dialogue and post.comments_open
    assert post.published_at <= timezone.now()
    pdf, png = post.attachments.all()
    # The stored type is the sniffed one, not what the browser claimed.
    assert (pdf.original_name, pdf.content_type, pdf.is_image, pdf.size) == (
        "Program.pdf",
        "application/pdf",
        False,
        len(PDF_BYTES),
    )
    assert (png.content_type, png.is_image, png.alt_text) == (
        "image/png",
        True,
        "Kart over biblioteket",
    )
    stored = Path(settings.MEDIA_ROOT) / pdf.file.name
    assert stored.read_bytes() == PDF_BYTES
    assert pdf.file.name.startswith(f"pages/{library.municipality_id}/")
    assert "Program" not in pdf.file.name  # the original name is never used as a path


def test_post_create_by_unit_admin_and_by_the_municipality_communicator(
    library: Unit, root_unit: Unit, admin: User
) -> None:
    from conftest import _staff
    from torget.organisation.models import Role

    assert publish(library, admin).unit == library
    central = _staff(root_unit, Role.COMMUNICATOR, "sentral@example.no")
    # A role in the municipality's root unit covers every unit below it.
    assert publish(library, central).unit == library


def test_post_create_by_communicator_of_another_unit_is_refused(
    school: Unit, communicator: User
) -> None:
    with pytest.raises(PermissionDenied):
        publish(school, communicator)
    assert Post.objects.count() == 0


@pytest.mark.parametrize("persona", ["resident", "case_officer", "moderator", "politician"])
def test_post_create_refused_for_roles_that_do_not_publish(
    request: pytest.FixtureRequest, library: Unit, school: Unit, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        publish(library, user)
    with pytest.raises(PermissionDenied):
        publish(school, user)
    assert Post.objects.count() == 0


def test_post_create_validates_title_text_and_kind(library: Unit, communicator: User) -> None:
    with pytest.raises(ValidationError) as caught:
        publish(library, communicator, title="  ", body="", kind="rant")
    assert set(caught.value.message_dict) == {"title", "body", "kind"}
    assert Post.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.pdf", PDF_BYTES, files.PDF),
        ("a.png", png_bytes(), files.PNG),
        ("a.JPG", JPEG_BYTES, files.JPEG),
        ("a.jpeg", JPEG_BYTES, files.JPEG),
        ("a.webp", WEBP_BYTES, files.WEBP),
        ("a.txt", TEXT_BYTES, files.TEXT),
        ("a.odt", odt_bytes(), files.ODT),
        ("a.docx", docx_bytes(), files.DOCX),
    ],
)
def test_check_upload_accepts_each_allowed_type_by_content(
    name: str, content: bytes, expected: str
) -> None:
    checked = files.check_upload(upload(name, content), name)
    assert checked.content_type == expected
    assert checked.is_image == (expected in files.IMAGE_TYPES)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("brosjyre.pdf", HTML_BYTES, "mismatch"),  # a "PDF" that is really HTML
        ("notat.txt", HTML_BYTES, "mismatch"),  # HTML is never plain text
        ("bilde.jpg", png_bytes(), "mismatch"),
        ("dokument.docx", odt_bytes(), "mismatch"),
        ("dokument.odt", b"PK\x03\x04not really a zip", "mismatch"),
        ("program.exe", b"MZ\x90\x00", "type"),
        ("side.html", HTML_BYTES, "type"),
        ("bilde.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "type"),
        ("uten-endelse", PDF_BYTES, "type"),
        ("tom.pdf", b"", "empty"),
        ("binær.txt", b"abc\x00\x01def", "mismatch"),
    ],
)
def test_check_upload_refuses_by_content_and_name(name: str, content: bytes, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        files.check_upload(upload(name, content), name)
    assert caught.value.code == code
    assert name in str(caught.value.messages[0])


def test_post_create_refuses_fake_pdf_that_is_html_and_stores_nothing(
    library: Unit, communicator: User
) -> None:
    with pytest.raises(ValidationError) as caught:
        publish(
            library,
            communicator,
            attachments=[upload("brosjyre.pdf", HTML_BYTES, "application/pdf")],
        )
    assert "brosjyre.pdf" in caught.value.message_dict["attachments"][0]
    assert Post.objects.count() == 0 and PostAttachment.objects.count() == 0
    assert not (Path(settings.MEDIA_ROOT) / "pages").exists()


def test_post_create_refuses_file_over_ten_megabytes(library: Unit, communicator: User) -> None:
    limit = files.MAX_ATTACHMENT_MB * 1024 * 1024
    assert limit == 10 * 1024 * 1024
    exactly = PDF_BYTES + b"0" * (limit - len(PDF_BYTES))
    publish(library, communicator, attachments=[upload("stor.pdf", exactly)])
    with pytest.raises(ValidationError) as caught:
        publish(library, communicator, attachments=[upload("for-stor.pdf", exactly + b"0")])
    assert "for-stor.pdf" in caught.value.message_dict["attachments"][0]
    assert PostAttachment.objects.count() == 1


def test_attachment_limit_is_a_constant_that_can_be_changed(
    library: Unit, communicator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_ATTACHMENT_MB", 0)
    with pytest.raises(ValidationError):
        publish(library, communicator, attachments=[upload("a.pdf", PDF_BYTES)])


def test_post_create_requires_alt_text_for_pictures(library: Unit, communicator: User) -> None:
    with pytest.raises(ValidationError) as caught:
        publish(
            library, communicator, attachments=[NewAttachment(file=upload("k.png", png_bytes()))]
        )
    assert "k.png" in caught.value.message_dict["attachments"][0]
    assert Post.objects.count() == 0


def test_post_update_changes_text_and_attachments(
    library: Unit, communicator: User, django_capture_on_commit_callbacks: Any
) -> None:
    post = publish(library, communicator, attachments=[upload("a.pdf", PDF_BYTES)])
    [old] = post.attachments.all()
    old_path = Path(settings.MEDIA_ROOT) / old.file.name
    assert old_path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(
            post=post,
            actor=communicator,
            title="Endret tittel",
            body="Ny tekst",
            kind=PostKind.DIALOGUE,
            comments_open=False,
            add_attachments=[upload("b.txt", TEXT_BYTES)],
            remove_attachments=[old.pk],
        )
    post.refresh_from_db()
    assert (post.title, post.body, post.kind, post.comments_open) == (
        "Endret tittel",
        "Ny tekst",
        PostKind.DIALOGUE,
        False,
    )
    assert [a.original_name for a in post.attachments.all()] == ["b.txt"]
    assert not old_path.exists()  # the removed file is deleted once the change is committed


def test_post_update_by_communicator_of_another_unit_is_refused(
    school: Unit, communicator: User
) -> None:
    post = post_make(school, title="Skolestart")
    with pytest.raises(PermissionDenied):
        services.post_update(
            post=post,
            actor=communicator,
            title="Kapret",
            body="x",
            kind=PostKind.INFORMATION,
            comments_open=True,
        )
    post.refresh_from_db()
    assert post.title == "Skolestart"


# --- comments ---------------------------------------------------------------------------


def test_post_comment_opens_public_web_thread_in_post_unit(library: Unit, resident: User) -> None:
    post = post_make(library, title="Hva vil du ha i biblioteket?", kind=PostKind.DIALOGUE)
    thread = services.post_comment(post=post, actor=resident, body="Flere tegneserier!")
    assert (thread.unit, thread.channel, thread.visibility, thread.title) == (
        library,
        Channel.WEB,
        Visibility.PUBLIC,
        "Hva vil du ha i biblioteket?",
    )
    assert thread.subject == post
    assert thread.messages.get().body == "Flere tegneserier!"


def test_post_comment_refused_when_comments_are_closed(library: Unit, resident: User) -> None:
    post = post_make(library, comments_open=False)
    with pytest.raises(InvalidTransition):
        services.post_comment(post=post, actor=resident, body="Hei")
    assert Thread.objects.count() == 0


def test_post_comment_reply_refuses_thread_of_another_post(library: Unit, resident: User) -> None:
    post, other = post_make(library), post_make(library, title="Annet")
    [foreign] = threads_make(other, count=1, author=resident, replies=0)
    with pytest.raises(PermissionDenied):
        services.post_comment_reply(post=post, thread=foreign, actor=resident, body="Hei")
    assert Message.objects.filter(thread=foreign).count() == 1


def test_post_comment_answer_by_staff_is_official(
    library: Unit, resident: User, communicator: User
) -> None:
    post = post_make(library)
    thread = services.post_comment(post=post, actor=resident, body="Når åpner dere?")
    answer = services.post_comment_answer(
        post=post, thread=thread, actor=communicator, body="Kl. 10."
    )
    assert answer.role == "official" and answer.thread_id == thread.pk
    with pytest.raises(PermissionDenied):
        services.post_comment_answer(post=post, thread=thread, actor=resident, body="Jeg svarer")


def test_thread_path_points_to_the_comment_page_and_anchor(library: Unit, resident: User) -> None:
    post = post_make(library)
    threads = threads_make(post, count=25, author=resident, replies=0)
    newest, oldest = threads[-1], threads[0]
    assert thread_path(newest) == f"/innlegg/{post.pk}/#samtale-{newest.pk}"
    assert thread_path(oldest) == f"/innlegg/{post.pk}/?page=2#samtale-{oldest.pk}"


def test_answer_notice_links_to_the_post_page(
    library: Unit, resident: User, communicator: User
) -> None:
    post = post_make(library)
    thread = conversations.thread_open(
        unit=library, channel="web", body="Spørsmål", actor=resident, subject=post
    )
    assert thread_path(thread) == f"/innlegg/{post.pk}/#samtale-{thread.pk}"


# --- following ---------------------------------------------------------------------------


def test_follow_set_is_idempotent_and_changes_frequency(library: Unit, resident: User) -> None:
    services.follow_set(unit=library, actor=resident, frequency=FollowFrequency.IMMEDIATE)
    services.follow_set(unit=library, actor=resident, frequency=FollowFrequency.DAILY)
    follow = Follow.objects.get()
    assert (follow.user, follow.unit, follow.frequency) == (resident, library, "daily")
    with pytest.raises(ValidationError):
        services.follow_set(unit=library, actor=resident, frequency="hourly")
    services.follow_remove(unit=library, actor=resident)
    services.follow_remove(unit=library, actor=resident)
    assert Follow.objects.count() == 0


def test_post_in_the_future_is_not_listed_yet(library: Unit, communicator: User) -> None:
    from torget.pages.selectors import post_list_latest

    later = timezone.now() + datetime.timedelta(days=1)
    publish(library, communicator, title="Senere", published_at=later)
    publish(library, communicator, title="Nå")
    assert [p.title for p in post_list_latest(municipality=library.municipality)] == ["Nå"]


def test_post_count_for_metrics_counts_posts_and_dialogue_share(
    municipality, library, communicator
):  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    from torget.insights.registry import post_counts  # registered by PagesConfig.ready
    from torget.pages import services as pages

    pages.post_create(
        unit=library, actor=communicator, title="Info", body="Tekst", kind="information"
    )
    pages.post_create(
        unit=library, actor=communicator, title="Spørsmål", body="Hva mener du?", kind="dialogue"
    )
    now = timezone.now()
    counts = post_counts(
        municipality=municipality,
        unit_ids=[library.pk],
        start=now - dt.timedelta(days=1),
        end=now + dt.timedelta(seconds=1),
    )
    assert counts == (2, 1)

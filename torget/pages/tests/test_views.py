"""The post page with its comments, a unit's posts, attachments and the staff editor."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import municipality_make, unit_make
from torget.accounts.models import User
from torget.conversations import services as conversations
from torget.conversations.models import AuthorRole, Channel, Message, Thread
from torget.organisation.models import Municipality, Unit
from torget.pages import services
from torget.pages.models import Post, PostKind
from torget.pages.services import NewAttachment
from torget.pages.tests.factories import (
    HTML_BYTES,
    PDF_BYTES,
    png_bytes,
    post_make,
    threads_make,
    upload,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def comment(client: Client, post: Post, body: str) -> Any:
    return client.post(f"/innlegg/{post.pk}/kommentarer/", {"body": body}, **EN)


def textarea(html: str, element_id: str) -> str:
    found = re.search(rf'<textarea[^>]*id="{element_id}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, f"no textarea {element_id}"
    return found.group(1)


@pytest.fixture
def post(library: Unit) -> Post:
    return post_make(
        library,
        title="Hva ønsker du deg i biblioteket?",
        body="Skriv til oss.\n\nLes mer på https://eksempel.no/plan <b>nå</b>",
        kind=PostKind.DIALOGUE,
    )


@pytest.fixture
def other_municipality(db: None) -> Municipality:
    return municipality_make(number="9997", name="Andrevik kommune", hostnames=("andrevik.test",))


# --- the post page --------------------------------------------------------------------------


def test_post_detail_shows_title_kind_and_escaped_linked_text(client: Client, post: Post) -> None:
    response = client.get(f"/innlegg/{post.pk}/", **EN)
    assert response.status_code == 200
    html = response.text
    assert '<h1 id="post-title">Hva ønsker du deg i biblioteket?</h1>' in html
    assert "Invites dialogue" in html and "badge--dialogue" in html
    assert (
        '<a href="https://eksempel.no/plan" rel="nofollow ugc">https://eksempel.no/plan</a>' in html
    )
    assert "&lt;b&gt;nå&lt;/b&gt;" in html and "<b>nå</b>" not in html
    assert "<p>Skriv til oss.</p>" in html  # blank lines make paragraphs
    assert 'href="/enheter/biblioteket/"' in html


def test_information_post_has_information_badge(client: Client, library: Unit) -> None:
    post = post_make(library, kind=PostKind.INFORMATION)
    assert "badge--information" in client.get(f"/innlegg/{post.pk}/", **EN).text


def test_post_of_another_municipality_is_404(
    client: Client, municipality: Municipality, other_municipality: Municipality
) -> None:
    foreign_unit = unit_make(other_municipality, slug="biblioteket")
    foreign = post_make(foreign_unit, title="Andrevik-nytt")
    response = client.get(f"/innlegg/{foreign.pk}/", **EN)
    assert response.status_code == 404
    assert "Andrevik-nytt" not in response.text
    assert client.get(f"/innlegg/{foreign.pk}/", HTTP_HOST="andrevik.test").status_code == 200


def test_post_not_yet_published_is_404_for_residents_and_shown_to_its_staff(
    client: Client, library: Unit, communicator: User
) -> None:
    later = post_make(library, published_at=timezone.now() + datetime.timedelta(days=2))
    assert client.get(f"/innlegg/{later.pk}/").status_code == 404
    assert logged_in(client, communicator).get(f"/innlegg/{later.pk}/").status_code == 200


def test_anonymous_sees_log_in_link_and_rules_not_the_form(client: Client, post: Post) -> None:
    html = client.get(f"/innlegg/{post.pk}/", **EN).text
    assert f'href="/konto/login/?next=/innlegg/{post.pk}/"' in html
    assert "Log in to comment" in html
    assert 'name="body"' not in html
    assert "Comment rules" in html
    assert "csrfmiddlewaretoken" not in html  # the anonymous page stays cacheable


def test_resident_sees_rules_above_the_comment_form(
    client: Client, post: Post, resident: User
) -> None:
    html = logged_in(client, resident).get(f"/innlegg/{post.pk}/", **EN).text
    assert html.index("Comment rules") < html.index('id="comment-body"')
    assert '<label for="comment-body">Your comment</label>' in html


def test_comment_opens_thread_in_post_unit_with_web_channel(
    client: Client, post: Post, resident: User, library: Unit
) -> None:
    response = comment(logged_in(client, resident), post, "Flere lydbøker, takk!")
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/innlegg/{post.pk}/#samtale-{thread.pk}"
    assert (thread.unit, thread.channel, thread.subject, thread.opened_by, thread.title) == (
        library,
        Channel.WEB,
        post,
        resident,
        post.title,
    )
    page = client.get(f"/innlegg/{post.pk}/", **EN).text
    assert f'id="samtale-{thread.pk}"' in page and "Flere lydbøker, takk!" in page
    assert "1 comment" in page


def test_reply_stays_in_the_thread(client: Client, post: Post, resident: User) -> None:
    thread = services.post_comment(post=post, actor=resident, body="Første")
    response = logged_in(client, resident).post(
        f"/innlegg/{post.pk}/kommentarer/svar/", {"thread": thread.pk, "body": "Andre"}, **EN
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#samtale-{thread.pk}")
    assert Thread.objects.count() == 1
    assert [m.body for m in thread.messages.order_by("created_at", "pk")] == ["Første", "Andre"]


def test_comment_text_is_escaped_and_links_are_nofollow_ugc(
    client: Client, post: Post, resident: User
) -> None:
    comment(
        logged_in(client, resident), post, '<script>alert("x")</script> se https://ond.example/'
    )
    html = client.get(f"/innlegg/{post.pk}/").text
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<a href="https://ond.example/" rel="nofollow ugc">' in html


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "Write something before you send."), ("x" * 5001, "The text is too long")],
)
def test_refused_comment_rerenders_422_with_text_kept(
    client: Client, post: Post, resident: User, body: str, message: str
) -> None:
    response = comment(logged_in(client, resident), post, body)
    assert response.status_code == 422
    assert message in response.text
    assert textarea(response.text, "comment-body") == body
    assert 'aria-describedby="comment-body-error"' in response.text
    assert Thread.objects.count() == 0


def test_flood_of_comments_is_rate_limited_with_text_kept(
    client: Client, post: Post, resident: User
) -> None:
    logged_in(client, resident)
    for n in range(5):
        assert comment(client, post, f"Kommentar {n}").status_code == 302
    response = comment(client, post, "En til")
    assert response.status_code == 422
    assert "You have written many messages in a short while" in response.text
    assert textarea(response.text, "comment-body") == "En til"
    assert Thread.objects.count() == 5


def test_closed_comments_show_no_form_and_refuse_a_comment(
    client: Client, library: Unit, resident: User
) -> None:
    post = post_make(library, comments_open=False)
    threads_make(post, count=1, author=resident, replies=0)
    html = logged_in(client, resident).get(f"/innlegg/{post.pk}/", **EN).text
    assert "Comments are closed for this post." in html
    assert 'id="comment-body"' not in html and 'id="reply-' not in html
    response = comment(client, post, "Likevel")
    assert response.status_code == 422
    assert "Comments are closed for this post." in response.text
    assert textarea(response.text, "comment-body") == "Likevel"
    assert Thread.objects.count() == 1


def test_reply_to_closed_thread_is_refused_with_text_kept(
    client: Client, post: Post, resident: User, communicator: User
) -> None:
    thread = services.post_comment(post=post, actor=resident, body="Spørsmål")
    conversations.thread_close(thread=thread, actor=communicator)
    html = logged_in(client, resident).get(f"/innlegg/{post.pk}/", **EN).text
    assert "This conversation is closed." in html
    assert f'id="reply-{thread.pk}"' not in html
    response = client.post(
        f"/innlegg/{post.pk}/kommentarer/svar/",
        {"thread": thread.pk, "body": "Mitt lange svar"},
        **EN,
    )
    assert response.status_code == 422
    assert "This conversation is closed; start a new one." in response.text
    assert textarea(response.text, f"reply-{thread.pk}") == "Mitt lange svar"
    assert thread.messages.count() == 1


@pytest.mark.parametrize("forged", ["other-post", "other-municipality", "missing", "junk"])
def test_forged_thread_id_in_reply_is_404_and_stores_nothing(
    client: Client,
    post: Post,
    resident: User,
    library: Unit,
    other_municipality: Municipality,
    forged: str,
) -> None:
    other_post = post_make(library, title="Annet innlegg")
    foreign_post = post_make(unit_make(other_municipality, slug="skole"), title="Fremmed")
    [other_thread] = threads_make(other_post, count=1, author=resident, replies=0)
    [foreign_thread] = threads_make(foreign_post, count=1, author=resident, replies=0)
    thread_id = {
        "other-post": other_thread.pk,
        "other-municipality": foreign_thread.pk,
        "missing": 999_999,
        "junk": "1 OR 1=1",
    }[forged]
    before = Message.objects.count()
    response = logged_in(client, resident).post(
        f"/innlegg/{post.pk}/kommentarer/svar/", {"thread": thread_id, "body": "Kapring"}
    )
    assert response.status_code == 404
    assert Message.objects.count() == before


def test_staff_answer_in_place_is_official_and_returns_to_anchor(
    client: Client, post: Post, resident: User, communicator: User
) -> None:
    thread = services.post_comment(post=post, actor=resident, body="Når kommer nye bøker?")
    html = logged_in(client, communicator).get(f"/innlegg/{post.pk}/", **EN).text
    assert f'id="answer-{thread.pk}"' in html and "Answer on behalf of Testvik bibliotek" in html
    response = client.post(
        f"/innlegg/{post.pk}/kommentarer/offisielt-svar/",
        {"thread": thread.pk, "body": "Neste uke!", "page": "1"},
        **EN,
    )
    assert response.status_code == 302
    assert response["Location"] == f"/innlegg/{post.pk}/#samtale-{thread.pk}"
    answer = thread.messages.get(role=AuthorRole.OFFICIAL)
    assert (answer.author, answer.body) == (communicator, "Neste uke!")
    html = client.get(f"/innlegg/{post.pk}/", **EN).text
    assert "Answer from Testvik bibliotek" in html and "Neste uke!" in html


def test_empty_staff_answer_is_422_with_form_open(
    client: Client, post: Post, resident: User, communicator: User
) -> None:
    thread = services.post_comment(post=post, actor=resident, body="Spørsmål")
    response = logged_in(client, communicator).post(
        f"/innlegg/{post.pk}/kommentarer/offisielt-svar/", {"thread": thread.pk, "body": " "}, **EN
    )
    assert response.status_code == 422
    assert "Write something before you send." in response.text
    assert '<details class="thread-form thread-form--answer" open>' in response.text


def test_resident_cannot_answer_officially(client: Client, post: Post, resident: User) -> None:
    thread = services.post_comment(post=post, actor=resident, body="Spørsmål")
    html = logged_in(client, resident).get(f"/innlegg/{post.pk}/").text
    assert f'id="answer-{thread.pk}"' not in html
    response = client.post(
        f"/innlegg/{post.pk}/kommentarer/offisielt-svar/", {"thread": thread.pk, "body": "Svar"}
    )
    assert response.status_code == 403
    assert not thread.messages.filter(role=AuthorRole.OFFICIAL).exists()


def test_anonymous_post_of_a_comment_goes_to_log_in(client: Client, post: Post) -> None:
    response = comment(client, post, "Hei")
    assert response.status_code == 302
    assert response["Location"] == f"/konto/login/?next=/innlegg/{post.pk}/"
    assert Thread.objects.count() == 0


def test_comments_are_paged_twenty_threads_a_page(
    client: Client, post: Post, resident: User
) -> None:
    threads = threads_make(post, count=25, author=resident, replies=0)
    first = client.get(f"/innlegg/{post.pk}/", **EN).text
    second = client.get(f"/innlegg/{post.pk}/?page=2", **EN).text
    assert first.count('class="thread"') == 20 and second.count('class="thread"') == 5
    assert f'id="samtale-{threads[-1].pk}"' in first  # newest first
    assert f'id="samtale-{threads[0].pk}"' in second
    assert "25 comments" in first
    assert 'href="?page=2#kommentarer"' in first and "Page 1 of 2" in first


@pytest.mark.parametrize("viewer", ["anonymous", "resident", "communicator"])
def test_post_page_queries_do_not_grow_with_comments(
    request: pytest.FixtureRequest,
    client: Client,
    post: Post,
    resident: User,
    communicator: User,
    django_assert_max_num_queries: Any,
    viewer: str,
) -> None:
    if viewer != "anonymous":
        logged_in(client, request.getfixturevalue(viewer))
    threads_make(post, count=5, author=resident, replies=3, answered_by=communicator)
    client.get(f"/innlegg/{post.pk}/")  # warm the caches (content types, host)
    with django_assert_max_num_queries(16) as few:
        assert client.get(f"/innlegg/{post.pk}/?page=1").status_code == 200
    threads_make(post, count=195, author=resident, replies=3, answered_by=communicator)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(f"/innlegg/{post.pk}/?page=1")
    assert response.text.count('class="thread"') == 20
    assert "200 comments" in response.text or "200 kommentarer" in response.text
    assert len(many.captured_queries) == len(few.captured_queries)


# --- attachments -------------------------------------------------------------------------


def test_attachments_are_listed_and_served_safely(
    client: Client, library: Unit, communicator: User
) -> None:
    post = services.post_create(
        unit=library,
        actor=communicator,
        title="Program",
        body="Se vedlegg.",
        kind=PostKind.INFORMATION,
        attachments=[
            upload("Høstprogram.pdf", PDF_BYTES),
            NewAttachment(file=upload("plakat.png", png_bytes()), alt_text="Plakat for høsten"),
        ],
    )
    pdf, png = post.attachments.all()
    html = client.get(f"/innlegg/{post.pk}/", **EN).text
    assert "Høstprogram.pdf" in html
    assert f'<img src="/innlegg/{post.pk}/vedlegg/{png.pk}/" alt="Plakat for høsten"' in html
    response = client.get(f"/innlegg/{post.pk}/vedlegg/{pdf.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "H%C3%B8stprogram.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    image = client.get(f"/innlegg/{post.pk}/vedlegg/{png.pk}/")
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline;")
    assert image["X-Content-Type-Options"] == "nosniff"


def test_attachment_of_another_post_or_municipality_is_404(
    client: Client, library: Unit, communicator: User, other_municipality: Municipality
) -> None:
    post = services.post_create(
        unit=library,
        actor=communicator,
        title="Program",
        body="Se vedlegg.",
        kind=PostKind.INFORMATION,
        attachments=[upload("a.pdf", PDF_BYTES)],
    )
    other = post_make(library)
    [attachment] = post.attachments.all()
    assert client.get(f"/innlegg/{other.pk}/vedlegg/{attachment.pk}/").status_code == 404
    foreign = client.get(f"/innlegg/{post.pk}/vedlegg/{attachment.pk}/", HTTP_HOST="andrevik.test")
    assert foreign.status_code == 404


# --- a unit's posts ------------------------------------------------------------------------


def test_unit_posts_are_paged_twenty_newest_first(
    client: Client, library: Unit, school: Unit
) -> None:
    now = timezone.now()
    for n in range(23):
        post_make(library, title=f"Innlegg {n:02d}", published_at=now - datetime.timedelta(hours=n))
    post_make(school, title="Skolenytt")
    first = client.get("/enheter/biblioteket/innlegg/", **EN).text
    second = client.get("/enheter/biblioteket/innlegg/?page=2", **EN).text
    assert first.count('class="post-card"') == 20 and second.count('class="post-card"') == 3
    assert first.index("Innlegg 00") < first.index("Innlegg 01")
    assert "Innlegg 22" in second and "Skolenytt" not in first + second
    assert "Page 1 of 2" in first


def test_unit_posts_empty_state(client: Client, library: Unit) -> None:
    response = client.get("/enheter/biblioteket/innlegg/", **EN)
    assert response.status_code == 200
    assert "Testvik bibliotek has not published any posts yet." in response.text


def test_unit_posts_of_unknown_unit_is_404(client: Client, municipality: Municipality) -> None:
    assert client.get("/enheter/finnes-ikke/innlegg/").status_code == 404


def test_unit_page_and_front_page_show_latest_posts(
    client: Client, library: Unit, school: Unit
) -> None:
    post_make(library, title="Bibliotek-nytt", kind=PostKind.DIALOGUE)
    post_make(school, title="Skole-nytt")
    unit_page = client.get("/enheter/biblioteket/", **EN).text
    assert "Bibliotek-nytt" in unit_page and "Skole-nytt" not in unit_page
    assert "Invites dialogue" in unit_page
    assert 'href="/enheter/biblioteket/innlegg/"' in unit_page
    assert "Log in to follow Testvik bibliotek" in unit_page
    front = client.get("/", **EN).text
    assert "Bibliotek-nytt" in front and "Skole-nytt" in front
    assert "Latest posts" in front


# --- following -----------------------------------------------------------------------------


def test_follow_form_follows_changes_and_unfollows(
    client: Client, library: Unit, resident: User
) -> None:
    from torget.pages.models import Follow

    logged_in(client, resident)
    page = client.get("/enheter/biblioteket/", **EN).text
    assert "Follow Testvik bibliotek: get an e-mail when it posts" in page
    response = client.post(
        "/enheter/biblioteket/folg/",
        {"action": "follow", "frequency": "daily", "next": "/enheter/biblioteket/"},
    )
    assert response.status_code == 302 and response["Location"] == "/enheter/biblioteket/"
    assert Follow.objects.get(user=resident, unit=library).frequency == "daily"
    page = client.get("/enheter/biblioteket/", **EN).text
    assert "You follow Testvik bibliotek" in page and "Stop following" in page
    client.post("/enheter/biblioteket/folg/", {"action": "follow", "frequency": "immediate"})
    assert Follow.objects.get().frequency == "immediate"
    response = client.post(
        "/enheter/biblioteket/folg/", {"action": "unfollow", "next": "https://ond.example/"}
    )
    assert response["Location"] == "/enheter/biblioteket/"  # no open redirect
    assert not Follow.objects.exists()


def test_follow_form_on_post_page_returns_to_the_post(
    client: Client, post: Post, resident: User
) -> None:
    html = logged_in(client, resident).get(f"/innlegg/{post.pk}/", **EN).text
    assert f'<input type="hidden" name="next" value="/innlegg/{post.pk}/">' in html
    response = client.post(
        "/enheter/biblioteket/folg/", {"action": "follow", "next": f"/innlegg/{post.pk}/"}
    )
    assert response["Location"] == f"/innlegg/{post.pk}/"


def test_anonymous_follow_goes_to_log_in(client: Client, library: Unit) -> None:
    response = client.post("/enheter/biblioteket/folg/", {"action": "follow"})
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/login/?next=/enheter/biblioteket/")


# --- the staff editor ----------------------------------------------------------------------


def test_staff_editor_offers_only_units_the_communicator_may_publish_for(
    client: Client, library: Unit, school: Unit, communicator: User
) -> None:
    html = logged_in(client, communicator).get("/ansatt/innlegg/ny/", **EN).text
    assert "Testvik bibliotek" in html and "Testvik skole" not in html
    assert 'type="radio" name="kind" value="dialogue"' in html
    assert 'enctype="multipart/form-data"' in html


def test_staff_editor_publishes_a_post_with_attachment(
    client: Client, library: Unit, communicator: User
) -> None:
    response = logged_in(client, communicator).post(
        "/ansatt/innlegg/ny/",
        {
            "unit": library.pk,
            "title": "Lesekveld",
            "body": "Velkommen torsdag.",
            "kind": "dialogue",
            "comments_open": "on",
            "file_1": upload("program.pdf", PDF_BYTES),
        },
    )
    post = Post.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/innlegg/{post.pk}/"
    assert (post.unit, post.kind, post.author, post.comments_open) == (
        library,
        "dialogue",
        communicator,
        True,
    )
    assert post.attachments.get().original_name == "program.pdf"


def test_staff_editor_refuses_fake_pdf_with_422_and_keeps_text(
    client: Client, library: Unit, communicator: User
) -> None:
    response = logged_in(client, communicator).post(
        "/ansatt/enheter/biblioteket/innlegg/ny/",
        {
            "title": "Lesekveld",
            "body": "Velkommen torsdag.",
            "kind": "information",
            "file_1": upload("program.pdf", HTML_BYTES),
            "file_2": upload("bilde.png", png_bytes()),
        },
        **EN,
    )
    assert response.status_code == 422
    assert "The content of program.pdf does not match its file type" in response.text
    assert "Describe the picture in a few words" in response.text
    assert 'value="Lesekveld"' in response.text and "Velkommen torsdag." in response.text
    assert 'aria-invalid="true"' in response.text and 'id="id_file_1_error"' in response.text
    assert Post.objects.count() == 0


def test_staff_editor_refuses_empty_title_with_422(
    client: Client, library: Unit, communicator: User
) -> None:
    response = logged_in(client, communicator).post(
        "/ansatt/enheter/biblioteket/innlegg/ny/",
        {"title": "", "body": "Tekst som blir igjen", "kind": "information"},
        **EN,
    )
    assert response.status_code == 422
    assert "Give the post a title." in response.text
    assert "Tekst som blir igjen" in response.text


@pytest.mark.parametrize("persona", ["resident", "case_officer"])
def test_staff_editor_is_403_for_those_who_do_not_publish(
    request: pytest.FixtureRequest, client: Client, library: Unit, persona: str
) -> None:
    logged_in(client, request.getfixturevalue(persona))
    assert client.get("/ansatt/innlegg/ny/").status_code == 403
    assert client.get("/ansatt/enheter/biblioteket/innlegg/ny/").status_code == 403


def test_communicator_of_library_cannot_post_for_school(
    client: Client, school: Unit, communicator: User
) -> None:
    logged_in(client, communicator)
    assert client.get("/ansatt/enheter/skolen/innlegg/ny/").status_code == 403
    response = client.post(
        "/ansatt/enheter/skolen/innlegg/ny/",
        {"title": "Kapret", "body": "x", "kind": "information"},
    )
    assert response.status_code == 403
    assert Post.objects.count() == 0


def test_staff_edit_changes_post_and_closes_comments(
    client: Client, post: Post, communicator: User
) -> None:
    html = logged_in(client, communicator).get(f"/innlegg/{post.pk}/", **EN).text
    assert f'href="/ansatt/innlegg/{post.pk}/endre/"' in html
    response = client.post(
        f"/ansatt/innlegg/{post.pk}/endre/",
        {"title": "Ny tittel", "body": "Ny tekst", "kind": "information"},
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.title, post.kind, post.comments_open) == ("Ny tittel", "information", False)


def test_staff_edit_of_another_unit_is_403(
    client: Client, school: Unit, communicator: User
) -> None:
    post = post_make(school)
    assert (
        logged_in(client, communicator).get(f"/ansatt/innlegg/{post.pk}/endre/").status_code == 403
    )


def test_forms_on_a_refused_comment_page_return_to_the_post_not_the_form_address(
    client: Client, post: Post, resident: User, other_resident: User
) -> None:
    services.post_comment(post=post, actor=other_resident, body="Hei")
    response = comment(logged_in(client, resident), post, "")
    assert response.status_code == 422
    assert f'name="next" value="/innlegg/{post.pk}/"' in response.text  # the follow form
    assert f'name="next" value="/innlegg/{post.pk}/kommentarer' not in response.text

"""The resident's thread page: writing a follow-up, and what the shared partial shows whom
(internal notes never reach residents; no query per message)."""

from __future__ import annotations

from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from torget.accounts.models import User
from torget.conversations import selectors, services
from torget.conversations.models import Message, Thread, ThreadStatus, Visibility
from torget.organisation.models import Unit

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOTE = "Internt: hun har klaget før"


def open_thread(unit: Unit, resident: User, visibility: str = Visibility.PUBLIC) -> Thread:
    return services.thread_open(
        unit=unit, channel="web", body="Når åpner dere?", actor=resident, visibility=visibility
    )


def test_thread_detail_opener_writes_a_follow_up(
    client: Client, library: Unit, resident: User, communicator: User
) -> None:
    thread = open_thread(library, resident, Visibility.PRIVATE)
    services.thread_answer(threads=[thread], actor=communicator, body="Kl. 10.")
    client.force_login(resident)
    response = client.post(f"/samtaler/{thread.pk}/", {"body": "Også i helgen?"}, **EN)
    follow_up = thread.messages.get(body="Også i helgen?")
    assert response.status_code == 302
    assert response["Location"] == f"/samtaler/{thread.pk}/#melding-{follow_up.pk}"
    assert follow_up.author == resident and follow_up.visibility == Visibility.PRIVATE
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.WAITING  # back in the inbox
    page = client.get(response["Location"], **EN)
    assert "Your message has been sent." in page.text and "Også i helgen?" in page.text


def test_thread_detail_anyone_logged_in_may_write_in_a_public_thread(
    client: Client, library: Unit, resident: User, other_resident: User
) -> None:
    thread = open_thread(library, resident)
    client.force_login(other_resident)
    assert client.post(f"/samtaler/{thread.pk}/", {"body": "Lurer på det samme"}).status_code == 302
    assert thread.messages.filter(author=other_resident).exists()


def test_thread_detail_private_thread_of_someone_else_is_refused(
    client: Client, library: Unit, resident: User, other_resident: User
) -> None:
    thread = open_thread(library, resident, Visibility.PRIVATE)
    client.force_login(other_resident)
    assert client.get(f"/samtaler/{thread.pk}/").status_code == 403
    assert client.post(f"/samtaler/{thread.pk}/", {"body": "Hei"}).status_code == 403
    assert thread.messages.count() == 1


def test_thread_detail_anonymous_visitor_is_asked_to_log_in(
    client: Client, library: Unit, resident: User
) -> None:
    thread = open_thread(library, resident)
    page = client.get(f"/samtaler/{thread.pk}/", **EN)
    assert "Log in to write in this conversation." in page.text
    assert 'name="body"' not in page.text
    response = client.post(f"/samtaler/{thread.pk}/", {"body": "Hei"})
    assert response.status_code == 302 and response["Location"].startswith("/konto/login/")
    assert thread.messages.count() == 1


def test_thread_detail_empty_or_too_long_is_422_and_keeps_the_text(
    client: Client, library: Unit, resident: User
) -> None:
    thread = open_thread(library, resident)
    client.force_login(resident)
    empty = client.post(f"/samtaler/{thread.pk}/", {"body": "  "}, **EN)
    assert empty.status_code == 422
    assert "Write something before you send." in empty.text
    assert 'aria-describedby="reply_body_error"' in empty.text
    long = "Veldig langt " * 400
    too_long = client.post(f"/samtaler/{thread.pk}/", {"body": long}, **EN)
    assert too_long.status_code == 422
    assert "The text is too long" in too_long.text and long.strip() in too_long.text
    assert thread.messages.count() == 1


def test_thread_detail_closed_thread_says_so_and_keeps_the_text(
    client: Client, library: Unit, resident: User, communicator: User
) -> None:
    thread = open_thread(library, resident)
    services.thread_close(thread=thread, actor=communicator)
    client.force_login(resident)
    page = client.get(f"/samtaler/{thread.pk}/", **EN)
    assert "This conversation is closed; start a new one." in page.text
    assert 'name="body"' not in page.text
    response = client.post(f"/samtaler/{thread.pk}/", {"body": "Hallo igjen"}, **EN)
    assert response.status_code == 422
    assert "This conversation is closed; start a new one." in response.text
    assert ">\nHallo igjen</textarea>" in response.text
    assert thread.messages.count() == 1


def test_thread_detail_blocked_account_cannot_write(
    client: Client, municipality: object, library: Unit, resident: User, moderator: User
) -> None:
    thread = open_thread(library, resident)
    services.user_block(
        municipality=library.municipality, user=resident, actor=moderator, reason="Trusler"
    )
    client.force_login(resident)
    response = client.post(f"/samtaler/{thread.pk}/", {"body": "Slipp meg inn"}, **EN)
    assert response.status_code == 422
    assert "Your account has been blocked from writing here." in response.text
    assert "Slipp meg inn" in response.text
    assert thread.messages.count() == 1


# --- internal notes never reach residents ----------------------------------------------------


def test_internal_notes_never_render_on_the_residents_thread_page(
    client: Client, library: Unit, resident: User, other_resident: User, communicator: User
) -> None:
    private = open_thread(library, resident, Visibility.PRIVATE)
    public = open_thread(library, other_resident)
    for thread in (private, public):
        services.note_add(thread=thread, actor=communicator, body=NOTE)
        services.thread_answer(threads=[thread], actor=communicator, body="Offentlig svar")
    client.force_login(resident)
    for thread in (private, public):
        page = client.get(f"/samtaler/{thread.pk}/", **EN)
        assert page.status_code == 200
        assert "Offentlig svar" in page.text
        assert NOTE not in page.text and "Internal note" not in page.text
    client.logout()
    cache.clear()
    anonymous = client.get(f"/samtaler/{public.pk}/", **EN)
    assert "Offentlig svar" in anonymous.text and NOTE not in anonymous.text
    # Staff on the residents' page see what residents see; notes are on the staff page.
    client.force_login(communicator)
    staff_on_public_page = client.get(f"/samtaler/{public.pk}/", **EN)
    assert NOTE not in staff_on_public_page.text
    assert "Open in the inbox (staff)" in staff_on_public_page.text


def test_internal_notes_never_render_in_the_partial_for_residents(
    library: Unit, resident: User, communicator: User, rf: RequestFactory
) -> None:
    thread = services.thread_open(
        unit=library, channel="web", body="Spørsmål", actor=resident, subject=library
    )
    services.note_add(thread=thread, actor=communicator, body=NOTE)
    request = rf.get("/")
    request.user = resident
    # Through the selector feature modules use under their subjects ...
    page = selectors.thread_page_for_subject(subject=library, viewer=resident, page=1)
    for listed in page:
        html = render_to_string(
            "conversations/_messages.html",
            {"messages_list": listed.visible, "user": resident},
            request=request,
        )
        assert "Spørsmål" in html and NOTE not in html
    # ... and even when a careless caller hands the partial a list with the note in it.
    everything = list(Message.objects.filter(thread=thread))
    html = render_to_string(
        "conversations/_messages.html",
        {"messages_list": everything, "user": resident, "can_moderate": True},
        request=request,
    )
    assert "Spørsmål" in html and NOTE not in html


def test_partial_makes_no_query_per_message(
    library: Unit,
    resident: User,
    other_resident: User,
    moderator: User,
    communicator: User,
    rf: RequestFactory,
    django_assert_max_num_queries: object,
) -> None:
    """The comments under a post: 20 threads a page, a moderator's view (the most forms)."""
    request = rf.get("/innlegg/1/")
    request.user = moderator

    def render_page() -> str:
        page = selectors.thread_page_for_subject(subject=library, viewer=moderator, page=1)
        return "".join(
            render_to_string(
                "conversations/_messages.html",
                {"messages_list": t.visible, "user": moderator, "can_moderate": True},
                request=request,
            )
            for t in page
        )

    def comment(count: int) -> None:
        for n in range(count):
            thread = services.thread_open(
                unit=library, channel="web", body=f"Kommentar {n}", actor=None, subject=library
            )
            services.thread_answer(threads=[thread], actor=communicator, body=f"Svar {n}")
            services.message_add_resident(thread=thread, actor=None, body=f"Takk {n}")

    comment(2)
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        few = render_page()
    comment(25)
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        many = render_page()
    assert few.count('class="msg ') == 6 and many.count('class="msg ') == 60
    assert "Answer from Testvik bibliotek" in many and "Hide this message" in many

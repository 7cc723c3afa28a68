"""The public pages, the feedback box and the staff pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.services import feedback as feedback_services
from torget.services import services
from torget.services.models import InfoPage, PageFeedback
from torget.services.tests.factories import page_make, situation_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def textarea(html: str, element_id: str) -> str:
    found = re.search(rf'<textarea[^>]*id="{element_id}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, f"no textarea {element_id}"
    return found.group(1)


@pytest.fixture
def page(library: Unit) -> InfoPage:
    situation = situation_make(library)
    return page_make(
        library,
        body="## Søk barnehageplass\n\nFristen er **1. mars**. <script>alert(1)</script>\n\n"
        "[Les mer](https://ekstern.no/) eller [spør oss](/tjenester/).",
        situations=(situation,),
    )


# --- residents ------------------------------------------------------------------------------


def test_situation_list_shows_situations_with_their_pages(client: Client, page: InfoPage) -> None:
    situation_make(page.unit, slug="bli-eldre", title="Bli eldre")
    html = client.get("/tjenester/", **EN).text
    assert "<h1>Services</h1>" in html
    assert '<a href="/tjenester/fa-barn/">Få barn</a>' in html
    assert '<a href="/tjenester/side/barnehageplass/">Barnehageplass</a>' in html
    assert "No pages here yet." in html  # Bli eldre has none


def test_situation_list_shows_five_pages_and_a_link_to_all(client: Client, library: Unit) -> None:
    situation = situation_make(library)
    for number in range(7):
        page_make(library, title=f"Side {number}", situations=(situation,))
    html = client.get("/tjenester/", **EN).text
    assert "Side 4" in html and "Side 5" not in html
    assert '<a href="/tjenester/fa-barn/">See all 7 pages</a>' in html


def test_situation_list_has_an_empty_state(client: Client, municipality: Any) -> None:
    html = client.get("/tjenester/", **EN).text
    assert "The municipality has not published any service pages yet." in html


def test_main_menu_links_to_services(client: Client, municipality: Any) -> None:
    html = client.get("/tjenester/", **EN).text
    assert '<a href="/tjenester/" aria-current="page">Services</a>' in html


def test_situation_detail_lists_only_published_pages(
    client: Client, page: InfoPage, library: Unit
) -> None:
    page_make(
        library, title="Hemmelig utkast", published=False, situations=(situation_make(library),)
    )
    html = client.get("/tjenester/fa-barn/", **EN).text
    assert "<h1>Få barn</h1>" in html
    assert "Barnehageplass" in html and "Slik søker du barnehageplass." in html
    assert "Hemmelig utkast" not in html
    assert client.get("/tjenester/finnes-ikke/", **EN).status_code == 404


def test_page_detail_shows_text_contact_unit_review_date_and_feedback_box(
    client: Client, page: InfoPage
) -> None:
    response = client.get("/tjenester/side/barnehageplass/", **EN)
    assert response.status_code == 200
    html = response.text
    assert '<h1 id="page-title">Barnehageplass</h1>' in html
    assert '<p class="lead">Slik søker du barnehageplass.</p>' in html
    assert "<h2>Søk barnehageplass</h2>" in html
    assert "<strong>1. mars</strong>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert '<a href="https://ekstern.no/" rel="nofollow">Les mer</a>' in html
    assert '<a href="/tjenester/">spør oss</a>' in html
    assert "Telefon 22 00 00 25" in html
    assert 'href="/enheter/biblioteket/">Testvik bibliotek</a>' in html
    assert f'<time datetime="{page.last_reviewed_on:%Y-%m-%d}">' in html
    assert "Was this page helpful?" in html
    assert 'name="helpful" value="yes"' in html and 'name="helpful" value="no"' in html
    assert '<a href="/tjenester/fa-barn/">Få barn</a>' in html
    assert "Forms and self-service" not in html  # no links registered


def test_page_detail_escapes_the_contact_text(client: Client, library: Unit) -> None:
    page_make(library, title="Kontakt", contact="<b>Ring</b> oss")
    html = client.get("/tjenester/side/kontakt/", **EN).text
    assert "&lt;b&gt;Ring&lt;/b&gt; oss" in html


def test_unpublished_page_is_404_to_residents_and_shown_to_its_editors(
    client: Client, library: Unit, resident: User, communicator: User
) -> None:
    page_make(library, title="Utkast", published=False)
    assert client.get("/tjenester/side/utkast/", **EN).status_code == 404
    assert logged_in(client, resident).get("/tjenester/side/utkast/", **EN).status_code == 404
    html = logged_in(client, communicator).get("/tjenester/side/utkast/", **EN).text
    assert "This page is not published." in html


def test_page_of_another_municipality_is_404(client: Client, page: InfoPage) -> None:
    from tests.factories import municipality_make

    municipality_make(number="9997", name="Andrevik", hostnames=("andrevik.test",))
    assert (
        client.get("/tjenester/side/barnehageplass/", HTTP_HOST="andrevik.test").status_code == 404
    )


# --- feedback ------------------------------------------------------------------------------


def feedback(client: Client, data: dict[str, str], slug: str = "barnehageplass") -> Any:
    return client.post(f"/tjenester/side/{slug}/tilbakemelding/", data, **EN)


def test_yes_is_stored_and_thanked(client: Client, page: InfoPage) -> None:
    response = feedback(client, {"helpful": "yes"})
    assert response.status_code == 302
    assert response["Location"].endswith("?tilbakemelding=takk#tilbakemelding")
    vote = PageFeedback.objects.get()
    assert vote.helpful and vote.text == "" and vote.thread is None and vote.language == "en"
    html = client.get(response["Location"], **EN).text
    assert "Thank you for your answer" in html
    assert "reads every answer" in html


def test_no_without_javascript_asks_what_was_missed_then_opens_a_thread(
    client: Client, page: InfoPage
) -> None:
    response = feedback(client, {"helpful": "no"})
    assert response.status_code == 302 and "tilbakemelding=savnet" in response["Location"]
    vote = PageFeedback.objects.get()
    assert not vote.helpful and vote.thread is None
    html = client.get(response["Location"], **EN).text
    assert '<h2 id="feedback-heading">What did you miss?</h2>' in html
    token = re.search(r'name="vote" value="([^"]+)"', html)
    assert token
    response = feedback(
        client,
        {"vote": token.group(1), "text": "Hva koster mat?", "contact": "kari@example.no"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?tilbakemelding=takk-svar#tilbakemelding")
    vote.refresh_from_db()
    assert vote.text == "Hva koster mat?" and vote.thread is not None
    assert vote.thread.contact == "kari@example.no"
    assert PageFeedback.objects.count() == 1  # the text joined the same vote
    html = client.get(response["Location"], **EN).text
    assert "You will get an answer by e-mail." in html


def test_no_with_text_in_one_post_opens_the_thread_at_once(client: Client, page: InfoPage) -> None:
    response = feedback(client, {"helpful": "no", "text": "Åpningstider i sommer?"})
    assert response["Location"].endswith("?tilbakemelding=takk#tilbakemelding")
    vote = PageFeedback.objects.get()
    assert vote.thread is not None and vote.thread.contact == ""


def test_the_second_step_cannot_be_sent_twice(client: Client, page: InfoPage) -> None:
    location = feedback(client, {"helpful": "no"})["Location"]
    token = re.search(r"stemme=([^#&]+)", location)
    assert token
    from urllib.parse import unquote

    vote = unquote(token.group(1))
    assert feedback(client, {"vote": vote, "text": "Først"}).status_code == 302
    response = feedback(client, {"vote": vote, "text": "Igjen"})
    assert response.status_code == 422
    assert "This answer has already been sent." in response.text
    assert PageFeedback.objects.get().text == "Først"


def test_a_forged_vote_token_is_refused(client: Client, page: InfoPage) -> None:
    response = feedback(client, {"vote": "forfalsket", "text": "Hei"})
    assert response.status_code == 422
    assert "This answer has expired." in response.text
    assert not PageFeedback.objects.exists()


def test_a_wrong_e_mail_address_keeps_the_text_and_answers_422(
    client: Client, page: InfoPage
) -> None:
    response = feedback(client, {"helpful": "no", "text": "Mer om priser", "contact": "ikke-epost"})
    assert response.status_code == 422
    html = response.text
    assert textarea(html, "id_text").strip() == "Mer om priser"
    assert 'value="ikke-epost"' in html
    assert "Write an e-mail address like name@example.no" in html
    assert 'aria-describedby="id_contact_helptext id_contact_error"' in html
    assert 'class="error-summary"' in html
    assert '<h2 id="feedback-heading">What did you miss?</h2>' in html
    assert '<input type="hidden" name="helpful" value="no">' in html
    assert not PageFeedback.objects.exists()
    # Sent again as the re-rendered form sends it, with the address put right.
    response = feedback(
        client, {"helpful": "no", "vote": "", "text": "Mer om priser", "contact": "k@example.no"}
    )
    assert response["Location"].endswith("?tilbakemelding=takk-svar#tilbakemelding")
    assert PageFeedback.objects.get().thread.contact == "k@example.no"  # type: ignore[union-attr]


def test_an_error_in_the_first_step_keeps_what_did_you_miss_open(
    client: Client, page: InfoPage
) -> None:
    response = feedback(client, {"helpful": "no", "text": "x" * 2001})
    assert response.status_code == 422
    assert "at most 2000 characters" in response.text
    assert 'id="feedback-more" data-feedback-more>' in response.text  # open, not hidden


def test_feedback_on_an_unpublished_page_is_404(client: Client, library: Unit) -> None:
    page_make(library, title="Utkast", published=False)
    assert feedback(client, {"helpful": "yes"}, slug="utkast").status_code == 404
    assert not PageFeedback.objects.exists()


def test_feedback_is_rate_limited_per_address(client: Client, page: InfoPage) -> None:
    for _ in range(20):
        assert feedback(client, {"helpful": "yes"}).status_code == 302
    response = feedback(client, {"helpful": "yes"})
    assert response.status_code == 429
    assert "Many answers have come from here" in response.text
    assert 'id="feedback-more" data-feedback-more hidden>' in response.text
    assert PageFeedback.objects.count() == 20


def test_a_logged_in_resident_is_not_asked_for_an_e_mail_address(
    client: Client, page: InfoPage, resident: User
) -> None:
    logged_in(client, resident)
    location = feedback(client, {"helpful": "no"})["Location"]
    html = client.get(location, **EN).text
    assert "We answer to the e-mail address of your account." in html
    assert 'name="contact"' not in html


# --- staff ---------------------------------------------------------------------------------


def test_staff_list_shows_counts_share_written_and_review_flag(
    client: Client, page: InfoPage, library: Unit, communicator: User
) -> None:
    import datetime

    page_make(library, title="Gammel side", reviewed_on=datetime.date(2020, 1, 1))
    for helpful in (True, True, True, False):
        feedback_services.page_feedback_give(page=page, actor=None, helpful=helpful, client="a")
    feedback_services.page_feedback_give(
        page=page, actor=None, helpful=False, text="Mangler pris", client="b"
    )
    html = logged_in(client, communicator).get("/ansatt/tjenester/", **EN).text
    row = re.search(
        rf'<th scope="row"><a href="/ansatt/tjenester/{page.pk}/endre/">Barnehageplass.*?</tr>',
        html,
        re.S,
    )
    assert row
    cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
    assert [c.strip() for c in cells[1:5]] == ["3", "2", "60 %", "1"]
    old_row = re.search(r"Gammel side.*?</tr>", html, re.S)
    assert old_row and "Needs review" in old_row.group(0)
    assert "Needs review" not in row.group(0)


def test_staff_list_filters_pages_that_need_review(
    client: Client, page: InfoPage, library: Unit, communicator: User
) -> None:
    import datetime

    page_make(library, title="Gammel side", reviewed_on=datetime.date(2020, 1, 1))
    html = logged_in(client, communicator).get("/ansatt/tjenester/?forfalt=1", **EN).text
    assert "Gammel side" in html and ">Barnehageplass<" not in html


def test_staff_list_shows_only_pages_of_the_units_served(
    client: Client, page: InfoPage, school: Unit, communicator: User
) -> None:
    page_make(school, title="Skolestart")
    html = logged_in(client, communicator).get("/ansatt/tjenester/", **EN).text
    assert "Barnehageplass" in html and "Skolestart" not in html


def test_staff_pages_send_visitors_to_log_in(client: Client, page: InfoPage) -> None:
    for url in (
        "/ansatt/tjenester/",
        "/ansatt/tjenester/ny/",
        f"/ansatt/tjenester/{page.pk}/endre/",
        f"/ansatt/tjenester/{page.pk}/versjoner/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/konto/login/" in response["Location"], url


def test_residents_and_other_staff_get_403(
    client: Client, page: InfoPage, resident: User, case_officer: User
) -> None:
    for user in (resident, case_officer):
        logged_in(client, user)
        assert client.get("/ansatt/tjenester/").status_code == 403
        assert client.get(f"/ansatt/tjenester/{page.pk}/endre/").status_code == 403
        assert client.post(f"/ansatt/tjenester/{page.pk}/gjennomgatt/").status_code == 403
        assert (
            client.post(f"/ansatt/tjenester/{page.pk}/versjoner/1/gjenopprett/").status_code == 403
        )


def test_communicator_of_another_unit_gets_403_on_the_page(
    client: Client, school: Unit, communicator: User
) -> None:
    other = page_make(school, title="Skolestart")
    logged_in(client, communicator)
    assert client.get(f"/ansatt/tjenester/{other.pk}/endre/").status_code == 403
    response = client.post(
        f"/ansatt/tjenester/{other.pk}/endre/",
        {
            "unit": school.pk,
            "title": "Kapret",
            "summary": "x",
            "body": "x",
            "language": "nb",
            "review_every_days": 365,
        },
    )
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.title == "Skolestart"


def page_data(unit: Unit, **changes: Any) -> dict[str, Any]:
    data = {
        "unit": unit.pk,
        "title": "Lånekort",
        "summary": "Slik får du lånekort.",
        "body": "Ta med **legitimasjon**.",
        "contact": "bibliotek@example.no",
        "language": "nb",
        "review_every_days": "365",
        "is_published": "on",
        "note": "",
    }
    data.update(changes)
    return data


def test_communicator_creates_a_page_that_is_published(
    client: Client, library: Unit, communicator: User
) -> None:
    situation = situation_make(library)
    logged_in(client, communicator)
    response = client.post(
        "/ansatt/tjenester/ny/", page_data(library, life_situations=[situation.pk]), **EN
    )
    page = InfoPage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/ansatt/tjenester/{page.pk}/endre/"
    assert (page.slug, page.is_published, page.unit) == ("lanekort", True, library)
    html = client.get("/tjenester/side/lanekort/", **EN).text
    assert "<strong>legitimasjon</strong>" in html


def test_a_refused_page_form_keeps_everything_and_answers_422(
    client: Client, library: Unit, communicator: User
) -> None:
    logged_in(client, communicator)
    response = client.post(
        "/ansatt/tjenester/ny/",
        page_data(library, summary="", body="# Overskrift\n\n<tekst>"),
        **EN,
    )
    assert response.status_code == 422
    html = response.text
    assert "Say in a sentence or two what the page is about." in html
    # Django writes a newline after <textarea>, which browsers drop.
    assert textarea(html, "id_body") == "\n# Overskrift\n\n&lt;tekst&gt;"
    assert 'value="Lånekort"' in html
    assert 'href="#id_summary">Summary:' in html
    assert not InfoPage.objects.exists()


def test_edit_saves_a_new_version_and_history_shows_who_and_what(
    client: Client, page: InfoPage, library: Unit, communicator: User
) -> None:
    logged_in(client, communicator)
    response = client.post(
        f"/ansatt/tjenester/{page.pk}/endre/",
        page_data(library, title="Barnehageplass", body="Ny frist: 15. mars", note="Ny frist"),
        **EN,
    )
    assert response.status_code == 302
    html = client.get(f"/ansatt/tjenester/{page.pk}/versjoner/", **EN).text
    assert "Version 2" in html and "Ny frist" in html and communicator.name in html
    diff = client.get(f"/ansatt/tjenester/{page.pk}/versjoner/2/", **EN).text
    assert "Changes since version 1" in diff
    assert "+ Ny frist: 15. mars</ins>" in diff
    assert "- Fristen er **1. mars**. &lt;script&gt;alert(1)&lt;/script&gt;</del>" in diff
    assert "This is the page&#x27;s current version." in diff or "current version" in diff


def test_restore_from_the_history_writes_a_new_version(
    client: Client, page: InfoPage, library: Unit, communicator: User
) -> None:
    services.page_update(
        page=page,
        actor=communicator,
        fields=services.PageFields(title="Endret", summary="s", body="b", is_published=True),
    )
    logged_in(client, communicator)
    response = client.post(f"/ansatt/tjenester/{page.pk}/versjoner/1/gjenopprett/", **EN)
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.title == "Barnehageplass" and page.versions.count() == 3
    html = client.get(response["Location"], **EN).text
    assert "Version 1 is restored as version 3." in html


def test_mark_reviewed_today_from_the_list(
    client: Client, library: Unit, communicator: User
) -> None:
    import datetime

    from django.utils import timezone

    old = page_make(library, title="Gammel side", reviewed_on=datetime.date(2020, 1, 1))
    logged_in(client, communicator)
    response = client.post(
        f"/ansatt/tjenester/{old.pk}/gjennomgatt/", {"next": "/ansatt/tjenester/"}, **EN
    )
    assert response["Location"] == "/ansatt/tjenester/"
    old.refresh_from_db()
    assert old.last_reviewed_on == timezone.localdate()
    html = client.get("/ansatt/tjenester/", **EN).text
    assert "“Gammel side” is marked as reviewed today." in html
    assert "Needs review</span>" not in html


def test_staff_home_links_to_the_information_pages(client: Client, communicator: User) -> None:
    html = logged_in(client, communicator).get("/ansatt/", **EN).text
    assert 'href="/ansatt/tjenester/"' in html


# --- query counts --------------------------------------------------------------------------


def _count(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **EN).status_code == 200
    return len(queries)


def test_staff_list_costs_the_same_queries_for_3_and_25_pages(
    client: Client, library: Unit, communicator: User
) -> None:
    for number in range(3):
        feedback_services.page_feedback_give(
            page=page_make(library, title=f"Side {number}"), actor=None, helpful=True, client="a"
        )
    logged_in(client, communicator)
    client.get("/ansatt/", **EN)  # the first request of a session also sets up the session
    few = _count(client, "/ansatt/tjenester/")
    for number in range(3, 25):
        feedback_services.page_feedback_give(
            page=page_make(library, title=f"Side {number}"),
            actor=None,
            helpful=False,
            text="Savner",
            client=f"b{number}",
        )
    assert _count(client, "/ansatt/tjenester/") == few


def test_situation_list_costs_the_same_queries_for_1_and_5_situations(
    client: Client, library: Unit
) -> None:
    page_make(library, situations=(situation_make(library),))
    client.get("/tjenester/", **EN)  # the host lookup is cached after the first request
    few = _count(client, "/tjenester/")
    for number in range(4):
        situation = situation_make(library, slug=f"s{number}", title=f"Situasjon {number}")
        page_make(library, title=f"Side {number}", situations=(situation,))
    assert _count(client, "/tjenester/") == few

"""The proposal pages: the list by support with the form, refused forms that keep what was
typed (422), the detail page without JavaScript, the support button, the staff's status form,
the drawing as GeoJSON, and the parts on the process pages."""

from __future__ import annotations

import datetime
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from tests.factories import UserFactory
from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.pages import files
from torget.participation.models import Process, Proposal, ProposalStatus, ProposalSupport
from torget.participation.services.proposals import proposal_submit, proposal_support
from torget.participation.tests.factories import process_make
from torget.participation.views.proposals import process_part, staff_process_part

BOWTIE = (
    '{"type": "Polygon", "coordinates": [[[10.70, 59.90], [10.80, 59.95], [10.80, 59.90], '
    "[10.70, 59.95], [10.70, 59.90]]]}"
)
LINE_TEXT = "59.91, 10.74\n59.92, 10.74\n59.93, 10.74\n59.94, 10.74"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English (the msgids), whatever the catalogues translate them to."""
    with translation.override("en"):
        yield


@pytest.fixture
def client() -> Client:
    """A browser that asks for English pages (the msgids), whatever the catalogues hold."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def process(library: Unit) -> Process:
    return process_make(library, slug="veisystemet", phases="input")


def list_url(process: Process) -> str:
    return f"/medvirkning/{process.slug}/forslag/"


def detail_url(proposal: Proposal) -> str:
    return f"/medvirkning/{proposal.process.slug}/forslag/{proposal.pk}/"


def submit(process: Process, author: User, title: str, **kwargs: Any) -> Proposal:
    """A proposal made through the service (the write rate limit reset: tests make many)."""
    cache.clear()
    return proposal_submit(
        process=process, actor=author, title=title, body=kwargs.pop("body", "Teksten."), **kwargs
    )


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (20, 120, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def html(response: Any) -> str:
    return str(response.content.decode())


def text_of(response: Any) -> str:
    """The page's words without tags and with runs of blanks made one, for phrase checks."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response)))


# --- the list -------------------------------------------------------------------------------------


def test_list_orders_by_support_then_newest_with_status_and_author(
    client: Client, process: Process, resident: User
) -> None:
    now = timezone.now()
    old = submit(process, resident, "Gammelt forslag", at=now - datetime.timedelta(days=2))
    popular = submit(process, resident, "Populært forslag", at=now - datetime.timedelta(days=3))
    new = submit(process, resident, "Nytt forslag", at=now - datetime.timedelta(days=1))
    for person in UserFactory.create_batch(2):
        proposal_support(proposal=popular, actor=person)
    proposal_support(proposal=old, actor=UserFactory())
    response = client.get(list_url(process))
    assert response.status_code == 200
    page = html(response)
    order = [page.index(p.title) for p in (popular, old, new)]
    assert order == sorted(order)
    words = text_of(response)
    assert "3 proposals" in words
    assert "Status: Submitted" in words
    assert "2 supporters" in words and "1 supporter" in words and "0 supporters" in words
    assert "Proposed by Nora" in words  # the author's first name, never the e-mail address
    assert resident.email not in page


def test_list_is_paged(client: Client, process: Process, resident: User) -> None:
    for number in range(21):
        submit(process, resident, f"Forslag nummer {number}")
    first = client.get(list_url(process))
    assert "Page 1 of 2" in text_of(first)
    second = client.get(list_url(process) + "?page=2")
    assert second.status_code == 200
    assert html(second).count('class="post-card proposal-card"') == 1


def test_list_empty_state_and_login_link_for_anonymous(client: Client, process: Process) -> None:
    response = client.get(list_url(process))
    words = text_of(response)
    assert "No one has proposed an alternative yet." in words
    assert "Log in to propose an alternative" in words
    assert "/konto/login/?next=/medvirkning/veisystemet/forslag/%23nytt-forslag" in html(response)
    assert 'name="title"' not in html(response)


def test_list_outside_the_input_phase_says_when_input_was_possible(
    client: Client, library: Unit, resident: User
) -> None:
    process = process_make(library, slug="ferdig", phases="decision")
    client.force_login(resident)
    response = client.get(list_url(process))
    assert 'name="title"' not in html(response)
    assert "The input phase ended on" in text_of(response)
    coming = process_make(library, slug="kommer", phases="information")
    response = client.get(list_url(coming))
    assert "Proposals and support are possible in the input phase, from" in text_of(response)


def test_list_of_a_draft_process_is_not_found(
    client: Client, library: Unit, resident: User
) -> None:
    process = process_make(library, slug="utkast", published=False)
    client.force_login(resident)
    assert client.get(list_url(process)).status_code == 404


def test_form_shows_the_map_assets_and_the_drawing_field(
    client: Client, process: Process, resident: User
) -> None:
    client.force_login(resident)
    page = html(client.get(list_url(process)))
    assert "leaflet/draw/leaflet.draw" in page and "js/proposal_map" in page
    assert "data-proposal-map hidden" in page  # shown only by the script
    assert re.search(r'<textarea[^>]*name="drawing"', page)
    assert 'id="proposal-map-texts"' in page


def test_submit_with_a_typed_line_publishes_and_redirects(
    client: Client, process: Process, resident: User
) -> None:
    client.force_login(resident)
    response = client.post(
        list_url(process),
        {"title": "Sykkelvei langs elva", "body": "En egen sykkelvei.", "drawing": LINE_TEXT},
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(proposal)
    assert proposal.geometry["type"] == "LineString"
    assert proposal.author == resident


def test_submit_with_a_picture_and_a_drawn_area_from_the_map(
    client: Client, process: Process, resident: User
) -> None:
    client.force_login(resident)
    area = {
        "type": "Polygon",
        "coordinates": [[[10.74, 59.91], [10.75, 59.91], [10.75, 59.92], [10.74, 59.91]]],
    }
    response = client.post(
        list_url(process),
        {
            "title": "Park i stedet for parkering",
            "body": "Gjør plassen om til en park.",
            "image": SimpleUploadedFile("park.png", png_bytes(), content_type="image/png"),
            "image_alt": "Skisse av plassen med trær og benker",
            "drawing": json.dumps(area),  # what static/js/proposal_map.js writes
        },
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.geometry == area
    assert proposal.image_type == "image/png"
    assert proposal.image_alt == "Skisse av plassen med trær og benker"
    page = text_of(client.get(detail_url(proposal)))
    assert "An area with 3 corners around" in page


@pytest.mark.parametrize(
    ("drawing", "message"),
    [
        ("her ved skolen", 'Line 1 is not a "latitude, longitude" pair: her ved skolen'),
        (BOWTIE, "The edges of the area cross each other near 59.92500, 10.75000."),
        ('{"type": "Point", "coordinates": [2.35, 48.85]}', "is not in Norway"),
        (
            '{"type": "FeatureCollection", "features": ['
            '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.7, 59.9]}},'
            '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.8, 59.9]}}]}',
            "The drawing holds 2 shapes; draw only one",
        ),
    ],
)
def test_bad_drawing_is_refused_with_422_and_everything_typed_kept(
    client: Client, process: Process, resident: User, drawing: str, message: str
) -> None:
    client.force_login(resident)
    upload = SimpleUploadedFile("brua.png", png_bytes(), content_type="image/png")
    response = client.post(
        list_url(process),
        {
            "title": "Gangbru over elva",
            "body": "Bygg en gangbru ved skolen.",
            "drawing": drawing,
            "image": upload,
            "image_alt": "Skisse av en smal bru",
        },
    )
    assert response.status_code == 422
    assert not Proposal.objects.exists()
    page = html(response)
    words = text_of(response)
    assert message in words.replace("&quot;", '"')
    # the message is at the field, and the field points at it
    assert re.search(r'<ul class="errorlist" id="proposal_drawing_error">', page)
    assert re.search(r'<textarea[^>]*aria-describedby="[^"]*proposal_drawing_error', page)
    # the error summary links to the field
    assert 'href="#proposal_drawing"' in page
    # nothing typed is lost, and the picture must be chosen again (said at its field)
    assert 'value="Gangbru over elva"' in page
    assert "Bygg en gangbru ved skolen." in page
    assert "Skisse av en smal bru" in page
    from django.utils.html import escape

    assert escape(drawing) in page
    assert "You chose brua.png. Choose the picture again before you send" in words


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.png", b"%PDF-1.7\n%fake pdf\n", "The content of plan.png does not match its"),
        ("plan.png", b"<html><script>alert(1)</script></html>", "does not match its file type"),
        ("plan.pdf", b"%PDF-1.7\n%fake pdf\n", "plan.pdf is not a picture. Choose a PNG, JPEG"),
    ],
)
def test_wrong_picture_type_is_refused_keeping_the_text(
    client: Client,
    process: Process,
    resident: User,
    name: str,
    content: bytes,
    message: str,
) -> None:
    client.force_login(resident)
    response = client.post(
        list_url(process),
        {
            "title": "Tittel som skal bli",
            "body": "Teksten som skal bli.",
            "image": SimpleUploadedFile(name, content),
            "image_alt": "Beskrivelse",
            "drawing": "59.91, 10.74",
        },
    )
    assert response.status_code == 422
    assert not Proposal.objects.exists()
    page = html(response)
    assert message in text_of(response)
    assert 'id="proposal_image_error"' in page
    assert 'value="Tittel som skal bli"' in page and "Teksten som skal bli." in page
    assert "59.91, 10.74" in page


def test_too_big_picture_is_refused_keeping_the_text(
    client: Client, process: Process, resident: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_ATTACHMENT_MB", 0)  # every picture is now too big
    client.force_login(resident)
    response = client.post(
        list_url(process),
        {
            "title": "Stort bilde",
            "body": "Teksten blir.",
            "image": SimpleUploadedFile("stort.png", png_bytes()),
            "image_alt": "Et stort bilde",
        },
    )
    assert response.status_code == 422
    assert "The file stort.png is too large" in text_of(response)
    assert 'value="Stort bilde"' in html(response) and "Teksten blir." in html(response)


def test_picture_without_description_is_refused(
    client: Client, process: Process, resident: User
) -> None:
    client.force_login(resident)
    response = client.post(
        list_url(process),
        {"title": "T", "body": "B", "image": SimpleUploadedFile("a.png", png_bytes())},
    )
    assert response.status_code == 422
    assert "Describe the picture in a sentence" in text_of(response)
    assert 'id="proposal_image_alt_error"' in html(response)


def test_submit_outside_the_input_phase_is_refused(
    client: Client, library: Unit, resident: User
) -> None:
    process = process_make(library, slug="stengt", phases="processing")
    client.force_login(resident)
    response = client.post(list_url(process), {"title": "For sent", "body": "Tekst."})
    assert response.status_code == 422
    assert "The input phase ended on" in text_of(response)
    assert not Proposal.objects.exists()


def test_anonymous_post_goes_to_login(client: Client, process: Process) -> None:
    response = client.post(list_url(process), {"title": "T", "body": "B"})
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/login/?next=")
    assert not Proposal.objects.exists()


# --- one proposal -------------------------------------------------------------------------------


def test_detail_without_javascript_describes_the_drawing_in_words(
    client: Client, process: Process, resident: User
) -> None:
    proposal = submit(
        process,
        resident,
        "Sykkelvei",
        body="Line <b>one</b>\n\nLine two",
        geometry={
            "type": "LineString",
            "coordinates": [[10.74, 59.91 + i / 100] for i in range(4)],
        },
        image=SimpleUploadedFile("kart.png", png_bytes()),
        image_alt="Kart over sykkelveien",
    )
    response = client.get(detail_url(proposal))
    assert response.status_code == 200
    page, words = html(response), text_of(response)
    assert (
        "A line of 4 points from 59.91000, 10.74000 to 59.94000, 10.74000 (latitude, longitude), "
        "about 3.3 km long." in words
    )
    assert f'href="{detail_url(proposal)}tegning.geojson"' in page
    assert 'id="proposal-map" hidden' in page  # the map only with JavaScript
    assert "Line &lt;b&gt;one&lt;/b&gt;" in page  # the resident's text is escaped
    assert f'src="{detail_url(proposal)}bilde/" alt="Kart over sykkelveien"' in page
    assert "Status Submitted" in words
    assert "Log in to support this proposal" in words


def test_drawing_download_is_geojson(client: Client, process: Process, resident: User) -> None:
    point = {"type": "Point", "coordinates": [10.746, 59.912]}
    proposal = submit(process, resident, "Benk her", geometry=point)
    response = client.get(f"{detail_url(proposal)}tegning.geojson")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert "attachment" in response["Content-Disposition"]
    feature = json.loads(response.content)
    assert feature["type"] == "Feature" and feature["geometry"] == point
    assert feature["properties"]["title"] == "Benk her"
    without = submit(process, resident, "Uten tegning")
    assert client.get(f"{detail_url(without)}tegning.geojson").status_code == 404


def test_picture_is_served_inline_with_its_checked_type(
    client: Client, process: Process, resident: User
) -> None:
    proposal = submit(
        process,
        resident,
        "Med bilde",
        image=SimpleUploadedFile("a.png", png_bytes()),
        image_alt="Et bilde",
    )
    response = client.get(f"{detail_url(proposal)}bilde/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png_bytes()  # type: ignore[attr-defined]
    # the list shows a small WebP copy
    assert f'src="{detail_url(proposal)}bilde/?size=small"' in html(client.get(list_url(process)))
    small = client.get(f"{detail_url(proposal)}bilde/?size=small")
    assert small["Content-Type"] == "image/webp"
    content = b"".join(small.streaming_content)  # type: ignore[attr-defined]
    assert content[:4] == b"RIFF" and content[8:12] == b"WEBP"


def test_a_picture_that_cannot_be_read_is_refused_keeping_the_text(
    client: Client, process: Process, resident: User
) -> None:
    client.force_login(resident)
    cut_off = png_bytes()[:30]  # a PNG's first bytes, and then nothing
    response = client.post(
        list_url(process),
        {
            "title": "Avkuttet",
            "body": "Teksten blir.",
            "image": SimpleUploadedFile("kuttet.png", cut_off),
            "image_alt": "Et bilde",
        },
    )
    assert response.status_code == 422
    assert "The picture kuttet.png could not be read." in text_of(response)
    assert 'id="proposal_image_error"' in html(response)
    assert 'value="Avkuttet"' in html(response) and not Proposal.objects.exists()


def test_support_button_works_without_javascript_and_says_its_state(
    client: Client, process: Process, resident: User, other_resident: User
) -> None:
    proposal = submit(process, resident, "Støtt meg")
    client.force_login(other_resident)
    words = text_of(client.get(detail_url(proposal)))
    assert "You do not support this proposal. Support this proposal" in words
    response = client.post(f"{detail_url(proposal)}stotte/", {"action": "support"})
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(proposal)}#stotte"
    words = text_of(client.get(detail_url(proposal)))
    assert "You support this proposal. Withdraw my support" in words
    assert "1 person supports this proposal." in words
    # a second support (a second tab, a double click) is refused with the message
    again = client.post(f"{detail_url(proposal)}stotte/", {"action": "support"})
    assert again.status_code == 422
    assert "You already support this proposal." in text_of(again)
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 1
    client.post(f"{detail_url(proposal)}stotte/", {"action": "withdraw"})
    proposal.refresh_from_db()
    assert proposal.support_count == 0


def test_support_outside_the_input_phase_says_when(
    client: Client, process: Process, resident: User, other_resident: User
) -> None:
    proposal = submit(process, resident, "For sent")
    process.phases.filter(kind="input").update(starts_on="2020-01-01", ends_on="2020-01-10")
    client.force_login(other_resident)
    response = client.post(f"{detail_url(proposal)}stotte/", {"action": "support"})
    assert response.status_code == 422
    assert "The input phase ended on 10 January 2020" in text_of(response)
    assert not ProposalSupport.objects.exists()
    assert "Support this proposal</button>" not in html(client.get(detail_url(proposal)))


def test_resident_comments_in_the_conversation(
    client: Client, process: Process, resident: User, other_resident: User
) -> None:
    proposal = submit(process, resident, "Kommenter meg")
    client.force_login(other_resident)
    empty = client.post(detail_url(proposal), {"body": "  "})
    assert empty.status_code == 422
    assert "Write something before you send." in text_of(empty)
    response = client.post(detail_url(proposal), {"body": "Godt forslag!"})
    assert response.status_code == 302
    page = html(client.get(detail_url(proposal)))
    assert "Godt forslag!" in page


def test_status_form_is_for_the_process_staff_only(
    client: Client,
    process: Process,
    resident: User,
    other_resident: User,
    case_officer: User,
    communicator: User,
) -> None:
    proposal = submit(process, resident, "Status")
    url = f"{detail_url(proposal)}status/"
    for person in (other_resident, case_officer):  # a resident, staff of another unit
        client.force_login(person)
        assert 'id="status-heading"' not in html(client.get(detail_url(proposal)))
        assert client.post(url, {"status": ProposalStatus.ADOPTED}).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED
    client.force_login(communicator)
    assert 'id="status-heading"' in html(client.get(detail_url(proposal)))
    response = client.post(
        url, {"status": ProposalStatus.PARTLY_ADOPTED, "answer": "Vi tar med deler av det."}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PARTLY_ADOPTED
    client.force_login(resident)
    words = text_of(client.get(detail_url(proposal)))
    assert "Status Partly adopted" in words
    assert "Answer from Testvik bibliotek" in words and "Vi tar med deler av det." in words


def test_status_form_refusal_keeps_the_answer(
    client: Client, process: Process, resident: User, communicator: User
) -> None:
    proposal = submit(process, resident, "Status")
    client.force_login(communicator)
    response = client.post(
        f"{detail_url(proposal)}status/", {"status": "maybe", "answer": "Et svar som blir."}
    )
    assert response.status_code == 422
    assert "Et svar som blir." in html(response)
    assert 'id="status_status_error"' in html(response)


# --- the parts on the process pages -------------------------------------------------------------


def test_process_part_shows_the_top_three_and_a_link_to_all(
    rf: RequestFactory, process: Process, resident: User
) -> None:
    proposals = [submit(process, resident, f"Forslag {n}") for n in range(5)]
    for person in UserFactory.create_batch(2):
        proposal_support(proposal=proposals[4], actor=person)
    request = rf.get("/")
    request.user = resident
    part = process_part(request, process)
    assert part.count("/forslag/") >= 4
    assert part.index("Forslag 4") < part.index("Forslag 3")
    assert "Forslag 0" not in part and "Forslag 1" not in part  # only the top three
    assert "See all 5 proposals" in part
    staff = staff_process_part(request, process)
    assert re.search(r"<dt>Submitted</dt><dd>5</dd>", staff)
    assert f'href="{list_url(process)}"' in staff


def test_process_part_is_empty_without_proposals_outside_input(
    rf: RequestFactory, library: Unit, resident: User
) -> None:
    process = process_make(library, slug="stille", phases="decision")
    request = rf.get("/")
    request.user = resident
    assert process_part(request, process) == ""


def test_list_and_detail_cost_the_same_queries_however_many_proposals_and_comments(
    client: Client, process: Process, resident: User, other_resident: User
) -> None:
    """No query per proposal on the list, and none per message on the proposal's page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from torget.conversations.services import message_add_resident

    first = submit(process, resident, "Først")
    submit(process, other_resident, "Andre")
    client.force_login(resident)

    def count(url: str) -> int:
        client.get(url)  # warm: the host, the banner and the map's extent are cached
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    few_list, few_detail = count(list_url(process)), count(detail_url(first))
    for number in range(15):
        submit(process, UserFactory(), f"Forslag {number}")
    for number in range(6):
        cache.clear()
        message_add_resident(thread=first.thread, actor=other_resident, body=f"Kommentar {number}")
    assert count(list_url(process)) == few_list
    assert count(detail_url(first)) == few_detail


def test_a_proposal_whose_text_a_moderator_hid_loses_its_title_picture_and_drawing(
    client: Client, process: Process, resident: User, other_resident: User, admin: User
) -> None:
    from torget.conversations.services import message_hide

    proposal = submit(
        process,
        resident,
        "Stygg tittel",
        geometry={"type": "Point", "coordinates": [10.74, 59.91]},
        image=SimpleUploadedFile("a.png", png_bytes()),
        image_alt="Et bilde",
    )
    message_hide(message=proposal.thread.messages.get(), actor=admin, reason="Hets")
    client.force_login(other_resident)
    listing = html(client.get(list_url(process)))
    assert "Stygg tittel" not in listing and "A proposal hidden by a moderator" in listing
    page = html(client.get(detail_url(proposal)))
    assert "Stygg tittel" not in page
    assert "The text of this proposal has been hidden by a moderator." in page
    assert client.get(f"{detail_url(proposal)}bilde/").status_code == 404
    assert client.get(f"{detail_url(proposal)}tegning.geojson").status_code == 404
    client.force_login(resident)  # the author sees why
    assert "Reason: Hets" in text_of(client.get(detail_url(proposal)))
    client.force_login(admin)  # the unit administrator moderates the library
    listing = html(client.get(list_url(process)))
    assert "Stygg tittel" in listing and "Hidden by a moderator" in listing
    assert client.get(f"{detail_url(proposal)}bilde/").status_code == 200


def test_the_process_pages_show_the_proposals_part(
    client: Client, process: Process, resident: User, communicator: User
) -> None:
    proposal = submit(process, resident, "Et forslag på prosessiden")
    public = html(client.get(f"/medvirkning/{process.slug}/"))
    assert 'id="proposals-part-heading"' in public
    assert f'href="{detail_url(proposal)}"' in public and "See the 1 proposal" in public
    client.force_login(communicator)
    staff = html(client.get(f"/ansatt/medvirkning/{process.slug}/"))
    assert 'id="staff-proposals-heading"' in staff
    assert "See and answer the 1 proposal" in staff

"""Submitting statements: the closing rules, numbering, the submission key, sections,
attachments, and every refusal shown with what the resident typed kept."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone, translation

from tests.factories import UserFactory
from torget.accounts.models import User
from torget.conversations import services as conversations
from torget.conversations.models import Channel, ThreadStatus, Visibility
from torget.organisation.models import Unit
from torget.pages import files
from torget.participation.models import Hearing, Process, Statement, StatementAttachment
from torget.participation.services.hearings import statement_submit
from torget.participation.tests.factories import hearing_make, process_make
from torget.participation.tests.test_hearings_support import (
    EN,
    html_named_pdf,
    pdf,
    statement_make,
)

OSLO = timezone.get_fixed_timezone(60)  # Oslo in January (CET)


@pytest.fixture
def process(library: Unit) -> Process:
    return process_make(library)


@pytest.fixture
def hearing(process: Process) -> Hearing:
    return hearing_make(process)


def _post(client: Client, hearing: Hearing, **data: Any) -> Any:
    payload = {"body": "Planen er god.", "is_public": "on", "section": "", **data}
    return client.post(hearing.get_absolute_url(), payload, **EN)


def test_statement_opens_a_public_hearing_thread_about_it(hearing: Hearing, resident: User) -> None:
    statement = statement_make(hearing, resident, body="Bygg sykkelvei.", on_behalf_of="Velet")
    thread = statement.thread
    assert statement.number == 1 and statement.is_public and statement.on_behalf_of == "Velet"
    assert thread.channel == Channel.HEARING and thread.visibility == Visibility.PUBLIC
    assert thread.unit_id == hearing.process.unit_id and thread.status == ThreadStatus.WAITING
    assert thread.subject == statement
    assert thread.title.startswith(f"{hearing.title} – ") and thread.title.endswith(" 1")
    assert thread.messages.get().body == "Bygg sykkelvei."


def test_statements_are_numbered_one_to_n_per_hearing(
    process: Process, hearing: Hearing, resident: User, other_resident: User
) -> None:
    other = hearing_make(process, title="Another hearing")
    numbers = [statement_make(hearing, person).number for person in (resident, other_resident)]
    numbers.append(statement_make(hearing, resident, is_public=False).number)
    assert numbers == [1, 2, 3]
    assert statement_make(other, other_resident).number == 1
    private = Statement.objects.get(hearing=hearing, number=3)
    assert private.thread.visibility == Visibility.PRIVATE


def test_the_same_submission_key_gives_the_same_statement(
    client: Client, hearing: Hearing, resident: User
) -> None:
    key = uuid.uuid4()
    first = statement_make(hearing, resident, submission_key=key)
    again = statement_make(hearing, resident, body="Sent twice", submission_key=key)
    assert again.pk == first.pk and Statement.objects.count() == 1
    client.force_login(resident)
    view_key = str(uuid.uuid4())
    one = _post(client, hearing, submission_key=view_key)
    two = _post(client, hearing, submission_key=view_key)
    assert one.status_code == two.status_code == 302 and one["Location"] == two["Location"]
    assert Statement.objects.count() == 2
    # Another person's key is no way to someone else's statement.
    with pytest.raises(PermissionDenied):
        statement_make(hearing, UserFactory(email="x@example.no"), submission_key=key)


def test_refused_before_opening_and_from_the_closing_date(process: Process, resident: User) -> None:
    closes = datetime.datetime(2027, 1, 15, 23, 59, tzinfo=OSLO)
    hearing = hearing_make(process, opens_at=closes - datetime.timedelta(days=30), closes_at=closes)
    with translation.override("en"):
        with pytest.raises(ValidationError) as closed:
            statement_submit(hearing=hearing, actor=resident, body="Sent", at=closes)
        assert closed.value.messages == [
            "The closing date was 15 January 2027 at 23:59. Statements are no longer accepted."
        ]
        with pytest.raises(ValidationError) as early:
            statement_submit(
                hearing=hearing,
                actor=resident,
                body="Early",
                at=closes - datetime.timedelta(days=31),
            )
        assert "The hearing opens on 16 December 2026 at 23:59" in early.value.messages[0]
    on_time = statement_submit(
        hearing=hearing,
        actor=resident,
        body="Just in time",
        at=closes - datetime.timedelta(minutes=1),
    )
    assert on_time.number == 1 and Statement.objects.count() == 1


def test_after_closing_the_page_has_no_form_and_a_late_post_keeps_the_text(
    client: Client, process: Process, resident: User
) -> None:
    now = timezone.now()
    hearing = hearing_make(
        process,
        opens_at=now - datetime.timedelta(days=20),
        closes_at=now - datetime.timedelta(days=1),
    )
    client.force_login(resident)
    page = client.get(hearing.get_absolute_url(), **EN).text
    assert "The hearing closed on" in page and "Statements are no longer accepted." in page
    assert 'name="body"' not in page
    late = _post(client, hearing, body="Mitt lange innspill om parkering", on_behalf_of="Velet")
    assert late.status_code == 422
    assert "Statements are no longer accepted." in late.text
    assert "Mitt lange innspill om parkering</textarea>" in late.text
    assert 'value="Velet"' in late.text
    assert not Statement.objects.exists()


def test_an_upcoming_hearing_says_when_it_opens(
    client: Client, process: Process, resident: User
) -> None:
    now = timezone.now()
    hearing = hearing_make(
        process,
        opens_at=now + datetime.timedelta(days=3),
        closes_at=now + datetime.timedelta(days=30),
    )
    client.force_login(resident)
    page = client.get(hearing.get_absolute_url(), **EN).text
    assert "The hearing opens on" in page and 'name="body"' not in page
    refused = _post(client, hearing, body="For tidlig")
    assert refused.status_code == 422 and "Statements are accepted from then." in refused.text
    assert "For tidlig</textarea>" in refused.text


def test_open_hearing_page_shows_closing_date_days_left_and_the_form(
    client: Client, hearing: Hearing, resident: User
) -> None:
    anonymous = client.get(hearing.get_absolute_url(), **EN).text
    assert "Closing date:" in anonymous and "days left" in anonymous
    assert "Log in to give a statement" in anonymous
    assert f"?next={hearing.get_absolute_url()}%23statement-form" in anonymous
    assert 'name="body"' not in anonymous
    posted = _post(client, hearing)
    assert posted.status_code == 302 and "next=" in posted["Location"]
    assert not Statement.objects.exists()
    client.force_login(resident)
    page = client.get(hearing.get_absolute_url(), **EN).text
    assert re.search(r'<input type="checkbox" name="is_public"[^>]*checked', page)
    assert "staff (and you) can see your statement" in page
    assert 'name="submission_key"' in page


def test_a_section_link_preselects_it_and_the_statement_is_on_it(
    client: Client, hearing: Hearing, resident: User
) -> None:
    section = hearing.sections.all()[1]
    page = client.get(hearing.get_absolute_url(), **EN).text
    assert f'id="section-{section.pk}"' in page
    assert f'href="?section={section.pk}#statement-form">Give a statement on this section' in page
    client.force_login(resident)
    chosen = client.get(f"{hearing.get_absolute_url()}?section={section.pk}", **EN).text
    assert re.search(rf'<option value="{section.pk}" selected>', chosen)
    response = _post(client, hearing, section=str(section.pk), body="Om del 2")
    statement = Statement.objects.get()
    assert response.status_code == 302 and statement.section == section
    detail = client.get(response["Location"], **EN).text
    assert f"On section {section}" in detail and "Om del 2" in detail


def test_a_section_of_another_hearing_is_refused(
    process: Process, hearing: Hearing, resident: User
) -> None:
    foreign = hearing_make(process).sections.first()
    with pytest.raises(ValidationError) as refused:
        statement_make(hearing, resident, section=foreign)
    assert "section" in refused.value.error_dict


def test_an_attachment_is_stored_with_its_type_and_size_and_listed(
    client: Client, hearing: Hearing, resident: User
) -> None:
    client.force_login(resident)
    response = _post(client, hearing, file_1=pdf("skisse.pdf"), body="Se vedlegget")
    assert response.status_code == 302
    attachment = StatementAttachment.objects.get()
    assert attachment.content_type == files.PDF and attachment.original_name == "skisse.pdf"
    assert attachment.size == len(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page = client.get(hearing.get_absolute_url(), **EN).text
    assert "skisse.pdf</a>" in page and "(PDF, 45" in page


def test_html_named_pdf_is_refused_with_the_text_kept(
    client: Client, hearing: Hearing, resident: User
) -> None:
    client.force_login(resident)
    response = _post(
        client, hearing, file_2=html_named_pdf(), body="Min tekst beholdes", on_behalf_of="Laget"
    )
    assert response.status_code == 422
    text = response.text
    assert "The content of lure.pdf does not match its file type." in text
    assert "choose a file again" in text and "choose your files again" in text
    assert "Min tekst beholdes</textarea>" in text and 'value="Laget"' in text
    assert 'class="error-summary"' in text and 'href="#statement_file_2"' in text
    assert not Statement.objects.exists() and not StatementAttachment.objects.exists()


def test_too_big_attachment_is_refused_by_form_and_service(
    client: Client, hearing: Hearing, resident: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_ATTACHMENT_MB", 0)
    client.force_login(resident)
    response = _post(client, hearing, file_1=pdf(), body="Stor fil")
    assert response.status_code == 422 and "is too large" in response.text
    assert "Stor fil</textarea>" in response.text
    with pytest.raises(ValidationError) as refused:
        statement_make(hearing, resident, attachments=[pdf()])
    assert "attachments" in refused.value.error_dict
    assert not Statement.objects.exists()


def test_an_empty_statement_is_refused_and_the_rest_kept(
    client: Client, hearing: Hearing, resident: User
) -> None:
    client.force_login(resident)
    response = _post(client, hearing, body="   ", on_behalf_of="Idrettslaget", is_public="")
    assert response.status_code == 422
    assert "Write something before you send." in response.text
    assert 'value="Idrettslaget"' in response.text
    assert not re.search(r'name="is_public"[^>]*checked', response.text)


def test_a_blocked_account_is_told_so(
    client: Client, hearing: Hearing, resident: User, moderator: User
) -> None:
    statement_make(hearing, resident)
    conversations.user_block(
        municipality=hearing.process.municipality, user=resident, actor=moderator, reason="Spam"
    )
    client.force_login(resident)
    response = _post(client, hearing, body="Nok en gang")
    assert response.status_code == 422
    assert "Your account has been blocked from writing here." in response.text
    assert "Nok en gang</textarea>" in response.text


def test_a_flood_is_rate_limited_with_a_clear_message(
    client: Client, hearing: Hearing, resident: User
) -> None:
    client.force_login(resident)
    for number in range(5):
        assert _post(client, hearing, body=f"Innspill {number}").status_code == 302
    flooded = _post(client, hearing, body="Ett til")
    assert flooded.status_code == 422 and "Wait a little and try again." in flooded.text
    assert Statement.objects.count() == 5


def test_an_unpublished_process_has_no_public_hearing_page(
    client: Client, library: Unit, resident: User
) -> None:
    draft = process_make(library, slug="utkast", published=False)
    hearing = hearing_make(draft)
    client.force_login(resident)
    assert client.get(hearing.get_absolute_url()).status_code == 404
    assert _post(client, hearing).status_code == 404
    with pytest.raises(PermissionDenied):
        statement_make(hearing, resident)


def test_a_statement_is_shown_escaped(client: Client, hearing: Hearing, resident: User) -> None:
    statement_make(hearing, resident, body='<script>alert("x")</script> <b>fet</b>')
    page = client.get(hearing.get_absolute_url(), **EN).text
    assert "<script>alert" not in page and "<b>fet</b>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;fet&lt;/b&gt;" in page

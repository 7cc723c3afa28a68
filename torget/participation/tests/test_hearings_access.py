"""Who sees what: a statement the submitter did not publish is, for anyone but its author and
the unit's staff, a statement that does not exist (404) in the list, on its page and in its
attachments; staff pages need the right role in the process's unit."""

from __future__ import annotations

import pytest
from django.test import Client

from torget.accounts.models import User
from torget.conversations.registry import staff_subject_path, thread_path
from torget.organisation.models import Unit
from torget.participation.models import Hearing, Process, Statement
from torget.participation.tests.factories import hearing_make, process_make
from torget.participation.tests.test_hearings_support import EN, pdf, statement_make


@pytest.fixture
def process(library: Unit) -> Process:
    return process_make(library)


@pytest.fixture
def hearing(process: Process) -> Hearing:
    return hearing_make(process)


@pytest.fixture
def private(hearing: Hearing, resident: User) -> Statement:
    return statement_make(
        hearing, resident, body="Hemmelig innspill", is_public=False, attachments=[pdf("p.pdf")]
    )


def _urls(statement: Statement) -> tuple[str, str]:
    attachment = statement.attachments.get()
    detail = statement.get_absolute_url()
    return detail, f"{detail}vedlegg/{attachment.pk}/"


def test_private_statement_is_not_in_the_public_list(
    client: Client,
    hearing: Hearing,
    private: Statement,
    other_resident: User,
    resident: User,
) -> None:
    statement_make(hearing, other_resident, body="Offentlig innspill")
    anonymous = client.get(hearing.get_absolute_url(), **EN).text
    assert "Offentlig innspill" in anonymous and "Hemmelig innspill" not in anonymous
    assert "1 public statement" in anonymous
    client.force_login(other_resident)
    assert "Hemmelig innspill" not in client.get(hearing.get_absolute_url(), **EN).text
    client.force_login(resident)
    own = client.get(hearing.get_absolute_url(), **EN).text
    assert "Hemmelig innspill" not in own  # the list is the public one ...
    assert "Statement 1</a> (not published)" in own  # ... her own are linked above the form


@pytest.mark.parametrize("who", ["anonymous", "other_resident", "case_officer", "politician"])
def test_private_statement_and_attachment_are_404_for_others(
    client: Client, private: Statement, who: str, request: pytest.FixtureRequest
) -> None:
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    detail, attachment = _urls(private)
    assert client.get(detail).status_code == 404
    assert client.get(attachment).status_code == 404
    assert client.post(detail, {"body": "Hei"}).status_code in (302, 404)
    assert private.thread.messages.count() == 1


@pytest.mark.parametrize("who", ["resident", "communicator", "admin"])
def test_private_statement_is_seen_by_its_author_and_the_units_staff(
    client: Client, private: Statement, who: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(who))
    detail, attachment = _urls(private)
    page = client.get(detail, **EN)
    assert page.status_code == 200 and "Hemmelig innspill" in page.text
    assert "only the municipality" in page.text and "p.pdf" in page.text
    download = client.get(attachment)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="p.pdf"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_a_statement_of_another_hearing_or_process_is_404(
    client: Client, process: Process, hearing: Hearing, library: Unit, resident: User
) -> None:
    statement = statement_make(hearing, resident)
    other = hearing_make(process_make(library, slug="annen"))
    assert client.get(statement.get_absolute_url()).status_code == 200
    assert client.get(f"/medvirkning/annen/horing/{hearing.pk}/").status_code == 404
    assert client.get(f"{other.get_absolute_url()}uttalelse/1/").status_code == 404
    assert client.get(f"{hearing.get_absolute_url()}uttalelse/2/").status_code == 404


def test_the_author_writes_a_follow_up_and_the_thread_waits_again(
    client: Client, hearing: Hearing, resident: User, communicator: User, other_resident: User
) -> None:
    from torget.conversations.services import thread_answer

    statement = statement_make(hearing, resident)
    thread_answer(threads=[statement.thread], actor=communicator, body="Takk for innspillet.")
    client.force_login(other_resident)
    page = client.get(statement.get_absolute_url(), **EN).text
    assert "Takk for innspillet." in page and 'name="body"' not in page
    assert client.post(statement.get_absolute_url(), {"body": "Jeg også"}).status_code == 403
    client.force_login(resident)
    empty = client.post(statement.get_absolute_url(), {"body": ""}, **EN)
    assert empty.status_code == 422 and "Write something before you send." in empty.text
    sent = client.post(statement.get_absolute_url(), {"body": "Et oppfølgingsspørsmål"})
    assert sent.status_code == 302
    statement.thread.refresh_from_db()
    assert statement.thread.status == "waiting"
    assert statement.thread.resident_after_official_at is not None


@pytest.mark.parametrize(
    ("who", "detail", "statements"),
    [
        ("anonymous", 302, 302),
        ("resident", 403, 403),
        ("case_officer", 403, 403),  # staff of the school, not of the library
        ("moderator", 403, 200),  # staff above the library: reads, does not manage
        ("politician", 403, 200),  # reads and may answer in the hearing channel
        ("communicator", 200, 200),
        ("admin", 200, 200),
    ],
)
def test_staff_pages_by_role_and_unit(
    client: Client,
    hearing: Hearing,
    who: str,
    detail: int,
    statements: int,
    request: pytest.FixtureRequest,
) -> None:
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    slug = hearing.process.slug
    base = f"/ansatt/medvirkning/{slug}/horing/"
    assert client.get(f"{base}{hearing.pk}/").status_code == detail
    assert client.get(f"{base}ny/").status_code == detail
    assert client.get(f"{base}{hearing.pk}/uttalelser/").status_code == statements
    assert client.get(f"/ansatt/medvirkning/ukjent/horing/{hearing.pk}/").status_code in (
        302,
        404,
    )


def test_thread_links_lead_to_the_statement_and_the_staff_list(
    hearing: Hearing, resident: User
) -> None:
    statement = statement_make(hearing, resident)
    assert thread_path(statement.thread) == statement.get_absolute_url()
    staff = staff_subject_path(statement.thread)
    assert staff == (
        f"/ansatt/medvirkning/{hearing.process.slug}/horing/{hearing.pk}/uttalelser/"
        "?page=1#statement-1"
    )

"""The short views pages: voting without JavaScript, own statements, results, opinion groups,
the staff page (add, moderate, withdraw) and the parts on the process pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conftest import run_tasks
from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.participation.models import Process, ShortView, ShortViewStatus, ShortViewVote
from torget.participation.services import shortviews as services
from torget.participation.tests.factories import process_make
from torget.participation.views import shortviews as views

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages are checked in English (the msgids), whatever the default language."""
    with translation.override("en"):
        yield


@pytest.fixture
def client() -> Client:
    """A browser that asks for English, so the tests read the msgids."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def process(library: Unit) -> Process:
    return process_make(library, title="Omlegging av veisystemet i sentrum")


@pytest.fixture
def statements(process: Process, communicator: User) -> list[ShortView]:
    return [
        services.short_view_add(process=process, actor=communicator, text=text)
        for text in ("Sentrum bør bli bilfritt", "Bussen må gå oftere", "Flere sykkelparkeringer")
    ]


def page_url(process: Process) -> str:
    return reverse("participation:short-views", args=[process.slug])


def staff_url(process: Process) -> str:
    return reverse("participation:staff-short-views", args=[process.slug])


def vote(client: Client, process: Process, view: ShortView, choice: int, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("participation:short-view-vote", args=[process.slug]),
        {"short_view": view.pk, "choice": choice, **extra},
    )


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# --- the public page ---------------------------------------------------------------------------


def test_anonymous_sees_results_and_a_login_link(
    client: Client, process: Process, statements: list[ShortView], resident: User
) -> None:
    services.vote_cast(short_view=statements[0], actor=resident, choice=1)
    response = client.get(page_url(process))
    html = text_of(response)
    assert response.status_code == 200
    assert "Log in to vote" in html
    assert 'name="choice"' not in html
    assert "Sentrum bør bli bilfritt" in html
    assert "Agree 1 (100 %) · Disagree 0 (0 %) · Pass 0 (0 %)" in html


def test_voting_without_javascript_one_statement_at_a_time(
    client: Client, process: Process, statements: list[ShortView], resident: User
) -> None:
    client.force_login(resident)
    html = text_of(client.get(page_url(process)))
    current = re.search(r'<blockquote[^>]*id="current-statement"><p>(.*?)</p>', html)
    assert current and current.group(1) == "Sentrum bør bli bilfritt"
    assert "You have voted on 0 of 3 statements." in html
    for value, label in (("1", "Agree"), ("-1", "Disagree"), ("0", "Pass")):
        assert re.search(
            rf'<button type="submit" name="choice" value="{value}"[^>]*>{label}<', html
        )
    response = vote(client, process, statements[0], 1)
    assert response.status_code == 302 and response["Location"].endswith("#stem")
    html = text_of(client.get(response["Location"]))
    assert "Your vote has been counted." in html
    current = re.search(r'id="current-statement"><p>(.*?)</p>', html)
    assert current and current.group(1) == "Bussen må gå oftere"
    vote(client, process, statements[1], -1)
    vote(client, process, statements[2], 0)
    html = text_of(client.get(page_url(process)))
    assert "You have voted on all statements." in html
    assert 'id="current-statement"' not in html
    assert "Your vote: agree." in html and "Your vote: disagree." in html
    # change an earlier vote from the list: back to that statement
    response = vote(
        client,
        process,
        statements[0],
        -1,
        next=f"{page_url(process)}#synspunkt-{statements[0].pk}",
    )
    assert response["Location"].endswith(f"#synspunkt-{statements[0].pk}")
    statements[0].refresh_from_db()
    assert (statements[0].agree_count, statements[0].disagree_count) == (0, 1)
    assert ShortViewVote.objects.filter(user=resident).count() == 3


def test_vote_on_a_withdrawn_statement_shows_the_message(
    client: Client,
    process: Process,
    statements: list[ShortView],
    communicator: User,
    resident: User,
) -> None:
    client.force_login(resident)
    services.short_view_withdraw(short_view=statements[0], actor=communicator)
    response = vote(client, process, statements[0], 1)
    assert response.status_code == 422
    assert "This statement has been withdrawn; your vote was not counted." in text_of(response)
    assert not ShortViewVote.objects.exists()


def test_voting_closed_outside_the_input_phase(
    client: Client, library: Unit, communicator: User, resident: User
) -> None:
    process = process_make(library, slug="ferdig", phases="decision")
    view = services.short_view_add(process=process, actor=communicator, text="Et synspunkt")
    client.force_login(resident)
    html = text_of(client.get(page_url(process)))
    assert "Voting is closed" in html
    assert 'name="choice"' not in html
    assert "Et synspunkt" in html
    response = vote(client, process, view, 1)
    assert response.status_code == 422
    assert "Voting is closed" in text_of(response)


def test_anonymous_vote_goes_to_login(
    client: Client, process: Process, statements: list[ShortView]
) -> None:
    response = vote(client, process, statements[0], 1)
    assert response.status_code == 302 and "login" in response["Location"]
    assert not ShortViewVote.objects.exists()


def test_own_statement_waits_for_moderation(
    client: Client, process: Process, resident: User, other_resident: User
) -> None:
    client.force_login(resident)
    response = client.post(
        reverse("participation:short-view-add", args=[process.slug]),
        {"text": "Gågate i hele sentrum"},
    )
    assert response.status_code == 302
    html = text_of(client.get(response["Location"]))
    assert "it is shown when a moderator has approved it" in html
    assert "Gågate i hele sentrum" in html and "waiting for moderation" in html
    client.force_login(other_resident)
    assert "Gågate i hele sentrum" not in text_of(client.get(page_url(process)))


def test_too_long_statement_answers_422_and_keeps_the_text(
    client: Client, process: Process, resident: User
) -> None:
    client.force_login(resident)
    text = "Lang " * 40
    response = client.post(
        reverse("participation:short-view-add", args=[process.slug]), {"text": text}
    )
    html = text_of(response)
    assert response.status_code == 422
    assert "at most 140 characters" in html
    assert text.strip() in html
    assert 'aria-invalid="true"' in html
    assert not ShortView.objects.exists()


def test_opinion_groups_plot_has_title_desc_and_table(
    client: Client, process: Process, communicator: User
) -> None:
    texts = [f"Påstand nummer {n}" for n in range(8)]
    views_ = [services.short_view_add(process=process, actor=communicator, text=t) for t in texts]
    voters = [User.objects.create(email=f"velger{n}@example.no") for n in range(24)]
    for n, voter in enumerate(voters):
        side = 1 if n < 12 else -1
        for j, view in enumerate(views_):
            choice = side if j < 4 else -side if j < 7 else 1
            services.vote_cast(short_view=view, actor=voter, choice=choice)
    run_tasks()
    client.force_login(voters[0])
    html = text_of(client.get(page_url(process)))
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="opinion-plot"' in html
    assert re.search(r'<title id="opinion-title">Opinion groups', html)
    assert re.search(r'<desc id="opinion-desc">Each mark is one participant', html)
    assert 'aria-labelledby="opinion-title opinion-desc"' in html
    assert "<caption>The opinion groups and what sets them apart</caption>" in html
    assert "Group A" in html and "Group B" in html
    assert "12 % of the group" not in html  # shares are of real groups
    assert "From your votes, you are in group" in html
    assert "Påstand nummer 7" in html.split("What all groups agree on")[1]
    assert "Being updated" not in html
    assert html.count("<use ") >= 24


def test_being_updated_shows_while_a_request_is_pending(
    client: Client, process: Process, statements: list[ShortView], resident: User
) -> None:
    services.vote_cast(short_view=statements[0], actor=resident, choice=1)
    html = text_of(client.get(page_url(process)))
    assert "Being updated" in html
    assert "There are no opinion groups yet" in html


# --- the staff page ----------------------------------------------------------------------------


def test_staff_adds_a_statement_published_at_once(
    client: Client, process: Process, communicator: User
) -> None:
    client.force_login(communicator)
    response = client.post(staff_url(process), {"text": "Fartsgrense 30 i sentrum"})
    assert response.status_code == 302
    view = ShortView.objects.get()
    assert view.status == ShortViewStatus.PUBLISHED and view.by_staff
    assert "Fartsgrense 30 i sentrum" in text_of(client.get(page_url(process)))


def test_moderator_approves_and_rejects_with_a_reason(
    client: Client, process: Process, resident: User, moderator: User
) -> None:
    first = services.short_view_add(process=process, actor=resident, text="Gågate i sentrum")
    second = services.short_view_add(process=process, actor=resident, text="Dumt forslag")
    client.force_login(moderator)
    html = text_of(client.get(staff_url(process)))
    assert "Waiting for moderation (2)" in html and "Gågate i sentrum" in html
    moderate = reverse("participation:staff-short-view-moderate", args=[process.slug, first.pk])
    assert client.post(moderate, {"action": "approve"}).status_code == 302
    moderate = reverse("participation:staff-short-view-moderate", args=[process.slug, second.pk])
    response = client.post(moderate, {"action": "reject", "reason": ""})
    assert response.status_code == 422
    assert "Give a reason for rejecting the statement." in text_of(response)
    response = client.post(moderate, {"action": "reject", "reason": "Ikke et synspunkt"})
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ShortViewStatus.PUBLISHED
    assert second.status == ShortViewStatus.REJECTED
    assert second.rejection_reason == "Ikke et synspunkt"
    client.force_login(resident)
    html = text_of(client.get(page_url(process)))
    assert "rejected</strong>: Ikke et synspunkt" in html


def test_staff_page_needs_a_role_for_the_unit(
    client: Client, process: Process, case_officer: User, resident: User
) -> None:
    client.force_login(case_officer)  # staff, of the school
    assert client.get(staff_url(process)).status_code == 403
    client.force_login(resident)
    assert client.get(staff_url(process)).status_code == 403


def test_moderator_cannot_add_but_may_moderate(
    client: Client, process: Process, moderator: User
) -> None:
    client.force_login(moderator)
    html = text_of(client.get(staff_url(process)))
    assert "Add a statement" not in html
    assert client.post(staff_url(process), {"text": "Noe"}).status_code == 403


def test_staff_withdraws_a_statement(
    client: Client, process: Process, statements: list[ShortView], communicator: User
) -> None:
    client.force_login(communicator)
    url = reverse("participation:staff-short-view-withdraw", args=[process.slug, statements[0].pk])
    assert client.post(url).status_code == 302
    statements[0].refresh_from_db()
    assert statements[0].status == ShortViewStatus.WITHDRAWN
    assert "Withdrawn" in text_of(client.get(page_url(process)))


# --- the parts on the process pages ------------------------------------------------------------


def test_process_parts_summarise(
    process: Process, statements: list[ShortView], resident: User, moderator: User
) -> None:
    from django.test import RequestFactory

    services.vote_cast(short_view=statements[0], actor=resident, choice=1)
    services.short_view_add(process=process, actor=resident, text="Vent på meg")
    request = RequestFactory().get("/")
    request.user = resident
    html = views.process_part(request, process)
    assert "3 statements" in html and "1 participant" in html
    assert "Give your short views" in html and page_url(process) in html
    request.user = moderator
    html = views.staff_process_part(request, process)
    assert "1 waiting for moderation" in html and staff_url(process) in html


def test_process_part_is_empty_without_statements_outside_input(library: Unit) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    process = process_make(library, slug="tom", phases="information")
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert views.process_part(request, process) == ""

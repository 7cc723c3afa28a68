"""The dashboard (staff only), its CSV export and the public open data."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import unit_make
from torget.accounts.models import User
from torget.conversations import services
from torget.conversations.models import Thread
from torget.insights import registry
from torget.organisation.models import Municipality, Unit
from torget.organisation.workinghours import OSLO

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=OSLO)
MAY = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=OSLO)  # a Monday
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def no_post_source() -> Iterator[None]:
    saved = registry._post_source
    registry.register_post_source(None)
    yield
    registry.register_post_source(saved)


@pytest.fixture
def figures(
    library: Unit, school: Unit, communicator: User, resident: User, other_resident: User
) -> list[Thread]:
    """In May: two library questions (one answered in an hour), one school question by SMS."""
    library.name = "Testvik bibliotek – Ærøy og Å"
    library.save()
    answered = services.thread_open(
        unit=library, channel="web", body="Når åpner dere?", actor=resident, at=MAY
    )
    services.thread_answer(threads=[answered], actor=communicator, body="Kl. 10.", at=MAY + HOUR)
    waiting = services.thread_open(
        unit=library, channel="web", body="Har dere lydbøker?", actor=other_resident, at=MAY
    )
    sms = services.thread_open(
        unit=school,
        channel="sms",
        body="Er skolen stengt?",
        actor=None,
        contact="+4791234567",
        author_name="Kari Nordmann",
        at=MAY,
    )
    return [answered, waiting, sms]


def test_dashboard_asks_anonymous_visitors_to_log_in(
    client: Client, municipality: Municipality
) -> None:
    response = client.get("/ansatt/innsikt/")
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/login/")


def test_dashboard_refuses_residents(
    client: Client, municipality: Municipality, resident: User
) -> None:
    client.force_login(resident)
    response = client.get("/ansatt/innsikt/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.text


def test_dashboard_refuses_politicians_who_are_not_staff(client: Client, politician: User) -> None:
    client.force_login(politician)
    assert client.get("/ansatt/innsikt/").status_code == 403


def test_dashboard_shows_figures_to_any_staff_member(
    client: Client, case_officer: User, figures: list[Thread], library: Unit, no_post_source: None
) -> None:
    client.force_login(case_officer)  # staff of the school, sees the whole municipality
    response = client.get(
        "/ansatt/innsikt/",
        {"period": "custom", "start": "2026-05-01", "end": "2026-05-31", "subunits": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    text = response.text
    assert "Dialogue metrics" in text
    assert "Questions from residents" in text
    # 3 questions, all old enough; one answered within 7 days.
    assert '<span class="insights-figure__value">3</span>' in text
    assert "1 of 3 questions old enough to judge" in text
    assert "33.3\u00a0%" in text
    assert "1.0 h" in text  # median time to first answer, calendar
    assert "Waiting for an answer now" in text
    assert "Not available: no module reports posts yet." in text
    # Goal against practice: a chart with a text alternative, and the numbers in the table.
    assert 'role="img"' in text
    assert (
        "Testvik bibliotek – Ærøy og Å: 50.0\u00a0% answered within the goal; the goal is 90 %."
        in text
    )
    assert "Below the goal" in text
    assert "SMS" in text  # the channel table
    assert "May 2026" in text  # the monthly trend table
    assert 'style="' not in text  # the CSP forbids inline styles


def test_dashboard_filters_by_unit_without_subunits_and_channel(
    client: Client, communicator: User, figures: list[Thread], library: Unit
) -> None:
    client.force_login(communicator)
    response = client.get(
        "/ansatt/innsikt/",
        {
            "unit": library.pk,
            "channel": "web",
            "period": "custom",
            "start": "2026-05-01",
            "end": "2026-05-31",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "The unit alone, without the units below it." in response.text
    assert "Channel: Comment on a page." in response.text
    assert "1 of 2 questions old enough to judge" in response.text
    assert "Posts belong to no channel" in response.text


def test_dashboard_default_is_the_last_30_days_with_an_empty_state(
    client: Client, communicator: User, figures: list[Thread]
) -> None:
    client.force_login(communicator)
    response = client.get("/ansatt/innsikt/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "17 May 2026 – 15 June 2026" in response.text
    assert "No resident asked a question in this period" in response.text
    assert "No questions in this period, so there is no trend to show." in response.text
    # The May questions are still waiting (one) and shown as waiting now.
    assert "Waiting for an answer now" in response.text


def test_dashboard_with_wrong_dates_answers_422_and_keeps_what_was_typed(
    client: Client, communicator: User, municipality: Municipality
) -> None:
    client.force_login(communicator)
    response = client.get(
        "/ansatt/innsikt/",
        {"period": "custom", "start": "2026-05-31", "end": "2026-05-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "The last day comes before the first day." in response.text
    assert 'value="2026-05-31"' in response.text
    assert 'aria-describedby="id_end_error"' in response.text
    assert "Questions from residents" not in response.text


def test_dashboard_custom_period_needs_both_dates(
    client: Client, communicator: User, municipality: Municipality
) -> None:
    client.force_login(communicator)
    response = client.get("/ansatt/innsikt/", {"period": "custom"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "Give the first day of the period." in response.text
    assert "Give the last day of the period." in response.text


def test_csv_export_is_utf8_with_bom_semicolons_and_a_total_row(
    client: Client, communicator: User, figures: list[Thread], library: Unit
) -> None:
    client.force_login(communicator)
    response = client.get(
        "/ansatt/innsikt/eksport.csv",
        {"period": "custom", "start": "2026-05-01", "end": "2026-05-31", "subunits": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="dialog-kommune-2026-05-01-2026-05-31.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Unit", "Goal (%)", "Goal (working minutes)", "Questions"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {
        "Testvik kommune",
        "Testvik bibliotek – Ærøy og Å",
        "Testvik skole",
        "Total",
    }
    library_row = by_name["Testvik bibliotek – Ærøy og Å"]
    assert library_row[1:9] == ["90", "450", "2", "0", "2", "1", "0", "50,0"]
    assert by_name["Total"][3] == "3"
    assert by_name["Total"][8] == "33,3"


def test_csv_export_is_for_staff_only(
    client: Client, municipality: Municipality, resident: User
) -> None:
    client.force_login(resident)
    assert client.get("/ansatt/innsikt/eksport.csv").status_code == 403


def test_open_data_is_public_cached_json_without_personal_data(
    client: Client, figures: list[Thread], library: Unit, resident: User, no_post_source: None
) -> None:
    response = client.get("/apne-data/dialog.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["definitions"] == "http://testserver/apne-data/definisjoner.md"
    assert datetime.datetime.fromisoformat(data["generated_at"]) == NOW
    assert data["period"]["start"].startswith("2025-06-01T00:00:00")
    assert data["period"]["end"].startswith("2026-06-01T00:00:00")
    assert data["horizon_days"] == 7
    assert data["total"]["questions"] == 3
    assert data["total"]["answered_within_horizon"] == 1
    assert data["total"]["reply_rate"] == round(1 / 3, 4)
    assert data["total"]["first_answer_hours"]["median"] == 1.0
    assert data["total"]["unique_residents"] == 3
    assert data["total"]["posts"] is None
    units = {u["slug"]: u for u in data["units"]}
    assert units["biblioteket"]["questions"] == 2
    assert units["biblioteket"]["goal"] == {"percent": 90, "working_minutes": 450}
    [root] = [u for u in data["units"] if u["parent"] is None]
    assert units["biblioteket"]["parent"] == root["slug"]
    assert [m["month"] for m in data["months"]][-2:] == ["2026-04", "2026-05"]
    assert len(data["months"]) == 12
    body = response.content.decode("utf-8")
    for personal in (
        "@",
        "Nora",
        "Emil",
        "Kari Nordmann",
        "+4791234567",
        resident.email,
        "Når åpner",
    ):
        assert personal not in body


def test_open_data_is_computed_once_an_hour(
    client: Client, figures: list[Thread], library: Unit, communicator: User
) -> None:
    first = json.loads(client.get("/apne-data/dialog.json").content)
    services.thread_open(unit=library, channel="web", body="Ny?", actor=None, at=MAY)
    again = json.loads(client.get("/apne-data/dialog.json", {"x": "1"}).content)
    assert again == first


def test_definitions_are_published_as_text(client: Client, municipality: Municipality) -> None:
    response = client.get("/apne-data/definisjoner.md")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Reply rate" in response.text


def test_posts_figure_uses_the_registered_source(
    client: Client, communicator: User, no_post_source: None
) -> None:
    registry.register_post_source(lambda **kwargs: (4, 1))  # type: ignore[arg-type,return-value]
    client.force_login(communicator)
    response = client.get("/ansatt/innsikt/", HTTP_ACCEPT_LANGUAGE="en")
    assert "1 of 4 posts." in response.text
    assert "25.0\u00a0%" in response.text


def test_dashboard_queries_do_not_grow_with_units_or_threads(
    client: Client, communicator: User, figures: list[Thread], municipality: Municipality
) -> None:
    client.force_login(communicator)
    params = {"period": "custom", "start": "2026-05-01", "end": "2026-05-31", "subunits": "on"}
    client.get("/ansatt/innsikt/", params)
    with CaptureQueriesContext(connection) as before:
        client.get("/ansatt/innsikt/", params)
    for i in range(5):
        unit = unit_make(municipality, slug=f"enhet-{i}")
        services.thread_open(unit=unit, channel="email", body="Hei?", actor=None, at=MAY)
    with CaptureQueriesContext(connection) as after:
        response = client.get("/ansatt/innsikt/", params)
    assert "Enhet-4" in response.text
    assert len(after) == len(before)

"""Nobody opens, changes or downloads another resident's case, receipt or attachment.

The walk lists every URL pattern of the "cases" namespace (so URLs added later are walked
too), fills in the ids of one resident's case, and tries each with GET and POST as a second
resident, as an anonymous visitor and as staff of another unit. A refusal must look the
same as for a case that does not exist, and nothing may change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern

from tests.url_walk import patterns_in
from torget.accounts.models import User
from torget.cases.models import Case, CaseStatus
from torget.cases.tests.factories_cases import attachment_make, case_make
from torget.organisation.models import Unit

# Pattern names whose only id is a form's slug (or none): pages any resident may open (the
# list of forms, a form to fill in). Every other pattern names something of one person.
OPEN_TO_EVERY_RESIDENT_KWARGS = {frozenset(), frozenset({"slug"})}


PATTERNS = patterns_in("cases")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def case(school: Unit, resident: User) -> Case:
    return case_make(unit=school, applicant=resident)


def _fill(route: str, pattern: URLPattern, case: Case, attachment_pk: int, bogus: bool) -> str:
    """The route with `case`'s ids (or ids that exist nowhere, with `bogus`)."""
    kwargs: dict[str, Any] = {}
    for name, converter in pattern.pattern.converters.items():  # type: ignore[attr-defined]
        lowered = name.lower()
        if "reference" in lowered:
            kwargs[name] = "1999-999999" if bogus else case.reference
        elif "slug" in lowered:
            kwargs[name] = case.form.slug
        elif "attachment" in lowered or ("vedlegg" in route and lowered == "pk"):
            kwargs[name] = 999999 if bogus else attachment_pk
        elif "field" in lowered:
            field = case.form.fields.first()
            kwargs[name] = 999999 if bogus else (field.pk if field else 1)
        elif "skjema" in route and lowered == "pk":
            kwargs[name] = 999999 if bogus else case.form_id
        elif "key" in lowered or "token" in lowered or "uuid" in lowered:
            kwargs[name] = "00000000-0000-0000-0000-000000000000" if bogus else case.submission_key
        else:
            kwargs[name] = 999999 if bogus else case.pk
        kwargs[name] = converter.to_url(kwargs[name])
    path = route
    for name, value in kwargs.items():
        # Replace "<conv:name>" or "<name>" in the route by the value.
        start = path.index("<")
        while name not in path[start : path.index(">", start)]:
            start = path.index("<", start + 1)
        path = path[:start] + str(value) + path[path.index(">", start) + 1 :]
    return "/" + path


def _snapshot(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    assert case.thread is not None
    return (
        case.status,
        case.data,
        case.closed_at,
        case.events.count(),
        case.thread.messages.count(),
        case.attachments.count(),
        case.thread.status,
    )


def _assert_nothing_shown(body: bytes) -> None:
    """Nothing of the case on a refusal (its reference may be echoed: it was in the URL)."""
    for secret in ("Ola Bakken", "Nora Bakken", "nora@example.no", "Nøtteallergi", "%PDF"):
        assert secret.encode() not in body, secret


def test_the_walk_covers_the_case_urls() -> None:
    routes = {route for route, _ in PATTERNS}
    for expected in (
        "saker/<str:reference>/",
        "saker/<str:reference>/vedlegg/<int:pk>/",
        "ansatt/saker/<int:pk>/",
        "ansatt/saker/<int:pk>/status/",
    ):
        assert expected in routes


def _personal(pattern: URLPattern) -> bool:
    names = frozenset(pattern.pattern.converters)  # type: ignore[attr-defined]
    return names not in OPEN_TO_EVERY_RESIDENT_KWARGS


@pytest.mark.parametrize(("route", "pattern"), PATTERNS, ids=[route for route, _ in PATTERNS])
def test_second_resident_gets_404_on_every_case_url(
    client: Client,
    case: Case,
    other_resident: User,
    route: str,
    pattern: URLPattern,
) -> None:
    attachment = attachment_make(case)
    before = _snapshot(case)
    real = _fill(route, pattern, case, attachment.pk, bogus=False)
    missing = _fill(route, pattern, case, attachment.pk, bogus=True)
    client.force_login(other_resident)
    staff_page = route.startswith("ansatt/")
    for method in ("get", "post"):
        response = getattr(client, method)(real, {"body": "Hei", "status": "closed"})
        if staff_page:
            assert response.status_code in (403, 404, 405), (method, real)
        elif _personal(pattern):
            nothing = getattr(client, method)(missing, {"body": "Hei", "status": "closed"})
            # The same answer as for a case that does not exist: 404 (or 405 for a method the
            # URL never takes, whoever asks).
            assert response.status_code == nothing.status_code, (method, real)
            assert response.status_code in (404, 405), (method, real)
        else:
            continue
        _assert_nothing_shown(response.content)
    assert _snapshot(case) == before


@pytest.mark.parametrize(("route", "pattern"), PATTERNS, ids=[route for route, _ in PATTERNS])
def test_anonymous_visitor_is_sent_to_login_or_gets_404(
    client: Client, case: Case, route: str, pattern: URLPattern
) -> None:
    if not _personal(pattern):
        return
    attachment = attachment_make(case)
    before = _snapshot(case)
    real = _fill(route, pattern, case, attachment.pk, bogus=False)
    for method in ("get", "post"):
        response = getattr(client, method)(real, {"body": "Hei", "status": "closed"})
        if response.status_code == 302:
            assert response["Location"].startswith("/konto/login/"), (method, real)
        else:
            assert response.status_code in (403, 404, 405), (method, real)
            _assert_nothing_shown(response.content)
    assert _snapshot(case) == before


@pytest.mark.parametrize(("route", "pattern"), PATTERNS, ids=[route for route, _ in PATTERNS])
def test_staff_of_another_unit_is_refused_on_every_case_url(
    client: Client,
    case: Case,
    communicator: User,
    route: str,
    pattern: URLPattern,
) -> None:
    if not _personal(pattern):
        return
    attachment = attachment_make(case)
    before = _snapshot(case)
    real = _fill(route, pattern, case, attachment.pk, bogus=False)
    client.force_login(communicator)  # the library's; the case and its form are the school's
    for method in ("get", "post"):
        response = getattr(client, method)(real, {"body": "Hei", "status": "closed"})
        assert response.status_code in (403, 404, 405), (method, real)
        _assert_nothing_shown(response.content)
    assert _snapshot(case) == before


def test_the_applicant_and_the_units_staff_do_get_in(
    client: Client, case: Case, resident: User, case_officer: User
) -> None:
    """The walk's refusals are not refusals of everyone: the right people get the pages."""
    attachment = attachment_make(case)
    client.force_login(resident)
    assert client.get(f"/saker/{case.reference}/").status_code == 200
    assert client.get(f"/saker/{case.reference}/vedlegg/{attachment.pk}/").status_code == 200
    client.force_login(case_officer)
    assert client.get(f"/ansatt/saker/{case.pk}/").status_code == 200
    assert client.get(f"/saker/{case.reference}/vedlegg/{attachment.pk}/").status_code == 200
    assert client.get(f"/saker/{case.reference}/").status_code == 404  # the resident's page
    assert case.status == CaseStatus.RECEIVED

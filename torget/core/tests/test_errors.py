"""Bad input gets a clear page in the shell with the right status, never a stack trace."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from config import urls as root_urls
from torget.organisation.models import Municipality


def _boom(request: object) -> None:
    raise RuntimeError("kaboom")


urlpatterns = [path("boom/", _boom), *root_urls.urlpatterns]
handler500 = root_urls.handler500


def test_404_is_in_the_shell(client: Client, municipality: Municipality) -> None:
    response = client.get("/finnes-ikke/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert '<a class="skip-link" href="#main">' in response.text
    assert "We could not find the page" in response.text


def test_403_is_in_the_shell(client: Client, municipality: Municipality, resident) -> None:  # type: ignore[no-untyped-def]
    client.force_login(resident)
    response = client.get("/ansatt/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.text
    assert '<html lang="en">' in response.text


def test_missing_csrf_token_is_a_clear_403(municipality: Municipality) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/konto/login/", {"login": "a@example.no", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 403
    assert "The form had expired" in response.text


def test_oversized_request_is_a_clear_400(
    client: Client, municipality: Municipality, settings: pytest.FixtureRequest
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # type: ignore[attr-defined]
    response = client.post(
        "/konto/login/", {"login": "a" * 2000, "password": "x"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "too large" in response.text


@pytest.mark.urls("torget.core.tests.test_errors")
def test_500_is_in_the_shell_without_a_trace(municipality: Municipality) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "kaboom" not in response.text and "Traceback" not in response.text
    assert '<html lang="en">' in response.text

"""Which language a page is shown in, and how a person changes it."""

from __future__ import annotations

import pytest
from django.test import Client

from torget.organisation.models import Municipality


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", "nb"),  # the municipality's målform
        ("en-GB,en;q=0.9", "en"),
        ("nn-NO,nn;q=0.9,nb;q=0.5", "nn"),
        ("no", "nb"),  # generic Norwegian means Bokmål
        ("de-DE,de;q=0.9", "nb"),  # unsupported: the municipality's målform
        ("de, en;q=0.5", "en"),
    ],
)
def test_accept_language_is_honoured(
    client: Client, municipality: Municipality, accept: str, expected: str
) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert f'<html lang="{expected}">' in response.text
    assert response["Content-Language"] == expected
    assert "Accept-Language" in response["Vary"]


def test_nynorsk_municipality_defaults_to_nynorsk(
    client: Client, municipality: Municipality
) -> None:
    municipality.malform = "nn"
    municipality.save()
    response = client.get("/")
    assert '<html lang="nn">' in response.text
    assert "Hopp til hovudinnhaldet" in response.text


def test_language_switch_sets_cookie_and_returns(
    client: Client, municipality: Municipality
) -> None:
    response = client.get("/sprak/nn/?next=/enheter/kommunen/")
    assert response.status_code == 302
    assert response["Location"] == "/enheter/kommunen/"
    page = client.get("/enheter/kommunen/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="nn">' in page.text  # the explicit choice beats the browser's


def test_language_switch_refuses_unknown_code_and_foreign_next(
    client: Client, municipality: Municipality
) -> None:
    unknown = client.get("/sprak/xx/", HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 404
    assert "Unknown language" in unknown.text
    assert "torget_language" not in unknown.cookies
    offsite = client.get("/sprak/en/?next=https://evil.example/")
    assert offsite["Location"] == "/"


def test_every_string_is_translated() -> None:
    from torget.core.i18n import catalogues, read, untranslated

    found = {path.parent.parent.name: path for path in catalogues()}
    assert set(found) == {"nb", "nn", "en"}
    for code, path in found.items():
        catalog = read(path)
        assert len(catalog) > 50, code
        assert untranslated(catalog) == [], code

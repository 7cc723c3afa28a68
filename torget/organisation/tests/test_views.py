"""The front page and unit pages."""

from __future__ import annotations

from django.test import Client

from torget.organisation.models import Municipality, Unit


def test_front_page_lists_units_and_contact(
    client: Client, municipality: Municipality, library: Unit, school: Unit
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Testvik kommune" in response.text
    assert 'href="/enheter/biblioteket/"' in response.text
    assert 'href="/enheter/skolen/"' in response.text


def test_unit_page_shows_contact_and_opening_hours_in_language(
    client: Client, library: Unit
) -> None:
    response = client.get("/enheter/biblioteket/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Testvik bibliotek" in response.text
    assert 'href="tel:22112233"' in response.text
    assert "Monday" in response.text and "09:00–17:00" in response.text
    nb = client.get("/enheter/biblioteket/", HTTP_ACCEPT_LANGUAGE="nb")
    assert "mandag" in nb.text.lower()


def test_unit_text_is_escaped(client: Client, library: Unit) -> None:
    library.description = '<script>alert("x")</script>'
    library.save()
    response = client.get("/enheter/biblioteket/")
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;" in response.text


def test_unknown_unit_is_404_in_shell(client: Client, municipality: Municipality) -> None:
    response = client.get("/enheter/finnes-ikke/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "We could not find the page" in response.text
    assert '<nav class="language-switcher"' in response.text

"""Related links from modules above services, under "Forms and self-service"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from torget.organisation.models import Unit
from torget.services import registry
from torget.services.models import InfoPage
from torget.services.tests.factories import page_make


def forms_for(page: InfoPage) -> list[tuple[str, str]]:
    if page.slug == "barnehageplass":
        return [("Søk barnehageplass", "/skjema/barnehageplass/"), ("<Endre>", "/skjema/x/")]
    return []


def broken(page: InfoPage) -> list[tuple[str, str]]:
    raise RuntimeError("the provider failed")


@pytest.fixture
def registered() -> Iterator[None]:
    registry.register_page_links(forms_for)
    registry.register_page_links(broken)
    registry.register_page_links(forms_for)  # twice: still once
    try:
        yield
    finally:
        registry.unregister_page_links(forms_for)
        registry.unregister_page_links(broken)


def test_page_links_gathers_the_registered_links_and_skips_a_broken_provider(
    library: Unit, registered: None
) -> None:
    page = page_make(library)
    other = page_make(library, title="Annen side")
    assert registry.page_links(page) == [
        ("Søk barnehageplass", "/skjema/barnehageplass/"),
        ("<Endre>", "/skjema/x/"),
    ]
    assert registry.page_links(other) == []


def test_page_shows_registered_links_under_forms_and_self_service(
    client: Client, library: Unit, registered: None
) -> None:
    page_make(library)
    html = client.get("/tjenester/side/barnehageplass/", HTTP_ACCEPT_LANGUAGE="en").text
    assert '<h2 id="links-heading">Forms and self-service</h2>' in html
    assert '<li><a href="/skjema/barnehageplass/">Søk barnehageplass</a></li>' in html
    assert "&lt;Endre&gt;" in html

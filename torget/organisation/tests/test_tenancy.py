"""One deployment, several municipalities: each sees only its own."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.test import Client

from tests.factories import municipality_make, unit_make
from torget.organisation import services as org
from torget.organisation.models import Municipality, Unit
from torget.organisation.selectors import municipality_get_by_host, unit_get


@pytest.fixture
def neighbour(db: None) -> Municipality:
    """Nabo kommune, on its own host name, with a unit of the same slug as Testvik's."""
    neighbour = municipality_make(
        number="9997", name="Nabo kommune", malform="nn", hostnames=("nabo.example",)
    )
    unit_make(neighbour, slug="biblioteket", name="Nabo folkebibliotek")
    unit_make(neighbour, slug="hamna", name="Nabo hamnekontor", kind="other")
    return neighbour


def test_municipality_get_by_host_ignores_port_and_case(municipality: Municipality) -> None:
    assert municipality_get_by_host("TESTSERVER:8000") == municipality
    assert municipality_get_by_host("unknown.example") is None


def test_front_page_shows_only_the_hosts_municipality(
    client: Client, municipality: Municipality, library: Unit, neighbour: Municipality
) -> None:
    ours = client.get("/")
    theirs = client.get("/", HTTP_HOST="nabo.example")
    assert "Testvik bibliotek" in ours.text and "Nabo folkebibliotek" not in ours.text
    assert "Nabo hamnekontor" not in ours.text
    assert "Nabo folkebibliotek" in theirs.text and "Testvik bibliotek" not in theirs.text


def test_unit_page_of_another_municipality_is_not_found(
    client: Client, municipality: Municipality, neighbour: Municipality
) -> None:
    response = client.get("/enheter/hamna/")
    assert response.status_code == 404
    assert "Nabo hamnekontor" not in response.text
    assert client.get("/enheter/hamna/", HTTP_HOST="nabo.example").status_code == 200


def test_same_slug_in_two_municipalities_resolves_per_host(
    municipality: Municipality, library: Unit, neighbour: Municipality
) -> None:
    assert unit_get(municipality=municipality, slug="biblioteket").name == "Testvik bibliotek"
    assert unit_get(municipality=neighbour, slug="biblioteket").name == "Nabo folkebibliotek"


def test_unknown_host_gets_a_clear_404_page(client: Client, municipality: Municipality) -> None:
    response = client.get("/", HTTP_HOST="ukjent.example", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert '<a class="skip-link"' in response.text  # the shell
    assert "does not belong to any municipality" in response.text
    norsk = client.get("/", HTTP_HOST="ukjent.example")
    assert "hører ikke til noen kommune" in norsk.text


def test_hostname_belongs_to_one_municipality(municipality: Municipality) -> None:
    with pytest.raises(IntegrityError):
        municipality_make(number="9996", name="Kopi", hostnames=("testserver",))


def test_unit_create_sets_tree_path(municipality: Municipality, root_unit: Unit) -> None:
    library = unit_make(municipality, slug="bib")
    branch = unit_make(municipality, slug="filial", parent=library)
    assert root_unit.path == f"/{root_unit.pk}/"
    assert branch.path == f"/{root_unit.pk}/{library.pk}/{branch.pk}/"
    assert branch.depth == 2


def test_unit_create_refuses_parent_from_other_municipality(
    municipality: Municipality, neighbour: Municipality
) -> None:
    their_root = Unit.objects.get(municipality=neighbour, parent__isnull=True)
    with pytest.raises(ValueError):
        org.unit_create(
            municipality=municipality, parent=their_root, kind="other", name="X", slug="x"
        )


def test_only_one_root_unit_per_municipality(municipality: Municipality) -> None:
    with pytest.raises(IntegrityError):
        Unit.objects.create(municipality=municipality, kind="other", name="Rot 2", slug="rot2")

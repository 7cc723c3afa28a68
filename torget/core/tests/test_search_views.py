"""The search page (/sok/) and the staff page of searches without results (/ansatt/sok/)."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation

from tests.factories import municipality_make
from torget.accounts.models import User
from torget.core.models import SearchMiss
from torget.core.search import index, registry, views
from torget.core.search.selectors import search
from torget.core.search.services import looks_personal, search_miss_record
from torget.organisation.models import Municipality, Unit

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _page(municipality: Municipality, object_id: int, title: str, body: str = "", **kw: str):  # type: ignore[no-untyped-def]
    return index.document_upsert(
        municipality_id=municipality.pk,
        kind=kw.get("kind", "page"),
        object_id=object_id,
        title=title,
        body=body,
        url=kw.get("url", f"/tjenester/{object_id}/"),
        language=kw.get("language", "nb"),
    )


def _label(kind: str) -> str:
    """The group heading of `kind` in English ("Information pages" once the services app
    registers its pages, the kind itself before)."""
    with translation.override("en"):
        return str(registry.kind_get(kind).label)


@pytest.fixture
def other_municipality(db: None) -> Municipality:
    return municipality_make(number="9997", name="Andrevik kommune", hostnames=("andrevik.test",))


# --- the form -----------------------------------------------------------------------------------


def test_search_page_without_query_shows_a_labelled_field(
    client: Client, municipality: Municipality
) -> None:
    response = client.get("/sok/", **EN)
    assert response.status_code == 200
    html = response.text
    assert '<form method="get" action="/sok/" role="search"' in html
    assert '<label for="id_q">What are you looking for?</label>' in html
    assert 'type="search" name="q" id="id_q" value=""' in html
    assert "result" not in html.lower().split("<main", 1)[1].split("</form>", 1)[1]


def test_empty_query_answers_422_with_the_error_beside_the_field(
    client: Client, municipality: Municipality
) -> None:
    response = client.get("/sok/?q=+++", **EN)
    assert response.status_code == 422
    html = response.text
    assert 'class="error-summary" role="alert"' in html
    assert (
        '<ul class="errorlist" id="id_q_error"><li>Type one or more words to search for.</li>'
        in html
    )
    assert 'aria-describedby="id_q_helptext id_q_error" aria-invalid="true"' in html
    assert SearchMiss.objects.count() == 0


def test_too_long_query_answers_422_and_keeps_what_was_typed(
    client: Client, municipality: Municipality
) -> None:
    typed = "barnehage " * 25
    response = client.get("/sok/", {"q": typed}, **EN)
    assert response.status_code == 422
    assert "The search is too long: at most 200 characters, you typed 249." in response.text
    assert f'value="{typed}"' in response.text


# --- results ------------------------------------------------------------------------------------


def test_results_are_grouped_by_kind_with_counts_and_highlighted(
    client: Client, municipality: Municipality
) -> None:
    _page(municipality, 1, "Søke barnehageplass", "Alle barn har rett til plass i barnehage.")
    _page(municipality, 2, "Foreldrebetaling i barnehagen", "Pris for en plass.")
    _page(municipality, 3, "Ny barnehage åpner", "", kind="post", url="/innlegg/3/")
    response = client.get("/sok/", {"q": "barnehage"}, **EN)
    assert response.status_code == 200
    html = response.text
    assert "3 results for “barnehage”" in html
    groups = re.findall(r'<h2 id="results-(\w+)">', html)
    assert sorted(groups) == ["page", "post"]
    assert f'<h2 id="results-page">{_label("page")} <span class="muted">(2)</span></h2>' in html
    assert '<a href="/tjenester/1/">Søke <mark>barnehageplass</mark></a>' in html
    assert "rett til plass i <mark>barnehage</mark>." in html


def test_group_shows_five_and_links_to_all_then_pages(
    client: Client, municipality: Municipality
) -> None:
    for number in range(1, 24):
        _page(municipality, number, f"Svømmekurs nummer {number}", "Svømming for barn.")
    html = client.get("/sok/", {"q": "svømmekurs"}, **EN).text
    assert html.count('class="post-card"') == 5
    label = _label("page").lower()
    assert f'<a href="?q=sv%C3%B8mmekurs&amp;kind=page">Show all 23 {label}</a>' in html
    first = client.get("/sok/", {"q": "svømmekurs", "kind": "page"}, **EN).text
    assert first.count('class="post-card"') == 20
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/sok/", {"q": "svømmekurs", "kind": "page", "page": "2"}, **EN).text
    assert second.count('class="post-card"') == 3
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    # A page past the end shows the last one.
    assert (
        client.get("/sok/", {"q": "svømmekurs", "kind": "page", "page": "9"}, **EN).text.count(
            'class="post-card"'
        )
        == 3
    )


def test_another_municipalitys_documents_never_show(
    client: Client, municipality: Municipality, other_municipality: Municipality
) -> None:
    _page(municipality, 1, "Renovasjon i Testvik", "Tømming av avfall.")
    _page(other_municipality, 2, "Renovasjon i Andrevik", "Tømming av avfall.")
    html = client.get("/sok/", {"q": "renovasjon"}, **EN).text
    assert "Testvik" in html and "Andrevik</a>" not in html and "/tjenester/2/" not in html
    other = client.get("/sok/", {"q": "renovasjon"}, HTTP_HOST="andrevik.test", **EN).text
    assert "/tjenester/2/" in other and "/tjenester/1/" not in other
    # Nor through the fallbacks.
    results = search(municipality_id=municipality.pk, query="renovasjn andrevik", language="nb")
    assert {h.url for g in results.groups for h in g.hits} == {"/tjenester/1/"}


def test_titles_and_snippets_are_escaped(client: Client, municipality: Municipality) -> None:
    _page(
        municipality,
        1,
        "<script>alert('bad')</script> Svømmehallen",
        "Åpent <b>i dag</b> & i morgen <script>x()</script>",
    )
    html = client.get("/sok/", {"q": "svømmehallen"}, **EN).text
    assert "<script>alert" not in html and "<b>i dag</b>" not in html
    assert "&lt;script&gt;alert(&#x27;bad&#x27;)&lt;/script&gt; <mark>Svømmehallen</mark>" in html
    assert "Åpent &lt;b&gt;i dag&lt;/b&gt; &amp; i morgen" in html


def test_current_language_comes_first_other_languages_still_show(
    client: Client, municipality: Municipality
) -> None:
    _page(municipality, 1, "Kindergarten place", "Apply for a kindergarten place.", language="en")
    _page(municipality, 1, "Kindergarten place (nb)", "Kindergarten søknad.", language="nb")
    _page(municipality, 2, "Kindergarten prices", "Only in Bokmål.", language="nb")
    results = search(municipality_id=municipality.pk, query="kindergarten", language="en")
    hits = results.groups[0].hits
    # One result per page, in English where there is English, the others in their language.
    assert [(h.url, h.language) for h in hits] == [("/tjenester/1/", "en"), ("/tjenester/2/", "nb")]
    html = client.get("/sok/", {"q": "kindergarten"}, **EN).text
    assert '<li class="post-card" lang="nb">' in html


def test_empty_state_suggests_words_situations_and_the_service_centre(
    client: Client, municipality: Municipality, root_unit: Unit
) -> None:
    root_unit.phone, root_unit.email = "+47 12 34 56 78", "post@testvik.kommune.no"
    root_unit.save()
    response = client.get("/sok/", {"q": "qwxz"}, **EN)
    assert response.status_code == 200
    html = response.text
    assert "We found nothing for “qwxz”" in html
    assert "Check the spelling." in html
    assert '<a href="/tjenester/">services by life situation</a>' in html
    assert "Ask the service centre" in html and "post@testvik.kommune.no" in html


def test_search_works_without_javascript_and_uses_no_inline_script(
    client: Client, municipality: Municipality
) -> None:
    _page(municipality, 1, "Svømmehallen", "")
    html = client.get("/sok/", {"q": "svømmehallen"}, **EN).text
    assert "<script" not in html.split("</header>", 1)[1] and "style=" not in html


def test_search_is_rate_limited_gently(
    client: Client, municipality: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "SEARCHES_PER_MINUTE", 3)
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        codes = [client.get("/sok/", {"q": "avfall"}, **EN).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


# --- misses -------------------------------------------------------------------------------------


def test_query_without_results_is_logged_normalised_and_counted_per_day(
    client: Client, municipality: Municipality
) -> None:
    client.get("/sok/", {"q": "  Hundeluftere   I  parken "}, **EN)
    client.get("/sok/", {"q": "hundeluftere i parken"}, **EN)
    miss = SearchMiss.objects.get()
    assert (miss.query, miss.count, miss.municipality_id) == (
        "hundeluftere i parken",
        2,
        municipality.pk,
    )
    assert miss.day == timezone.localdate()


def test_query_with_results_is_not_logged(client: Client, municipality: Municipality) -> None:
    _page(municipality, 1, "Hundeluftere", "")
    client.get("/sok/", {"q": "hundeluftere"}, **EN)
    assert SearchMiss.objects.count() == 0


@pytest.mark.parametrize(
    "query",
    [
        "01019012345",
        "010190 12345",
        "fødselsnummer 01019012345 barnehage",
        "91234567",
        "+47 912 34 567",
        "912-34-567",
        "nora@example.no",
        "skriv til Nora.Bakken@eksempel.kommune.no",
    ],
)
def test_personal_data_is_never_logged(
    client: Client, municipality: Municipality, query: str
) -> None:
    assert looks_personal(query)
    response = client.get("/sok/", {"q": query}, **EN)
    assert response.status_code == 200
    assert SearchMiss.objects.count() == 0


@pytest.mark.parametrize("query", ["gnr 12 bnr 345", "postnummer 1234", "2026", "søppel"])
def test_ordinary_numbers_are_logged(municipality: Municipality, query: str) -> None:
    assert not looks_personal(query)
    assert search_miss_record(municipality_id=municipality.pk, query=query) is True


def test_staff_see_the_most_common_misses_of_the_last_30_days(
    client: Client, municipality: Municipality, communicator: User
) -> None:
    with time_machine.travel(timezone.now() - datetime.timedelta(days=40)):
        search_miss_record(municipality_id=municipality.pk, query="gammelt søk")
    with time_machine.travel(timezone.now() - datetime.timedelta(days=3)):
        search_miss_record(municipality_id=municipality.pk, query="hundeparken")
    for _ in range(3):
        search_miss_record(municipality_id=municipality.pk, query="hundeparken")
    search_miss_record(municipality_id=municipality.pk, query="isbading")
    client.force_login(communicator)
    response = client.get("/ansatt/sok/", **EN)
    assert response.status_code == 200
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td>", response.text)
    assert rows == [("hundeparken", "4"), ("isbading", "1")]
    assert "gammelt søk" not in response.text


def test_misses_page_is_paginated(
    client: Client, municipality: Municipality, communicator: User
) -> None:
    for number in range(55):
        search_miss_record(municipality_id=municipality.pk, query=f"søk nummer {number}")
    client.force_login(communicator)
    first = client.get("/ansatt/sok/", **EN).text
    assert first.count("<tr><td>") == 50 and "Page 1 of 2" in first
    assert client.get("/ansatt/sok/?page=2", **EN).text.count("<tr><td>") == 5


def test_misses_page_empty_state(
    client: Client, municipality: Municipality, communicator: User, other_municipality: Municipality
) -> None:
    search_miss_record(municipality_id=other_municipality.pk, query="andrevik sitt søk")
    client.force_login(communicator)
    html = client.get("/ansatt/sok/", **EN).text
    assert "No search has come up empty in the last 30 days." in html
    assert "andrevik sitt søk" not in html


def test_misses_page_is_for_staff_only(
    client: Client, municipality: Municipality, resident: User
) -> None:
    anonymous = client.get("/ansatt/sok/", **EN)
    assert anonymous.status_code == 302 and "/konto/login/" in anonymous["Location"]
    client.force_login(resident)
    response = client.get("/ansatt/sok/", **EN)
    assert response.status_code == 403
    assert "<table>" not in response.text


def test_isolation_holds_when_another_municipality_ranks_higher(
    municipality: Municipality, other_municipality: Municipality
) -> None:
    """Many better matches elsewhere fill the index's own top-N: ours still come, all of them,
    and only ours."""
    for number in range(1, 121):
        _page(other_municipality, 1000 + number, "Konsert konsert", "Konsert i Andrevik.")
    for number in range(1, 8):
        _page(municipality, number, f"Kulturhuset {number}", "Det blir også en konsert.")
    results = search(municipality_id=municipality.pk, query="konsert", language="nb", kind="page")
    (group,) = results.groups
    assert group.total == 7
    assert sorted(hit.url for hit in group.hits) == [f"/tjenester/{n}/" for n in range(1, 8)]

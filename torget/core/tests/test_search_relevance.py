"""Relevance on a fixed Norwegian set: 30 information pages of a municipality, and the queries
residents type for a kindergarten place (inflected, compound, two words, typos).

The same tests run on SQLite (FTS5 with Snowball stems) and on PostgreSQL (the `norwegian`
configuration) when TORGET_DATABASE_URL points at one.
"""

from __future__ import annotations

import pytest

from torget.core.search import index
from torget.core.search.selectors import search
from torget.organisation.models import Municipality

KINDERGARTEN = "Søke barnehageplass"

# (title, body): realistic pages of a Norwegian municipality's information pages, several of
# them about kindergarten without being the page about applying for a place.
CORPUS: list[tuple[str, str]] = [
    (
        KINDERGARTEN,
        "Alle barn som fyller ett år innen utgangen av november, har rett til plass i "
        "barnehage. Du søker plass i kommunale og private barnehager på det samme skjemaet. "
        "Søknadsfristen for hovedopptaket er 1. mars, og du får svar i løpet av april. Du kan "
        "søke om plass i barnehagen hele året, men plass midt i året gis bare når det er "
        "ledige plasser. Ring servicetorget om du trenger hjelp med søknaden.",
    ),
    (
        "Foreldrebetaling i barnehagen",
        "Prisen for en hel plass i barnehage følger makspris som Stortinget vedtar. Har "
        "husholdningen lav inntekt, kan du søke om redusert foreldrebetaling og gratis "
        "kjernetid. Søskenmoderasjon gis automatisk. Kost betales i tillegg.",
    ),
    (
        "Barnehagene i kommunen",
        "Oversikt over kommunale og private barnehager med adresse, åpningstider og "
        "kontaktinformasjon. Hver barnehage har egne planer for året og egne foreldreråd.",
    ),
    (
        "Skolestart og innskriving",
        "Barn som fyller seks år i løpet av året, begynner på skolen til høsten. Innskriving "
        "til første klasse skjer i januar. Du får brev om hvilken skole barnet sokner til.",
    ),
    (
        "Skolefritidsordning (SFO)",
        "SFO er et tilbud før og etter skoletid for elever på 1. til 4. trinn. Søk plass i "
        "SFO innen 1. mai. Prisen avhenger av hvor mange dager i uken barnet skal være der.",
    ),
    (
        "Søke byggetillatelse",
        "Skal du bygge nytt, bygge på eller rive, må du som regel søke kommunen om "
        "byggetillatelse. Noen tiltak er unntatt søknadsplikt, for eksempel små boder og "
        "levegger. Byggesøknaden sendes digitalt med tegninger, situasjonskart og nabovarsel.",
    ),
    (
        "Nabovarsel",
        "Før du sender byggesøknad, skal naboer og gjenboere varsles. De har to uker til å "
        "komme med merknader. Merknadene følger søknaden til kommunen.",
    ),
    (
        "Hjemmesykepleie",
        "Hjemmesykepleie er helsehjelp i hjemmet til deg som har behov for det, for eksempel "
        "etter sykehusopphold. Tjenesten er gratis. Søknaden vurderes av tildelingskontoret.",
    ),
    (
        "Praktisk bistand og hjemmehjelp",
        "Trenger du hjelp til rengjøring, innkjøp eller andre praktiske gjøremål i hjemmet, "
        "kan du søke om praktisk bistand. Egenandelen avhenger av inntekten din.",
    ),
    (
        "Sykehjemsplass og korttidsopphold",
        "Kommunen tilbyr langtidsplass og korttidsopphold på sykehjem når helsehjelp hjemme "
        "ikke lenger er nok. Søk om plass på sykehjem via tildelingskontoret.",
    ),
    (
        "Flytte til kommunen",
        "Velkommen som ny innbygger! Meld flytting til Folkeregisteret innen åtte dager. "
        "Her finner du lege, skole, barnehage, renovasjon og annet du trenger når du flytter.",
    ),
    (
        "Tømming av avfall og renovasjon",
        "Restavfall hentes annenhver uke, papir og plast hver fjerde uke. Se tømmekalenderen "
        "for din adresse. Avfallsbeholderen må stå ved veien før klokken sju på hentedagen.",
    ),
    (
        "Gjenvinningsstasjonen",
        "På gjenvinningsstasjonen leverer du grovavfall, hageavfall, farlig avfall og "
        "elektronikk. Åpningstider og priser for levering står her.",
    ),
    (
        "Vann og avløp",
        "Kommunen leverer drikkevann og tar imot avløpsvann. Varsler om brudd og stengt vann "
        "sendes på SMS til berørte adresser. Meld fra om lekkasje til vakttelefonen.",
    ),
    (
        "Kommunale avgifter",
        "Eiendomsskatt, vann, avløp, renovasjon og feiing faktureres fire ganger i året. "
        "Har du spørsmål om fakturaen, kontakt servicetorget.",
    ),
    (
        "Eiendomsskatt",
        "Kommunen skriver ut eiendomsskatt på boliger og fritidsboliger. Du kan klage på "
        "takseringen innen seks uker etter at skatteseddelen er sendt ut.",
    ),
    (
        "Parkeringstillatelse for forflytningshemmede",
        "Har du nedsatt funksjonsevne og problemer med å gå, kan du søke om "
        "parkeringstillatelse. Legg ved legeerklæring.",
    ),
    (
        "Bibliotekets åpningstider",
        "Biblioteket er åpent alle hverdager og lørdager. Med lånekort kan du låne bøker, "
        "lydbøker, filmer og spill. Meråpent bibliotek gir tilgang også når det ikke er "
        "betjent.",
    ),
    (
        "Kulturskolen",
        "Kulturskolen gir undervisning i musikk, dans, teater og visuell kunst for barn og "
        "unge. Søk plass innen 15. mai. Det er ventelister på noen instrumenter.",
    ),
    (
        "Svømmehallen",
        "Svømmehallen er åpen for publikum på kvelder og i helger. Babysvømming og "
        "svømmekurs for barn meldes på her.",
    ),
    (
        "Helsestasjon for barn og unge",
        "Helsestasjonen følger opp barns helse og utvikling fra fødsel til skolestart, med "
        "vaksiner og konsultasjoner. Skolehelsetjenesten er på alle skoler.",
    ),
    (
        "Fastlege",
        "Alle har rett til en fastlege. Bytt fastlege på helsenorge.no. Kommunen har oversikt "
        "over legekontor og ledige plasser hos fastlegene.",
    ),
    (
        "Legevakt",
        "Legevakten tar imot akutt syke når fastlegen er stengt. Ring 116 117 før du kommer. "
        "Ved livstruende sykdom eller skade, ring 113.",
    ),
    (
        "Starte bedrift",
        "Næringsrådgiveren hjelper deg som vil starte bedrift med forretningsplan, "
        "etablererkurs og søknad om tilskudd. Registrer foretaket i Brønnøysundregistrene.",
    ),
    (
        "Skjenkebevilling",
        "Serveringssteder som vil servere alkohol, må søke om skjenkebevilling. Søknaden "
        "behandles av formannskapet, og politiet gir uttalelse.",
    ),
    (
        "Søke om startlån",
        "Startlån fra kommunen hjelper deg som ikke får vanlig lån i banken, til å kjøpe "
        "eller beholde en egnet bolig. Husbanken og kommunen vurderer søknaden sammen.",
    ),
    (
        "Bostøtte",
        "Bostøtte er en statlig støtte til deg med lav inntekt og høye boutgifter. Søknaden "
        "sendes til Husbanken innen den første i måneden.",
    ),
    (
        "Økonomisk sosialhjelp",
        "Har du ikke penger til mat og husleie, kan du søke om økonomisk sosialhjelp hos NAV. "
        "NAV-kontoret gir også råd om gjeld og økonomi.",
    ),
    (
        "Brøyting og strøing av kommunale veier",
        "Kommunen brøyter og strør kommunale veier og fortau etter prioritert rekkefølge. "
        "Meld fra om glatte veier eller hull i veien til driftsavdelingen.",
    ),
    (
        "Politiske møter og saksdokumenter",
        "Kommunestyret, formannskapet og utvalgene holder møter som er åpne for publikum. "
        "Saksdokumenter og protokoller publiseres før og etter hvert møte.",
    ),
]

QUERIES = [
    "barnehage",
    "barnehagen",
    "barnehageplass",
    "søke barnehageplass",
    "Søke barnehageplass",
    "barnehgae",
    "barnehageplas",
    "barnhage",
    "plass i barnehage",
    "søknad om barnehageplass",
    "barnehageplassen",
    "barnehagesøknad",
]


@pytest.fixture
def corpus(municipality: Municipality) -> dict[str, int]:
    """The 30 pages, indexed as the services app indexes information pages (kind "page")."""
    ids: dict[str, int] = {}
    for number, (title, body) in enumerate(CORPUS, start=1):
        index.document_upsert(
            municipality_id=municipality.pk,
            kind="page",
            object_id=number,
            title=title,
            body=body,
            url=f"/tjenester/side-{number}/",
        )
        ids[title] = number
    return ids


def _titles(municipality: Municipality, query: str) -> list[str]:
    results = search(
        municipality_id=municipality.pk, query=query, language="nb", kind="page", per_page=30
    )
    return [str(hit.url) for group in results.groups for hit in group.hits]


def test_corpus_has_thirty_pages(corpus: dict[str, int]) -> None:
    assert len(corpus) == 30


@pytest.mark.parametrize("query", QUERIES)
def test_search_relevance_kindergarten_page_first(
    municipality: Municipality, corpus: dict[str, int], query: str
) -> None:
    urls = _titles(municipality, query)
    expected = f"/tjenester/side-{corpus[KINDERGARTEN]}/"
    assert urls, f"nothing found for {query!r}"
    assert urls[0] == expected, f"{query!r}: {urls[:3]}"


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("byggetillatelse", "Søke byggetillatelse"),
        ("hjemmesykepleie", "Hjemmesykepleie"),
        ("flytte", "Flytte til kommunen"),
        ("tømming av søppel", "Tømming av avfall og renovasjon"),
        ("avfall", "Tømming av avfall og renovasjon"),
        ("skolestart", "Skolestart og innskriving"),
        ("foreldrebetalingen", "Foreldrebetaling i barnehagen"),
        ("eiendomsskat", "Eiendomsskatt"),
        ("sykehjem", "Sykehjemsplass og korttidsopphold"),
        ("legevakten", "Legevakt"),
    ],
)
def test_search_relevance_other_pages_first(
    municipality: Municipality, corpus: dict[str, int], query: str, title: str
) -> None:
    urls = _titles(municipality, query)
    assert urls and urls[0] == f"/tjenester/side-{corpus[title]}/", f"{query!r}: {urls[:3]}"


def test_search_typo_is_found_through_the_fallback(
    municipality: Municipality, corpus: dict[str, int]
) -> None:
    results = search(municipality_id=municipality.pk, query="barnehgae", language="nb")
    assert results.level == "fallback"
    assert "barnehag" in results.marked
    first = results.groups[0].hits[0]
    assert "<mark>" in first.title


def test_search_common_query_needs_no_fallback(
    municipality: Municipality, corpus: dict[str, int]
) -> None:
    results = search(municipality_id=municipality.pk, query="barnehagen", language="nb")
    assert results.level == "words"
    assert results.total >= 3


def test_search_several_words_that_never_meet_fall_back_to_any(
    municipality: Municipality, corpus: dict[str, int]
) -> None:
    results = search(
        municipality_id=municipality.pk, query="svømmehallen skjenkebevilling", language="nb"
    )
    assert results.level == "any"
    urls = {hit.url for group in results.groups for hit in group.hits}
    assert urls == {
        f"/tjenester/side-{corpus['Svømmehallen']}/",
        f"/tjenester/side-{corpus['Skjenkebevilling']}/",
    }


def test_search_nonsense_finds_nothing(municipality: Municipality, corpus: dict[str, int]) -> None:
    results = search(municipality_id=municipality.pk, query="xqzvw", language="nb")
    assert results.total == 0 and results.groups == []

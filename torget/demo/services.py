"""Demo life situations and information pages of Eksempel kommune (issue 5).

Five life situations and fifteen Bokmål information pages, among them "Barnehageplass" (how to
apply for a kindergarten place). The texts are written for the demo; prices and limits are the
fictional municipality's own. One page is left overdue for review so that the reminder
(`manage.py remind_stale_pages`) has something to send.

Idempotent: life situations and pages are found by their address names, so a second run
creates nothing.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from torget.demo.data import WEEKDAYS_8_TO_16
from torget.organisation import services as org
from torget.organisation.models import Municipality, Unit
from torget.organisation.selectors import unit_get_root
from torget.services import feedback, services
from torget.services.models import InfoPage

# slug, title, intro
SITUATIONS = [
    (
        "fa-barn",
        "Få barn",
        "Helsestasjon, barnehage, skole og SFO: det kommunen tilbyr fra svangerskapet til "
        "skolestart.",
    ),
    (
        "flytte-hit",
        "Flytte hit",
        "Velkommen! Dette må du ordne når du flytter til Eksempel kommune.",
    ),
    (
        "starte-bedrift",
        "Starte bedrift",
        "Veiledning, bevillinger og tilskudd for deg som vil starte eller utvikle en bedrift.",
    ),
    (
        "bli-eldre",
        "Bli eldre",
        "Hjelp i hjemmet, trygghet og et godt tilbud når du trenger mer omsorg.",
    ),
    (
        "bygge-og-pusse-opp",
        "Bygge og pusse opp",
        "Hva du kan bygge uten å søke, og hvordan du søker når du må.",
    ),
]

# Units the pages need that the base demo does not have: slug, name, description, phone,
# e-mail.
EXTRA_UNITS = [
    (
        "helse-og-omsorg",
        "Helse og omsorg",
        "Helsestasjon, legetjenester, hjemmetjenester og sykehjem.",
        "22 00 00 60",
        "helse@eksempel.kommune.no",
    ),
    (
        "plan-og-bygg",
        "Plan, bygg og eiendom",
        "Byggesaker, reguleringsplaner, kart og oppmåling.",
        "22 00 00 70",
        "byggesak@eksempel.kommune.no",
    ),
]

# The page left overdue for review: reviewed this many days ago, with a yearly review.
OVERDUE_SLUG = "trygghetsalarm"
OVERDUE_DAYS = 400

BARNEHAGEPLASS = """\
Alle barn som fyller ett år innen utgangen av november, har rett til plass i barnehage fra
august det året. Du søker på nett, og du kan søke hele året.

## Søk barnehageplass

1. Logg inn og fyll ut skjemaet «Søknad om barnehageplass».
2. Velg inntil tre barnehager i prioritert rekkefølge.
3. Fortell om barnet har behov for særskilt tilrettelegging.
4. Du får kvittering på e-post med et referansenummer.

**Søknadsfristen for hovedopptaket er 1. mars.** Søker du innen fristen, får du svar før
påske. Søknader som kommer senere, behandles fortløpende når det blir ledige plasser.

## Hva koster det?

| Plass | Pris i måneden |
|---|--:|
| 5 dager i uken | 2 000 kr |
| 4 dager i uken | 1 700 kr |
| 3 dager i uken | 1 350 kr |
| Mat i barnehagen | 350 kr |

Prisen for en heltidsplass er aldri høyere enn maksimalprisen Stortinget fastsetter.
Du betaler for elleve måneder i året; juli er betalingsfri.

## Moderasjon i foreldrebetalingen

- **Søskenmoderasjon:** Du betaler 30 prosent mindre for barn nummer to og 50 prosent mindre
  for barn nummer tre og flere som går i barnehage samtidig.
- **Redusert pris ved lav inntekt:** Ingen husholdninger skal betale mer enn 6 prosent av
  inntekten sin for en barnehageplass.
- **Gratis kjernetid:** Barn fra to til fem år i husholdninger med lav inntekt får 20 timer i
  uken gratis.

Du søker om moderasjon i det samme skjemaet, og du må søke på nytt hvert barnehageår.

## Oppsigelse og endring

Oppsigelsestiden er én måned, regnet fra den første i måneden etter at vi har fått
oppsigelsen. Plasser som sies opp etter 1. april, må betales ut juni.
"""

# slug, unit slug, title, summary, body, contact, life situation slugs
PAGES = [
    (
        "barnehageplass",
        "skole",
        "Barnehageplass",
        "Slik søker du barnehageplass, hva det koster og hvordan du får redusert pris.",
        BARNEHAGEPLASS,
        "Barnehagekontoret, Skole og oppvekst\nbarnehage@eksempel.kommune.no\nTelefon 22 00 00 25",
        ["fa-barn", "flytte-hit"],
    ),
    (
        "helsestasjon",
        "helse-og-omsorg",
        "Helsestasjon og jordmor",
        "Gratis oppfølging av gravide, barn og familier fra svangerskapet til skolestart.",
        """\
Helsestasjonen følger opp barnet ditt med vaksiner, vekt og utvikling, og gir råd om søvn,
mat og samspill. Alle tilbudene er gratis.

## Jordmor

Når du er gravid, kan du velge å gå til kontroller hos jordmor på helsestasjonen i stedet for,
eller i tillegg til, fastlegen. Ring for å bestille time.

## Hjemmebesøk

Helsesykepleier kommer hjem til dere i løpet av de første ukene etter fødselen. Deretter
får dere innkalling til faste konsultasjoner.
""",
        "Helsestasjonen, Storgata 12\nTelefon 22 00 00 61 (hverdager 8–15)",
        ["fa-barn"],
    ),
    (
        "skolestart",
        "skole",
        "Skolestart",
        "Barn begynner på skolen det året de fyller seks år. Slik skriver du barnet inn.",
        """\
Alle barn som fyller seks år i løpet av året, begynner på skolen i august. Barnet hører til
nærskolen der dere bor.

## Innskriving

Du får brev om innskriving i januar. Skriv barnet inn innen **1. februar**. Ønsker du en
annen skole enn nærskolen, søker du om skolebytte samtidig.

## Før skolestart

Skolen inviterer til besøksdag i juni, og du får informasjon om SFO og skoleskyss.
""",
        "Skole og oppvekst\noppvekst@eksempel.kommune.no\nTelefon 22 00 00 20",
        ["fa-barn", "flytte-hit"],
    ),
    (
        "sfo",
        "skole",
        "Skolefritidsordningen (SFO)",
        "Aktiviteter og omsorg før og etter skoletid for elever på 1. til 4. trinn.",
        """\
SFO er åpen fra 07.00 til skolen begynner, og fra skoleslutt til 16.30. I skoleferiene er
SFO åpen hele dagen, unntatt i juli.

## Pris

Elever på 1. til 3. trinn har 12 timer gratis SFO i uken. Du betaler for tiden utover dette.
Husholdninger med lav inntekt kan søke om redusert pris.

## Søke og si opp

Søk plass innen 1. mars for neste skoleår. Oppsigelsestiden er én måned.
""",
        "Rektor på skolen til barnet ditt, eller oppvekst@eksempel.kommune.no",
        ["fa-barn"],
    ),
    (
        "flytte-til-kommunen",
        "servicetorget",
        "Flytte til kommunen",
        "En sjekkliste for deg som flytter til Eksempel kommune: adresse, lege, barnehage, "
        "skole og avfall.",
        """\
Velkommen som innbygger! Her er det viktigste å ordne når du flytter hit.

## Sjekkliste

- Meld flytting til Folkeregisteret innen åtte dager etter at du har flyttet.
- Velg fastlege i kommunen.
- Søk barnehageplass eller meld skolebytte for barna.
- Sjekk hvilken dag avfallet hentes på den nye adressen.
- Få varsel på SMS om vannbrudd og stengte veier der du bor.

## Spør oss

Servicetorget i rådhuset hjelper deg med alt du lurer på, eller setter deg i kontakt med
den som kan svare.
""",
        "Servicetorget, Rådhusplassen 1\npostmottak@eksempel.kommune.no\nTelefon 22 00 00 00",
        ["flytte-hit"],
    ),
    (
        "fastlege",
        "helse-og-omsorg",
        "Fastlege",
        "Alle som bor i Norge, har rett til en fastlege. Slik velger eller bytter du lege.",
        """\
Du velger og bytter fastlege selv, inntil to ganger i året. Se hvilke leger i kommunen som
har ledig plass, og bytt på nett.

## Legevakt

Trenger du hjelp når fastlegen er stengt, ring legevakten på **116 117**. Ved fare for liv,
ring **113**.
""",
        "Legekontoret i sentrum\nTelefon 22 00 00 62",
        ["flytte-hit", "bli-eldre"],
    ),
    (
        "avfall",
        "servicetorget",
        "Avfall og gjenvinning",
        "Når søppelet hentes, hvordan du sorterer, og hvor du leverer grovavfall.",
        """\
Restavfall og matavfall hentes annenhver uke. Papir og plast hentes hver fjerde uke.

## Grovavfall

Lever grovavfall, farlig avfall og hageavfall gratis på gjenvinningsstasjonen på
Industriveien 4. Åpent mandag til torsdag 10–19 og lørdag 9–15.

## Gebyr

Renovasjonsgebyret fastsettes av kommunestyret hvert år og kommer på den samme fakturaen
som vann og avløp.
""",
        "Servicetorget\npostmottak@eksempel.kommune.no",
        ["flytte-hit", "bygge-og-pusse-opp"],
    ),
    (
        "starte-bedrift",
        "naeringsutvikling",
        "Starte bedrift",
        "Gratis veiledning fra idé til oppstart: forretningsplan, selskapsform, regler og "
        "finansiering.",
        """\
Har du en forretningsidé? Næringsutvikling gir deg gratis veiledning, og vi setter deg i
kontakt med andre som har startet bedrift her.

## Slik kommer du i gang

1. Book en veiledningstime med oss.
2. Skriv en enkel forretningsplan: hva du selger, til hvem og hva det koster.
3. Velg selskapsform og registrer bedriften i Brønnøysundregistrene.
4. Sjekk om du trenger bevilling eller godkjenning fra kommunen.

## Etablererkurs

Vi holder gratis etablererkurs hver vår og høst. Meld deg på hos oss.
""",
        "Næringsutvikling\nnaering@eksempel.kommune.no\nTelefon 22 00 00 40",
        ["starte-bedrift"],
    ),
    (
        "skjenkebevilling",
        "naeringsutvikling",
        "Salgs- og skjenkebevilling",
        "Du må ha bevilling fra kommunen for å selge eller servere alkohol.",
        """\
Skal du servere alkohol på restaurant, kafé eller ved et arrangement, må du ha
skjenkebevilling. Skal du selge øl i butikk, må du ha salgsbevilling.

## Søknad

Send søknaden minst **tre måneder** før du vil starte. For ett enkelt arrangement holder det
med tre uker. Styrer og stedfortreder må ha bestått kunnskapsprøven.

## Gebyr

Bevillingsgebyret beregnes ut fra hvor mye alkohol du regner med å selge.
""",
        "Næringsutvikling\nnaering@eksempel.kommune.no",
        ["starte-bedrift"],
    ),
    (
        "naeringsfondet",
        "naeringsutvikling",
        "Tilskudd fra næringsfondet",
        "Kommunen gir tilskudd til nye arbeidsplasser og til bedrifter som vil utvikle seg.",
        """\
Næringsfondet kan gi tilskudd til etablering, produktutvikling og kompetanse. Tilskuddet er
på inntil 50 prosent av kostnadene, og høyst 100 000 kroner.

## Frister

Søknader behandles fire ganger i året: 1. februar, 1. mai, 1. september og 1. november.
""",
        "Næringsutvikling\nnaering@eksempel.kommune.no",
        ["starte-bedrift"],
    ),
    (
        "hjemmesykepleie",
        "helse-og-omsorg",
        "Hjemmesykepleie",
        "Helsehjelp hjemme når du er syk, har en funksjonsnedsettelse eller er eldre. "
        "Hjemmesykepleien er gratis.",
        """\
Hjemmesykepleien gir deg helsehjelp der du bor: medisiner, sårstell, oppfølging av sykdom og
hjelp etter sykehusopphold. Tjenesten er gratis.

## Slik søker du

Du, pårørende eller fastlegen kan søke. Vi kommer på hjemmebesøk for å finne ut hva du
trenger, og du får et skriftlig vedtak.

## Praktisk bistand

Trenger du hjelp til rengjøring eller handling, søker du om praktisk bistand
(hjemmehjelp). For den betaler du en egenandel etter inntekt.
""",
        "Tildelingskontoret, Helse og omsorg\nTelefon 22 00 00 63 (hverdager 8–15)",
        ["bli-eldre"],
    ),
    (
        OVERDUE_SLUG,
        "helse-og-omsorg",
        "Trygghetsalarm",
        "En alarm du bærer på armen eller rundt halsen, så du kan tilkalle hjelp hele døgnet.",
        """\
Med trygghetsalarm kan du tilkalle hjelp hvis du faller eller blir syk. Alarmen går til en
alarmsentral som er bemannet hele døgnet.

## Pris

Leie av alarm koster 250 kroner i måneden.

## Søk

Søk i skjemaet for helse- og omsorgstjenester, eller ring tildelingskontoret.
""",
        "Tildelingskontoret, Helse og omsorg\nTelefon 22 00 00 63",
        ["bli-eldre"],
    ),
    (
        "sykehjemsplass",
        "helse-og-omsorg",
        "Sykehjemsplass",
        "Korttids- og langtidsplass på sykehjem når du trenger pleie hele døgnet.",
        """\
Kommunen har korttidsplasser for opptrening og avlastning, og langtidsplasser for deg som
trenger pleie og omsorg hele døgnet.

## Pris

For korttidsopphold betaler du en fast sum per døgn. For langtidsopphold betaler du en
andel av inntekten din.

## Søk

Snakk med hjemmesykepleien eller tildelingskontoret. Pårørende kan hjelpe deg å søke.
""",
        "Tildelingskontoret, Helse og omsorg\nTelefon 22 00 00 63",
        ["bli-eldre"],
    ),
    (
        "byggesoknad",
        "plan-og-bygg",
        "Byggesøknad",
        "Når du må søke for å bygge, rive eller bygge om, og hvordan du sender en byggesøknad.",
        """\
De fleste byggeprosjekter krever søknad. Det gjelder for eksempel nye boliger, tilbygg over
50 kvadratmeter, bruksendring og fasadeendring.

## Slik søker du

1. Sjekk hva reguleringsplanen tillater på eiendommen din.
2. Varsle naboene. De har to uker på seg til å komme med merknader.
3. Send søknaden med tegninger, situasjonskart og nabomerknader.

Vi behandler de fleste søknader innen tre uker når de er komplette, og innen tolv uker når
det trengs dispensasjon.

## Gebyr

Du betaler byggesaksgebyr etter kommunens gebyrregulativ.
""",
        "Byggesak, Plan, bygg og eiendom\nbyggesak@eksempel.kommune.no\nTelefon 22 00 00 70",
        ["bygge-og-pusse-opp"],
    ),
    (
        "bygge-uten-a-soke",
        "plan-og-bygg",
        "Bygge uten å søke",
        "Garasje, bod, terrasse og små tilbygg kan du ofte bygge uten søknad. Sjekk reglene først.",
        """\
Noen mindre byggetiltak kan du gjøre uten å søke, så lenge du følger reglene:

- frittliggende garasje, bod eller lignende inntil 50 kvadratmeter
- terrasse som ikke er høyere enn 50 centimeter over bakken
- tilbygg inntil 15 kvadratmeter

Tiltaket må ikke være i strid med reguleringsplanen, og det må stå minst én meter fra
nabogrensen. Du er selv ansvarlig for at reglene følges.
""",
        "Byggesak, Plan, bygg og eiendom\nbyggesak@eksempel.kommune.no",
        ["bygge-og-pusse-opp"],
    ),
]


# Votes on "Barnehageplass" for the owners' dashboard: (helpful, what the resident missed,
# e-mail for the answer). The written one waits in the unit's inbox.
FEEDBACK = [(True, "", "")] * 9 + [
    (False, "", ""),
    (False, "", ""),
    (
        False,
        "Hva betaler vi for barn nummer to hvis storesøsteren går i en annen barnehage?",
        "aisha@innbygger.eksempel.no",
    ),
]


def _feedback_add(page: InfoPage) -> None:
    for number, (helpful, text, contact) in enumerate(FEEDBACK):
        feedback.page_feedback_give(
            page=page,
            actor=None,
            helpful=helpful,
            text=text,
            contact=contact,
            language=page.language,
            client=f"demo-{number}",
        )


def _units_ensure(municipality: Municipality) -> dict[str, Unit]:
    """The demo units by slug, with the two this module needs added if missing."""
    units = {u.slug: u for u in Unit.objects.filter(municipality=municipality)}
    root = unit_get_root(municipality=municipality)
    for slug, name, description, phone, email in EXTRA_UNITS:
        if slug in units:
            continue
        unit = org.unit_create(
            municipality=municipality,
            parent=root,
            kind="other",
            name=name,
            slug=slug,
            description=description,
            phone=phone,
            email=email,
        )
        org.unit_set_opening_hours(unit=unit, intervals=WEEKDAYS_8_TO_16)
        units[slug] = unit
    return units


def services_ensure(municipality: Municipality) -> int:
    """Create the demo's life situations and information pages; returns how many pages were
    created now (0 when they were there)."""
    situations = {}
    for position, (slug, title, intro) in enumerate(SITUATIONS):
        situations[slug], _created = services.situation_ensure(
            municipality=municipality, slug=slug, title=title, intro=intro, position=position
        )
    units = _units_ensure(municipality)
    existing = set(
        InfoPage.objects.filter(municipality=municipality).values_list("slug", flat=True)
    )
    today = timezone.localdate()
    created = 0
    for slug, unit_slug, title, summary, body, contact, situation_slugs in PAGES:
        if slug in existing:
            continue
        reviewed = today - datetime.timedelta(days=OVERDUE_DAYS if slug == OVERDUE_SLUG else 30)
        page = services.page_create(
            unit=units[unit_slug],
            actor=None,
            fields=services.PageFields(
                title=title,
                summary=summary,
                body=body,
                contact=contact,
                slug=slug,
                language=municipality.malform,
                life_situations=tuple(situations[s] for s in situation_slugs),
                is_published=True,
                review_every_days=365,
            ),
            note="Demo",
            reviewed_on=reviewed,
        )
        if slug == "barnehageplass":
            _feedback_add(page)
        created += 1
    return created

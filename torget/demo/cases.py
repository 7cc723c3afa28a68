"""Demo self-service forms of Eksempel kommune (issue 5).

The first is the application for a kindergarten place, handled by the kindergarten office
("Barnehage", a unit under "Skole og oppvekst"): the child, the wished start date, three
kindergartens in order of preference out of six, special needs, documentation and consent.
The second, simpler one books a guidance meeting about a start-up loan (startlån).

Idempotent: forms are found by their address names, so a second run creates nothing. The
forms are linked to the information page "Barnehageplass" when it exists.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from torget.cases.models import FieldKind, Form, FormField
from torget.cases.search import form_index
from torget.demo.data import WEEKDAYS_8_TO_16
from torget.organisation import services as org
from torget.organisation.models import Municipality, Unit
from torget.organisation.selectors import unit_get_root

KINDERGARTENS = [
    "Solsikken barnehage",
    "Trollskogen barnehage",
    "Maurtua barnehage",
    "Bakkebo barnehage",
    "Eventyrhagen barnehage",
    "Fjordglimt barnehage",
]

# key, label, help text, kind, required, choices, options
Field = tuple[str, str, str, str, bool, list[str], dict[str, Any]]

KINDERGARTEN_FIELDS: list[Field] = [
    (
        "barnets_navn",
        "Barnets navn",
        "Fornavn og etternavn.",
        FieldKind.TEXT,
        True,
        [],
        {"min_length": 2, "max_length": 100},
    ),
    (
        "barnets_fodselsnummer",
        "Barnets fødselsnummer",
        "11 siffer.",
        FieldKind.NATIONAL_ID,
        True,
        [],
        {},
    ),
    (
        "onsket_oppstart",
        "Ønsket oppstartsdato",
        "Hovedopptaket gir plass fra august.",
        FieldKind.DATE,
        True,
        [],
        {"not_before_today": True, "within_days": 540},
    ),
    (
        "barnehager",
        "Barnehager i prioritert rekkefølge",
        "Velg inntil tre barnehager. Vi prøver å gi plass i den du ønsker mest.",
        FieldKind.RANKED_CHOICE,
        True,
        KINDERGARTENS,
        {"places": 3},
    ),
    (
        "sarskilte_behov",
        "Særskilte behov",
        "Fortell om behov barnehagen bør kjenne til, for eksempel allergier eller "
        "funksjonsnedsettelser.",
        FieldKind.TEXTAREA,
        False,
        [],
        {"max_length": 2000},
    ),
    (
        "dokumentasjon",
        "Dokumentasjon",
        "For eksempel en uttalelse fra lege. PDF, JPEG eller PNG.",
        FieldKind.FILE,
        False,
        [],
        {"file_types": ["pdf", "jpg", "png"], "max_mb": 10},
    ),
    (
        "samtykke",
        "Jeg har lest vilkårene for barnehageplass og bekrefter at opplysningene er riktige",
        "",
        FieldKind.CHECKBOX,
        True,
        [],
        {},
    ),
]

STARTLAN_FIELDS: list[Field] = [
    ("navn", "Navn", "", FieldKind.TEXT, True, [], {"max_length": 100}),
    ("telefon", "Telefonnummer", "Vi ringer deg for å avtale tid.", FieldKind.PHONE, True, [], {}),
    (
        "tidspunkt",
        "Når passer det best?",
        "",
        FieldKind.CHOICE,
        True,
        ["Formiddag", "Ettermiddag", "Hele dagen"],
        {},
    ),
    ("sporsmal", "Hva lurer du på?", "", FieldKind.TEXTAREA, False, [], {"max_length": 1000}),
]

# slug, unit slug, title, intro, processing days, fields
FORMS: list[tuple[str, str, str, str, int, list[Field]]] = [
    (
        "soknad-om-barnehageplass",
        "barnehage",
        "Søknad om barnehageplass",
        "Søk plass i barnehage for barnet ditt. Søknadsfristen for hovedopptaket er 1. mars; "
        "du kan søke hele året. Du kan lagre et utkast og fortsette senere.",
        20,
        KINDERGARTEN_FIELDS,
    ),
    (
        "startlan-veiledning",
        "servicetorget",
        "Bestille time til startlån-veiledning",
        "Vil du kjøpe bolig, men får ikke nok lån i banken? Bestill en samtale om startlån, så "
        "ringer vi deg.",
        5,
        STARTLAN_FIELDS,
    ),
]


def _kindergarten_unit(municipality: Municipality) -> Unit:
    """The kindergarten office under "Skole og oppvekst" (or the root), made when missing."""
    found = Unit.objects.filter(municipality=municipality, slug="barnehage").first()
    if found is not None:
        return found
    parent = Unit.objects.filter(municipality=municipality, slug="skole").first() or unit_get_root(
        municipality=municipality
    )
    unit = org.unit_create(
        municipality=municipality,
        parent=parent,
        kind="school",
        name="Barnehage",
        slug="barnehage",
        description="Barnehageopptak, plass og foreldrebetaling for de kommunale og private "
        "barnehagene i kommunen.",
        phone="22 00 00 25",
        email="barnehage@eksempel.kommune.no",
    )
    org.unit_set_opening_hours(unit=unit, intervals=WEEKDAYS_8_TO_16)
    return unit


def _unit(municipality: Municipality, slug: str) -> Unit:
    if slug == "barnehage":
        return _kindergarten_unit(municipality)
    return Unit.objects.filter(municipality=municipality, slug=slug).first() or unit_get_root(
        municipality=municipality
    )


def _link_info_page(form: Form) -> None:
    from torget.services.models import InfoPage

    page = InfoPage.objects.filter(municipality=form.municipality, slug="barnehageplass").first()
    if page is not None and form.slug == "soknad-om-barnehageplass":
        form.info_pages.add(page)


@transaction.atomic
def forms_ensure(municipality: Municipality) -> int:
    """Create the demo's forms (the kindergarten application first); returns how many were
    created now (0 when they were there)."""
    created = 0
    existing = set(Form.objects.filter(municipality=municipality).values_list("slug", flat=True))
    for slug, unit_slug, title, intro, days, fields in FORMS:
        if slug in existing:
            form = Form.objects.get(municipality=municipality, slug=slug)
            _link_info_page(form)
            continue
        form = Form.objects.create(
            municipality=municipality,
            unit=_unit(municipality, unit_slug),
            slug=slug,
            title=title,
            intro=intro,
            processing_days=days,
            is_published=True,
        )
        FormField.objects.bulk_create(
            FormField(
                form=form,
                key=key,
                label=label,
                help_text=help_text,
                kind=kind,
                required=required,
                choices=choices,
                options=options,
                position=position,
            )
            for position, (key, label, help_text, kind, required, choices, options) in enumerate(
                fields
            )
        )
        form_index(form)
        _link_info_page(form)
        created += 1
    return created

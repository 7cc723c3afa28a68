"""The content of Eksempel kommune, the demo municipality.

Everything here is created with get-or-create on natural keys, so running the demo twice
changes nothing the second time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from torget.accounts.models import User
from torget.accounts.services import user_activate_totp, user_create
from torget.organisation import services as org
from torget.organisation.models import Municipality, Role, Unit
from torget.organisation.selectors import unit_get_root

DEMO_PASSWORD = "Torget-demo-2026"
# A fixed base32 secret so the demo staff can add it to an authenticator app once.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NUMBER = "9999"
HOSTNAMES = ["localhost", "127.0.0.1", "eksempel.localhost"]
RESIDENT_DOMAIN = "innbygger.eksempel.no"

T = datetime.time
WEEKDAYS_9_TO_15 = [(d, T(9), T(15)) for d in range(5)]
WEEKDAYS_8_TO_16 = [(d, T(8), T(16)) for d in range(5)]

# slug, parent slug, kind, name, description, phone, e-mail, hours
UNITS = [
    (
        "servicetorget",
        "kommunen",
        "service_centre",
        "Servicetorget",
        "Første stopp for spørsmål til kommunen: vi hjelper deg videre eller svarer selv.",
        "22 00 00 00",
        "postmottak@eksempel.kommune.no",
        WEEKDAYS_8_TO_16,
    ),
    (
        "biblioteket",
        "kommunen",
        "library",
        "Eksempel bibliotek",
        "Bøker, lydbøker, arrangementer og et sted å være – for alle aldre.",
        "22 00 00 10",
        "bibliotek@eksempel.kommune.no",
        [(d, T(10), T(19)) for d in range(4)] + [(4, T(10), T(16)), (5, T(11), T(15))],
    ),
    (
        "skole",
        "kommunen",
        "school",
        "Skole og oppvekst",
        "Grunnskolene i kommunen, skolefritidsordningen og skoleskyss.",
        "22 00 00 20",
        "oppvekst@eksempel.kommune.no",
        WEEKDAYS_8_TO_16,
    ),
    (
        "sentrum-skole",
        "skole",
        "school",
        "Sentrum skole",
        "Barneskole for 1.–7. trinn midt i sentrum.",
        "22 00 00 21",
        "sentrum.skole@eksempel.kommune.no",
        WEEKDAYS_8_TO_16,
    ),
    (
        "kultur",
        "kommunen",
        "culture",
        "Kultur og fritid",
        "Kulturskolen, kulturhuset, idrettsanlegg og tilskudd til frivilligheten.",
        "22 00 00 30",
        "kultur@eksempel.kommune.no",
        WEEKDAYS_9_TO_15,
    ),
    (
        "naeringsutvikling",
        "kommunen",
        "business",
        "Næringsutvikling",
        "Veiledning for deg som vil starte eller utvikle en bedrift i kommunen.",
        "22 00 00 40",
        "naering@eksempel.kommune.no",
        WEEKDAYS_9_TO_15,
    ),
    (
        "veisystemet-i-sentrum",
        "kommunen",
        "planning",
        "Omlegging av veisystemet i sentrum",
        "Planprosjekt: ny trafikkløsning for sentrum, med gang- og sykkelvei og færre biler i "
        "Storgata.",
        "22 00 00 50",
        "plan@eksempel.kommune.no",
        WEEKDAYS_9_TO_15,
    ),
    (
        "gamle-industriomradet",
        "kommunen",
        "planning",
        "Gamle industriområdet blir boliger",
        "Planprosjekt: det gamle industriområdet ved elva skal bli boliger, park og skole.",
        "22 00 00 51",
        "plan@eksempel.kommune.no",
        WEEKDAYS_9_TO_15,
    ),
]

# e-mail local part, name, unit slug, role, what to print
STAFF = [
    (
        "kommunikasjon",
        "Kari Nordmann",
        "kommunen",
        Role.COMMUNICATOR,
        "communicator, whole municipality",
    ),
    (
        "servicetorg",
        "Ola Hansen",
        "servicetorget",
        Role.COMMUNICATOR,
        "communicator, service centre",
    ),
    ("saksbehandler", "Ingrid Berg", "skole", Role.CASE_OFFICER, "case officer, school"),
    ("moderator", "Per Johansen", "kommunen", Role.MODERATOR, "moderator, whole municipality"),
    ("bibliotekleder", "Sigrid Larsen", "biblioteket", Role.UNIT_ADMIN, "unit admin, library"),
    ("politiker", "Aslak Haugen", "kommunen", Role.POLITICIAN, "politician (mayor)"),
]
RESIDENTS = [
    ("nora", "Nora Bakken"),
    ("emil", "Emil Solberg"),
    ("aisha", "Aisha Ahmed"),
]


@dataclass
class DemoLogin:
    email: str
    description: str


def municipality_ensure() -> tuple[Municipality, bool]:
    """Eksempel kommune with its units and opening hours."""
    municipality = Municipality.objects.filter(number=NUMBER).first()
    created = municipality is None
    if municipality is None:
        municipality = org.municipality_create(
            number=NUMBER, name="Eksempel kommune", malform="nb", hostnames=HOSTNAMES
        )
        root = unit_get_root(municipality=municipality)
        root.description = (
            "Eksempel kommune er en kommune med 24 000 innbyggere ved fjorden. "
            "Her finner du informasjon fra kommunen, og her svarer vi på spørsmålene dine."
        )
        root.phone, root.email = "22 00 00 00", "postmottak@eksempel.kommune.no"
        root.website = "https://www.eksempel.kommune.no"
        root.visiting_address = "Rådhusplassen 1, 9999 Eksempelby"
        root.save()
        org.unit_set_opening_hours(unit=root, intervals=WEEKDAYS_8_TO_16)
    by_slug = {u.slug: u for u in Unit.objects.filter(municipality=municipality)}
    for slug, parent, kind, name, description, phone, email, hours in UNITS:
        if slug in by_slug:
            continue
        unit = org.unit_create(
            municipality=municipality,
            parent=by_slug[parent],
            kind=kind,
            name=name,
            slug=slug,
            description=description,
            phone=phone,
            email=email,
        )
        org.unit_set_opening_hours(unit=unit, intervals=hours)
        by_slug[slug] = unit
    return municipality, created


def _email(local: str) -> str:
    return f"{local}@eksempel.kommune.no"


def people_ensure(municipality: Municipality) -> list[DemoLogin]:
    """Staff in every role (with two-factor set up) and a few residents."""
    units = {u.slug: u for u in Unit.objects.filter(municipality=municipality)}
    logins = []
    for local, name, slug, role, description in STAFF:
        email = _email(local)
        user = User.objects.filter(email=email).first() or user_create(
            email=email, password=DEMO_PASSWORD, name=name
        )
        org.membership_grant(user=user, unit=units[slug], role=role)
        user_activate_totp(user=user, secret=DEMO_TOTP_SECRET)
        logins.append(DemoLogin(email, description))
    for local, name in RESIDENTS:
        email = f"{local}@{RESIDENT_DOMAIN}"
        if not User.objects.filter(email=email).exists():
            user_create(email=email, password=DEMO_PASSWORD, name=name)
        logins.append(DemoLogin(email, "resident"))
    return logins


def residents_ensure_bulk(count: int, batch: int = 5000) -> int:
    """Make sure generated residents resident-1 .. resident-<count> exist; return how many
    were added. Deterministic, so benchmarks on two machines see the same people."""
    password = make_password(DEMO_PASSWORD)  # hashed once: Argon2 per row would take hours
    added = 0
    for start in range(1, count + 1, batch):
        emails = [
            f"resident-{i}@{RESIDENT_DOMAIN}" for i in range(start, min(start + batch, count + 1))
        ]
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        new = [
            User(email=e, name=f"Innbygger {e.split('@')[0].split('-')[1]}", password=password)
            for e in emails
            if e not in existing
        ]
        User.objects.bulk_create(new, batch_size=1000)
        added += len(new)
    return added

"""Participation in Eksempel kommune: two planning processes, topic forums and short views.

"Omlegging av veisystemet i sentrum" takes input now: its hearing is open for three more
weeks, residents propose alternatives and support them, debate in the project forum (where the
mayor takes part as a politician) and vote on short views, in two visible opinion groups
(drivers and cyclists). "Gamle industriområdet blir boliger" is further on: its hearing closed
two weeks ago, the result ("how your input was used") is published and the proposals have
their final status; it is being processed now. Four topic forums (culture, school, transport,
housing) open the debate beyond single projects.

Everything is written through the participation and conversation services, with past moments
(`at=`) where the services take them, so the timeline, the numbers and the counts are the
services' own. Each part is created once: running the demo again adds nothing.
"""

from __future__ import annotations

import datetime
import io
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.utils import timezone

from torget.accounts.models import User
from torget.conversations import services as talk
from torget.conversations.models import Thread
from torget.demo.data import DEMO_PASSWORD, RESIDENT_DOMAIN
from torget.demo.dialogue import _resident
from torget.organisation.models import Municipality, Unit
from torget.participation.models import (
    Forum,
    ForumKind,
    Hearing,
    HearingSection,
    OpinionGroups,
    PhaseKind,
    Process,
    ProcessKind,
    ProposalStatus,
    ShortView,
    Statement,
    VoteChoice,
)
from torget.participation.services import forums as forum_services
from torget.participation.services import hearing_results as result_services
from torget.participation.services import hearings as hearing_services
from torget.participation.services import processes as process_services
from torget.participation.services import proposals as proposal_services
from torget.participation.services import shortviews as shortview_services

H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)

ROADS = "veisystemet-i-sentrum"
HOUSING = "gamle-industriomradet"
# The town centre of the demo (the alerts' address register is laid out around it).
CENTRE_LON, CENTRE_LAT = 11.0680, 60.7945

# Residents who vote on the short views (and write some statements): deltaker-1 .. -40.
PARTICIPANTS = 40
FIRST_NAMES = [
    "Astrid", "Bjørn", "Camilla", "Daniel", "Eirin", "Fredrik", "Guro", "Henrik", "Ida", "Jon",
    "Kristin", "Lars", "Marte", "Nils", "Oda", "Petter", "Ragnhild", "Sindre", "Tone", "Vegard",
]  # fmt: skip
LAST_NAMES = ["Aas", "Berge", "Dahl", "Eide", "Fossum", "Grønli", "Holm", "Moen"]


@dataclass(frozen=True)
class Cast:
    """The people of the demo who take part: staff, the mayor and residents."""

    communicator: User
    moderator: User
    politician: User
    residents: dict[str, User]
    participants: list[User]


def _staff(local: str) -> User:
    return User.objects.get(email=f"{local}@eksempel.kommune.no")


def participants_ensure() -> list[User]:
    """deltaker-1 .. deltaker-40 with Norwegian names (password: the demo's), in order."""
    emails = [f"deltaker-{i}@{RESIDENT_DOMAIN}" for i in range(1, PARTICIPANTS + 1)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    if len(existing) < len(emails):
        password = make_password(DEMO_PASSWORD)  # hashed once for all
        User.objects.bulk_create(
            User(
                email=email,
                name=f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]}",
                password=password,
            )
            for i, email in enumerate(emails)
            if email not in existing
        )
    by_email = {u.email: u for u in User.objects.filter(email__in=emails)}
    return [by_email[e] for e in emails]


def _cast() -> Cast:
    return Cast(
        communicator=_staff("kommunikasjon"),
        moderator=_staff("moderator"),
        politician=_staff("politiker"),
        residents={local: _resident(local) for local in ("nora", "emil", "aisha", "jonas", "sara")},
        participants=participants_ensure(),
    )


# --- files made at demo time --------------------------------------------------------------------


def sketch_pdf(
    title: str, lines: list[str], *, blocks: list[tuple[str, int, int, int, int]]
) -> bytes:
    """A one-page plan sketch: a title, a few lines of text and a simple drawing of blocks and
    streets (fpdf2's core font: Latin-1, which has æ, ø and å)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author("Eksempel kommune")
    pdf.set_creation_date(datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.ln(2)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y() + 6
    # The frame of the map.
    pdf.set_draw_color(60, 60, 60)
    pdf.set_line_width(0.6)
    pdf.rect(20, top, 170, 120)
    # Streets: the old through road (grey) and the new ring road (red).
    pdf.set_line_width(3)
    pdf.set_draw_color(170, 170, 170)
    pdf.line(20, top + 60, 190, top + 60)
    pdf.set_draw_color(200, 40, 40)
    pdf.line(30, top + 110, 30, top + 10)
    pdf.line(30, top + 10, 180, top + 10)
    # Blocks (houses, park, school), labelled.
    pdf.set_line_width(0.4)
    pdf.set_font("Helvetica", "", 9)
    for label, x, y, w, h in blocks:
        pdf.set_draw_color(40, 90, 40)
        pdf.set_fill_color(210, 230, 210)
        pdf.rect(20 + x, top + y, w, h, style="DF")
        pdf.set_xy(20 + x + 1, top + y + 1)
        pdf.cell(w - 2, 5, label)
    pdf.set_xy(20, top + 124)
    pdf.set_font("Helvetica", "I", 9)
    pdf.cell(0, 5, "Skisse, ikke i målestokk. Eksempel kommune, plan og bygg.")
    return bytes(pdf.output())


def street_map_png() -> bytes:
    """A simple street sketch of the centre: today's streets in grey, the new traffic solution
    (Storgata closed to cars, traffic on Ringveien, a cycle path) in colour."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (800, 560), (246, 244, 238))
    draw = ImageDraw.Draw(image)
    # The default font has no æ, ø or å: the labels are written without them.
    font = ImageFont.load_default(size=18)
    grey, red, green, blue = (150, 150, 150), (200, 40, 40), (40, 140, 60), (40, 90, 200)
    for y in (120, 280, 440):  # east-west streets
        draw.line([(40, y), (760, y)], fill=grey, width=14)
    for x in (200, 400, 600):  # north-south streets
        draw.line([(x, 40), (x, 520)], fill=grey, width=10)
    draw.line([(60, 60), (740, 60), (740, 500), (60, 500), (60, 60)], fill=red, width=10)
    draw.line([(40, 280), (760, 280)], fill=green, width=6)  # Storgata: walking and cycling
    draw.line([(400, 40), (400, 520)], fill=blue, width=4)  # the new cycle path
    draw.rectangle([(430, 300), (570, 420)], outline=(90, 90, 90), fill=(220, 220, 220), width=3)
    labels = [
        ((70, 290), "Storgata (bilfri)", green),
        ((70, 30), "Ringveien", red),
        ((410, 75), "Sykkelvei", blue),
        ((440, 360), "P-hus", (60, 60, 60)),
        ((210, 130), "Kirkegata", (80, 80, 80)),
        ((210, 450), "Strandvegen", (80, 80, 80)),
    ]
    for position, text, colour in labels:
        draw.text(position, text, fill=colour, font=font)
    draw.text((560, 530), "Eksempel kommune", fill=(80, 80, 80), font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def photo_png() -> bytes:
    """A small picture for a statement's attachment: a crossing seen from above."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (120, 160, 110))
    draw = ImageDraw.Draw(image)
    draw.rectangle([(0, 100), (320, 140)], fill=(90, 90, 90))
    draw.rectangle([(140, 0), (180, 240)], fill=(90, 90, 90))
    for x in range(0, 320, 24):
        draw.rectangle([(x, 118), (x + 12, 122)], fill=(240, 240, 240))
    for y in range(146, 240, 14):
        draw.rectangle([(142, y), (178, y + 6)], fill=(240, 240, 240))  # the zebra crossing
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- processes ----------------------------------------------------------------------------------


def _process_ensure(
    *,
    unit: Unit,
    slug: str,
    title: str,
    summary: str,
    phases: list[process_services.PhaseDates],
) -> tuple[Process, bool]:
    process = Process.objects.filter(municipality_id=unit.municipality_id, slug=slug).first()
    if process is not None:
        return process, False
    fields = process_services.ProcessFields(
        title=title, slug=slug, kind=ProcessKind.PROJECT, summary=summary
    )
    process = process_services.process_create(unit=unit, actor=None, fields=fields)
    process_services.phases_set(process=process, actor=None, phases=phases)
    published = process_services.ProcessFields(
        title=title, slug=slug, kind=ProcessKind.PROJECT, summary=summary, is_published=True
    )
    return process_services.process_update(process=process, actor=None, fields=published), True


def _document(process: Process, name: str, content: bytes, title: str, description: str) -> None:
    process_services.document_add(
        process=process,
        actor=None,
        upload=ContentFile(content, name=name),
        name=name,
        title=title,
        description=description,
    )


def _phase(
    kind: str, start: datetime.date, end: datetime.date, text: str
) -> process_services.PhaseDates:
    return process_services.PhaseDates(kind=kind, starts_on=start, ends_on=end, description=text)


def _hearing_ensure(
    process: Process,
    actor: User,
    *,
    title: str,
    intro: str,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    sections: list[tuple[str, str, str]],
) -> tuple[Hearing, dict[str, HearingSection]]:
    hearing = Hearing.objects.filter(process=process, title=title).first()
    if hearing is None:
        hearing = hearing_services.hearing_create(
            process=process,
            actor=actor,
            title=title,
            intro=intro,
            opens_at=opens_at,
            closes_at=closes_at,
        )
        for number, heading, body in sections:
            hearing_services.section_add(
                hearing=hearing, actor=actor, number=number, heading=heading, body=body
            )
    return hearing, {s.number: s for s in hearing.sections.all()}


@dataclass(frozen=True)
class StatementText:
    author: User
    body: str
    ago: datetime.timedelta
    section: str = ""  # the section's number, or "" for the whole plan
    on_behalf_of: str = ""
    is_public: bool = True
    attachment: tuple[str, bytes] | None = None


def _statements(
    hearing: Hearing, sections: dict[str, HearingSection], texts: list[StatementText]
) -> list[Statement]:
    now = timezone.now()
    made = []
    for text in texts:
        made.append(
            hearing_services.statement_submit(
                hearing=hearing,
                actor=text.author,
                body=text.body,
                section=sections[text.section] if text.section else None,
                on_behalf_of=text.on_behalf_of,
                is_public=text.is_public,
                attachments=[ContentFile(text.attachment[1], name=text.attachment[0])]
                if text.attachment
                else [],
                at=now - text.ago,
            )
        )
    return made


def _threads_of(forum: Forum) -> Thread | None:
    kind = ContentType.objects.get_for_model(Forum)
    return Thread.objects.filter(subject_type=kind, subject_id=forum.pk).first()


def _forum_ensure(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    slug: str,
    title: str,
    description: str,
    process: Process | None = None,
) -> tuple[Forum, bool]:
    forum = Forum.objects.filter(municipality_id=unit.municipality_id, slug=slug).first()
    if forum is not None:
        return forum, False
    return (
        forum_services.forum_create(
            actor=actor,
            unit=unit,
            kind=kind,
            slug=slug,
            title=title,
            description=description,
            process=process,
        ),
        True,
    )


@dataclass(frozen=True)
class Topic:
    author: User
    title: str
    body: str
    replies: tuple[tuple[User, str], ...] = ()


def _topics(forum: Forum, topics: list[Topic]) -> None:
    for topic in topics:
        thread = forum_services.topic_start(
            forum=forum, actor=topic.author, title=topic.title, body=topic.body
        )
        for author, body in topic.replies:
            forum_services.topic_reply(thread=thread, actor=author, body=body)


# --- "Omlegging av veisystemet i sentrum": input now --------------------------------------------


def roads_ensure(municipality: Municipality, cast: Cast) -> int:
    """The road process taking input now; returns how many parts were added (0 the second
    time)."""
    unit = Unit.objects.get(municipality=municipality, slug=ROADS)
    today = timezone.localdate()
    process, created = _process_ensure(
        unit=unit,
        slug=ROADS,
        title="Omlegging av veisystemet i sentrum",
        summary=(
            "Kommunen vil gjøre sentrum tryggere og triveligere: Storgata blir gågate, "
            "gjennomgangstrafikken ledes om Ringveien, og det kommer en ny gang- og sykkelvei "
            "fra stasjonen til skolen.\n\n"
            "Les planskissen og kartet, gi en **høringsuttalelse**, foreslå et **alternativ** "
            "eller si hva du mener om de **korte synspunktene**. Alle innspill leses og "
            "besvares."
        ),
        phases=[
            _phase(
                PhaseKind.INFORMATION,
                today - 40 * D,
                today - 8 * D,
                "Folkemøte i kulturhuset og informasjon om hvorfor trafikken i sentrum må "
                "legges om.",
            ),
            _phase(
                PhaseKind.INPUT,
                today - 7 * D,
                today + 21 * D,
                "Høring av planforslaget, alternative forslag, forum og korte synspunkter.",
            ),
            _phase(
                PhaseKind.PROCESSING,
                today + 22 * D,
                today + 70 * D,
                "Prosjektgruppen går gjennom alle innspill og justerer planen.",
            ),
            _phase(
                PhaseKind.DECISION,
                today + 71 * D,
                today + 100 * D,
                "Kommunestyret vedtar planen.",
            ),
        ],
    )
    added = int(created)
    if not process.documents.exists():
        _document(
            process,
            "planskisse-veisystemet-i-sentrum.pdf",
            sketch_pdf(
                "Omlegging av veisystemet i sentrum",
                [
                    "Planskisse til høring. Storgata stenges for gjennomkjøring og blir "
                    "gågate mellom Kirkegata og Torggata.",
                    "Biltrafikken ledes om Ringveien (rød strek). En ny gang- og sykkelvei "
                    "går fra stasjonen til Sentrum skole.",
                    "Varelevering tillates i Storgata kl. 06-10.",
                ],
                blocks=[
                    ("Torget", 60, 40, 40, 15),
                    ("P-hus", 120, 70, 30, 25),
                    ("Sentrum skole", 45, 75, 40, 25),
                ],
            ),
            "Planskisse: ny trafikkløsning for sentrum",
            "Planforslaget som er på høring, med ny trafikkløsning, parkering og sykkelvei.",
        )
        _document(
            process,
            "kart-sentrum.png",
            street_map_png(),
            "Kart: gater i sentrum før og etter omleggingen",
            "Grått: gatene i dag. Rødt: Ringveien. Grønt: ny gågate. Blått: ny sykkelvei.",
        )
        added += 1
    added += _roads_hearing(process, cast)
    added += _roads_proposals(process, cast)
    added += _roads_forum(process, unit, cast)
    added += _roads_short_views(process, cast)
    return added


def _roads_hearing(process: Process, cast: Cast) -> int:
    now = timezone.now()
    hearing, sections = _hearing_ensure(
        process,
        cast.communicator,
        title="Høring: Omlegging av veisystemet i sentrum",
        intro=(
            "Kommunen sender forslaget til ny trafikkløsning for sentrum på høring. Du kan "
            "uttale deg om hele planen eller om ett av kapitlene. Uttalelsene er offentlige, "
            "med mindre du ber om at din ikke skal være det."
        ),
        opens_at=now - 7 * D,
        closes_at=now + 21 * D,
        sections=[
            (
                "1",
                "Bakgrunn",
                "Trafikken gjennom sentrum har økt med 30 prosent på ti år. Skoleveien krysser "
                "Storgata to steder, og bussen står ofte i kø.",
            ),
            (
                "2",
                "Ny trafikkløsning",
                "Storgata stenges for gjennomkjøring mellom Kirkegata og Torggata. Trafikken "
                "ledes om Ringveien, som får ny rundkjøring ved stasjonen.",
            ),
            (
                "3",
                "Parkering",
                "De 60 gateparkeringsplassene i Storgata fjernes. Parkeringshuset ved "
                "stasjonen utvides med 80 plasser, og de første to timene er gratis.",
            ),
            (
                "4",
                "Gående og syklende",
                "En ny gang- og sykkelvei går fra stasjonen til Sentrum skole, skilt fra "
                "biltrafikken. Det kommer to nye, opphøyde gangfelt.",
            ),
        ],
    )
    if hearing.statements.exists():
        return 0
    r, p = cast.residents, cast.participants
    statements = _statements(
        hearing,
        sections,
        [
            StatementText(
                r["nora"],
                "Jeg støtter at Storgata blir gågate. Det blir tryggere for barna på vei til "
                "skolen, og sentrum blir et hyggeligere sted å være.",
                6 * D,
                section="2",
            ),
            StatementText(
                r["emil"],
                "Å fjerne alle parkeringsplassene i Storgata vil ramme butikkene. Kan noen av "
                "plassene beholdes for korttidsparkering?",
                5 * D + 3 * H,
                section="3",
            ),
            StatementText(
                r["aisha"],
                "Sentrum velforening støtter hovedgrepet i planen, men ber om at "
                "varelevering og tilgang for bevegelseshemmede sikres, og at beboerne i "
                "Kirkegata får parkeringstillatelse.",
                5 * D,
                on_behalf_of="Sentrum velforening",
            ),
            StatementText(
                r["jonas"],
                "Sykkelveien må gå helt fram til skolen, ikke stoppe ved Torggata. Og den bør "
                "brøytes først om vinteren.",
                4 * D,
                section="4",
            ),
            StatementText(
                r["sara"],
                "Jeg bor i Storgata 12 og har ikke egen parkeringsplass. Hvor skal jeg parkere "
                "når gateparkeringen forsvinner?",
                3 * D + 5 * H,
                section="3",
                is_public=False,
            ),
            StatementText(
                p[0],
                "Parkeringshuset ligger for langt unna for eldre. Behold noen plasser for "
                "korttidsparkering nær torget.",
                3 * D,
                section="3",
            ),
            StatementText(
                p[1],
                "Ringveien har allerede kø om morgenen. Hvordan skal den tåle all trafikken "
                "fra Storgata?",
                2 * D,
                section="2",
            ),
            StatementText(
                p[2],
                "Krysset ved Kirkegata er farlig i dag. Se bildet: gangfeltet ligger rett "
                "etter svingen. Det opphøyde gangfeltet bør komme her.",
                1 * D,
                section="4",
                attachment=("krysset-kirkegata.png", photo_png()),
            ),
        ],
    )
    # One answer to the two statements about short-term parking (emil and participant 1).
    parking = [statements[1].thread, statements[5].thread]
    talk.thread_answer(
        threads=parking,
        actor=cast.communicator,
        body=(
            "Takk for innspillene om korttidsparkering. Vi vurderer å beholde 10 plasser for "
            "korttidsparkering (30 minutter) i Torggata, nær torget. Det tas med i den "
            "reviderte planen."
        ),
        at=now - 1 * D,
    )
    talk.thread_answer(
        threads=[statements[0].thread],
        actor=cast.communicator,
        body="Takk for støtten! Skoleveien er en viktig grunn til omleggingen.",
        at=now - 5 * D,
    )
    # The mayor answers as a politician: shown with the role, counted apart in the metrics.
    talk.thread_answer(
        threads=[statements[6].thread],
        actor=cast.politician,
        body=(
            "Dette er et godt spørsmål som formannskapet også har stilt. Trafikkanalysen "
            "for Ringveien legges fram før kommunestyret behandler planen."
        ),
        at=now - 1 * D + 2 * H,
    )
    return 1


def _roads_proposals(process: Process, cast: Cast) -> int:
    if process.proposals.exists():
        return 0
    now = timezone.now()
    r, p = cast.residents, cast.participants
    # A line from the station in the south-west round the east side of the centre (WGS 84).
    route = {
        "type": "LineString",
        "coordinates": [
            [round(CENTRE_LON + dx, 6), round(CENTRE_LAT + dy, 6)]
            for dx, dy in [
                (-0.0060, -0.0030),
                (-0.0020, -0.0032),
                (0.0025, -0.0022),
                (0.0048, 0.0000),
                (0.0040, 0.0026),
            ]
        ],
    }
    ring = proposal_services.proposal_submit(
        process=process,
        actor=p[9],
        title="Ny trasé for Ringveien øst for sentrum",
        body=(
            "I stedet for å sende all trafikken på dagens Ringvei foreslår jeg en ny trasé "
            "øst for sentrum, langs jernbanen. Da slipper boligene i Parkvegen mer trafikk. "
            "Se streken på kartet."
        ),
        geometry=route,
        at=now - 6 * D,
    )
    bus = proposal_services.proposal_submit(
        process=process,
        actor=r["jonas"],
        title="La bussen kjøre i Storgata",
        body=(
            "Steng Storgata for biler, men la bussen og drosjer kjøre der. Da kommer "
            "bussen raskt fram, og holdeplassen ved torget kan bli."
        ),
        at=now - 5 * D,
    )
    seasonal = proposal_services.proposal_submit(
        process=process,
        actor=p[3],
        title="Gågate bare om sommeren",
        body=(
            "Prøv gågate fra mai til september de første to årene, og evaluer før gata "
            "stenges hele året."
        ),
        at=now - 4 * D,
    )
    supporters = p[10:40]  # none of them wrote one of the proposals
    for proposal, count, first in ((ring, 14, 2), (bus, 21, 1), (seasonal, 6, 3)):
        for i, user in enumerate(supporters[:count]):
            proposal_services.proposal_support(
                proposal=proposal, actor=user, at=now - first * D + i * H
            )
    proposal_services.proposal_status_set(
        proposal=bus,
        actor=cast.communicator,
        status=ProposalStatus.CONSIDERING,
        answer=(
            "Takk for forslaget. Prosjektgruppen utreder nå et kollektivfelt i Storgata for "
            "buss og drosje. Vi kommer tilbake med svar i den reviderte planen."
        ),
        at=now - 1 * D,
    )
    return 1


def _roads_forum(process: Process, unit: Unit, cast: Cast) -> int:
    forum, created = _forum_ensure(
        actor=cast.communicator,
        unit=unit,
        kind=ForumKind.PROJECT,
        slug=ROADS,
        title="Veisystemet i sentrum",
        description=(
            "Still spørsmål og diskuter den nye trafikkløsningen for sentrum. "
            "Prosjektgruppen og politikerne deltar."
        ),
        process=process,
    )
    if _threads_of(forum) is not None:
        return int(created)
    r, p = cast.residents, cast.participants
    _topics(
        forum,
        [
            Topic(
                r["emil"],
                "Hvor skal vi parkere når vi handler?",
                "Jeg handler i Storgata hver lørdag. Blir det vanskeligere å parkere nær "
                "butikkene?",
                (
                    (p[5], "Parkeringshuset ved stasjonen er bare fem minutter å gå."),
                    (
                        cast.communicator,
                        "Parkeringshuset får 80 nye plasser, og de to første timene blir "
                        "gratis. Vi vurderer også korttidsplasser i Torggata.",
                    ),
                ),
            ),
            Topic(
                p[8],
                "Blir det lys langs den nye sykkelveien?",
                "Det er mørkt fra oktober. Blir sykkelveien opplyst hele veien til skolen?",
                (
                    (
                        cast.politician,
                        "Som ordfører kan jeg si at belysning er med i budsjettforslaget. "
                        "Kommunestyret tar stilling til det i desember.",
                    ),
                    (p[8], "Takk, det er godt å høre."),
                ),
            ),
            Topic(
                p[6],
                "Hva med snøbrøyting i gågata?",
                "Hvem brøyter Storgata når den blir gågate, og hvor skal snøen gjøres av?",
                ((p[7], "Godt spørsmål, det lurer jeg også på."),),
            ),
        ],
    )
    return 1


STAFF_VIEWS = [
    "Storgata bør bli gågate hele året.",
    "Det må fortsatt være mulig å kjøre bil gjennom sentrum.",
    "Gratis parkering i sentrum er viktigere enn nye sykkelveier.",
    "Sykkelveien bør være skilt fra både biler og gående.",
    "Bussen må komme raskere fram enn i dag.",
    "Skoleveien må bli tryggere før noe annet endres.",
    "Ringveien tåler mer trafikk uten store ulemper.",
    "Parkeringshuset bør bygges ut før gateparkeringen fjernes.",
]
RESIDENT_VIEW_APPROVED = "Det trengs flere benker og trær langs Storgata."
RESIDENT_VIEW_PENDING = "Varelevering til butikkene bør skje før klokka ti om morgenen."
# How the two groups lean on each statement: (drivers, cyclists); 0 means they mostly pass.
LEANINGS = {
    STAFF_VIEWS[0]: (-1, 1),
    STAFF_VIEWS[1]: (1, -1),
    STAFF_VIEWS[2]: (1, -1),
    STAFF_VIEWS[3]: (0, 1),
    STAFF_VIEWS[4]: (1, 1),
    STAFF_VIEWS[5]: (1, 1),
    STAFF_VIEWS[6]: (1, -1),
    STAFF_VIEWS[7]: (1, 0),
    RESIDENT_VIEW_APPROVED: (0, 1),
}
DRIVERS = 22  # participants 1..22 drive; 23..40 cycle


def _roads_short_views(process: Process, cast: Cast) -> int:
    if ShortView.objects.filter(process=process).exists():
        return 0
    views = [
        shortview_services.short_view_add(process=process, actor=cast.communicator, text=text)
        for text in STAFF_VIEWS
    ]
    approved = shortview_services.short_view_add(
        process=process, actor=cast.residents["sara"], text=RESIDENT_VIEW_APPROVED
    )
    shortview_services.short_view_moderate(short_view=approved, actor=cast.moderator, approve=True)
    views.append(approved)
    # Waits for moderation: the staff page shows it in the queue.
    shortview_services.short_view_add(
        process=process, actor=cast.residents["emil"], text=RESIDENT_VIEW_PENDING
    )
    chance = random.Random(2026)  # the same votes every time the demo is built
    for number, person in enumerate(cast.participants, start=1):
        group = 0 if number <= DRIVERS else 1
        for view in views:
            if chance.random() < 0.12:
                continue  # not everyone votes on everything
            lean = LEANINGS[view.text][group]
            roll = chance.random()
            if lean == 0:
                choice = int(VoteChoice.PASS) if roll < 0.6 else chance.choice([1, -1])
            elif roll < 0.85:
                choice = lean
            elif roll < 0.93:
                choice = int(VoteChoice.PASS)
            else:
                choice = -lean
            shortview_services.vote_cast(short_view=view, actor=person, choice=choice)
    return 1


def opinion_groups_compute(process: Process) -> int:
    """Compute the opinion groups now (the task's work, run in the demo's own process) when a
    computation is wanted; returns the number of groups, 0 when nothing was wanted."""
    from torget.participation import tasks_shortviews

    if not OpinionGroups.objects.filter(process=process, requested_at__isnull=False).exists():
        return 0
    data = tasks_shortviews.recompute(process.pk)
    return int(data["k"]) if data else 0


# --- "Gamle industriområdet blir boliger": processed now -----------------------------------------


def housing_ensure(municipality: Municipality, cast: Cast) -> int:
    """The housing process: its hearing closed two weeks ago and has a published result, its
    proposals have their final status; it is being processed now."""
    unit = Unit.objects.get(municipality=municipality, slug=HOUSING)
    today = timezone.localdate()
    process, created = _process_ensure(
        unit=unit,
        slug=HOUSING,
        title="Gamle industriområdet blir boliger",
        summary=(
            "Det gamle industriområdet ved elva skal bli et nytt boligområde med rundt 400 "
            "boliger, en park langs elva og en ny barneskole.\n\n"
            "Høringen er avsluttet. Les hvordan innspillene ble brukt, og følg saken videre "
            "fram mot vedtak i kommunestyret."
        ),
        phases=[
            _phase(
                PhaseKind.INFORMATION,
                today - 120 * D,
                today - 61 * D,
                "Åpent møte på området og utstilling på biblioteket.",
            ),
            _phase(
                PhaseKind.INPUT,
                today - 60 * D,
                today - 14 * D,
                "Høring av planforslaget og alternative forslag.",
            ),
            _phase(
                PhaseKind.PROCESSING,
                today - 13 * D,
                today + 30 * D,
                "Plan og bygg justerer planen etter høringen.",
            ),
            _phase(
                PhaseKind.DECISION,
                today + 31 * D,
                today + 60 * D,
                "Kommunestyret vedtar reguleringsplanen.",
            ),
        ],
    )
    added = int(created)
    if not process.documents.exists():
        _document(
            process,
            "skisse-gamle-industriomradet.pdf",
            sketch_pdf(
                "Gamle industriområdet blir boliger",
                [
                    "Skisse til reguleringsplan: rundt 400 boliger i kvartaler på tre til "
                    "fem etasjer, en park langs elva og en ny barneskole.",
                    "Industrihallen ved elva bevares og blir aktivitetshus.",
                ],
                blocks=[
                    ("Boliger", 20, 20, 50, 30),
                    ("Boliger", 90, 20, 50, 30),
                    ("Park langs elva", 20, 70, 120, 20),
                    ("Skole", 150, 25, 30, 25),
                    ("Aktivitetshus", 150, 70, 30, 20),
                ],
            ),
            "Skisse: boliger, park og skole",
            "Skissen som var på høring.",
        )
        added += 1
    added += _housing_hearing(process, cast)
    added += _housing_proposals(process, cast)
    forum, forum_created = _forum_ensure(
        actor=cast.communicator,
        unit=unit,
        kind=ForumKind.PROJECT,
        slug=HOUSING,
        title="Gamle industriområdet",
        description="Spørsmål og ideer om det nye boligområdet ved elva.",
        process=process,
    )
    added += int(forum_created)
    if _threads_of(forum) is None:
        p = cast.participants
        _topics(
            forum,
            [
                Topic(
                    p[10],
                    "Når begynner byggingen?",
                    "Er det kjent når de første boligene kan stå ferdige?",
                    (
                        (
                            cast.communicator,
                            "Hvis planen vedtas i vår, kan byggingen begynne tidligst neste "
                            "år. De første boligene kan stå ferdige om tre år.",
                        ),
                    ),
                ),
                Topic(
                    p[11],
                    "Blir det plass til hagelag?",
                    "Vi er flere som ønsker parsellhager i parken langs elva. Er det mulig?",
                    ((p[12], "Ja takk, det vil jeg også være med på!"),),
                ),
            ],
        )
        added += 1
    return added


def _housing_hearing(process: Process, cast: Cast) -> int:
    now = timezone.now()
    hearing, sections = _hearing_ensure(
        process,
        cast.communicator,
        title="Høring: Reguleringsplan for gamle industriområdet",
        intro="Forslag til reguleringsplan for det gamle industriområdet ved elva.",
        opens_at=now - 45 * D,
        closes_at=now - 14 * D,
        sections=[
            ("1", "Boliger", "Rundt 400 boliger i kvartaler på tre til fem etasjer."),
            ("2", "Park og elvebredd", "En offentlig park langs hele elvebredden."),
            ("3", "Skole", "En ny barneskole for 1.–7. trinn."),
        ],
    )
    if hearing.statements.exists():
        return 0
    p = cast.participants
    statements = _statements(
        hearing,
        sections,
        [
            StatementText(
                p[13],
                "Fem etasjer er for høyt ved elva. Hold byggene lavere nærmest parken.",
                40 * D,
                section="1",
            ),
            StatementText(
                p[14],
                "Kvartalene mot elva bør ikke være høyere enn tre etasjer.",
                35 * D,
                section="1",
            ),
            StatementText(
                p[19],
                "Parken må være stor nok til å ha en lekeplass og en badeplass.",
                30 * D,
                section="2",
            ),
            StatementText(
                p[15],
                "Elvebredden er et viktig område for fugler. Spar sivbeltet.",
                25 * D,
                section="2",
                on_behalf_of="Eksempel naturvernlag",
            ),
            StatementText(
                p[16],
                "Skolen bør bygges før boligene tas i bruk, ikke etter.",
                20 * D,
                section="3",
            ),
        ],
    )
    # One answer to the two statements about the height of the buildings.
    talk.thread_answer(
        threads=[statements[0].thread, statements[1].thread],
        actor=cast.communicator,
        body=(
            "Takk for innspillene om byggehøyde. Planen er endret: kvartalene nærmest elva "
            "får høyst tre etasjer."
        ),
        at=now - 10 * D,
    )
    talk.thread_answer(
        threads=[statements[4].thread],
        actor=cast.communicator,
        body="Skolen skal stå ferdig før de første boligene tas i bruk; det står nå i planen.",
        at=now - 9 * D,
    )
    result_services.result_publish(
        hearing=hearing,
        actor=cast.communicator,
        text=(
            "Vi fikk 5 uttalelser. Takk til alle som deltok!\n\n"
            "- **Byggehøyde**: kvartalene nærmest elva får høyst tre etasjer (uttalelse 1 "
            "og 2).\n"
            "- **Parken** får lekeplass og badeplass, og sivbeltet langs elva bevares "
            "(uttalelse 3 og 4).\n"
            "- **Skolen** bygges før de første boligene tas i bruk (uttalelse 5).\n\n"
            "Den endrede planen legges fram for kommunestyret."
        ),
        at=now - 3 * D,
    )
    return 1


def _housing_proposals(process: Process, cast: Cast) -> int:
    if process.proposals.exists():
        return 0
    now = timezone.now()
    p = cast.participants
    kept = proposal_services.proposal_submit(
        process=process,
        actor=p[17],
        title="Bevar den gamle industrihallen",
        body=(
            "Den gamle hallen ved elva er en del av stedets historie. Bruk den som "
            "aktivitetshus for ungdom og lag."
        ),
        at=now - 50 * D,
    )
    parking = proposal_services.proposal_submit(
        process=process,
        actor=p[18],
        title="Parkeringskjeller under hele området",
        body="Bygg én stor parkeringskjeller, så blir området bilfritt på bakkeplan.",
        at=now - 48 * D,
    )
    for proposal, supporters in ((kept, p[19:31]), (parking, p[31:35])):
        for i, user in enumerate(supporters):
            proposal_services.proposal_support(
                proposal=proposal, actor=user, at=now - 45 * D + i * H
            )
    proposal_services.proposal_status_set(
        proposal=kept,
        actor=cast.communicator,
        status=ProposalStatus.ADOPTED,
        answer="Forslaget er tatt inn i planen: hallen bevares og blir aktivitetshus.",
        at=now - 10 * D,
    )
    proposal_services.proposal_status_set(
        proposal=parking,
        actor=cast.communicator,
        status=ProposalStatus.NOT_ADOPTED,
        answer=(
            "Grunnen ved elva er for bløt til en stor kjeller. Planen har i stedet "
            "parkeringshus i kanten av området, så det blir bilfritt mellom husene."
        ),
        at=now - 10 * D,
    )
    return 1


# --- topic forums -------------------------------------------------------------------------------

TOPIC_FORUMS = [
    ("kultur", "kultur", "Kultur", "Kulturhuset, kulturskolen, arrangementer og frivilligheten."),
    ("skole", "skole", "Skole", "Skolene, skolefritidsordningen og skoleveien."),
    ("samferdsel", "kommunen", "Samferdsel", "Veier, buss, sykkel og gange i hele kommunen."),
    ("bolig", "kommunen", "Bolig", "Nye boligområder, utleieboliger og boligpolitikk."),
]


def topic_forums_ensure(municipality: Municipality, cast: Cast) -> int:
    units = {u.slug: u for u in Unit.objects.filter(municipality=municipality)}
    added = 0
    for slug, unit_slug, title, description in TOPIC_FORUMS:
        forum, created = _forum_ensure(
            actor=cast.communicator,
            unit=units[unit_slug],
            kind=ForumKind.TOPIC,
            slug=slug,
            title=title,
            description=description,
        )
        added += int(created)
        if slug == "samferdsel" and _threads_of(forum) is None:
            _topics(
                forum,
                [
                    Topic(
                        cast.participants[20],
                        "Buss til Nordbyen om kvelden",
                        "Den siste bussen til Nordbyen går kl. 21. Kan den gå en time senere "
                        "i helgene?",
                        (
                            (cast.participants[21], "Enig, det hadde hjulpet mange ungdommer."),
                            (
                                cast.communicator,
                                "Rutene er fylkeskommunens ansvar. Vi har sendt ønsket videre "
                                "til fylkeskommunen.",
                            ),
                        ),
                    )
                ],
            )
            added += 1
    return added


def participation_ensure(municipality: Municipality) -> int:
    """The participation of the demo, each part once; returns how many parts were added (0
    when the demo runs again)."""
    cast = _cast()
    added = roads_ensure(municipality, cast)
    added += housing_ensure(municipality, cast)
    added += topic_forums_ensure(municipality, cast)
    roads = Process.objects.get(municipality=municipality, slug=ROADS)
    opinion_groups_compute(roads)
    return added

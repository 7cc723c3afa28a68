"""Posts and conversations of Eksempel kommune, so the inbox and the dashboard tell a true story:
most questions answered in time, some late, some still waiting, one marked as needing no answer,
and one unit (culture) that answers far less than its goal."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from torget.accounts.models import User
from torget.accounts.services import user_create
from torget.conversations import services as talk
from torget.organisation.models import Municipality, Unit
from torget.pages.models import Post
from torget.pages.services import post_create

H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Question:
    """A comment: who asks, how long ago, and when (after the question) the unit answers."""

    resident: str
    body: str
    ago: datetime.timedelta
    answer: str = ""
    answer_after: datetime.timedelta | None = None
    follow_up: str = ""


# unit slug, staff e-mail, kind, title, body, days ago, questions
POSTS = [
    (
        "kommunen",
        "kommunikasjon",
        "dialogue",
        "Hva vil du at sentrum skal bli?",
        "Kommunen lager ny plan for sentrum. Hva savner du i sentrum i dag, og hva er bra "
        "slik det er? Alle innspill leses, og vi svarer på spørsmål her.",
        20,
        [
            Question(
                "nora",
                "Flere benker og mer grønt langs elva, takk!",
                19 * D,
                "Takk for innspillet! Grøntområder langs elva er med i planarbeidet.",
                3 * H,
                "Fint! Blir det også lys der om kvelden?",
            ),
            Question(
                "emil",
                "Når kommer det et offentlig toalett ved torget?",
                18 * D,
                "Vi ser på dette i budsjettet for neste år og kommer tilbake med svar.",
                2 * D,
            ),
            Question("aisha", "Kan dere stenge Storgata for biler om sommeren?", 2 * D),
            Question("jonas", "Takk for at dere spør oss!", 10 * D),
        ],
    ),
    (
        "biblioteket",
        "bibliotekleder",
        "information",
        "Nye åpningstider fra 1. desember",
        "Fra 1. desember har biblioteket åpent til kl. 19 mandag til torsdag. Velkommen!",
        14,
        [
            Question(
                "nora",
                "Er det åpent i romjulen også?",
                13 * D,
                "Ja, vi holder åpent 27.–30. desember kl. 10–15.",
                datetime.timedelta(minutes=40),
            ),
            Question(
                "sara",
                "Kan jeg levere bøker i postkassa når dere er stengt?",
                5 * D,
                "Ja, innleveringsluka ved inngangen er åpen hele døgnet.",
                1 * H,
            ),
        ],
    ),
    (
        "kultur",
        "kommunikasjon",
        "dialogue",
        "Hvilke arrangementer vil du ha i kulturhuset?",
        "Kulturhuset lager program for våren. Fortell oss hva du vil oppleve!",
        25,
        [
            Question("emil", "Flere konserter for ungdom, gjerne på fredager.", 24 * D),
            Question(
                "jonas",
                "Kan dere ha dansekurs for voksne?",
                22 * D,
                "God idé! Vi tar det med til kulturskolen.",
                9 * D,
            ),
            Question("sara", "Er det mulig å leie salen til bursdag?", 8 * D),
        ],
    ),
    (
        "veisystemet-i-sentrum",
        "kommunikasjon",
        "dialogue",
        "Nytt forslag til gang- og sykkelvei",
        "Planprosjektet har lagt fram et nytt forslag til gang- og sykkelvei gjennom sentrum. "
        "Still spørsmål her, så svarer prosjektgruppen.",
        6,
        [
            Question(
                "aisha",
                "Hvor skal bilene kjøre når Storgata stenges?",
                5 * D,
                "Trafikken ledes om Ringveien; se kartet i planforslaget.",
                4 * H,
                "Blir det mer kø på Ringveien om morgenen?",
            ),
            Question("nora", "Hvordan blir det for bussen?", 1 * D),
        ],
    ),
]
EXTRA_RESIDENTS = [("jonas", "Jonas Lie"), ("sara", "Sara Nilsen")]


def _resident(local: str) -> User:
    from torget.demo.data import DEMO_PASSWORD, RESIDENT_DOMAIN

    email = f"{local}@{RESIDENT_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        name = dict(EXTRA_RESIDENTS).get(local, local.title())
        user = user_create(email=email, password=DEMO_PASSWORD, name=name)
    return user


def dialogue_ensure(municipality: Municipality) -> int:
    """Create the demo posts and their conversations once; return how many posts were added."""
    if Post.objects.filter(municipality=municipality).exists():
        return 0
    units = {u.slug: u for u in Unit.objects.filter(municipality=municipality)}
    now = timezone.now()
    added = 0
    for slug, staff, kind, title, body, days, questions in POSTS:
        author = User.objects.get(email=f"{staff}@eksempel.kommune.no")
        unit = units[slug]
        post = post_create(
            unit=unit,
            actor=author,
            title=title,
            body=body,
            kind=kind,
            published_at=now - datetime.timedelta(days=days),
        )
        added += 1
        for q in questions:
            _converse(unit, post, author, q, now)
    return added


def _converse(unit: Unit, post: Post, staff: User, q: Question, now: datetime.datetime) -> None:
    resident = _resident(q.resident)
    asked = now - q.ago
    thread = talk.thread_open(
        unit=unit,
        channel="web",
        body=q.body,
        actor=resident,
        subject=post,
        title=post.title,
        at=asked,
    )
    if q.body.startswith("Takk for at"):
        talk.thread_mark_no_answer_needed(thread=thread, actor=staff, reason="Takk-melding")
        return
    if q.answer and q.answer_after is not None and asked + q.answer_after < now:
        answered = asked + q.answer_after
        talk.thread_answer(threads=[thread], actor=staff, body=q.answer, at=answered)
        if q.follow_up:
            talk.message_add_resident(
                thread=thread, actor=resident, body=q.follow_up, at=answered + 2 * H
            )

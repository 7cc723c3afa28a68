"""Large, deterministic volumes of conversation data for benchmarks.

`manage.py demo --threads 200000 --messages 1000000 --units 50` fills Eksempel kommune with a
year of questions and answers. Rows are written in bulk, not through the services (which would
take hours for a million messages), with every recorded field (waiting, due time, first answer
and its working-time duration, two-way) computed exactly as the services compute it, so the
inbox and the metrics see the same shapes of data as in real use.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from torget.accounts.models import User
from torget.conversations.models import AuthorRole, Message, Thread, ThreadStatus, Visibility
from torget.organisation import services as org
from torget.organisation.models import Municipality, Unit
from torget.organisation.selectors import unit_get_root
from torget.organisation.workinghours import WeeklyHours, add_working_time, working_time_between

SEED = 2026
CHANNELS = ["web", "web", "web", "email", "sms", "forum", "feedback", "case"]
QUESTIONS = [
    "Når blir veien ved skolen brøytet?",
    "Hvor kan jeg levere hageavfall?",
    "Er biblioteket åpent i romjulen?",
    "Hvordan søker jeg om barnehageplass?",
    "Når kommer vannet tilbake i Storgata?",
    "Kan kommunen sette opp en benk ved elva?",
]
ANSWERS = [
    "Takk for spørsmålet! Vi har sendt saken videre og svarer deg innen fredag.",
    "Du finner svaret på nettsiden vår under «Avfall og gjenvinning».",
    "Ja, vi holder åpent 27.–30. desember kl. 10–15.",
]


@dataclass
class VolumeReport:
    units: int
    threads: int
    messages: int


def units_ensure(municipality: Municipality, count: int) -> list[Unit]:
    """At least `count` units below the root (extra ones are numbered service units)."""
    root = unit_get_root(municipality=municipality)
    units = list(Unit.objects.filter(municipality=municipality).exclude(pk=root.pk).order_by("pk"))
    hours = [(d, datetime.time(8), datetime.time(16)) for d in range(5)]
    for i in range(len(units) + 1, count + 1):
        unit = org.unit_create(
            municipality=municipality,
            parent=root,
            kind="other",
            name=f"Tjenesteenhet {i}",
            slug=f"tjenesteenhet-{i}",
        )
        org.unit_set_opening_hours(unit=unit, intervals=hours)
        units.append(unit)
    return units[:count]


def _residents(count: int) -> list[int]:
    from torget.demo.data import residents_ensure_bulk

    residents_ensure_bulk(count)
    return list(
        User.objects.filter(email__startswith="resident-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )[:count]


def conversations_generate(
    municipality: Municipality,
    *,
    threads: int,
    messages: int,
    units: int,
    now: datetime.datetime | None = None,
    batch: int = 5000,
) -> VolumeReport:
    """Add `threads` threads holding `messages` messages in total, over the last year, spread
    over `units` units. Deterministic for the same arguments (seeded)."""
    rng = random.Random(SEED)
    now = now or timezone.now()
    unit_list = units_ensure(municipality, units)
    hours = {u.pk: u.weekly_hours() for u in unit_list}
    staff = list(
        User.objects.filter(memberships__unit__municipality=municipality).values_list(
            "pk", flat=True
        )
    )
    staff_id = staff[0] if staff else None
    residents = _residents(min(20000, max(100, threads // 10)))
    per_thread = max(1, messages // max(1, threads))
    extra = messages - per_thread * threads
    year = datetime.timedelta(days=365)
    made_threads = made_messages = 0
    for start in range(0, threads, batch):
        size = min(batch, threads - start)
        rows: list[Thread] = []
        plans: list[list[tuple[str, datetime.datetime, int | None]]] = []
        for i in range(size):
            unit = unit_list[rng.randrange(len(unit_list))]
            opened = now - year * rng.random()
            count = per_thread + (1 if start + i < extra else 0)
            plan, thread = _plan_thread(
                rng, unit, hours[unit.pk], opened, count, now, residents, staff_id
            )
            rows.append(thread)
            plans.append(plan)
        with transaction.atomic():
            Thread.objects.bulk_create(rows, batch_size=1000)
            if rows[0].pk is None:  # SQLite before 3.35 does not return ids; re-read them
                raise RuntimeError("bulk_create did not return primary keys")
            message_rows = [
                Message(
                    thread_id=thread.pk,
                    author_id=author,
                    role=role,
                    visibility=thread.visibility,
                    body=rng.choice(QUESTIONS if role == AuthorRole.RESIDENT else ANSWERS),
                    created_at=at,
                )
                for thread, plan in zip(rows, plans, strict=True)
                for role, at, author in plan
            ]
            Message.objects.bulk_create(message_rows, batch_size=2000)
        made_threads += len(rows)
        made_messages += len(message_rows)
    return VolumeReport(units=len(unit_list), threads=made_threads, messages=made_messages)


def _plan_thread(
    rng: random.Random,
    unit: Unit,
    hours: WeeklyHours,
    opened: datetime.datetime,
    count: int,
    now: datetime.datetime,
    residents: list[int],
    staff_id: int | None,
) -> tuple[list[tuple[str, datetime.datetime, int | None]], Thread]:
    """The messages of one thread (alternating resident and official, some never answered)
    and the thread row with the fields the services would have recorded."""
    resident = residents[rng.randrange(len(residents))]
    channel = rng.choice(CHANNELS)
    visibility = (
        Visibility.PRIVATE if channel in ("case", "email", "sms", "feedback") else Visibility.PUBLIC
    )
    goal = datetime.timedelta(minutes=unit.answer_goal_minutes)
    # Most threads end with the municipality's answer (an even number of alternating
    # messages); some end with the resident waiting; a few are never answered at all.
    answered = rng.random() < (0.9 if unit.pk % 5 else 0.6)  # some units answer far less
    if answered != (count % 2 == 0):
        count += rng.choice((-1, 1)) if count > 1 else 1
    never_answered = not answered and rng.random() < 0.3
    plan: list[tuple[str, datetime.datetime, int | None]] = []
    at = opened
    role = AuthorRole.RESIDENT
    first_official: datetime.datetime | None = None
    resident_again: datetime.datetime | None = None
    for _index in range(count):
        if never_answered:
            role = AuthorRole.RESIDENT
        if at > now:
            break
        plan.append((role, at, resident if role == AuthorRole.RESIDENT else staff_id))
        if role == AuthorRole.OFFICIAL and first_official is None:
            first_official = at
        elif role == AuthorRole.RESIDENT and first_official is not None and resident_again is None:
            resident_again = at
        delay = datetime.timedelta(minutes=rng.lognormvariate(6.0, 1.3))
        at = at + delay
        role = AuthorRole.OFFICIAL if role == AuthorRole.RESIDENT else AuthorRole.RESIDENT
    last_role, last_at, _author = plan[-1]
    thread = Thread(
        municipality_id=unit.municipality_id,
        unit=unit,
        channel=channel,
        visibility=visibility,
        title=QUESTIONS[0][:60],
        opened_by_id=resident,
        opened_at=opened,
        last_message_at=last_at,
        first_resident_at=opened,
        first_official_at=first_official,
        resident_after_official_at=resident_again,
        status=ThreadStatus.WAITING if last_role == AuthorRole.RESIDENT else ThreadStatus.ANSWERED,
    )
    if first_official is not None:
        working = working_time_between(opened, first_official, hours)
        thread.first_answer_seconds = int((first_official - opened).total_seconds())
        thread.first_answer_working_seconds = int(working.total_seconds())
        thread.first_answer_within_goal = working <= goal
    if thread.status == ThreadStatus.WAITING:
        # The wait began with the resident's last message after the last official one.
        wait_from = last_at
        for role_i, at_i, _a in reversed(plan):
            if role_i != AuthorRole.RESIDENT:
                break
            wait_from = at_i
        thread.waiting_since = wait_from
        thread.due_at = add_working_time(wait_from, goal, hours)
    return plan, thread

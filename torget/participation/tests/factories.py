"""Shared test helpers for participation: a process with phases around today, a hearing with
sections, a forum. They write rows directly (no services, no search index, no permission
checks), so every part's tests can set up what they need in one line."""

from __future__ import annotations

import datetime

from django.utils import timezone

from torget.organisation.models import Unit
from torget.participation.models import (
    PHASE_ORDER,
    Forum,
    ForumKind,
    Hearing,
    HearingSection,
    Phase,
    Process,
    ProcessKind,
)

PHASE_DAYS = 10  # each phase made here lasts ten days; one free day between phases


def process_make(
    unit: Unit,
    *,
    slug: str = "veisystemet",
    title: str | None = None,
    kind: str = ProcessKind.PROJECT,
    phases: str | None = "input",
    published: bool = True,
    summary: str = "",
) -> Process:
    """A process of `unit` with all four phases: the phase named by `phases` covers today
    (from five days ago to four days ahead, Oslo dates), the earlier ones lie before it and the
    later ones after it. `phases=None` makes a process without phases."""
    process = Process.objects.create(
        municipality=unit.municipality,
        unit=unit,
        slug=slug,
        kind=kind,
        title=title or slug.replace("-", " ").capitalize(),
        summary=summary,
        is_published=published,
    )
    if phases is not None:
        today = timezone.localdate()
        current = PHASE_ORDER.index(phases)
        for index, phase_kind in enumerate(PHASE_ORDER):
            starts = today + datetime.timedelta(days=(index - current) * (PHASE_DAYS + 1) - 5)
            Phase.objects.create(
                process=process,
                kind=phase_kind,
                starts_on=starts,
                ends_on=starts + datetime.timedelta(days=PHASE_DAYS - 1),
            )
    return process


def hearing_make(
    process: Process,
    *,
    opens_at: datetime.datetime | None = None,
    closes_at: datetime.datetime | None = None,
    sections: int = 2,
    title: str = "Høring om planforslaget",
) -> Hearing:
    """A hearing of `process`, open by default (since yesterday, for two more weeks), with
    `sections` sections numbered 1, 2, ..."""
    now = timezone.now()
    hearing = Hearing.objects.create(
        process=process,
        title=title,
        intro="Planforslaget er lagt ut til offentlig ettersyn.",
        opens_at=opens_at or now - datetime.timedelta(days=1),
        closes_at=closes_at or now + datetime.timedelta(days=14),
    )
    for position in range(1, sections + 1):
        HearingSection.objects.create(
            hearing=hearing,
            number=str(position),
            heading=f"Del {position}",
            body=f"Teksten i del {position}.",
            position=position,
        )
    return hearing


def forum_make(
    unit: Unit,
    *,
    process: Process | None = None,
    slug: str = "framtida",
    title: str | None = None,
    kind: str | None = None,
) -> Forum:
    """An open forum of `unit`: a project forum when `process` is given, else a topic forum
    (or `kind`)."""
    return Forum.objects.create(
        municipality=unit.municipality,
        unit=unit,
        process=process,
        kind=kind or (ForumKind.PROJECT if process else ForumKind.TOPIC),
        slug=slug,
        title=title or slug.replace("-", " ").capitalize(),
        description="",
    )

"""The phase rules (services.processes.phases_set) and when a process takes input
(policies.accepts_input, policies.current_phase) across the boundaries of its phases."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.participation import policies
from torget.participation.models import Phase, PhaseKind, Process
from torget.participation.services import processes as services
from torget.participation.services.processes import PhaseDates
from torget.participation.tests.factories import process_make

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
D = datetime.date


def _phases(**dates: tuple[D | None, D | None]) -> list[PhaseDates]:
    return [
        PhaseDates(kind=kind, starts_on=start, ends_on=end) for kind, (start, end) in dates.items()
    ]


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return {field: list(messages) for field, messages in exc.value.message_dict.items()}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def draft(library: Unit) -> Process:
    return process_make(library, slug="utkast", phases=None, published=False)


def test_phases_set_saves_the_phases_in_order(draft: Process, communicator: User) -> None:
    saved = services.phases_set(
        process=draft,
        actor=communicator,
        phases=_phases(
            information=(D(2027, 1, 1), D(2027, 1, 14)),
            input=(D(2027, 1, 15), D(2027, 2, 15)),
            processing=(D(2027, 2, 16), D(2027, 4, 1)),
            decision=(D(2027, 4, 2), D(2027, 4, 30)),
        ),
    )
    assert [p.kind for p in saved] == ["information", "input", "processing", "decision"]
    assert list(Phase.objects.filter(process=draft).values_list("kind", "starts_on")) == [
        ("information", D(2027, 1, 1)),
        ("input", D(2027, 1, 15)),
        ("processing", D(2027, 2, 16)),
        ("decision", D(2027, 4, 2)),
    ]


def test_phases_set_refuses_an_end_before_the_start(draft: Process, communicator: User) -> None:
    with pytest.raises(ValidationError) as exc:
        services.phases_set(
            process=draft,
            actor=communicator,
            phases=_phases(input=(D(2027, 2, 1), D(2027, 1, 31))),
        )
    assert "The phase cannot end before it starts." in _errors(exc)["input_ends_on"]
    assert not Phase.objects.filter(process=draft).exists()


def test_phases_set_takes_a_phase_of_one_day(draft: Process, communicator: User) -> None:
    services.phases_set(
        process=draft, actor=communicator, phases=_phases(input=(D(2027, 2, 1), D(2027, 2, 1)))
    )
    assert Phase.objects.get(process=draft).ends_on == D(2027, 2, 1)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(D(2027, 1, 1), None, "information_ends_on"), (None, D(2027, 1, 9), "information_starts_on")],
)
def test_phases_set_wants_both_dates_or_neither(
    draft: Process, communicator: User, start: D | None, end: D | None, field: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.phases_set(
            process=draft, actor=communicator, phases=_phases(information=(start, end))
        )
    assert _errors(exc)[field] == ["Give both the first and the last day of the phase, or neither."]


def test_phases_set_leaves_out_a_phase_without_dates(draft: Process, communicator: User) -> None:
    services.phases_set(
        process=draft,
        actor=communicator,
        phases=_phases(
            input=(D(2027, 1, 1), D(2027, 1, 9)), decision=(D(2027, 2, 1), D(2027, 2, 9))
        ),
    )
    services.phases_set(
        process=draft,
        actor=communicator,
        phases=_phases(input=(D(2027, 1, 1), D(2027, 1, 9)), decision=(None, None)),
    )
    assert list(Phase.objects.filter(process=draft).values_list("kind", flat=True)) == ["input"]


def test_phases_set_refuses_overlapping_phases(draft: Process, communicator: User) -> None:
    with pytest.raises(ValidationError) as exc:
        services.phases_set(
            process=draft,
            actor=communicator,
            phases=_phases(
                information=(D(2027, 1, 1), D(2027, 1, 15)),
                input=(D(2027, 1, 15), D(2027, 2, 1)),  # starts on the last day of information
            ),
        )
    assert _errors(exc)["input_starts_on"] == [
        "The phases come one after another: Input must start after Information ends "
        "(15 January 2027)."
    ]


def test_phases_set_refuses_phases_out_of_order(draft: Process, communicator: User) -> None:
    """Processing before input is out of order, even with a gap between (input, present,
    comes first by kind, so processing must start after input ends)."""
    with pytest.raises(ValidationError) as exc:
        services.phases_set(
            process=draft,
            actor=communicator,
            phases=_phases(
                input=(D(2027, 3, 1), D(2027, 3, 31)), processing=(D(2027, 1, 1), D(2027, 1, 31))
            ),
        )
    assert list(_errors(exc)) == ["processing_starts_on"]


def test_phases_set_compares_with_the_previous_present_phase(
    draft: Process, communicator: User
) -> None:
    """Without an input phase, processing follows information directly."""
    with pytest.raises(ValidationError) as exc:
        services.phases_set(
            process=draft,
            actor=communicator,
            phases=_phases(
                information=(D(2027, 1, 1), D(2027, 1, 31)),
                processing=(D(2027, 1, 20), D(2027, 2, 28)),
            ),
        )
    assert "Information ends (31 January 2027)" in _errors(exc)["processing_starts_on"][0]


def test_phases_set_wants_an_input_phase_in_a_published_process(
    library: Unit, communicator: User
) -> None:
    process = process_make(library, published=True)
    with pytest.raises(ValidationError) as exc:
        services.phases_set(
            process=process,
            actor=communicator,
            phases=_phases(information=(D(2027, 1, 1), D(2027, 1, 31))),
        )
    assert "needs an input phase" in _errors(exc)["input_starts_on"][0]
    assert process.phases.count() == 4  # nothing changed


def test_process_cannot_be_published_without_an_input_phase(
    draft: Process, communicator: User
) -> None:
    fields = services.ProcessFields(
        title=draft.title, slug=draft.slug, kind=draft.kind, is_published=True
    )
    with pytest.raises(ValidationError) as exc:
        services.process_update(process=draft, actor=communicator, fields=fields)
    assert "needs an input phase" in _errors(exc)["is_published"][0]
    services.phases_set(
        process=draft, actor=communicator, phases=_phases(input=(D(2027, 1, 1), D(2027, 1, 9)))
    )
    assert services.process_update(process=draft, actor=communicator, fields=fields).is_published


# --- when input is taken ----------------------------------------------------------------------


@pytest.fixture
def january(library: Unit) -> Process:
    """Input from 1 to 15 January 2027, processing from 16 January."""
    process = process_make(library, slug="januar", phases=None, published=False)
    services.phases_set(
        process=process,
        actor=None,
        phases=_phases(
            information=(D(2026, 12, 1), D(2026, 12, 31)),
            input=(D(2027, 1, 1), D(2027, 1, 15)),
            processing=(D(2027, 1, 16), D(2027, 2, 28)),
        ),
    )
    Process.objects.filter(pk=process.pk).update(is_published=True)
    process.refresh_from_db()
    return process


def _at(day: D, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=OSLO)


def test_the_last_day_of_input_still_takes_input(january: Process) -> None:
    assert policies.accepts_input(january, at=_at(D(2027, 1, 15), 23, 59))
    assert policies.accepts_input(january, at=_at(D(2027, 1, 1), 0, 0))


def test_the_day_after_input_takes_none(january: Process) -> None:
    assert not policies.accepts_input(january, at=_at(D(2027, 1, 16), 0, 0))
    assert not policies.accepts_input(january, at=_at(D(2026, 12, 31), 23, 59))
    phase = policies.current_phase(list(january.phases.all()), D(2027, 1, 16))
    assert phase is not None and phase.kind == PhaseKind.PROCESSING


def test_input_follows_oslo_dates_near_midnight(january: Process) -> None:
    """23:30 UTC on 15 January is 00:30 on 16 January in Oslo: input is over. 23:30 UTC on
    31 December is already 1 January in Oslo: input has begun."""
    utc = datetime.UTC
    assert not policies.accepts_input(
        january, at=datetime.datetime(2027, 1, 15, 23, 30, tzinfo=utc)
    )
    assert policies.accepts_input(january, at=datetime.datetime(2027, 1, 15, 22, 30, tzinfo=utc))
    assert policies.accepts_input(january, at=datetime.datetime(2026, 12, 31, 23, 30, tzinfo=utc))


def test_an_unpublished_process_never_takes_input(january: Process) -> None:
    Process.objects.filter(pk=january.pk).update(is_published=False)
    january.refresh_from_db()
    assert not policies.accepts_input(january, at=_at(D(2027, 1, 10), 12))


def test_no_phase_covers_a_day_outside_the_timeline(january: Process) -> None:
    phases = list(january.phases.all())
    assert policies.current_phase(phases, D(2026, 11, 30)) is None
    assert policies.current_phase(phases, D(2027, 3, 1)) is None
    assert policies.current_phase(phases, D(2026, 12, 1)).kind == PhaseKind.INFORMATION  # type: ignore[union-attr]

"""The shared factories make what they promise."""

from __future__ import annotations

from torget.organisation.models import Unit
from torget.participation import policies
from torget.participation.models import PhaseKind
from torget.participation.tests.factories import forum_make, hearing_make, process_make


def test_factories_make_an_open_process_with_a_hearing_and_a_forum(library: Unit) -> None:
    process = process_make(library)
    assert policies.accepts_input(process)
    phase = policies.current_phase(list(process.phases.all()), policies.today())
    assert phase is not None and phase.kind == PhaseKind.INPUT
    hearing = hearing_make(process)
    assert hearing.is_open() and hearing.sections.count() == 2
    assert forum_make(library, process=process).kind == "project"
    later = process_make(library, slug="senere", phases="decision")
    assert not policies.accepts_input(later)

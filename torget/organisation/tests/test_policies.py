"""Roles cover their unit and the units below it, never a sibling."""

from __future__ import annotations

from tests.factories import unit_make
from torget.accounts.models import User
from torget.organisation import policies
from torget.organisation.models import Municipality, Unit


def test_communicator_answers_for_own_unit_and_its_children(
    municipality: Municipality, library: Unit, school: Unit, communicator: User
) -> None:
    branch = unit_make(municipality, slug="filial", parent=library)
    assert policies.can_answer_for_unit(communicator, library)
    assert policies.can_answer_for_unit(communicator, branch)
    assert not policies.can_answer_for_unit(communicator, school)
    assert not policies.can_moderate_unit(communicator, library)


def test_root_moderator_moderates_every_unit_but_does_not_answer(
    library: Unit, school: Unit, moderator: User
) -> None:
    assert policies.can_moderate_unit(moderator, library)
    assert policies.can_moderate_unit(moderator, school)
    assert not policies.can_answer_for_unit(moderator, school)


def test_politician_is_not_staff(
    municipality: Municipality, library: Unit, politician: User
) -> None:
    assert not policies.is_staff_in(politician, municipality)
    assert not policies.can_answer_for_unit(politician, library)


def test_resident_and_inactive_staff_have_no_roles(
    municipality: Municipality, library: Unit, resident: User, admin: User
) -> None:
    assert not policies.is_staff_in(resident, municipality)
    assert policies.can_manage_unit(admin, library)
    admin.is_active = False
    admin.save()
    assert not policies.can_manage_unit(admin, library)


def test_staff_role_does_not_reach_another_municipality(library: Unit, communicator: User) -> None:
    from tests.factories import municipality_make

    other = municipality_make(number="9995", name="Annen", hostnames=("annen.example",))
    other_library = unit_make(other, slug="biblioteket")
    assert not policies.can_answer_for_unit(communicator, other_library)
    assert not policies.is_staff_in(communicator, other)

"""Who may see and write in which thread."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from torget.accounts.models import User
from torget.conversations import policies, services
from torget.conversations.models import Visibility
from torget.organisation.models import Unit


def test_can_write_in_thread_public_for_residents_private_for_its_opener(
    library: Unit, resident: User, other_resident: User
) -> None:
    public = services.thread_open(unit=library, channel="web", body="Hei", actor=resident)
    private = services.thread_open(
        unit=library, channel="case", body="Min sak", actor=resident, visibility=Visibility.PRIVATE
    )
    assert policies.can_write_in_thread(other_resident, public)
    assert not policies.can_write_in_thread(AnonymousUser(), public)
    assert policies.can_write_in_thread(resident, private)
    assert not policies.can_write_in_thread(other_resident, private)


def test_private_thread_is_seen_by_its_opener_and_the_units_staff_only(
    library: Unit,
    school: Unit,
    resident: User,
    other_resident: User,
    communicator: User,
    case_officer: User,
) -> None:
    private = services.thread_open(
        unit=library, channel="case", body="Min sak", actor=resident, visibility=Visibility.PRIVATE
    )
    assert policies.can_view_thread(resident, private)
    assert policies.can_view_thread(communicator, private)
    assert not policies.can_view_thread(other_resident, private)
    assert not policies.can_view_thread(case_officer, private)  # staff of another unit
    assert not policies.can_view_thread(AnonymousUser(), private)

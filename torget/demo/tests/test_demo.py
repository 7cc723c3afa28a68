"""The demo municipality: realistic, complete and idempotent."""

from __future__ import annotations

from django.core.management import call_command

from torget.accounts.models import User
from torget.organisation.models import Membership, Municipality, OpeningHours, Role, Unit


def test_demo_builds_eksempel_kommune_once(db: None) -> None:
    call_command("demo", "--quiet")
    counts = (User.objects.count(), Unit.objects.count(), OpeningHours.objects.count())
    call_command("demo", "--quiet")
    assert (User.objects.count(), Unit.objects.count(), OpeningHours.objects.count()) == counts
    municipality = Municipality.objects.get()
    assert municipality.name == "Eksempel kommune"
    kinds = set(Unit.objects.values_list("kind", flat=True))
    assert {"municipality", "library", "school", "culture", "business", "planning"} <= kinds
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)


def test_demo_generates_deterministic_residents(db: None) -> None:
    call_command("demo", "--quiet", "--residents", "120")
    call_command("demo", "--quiet", "--residents", "150")
    generated = User.objects.filter(email__startswith="resident-")
    assert generated.count() == 150
    assert generated.filter(email="resident-150@innbygger.eksempel.no").exists()

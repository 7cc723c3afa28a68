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


def test_demo_dialogue_tells_a_true_story(db: None) -> None:
    from torget.conversations.models import Thread, ThreadStatus
    from torget.pages.models import Post

    call_command("demo", "--quiet")
    call_command("demo", "--quiet")
    assert Post.objects.count() == 4
    statuses = list(Thread.objects.values_list("status", flat=True))
    assert statuses.count(ThreadStatus.WAITING) >= 4  # unanswered and followed-up questions
    assert ThreadStatus.ANSWERED in statuses
    assert ThreadStatus.NO_ANSWER_NEEDED in statuses
    late = Thread.objects.filter(first_answer_within_goal=False).count()
    in_time = Thread.objects.filter(first_answer_within_goal=True).count()
    assert late >= 1 and in_time >= 1

"""Review reminders: once per page and overdue period, to the unit's editors."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import time_machine
from django.core.management import call_command

from conftest import run_tasks
from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.services import services
from torget.services.reminders import page_remind_stale, reminder_recipients
from torget.services.tasks import remind_stale_pages
from torget.services.tests.factories import page_make

TODAY = datetime.date(2026, 6, 1)


def overdue(unit: Unit, title: str = "Gammel side") -> Any:
    # Due 2026-05-30: two days overdue on TODAY.
    return page_make(unit, title=title, reviewed_on=datetime.date(2025, 5, 30))


def test_reminder_goes_to_each_communicator_and_admin_once_in_their_language(
    library: Unit, communicator: User, admin: User, case_officer: User, smtp_server: Any
) -> None:
    communicator.language = "en"
    communicator.save(update_fields=["language"])
    page = overdue(library)
    page_make(library, title="Fersk side", reviewed_on=datetime.date(2026, 5, 1))
    assert page_remind_stale(today=TODAY) == 1
    mails = {mail["To"]: mail for mail in smtp_server.wait_for(2)}
    assert set(mails) == {"admin@example.no", "kommunikasjon@example.no"}  # not the school's
    english = mails["kommunikasjon@example.no"]
    assert english["Subject"] == "Time to review the page “Gammel side”"
    body = english.get_body(preferencelist=("plain",)).get_content()
    assert "Its review is 2 days overdue." in body
    assert f"/ansatt/tjenester/{page.pk}/endre/" in body
    # The admin chose no language: the municipality's målform (Bokmål), still about the page.
    assert "Gammel side" in mails["admin@example.no"]["Subject"]
    # Running it again sends nothing, also a month later.
    assert page_remind_stale(today=TODAY) == 0
    assert page_remind_stale(today=TODAY + datetime.timedelta(days=30)) == 0
    assert len(smtp_server.messages) == 2


def test_a_page_due_today_is_not_yet_overdue(library: Unit, communicator: User) -> None:
    page_make(library, reviewed_on=datetime.date(2025, 6, 1))  # due 2026-06-01
    assert page_remind_stale(today=TODAY) == 0


def test_unpublished_pages_are_not_reminded(library: Unit, communicator: User) -> None:
    page_make(library, published=False, reviewed_on=datetime.date(2020, 1, 1))
    assert page_remind_stale(today=TODAY) == 0


def test_after_a_review_the_next_overdue_period_is_reminded_again(
    library: Unit, communicator: User, smtp_server: Any
) -> None:
    page = overdue(library)
    assert page_remind_stale(today=TODAY) == 1
    services.page_mark_reviewed(page=page, actor=communicator, on=TODAY)
    assert page_remind_stale(today=TODAY + datetime.timedelta(days=365)) == 0
    assert page_remind_stale(today=TODAY + datetime.timedelta(days=366)) == 1
    assert len(smtp_server.wait_for(2)) == 2


def test_recipients_fall_back_to_the_unit_above_then_to_the_unit_s_address(
    library: Unit, school: Unit, root_unit: Unit
) -> None:
    assert reminder_recipients(school) == [("skolen@example.no", "nb")]
    from tests.factories import UserFactory
    from torget.organisation import services as org

    boss = UserFactory(email="sjef@example.no")
    org.membership_grant(user=boss, unit=root_unit, role="communicator")
    assert reminder_recipients(school) == [("sjef@example.no", "nb")]


def test_command_and_task_remind_the_same_pages_once(
    library: Unit, communicator: User, smtp_server: Any
) -> None:
    overdue(library)
    overdue(library, title="Enda eldre")
    with time_machine.travel(datetime.datetime(2026, 6, 1, 9, 0), tick=False):
        out = StringIO()
        call_command("remind_stale_pages", stdout=out)
        assert "Reminded 2 page(s)" in out.getvalue()
        remind_stale_pages.enqueue()
        run_tasks()
        call_command("remind_stale_pages", stdout=out)
    assert "Reminded 0 page(s)" in out.getvalue()
    smtp_server.wait_for(2)
    assert len(smtp_server.messages) == 2

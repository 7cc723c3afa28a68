"""Statements sent at the same moment get the numbers 1..N, each once: real concurrent
transactions, one connection per sender (on SQLite the writers queue for the write lock)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.factories import UserFactory
from torget.organisation.models import Unit
from torget.participation.models import Statement
from torget.participation.services.hearings import statement_submit
from torget.participation.tests.factories import hearing_make, process_make

SENDERS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_statements_get_numbers_one_to_n(library: Unit) -> None:
    hearing = hearing_make(process_make(library))
    people = [UserFactory(email=f"samtidig{n}@example.no") for n in range(SENDERS)]
    start = threading.Barrier(SENDERS)
    errors: list[BaseException] = []

    def send(person: object) -> None:
        try:
            start.wait()
            statement_submit(hearing=hearing, actor=person, body="Samtidig innspill")  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Statement.objects.filter(hearing=hearing).values_list("number", flat=True))
    assert numbers == list(range(1, SENDERS + 1))

"""Torget's SQLite backend: the threads of one process get the write lock first come, first
served, and give it back however their transaction ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections, transaction

from torget.core.db.sqlite3.base import FairLock, lock_for

ALIAS = "fairtest"


def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (yielding the processor) until `condition()` holds; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0)


def in_thread(target: Callable[[], Any]) -> threading.Thread:
    """Run `target` in a thread with its own connection to the test database (closed after);
    an exception fails the test when the thread is joined through `join`."""

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 (handed to the test by `join`)
            errors.append(exc)
        finally:
            connections[ALIAS].close()

    errors: list[BaseException] = []
    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def join(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a thread hangs"
        for exc in thread.errors:  # type: ignore[attr-defined]
            raise exc


@pytest.fixture
def db_file(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """A database alias of its own on a file (SQLite, WAL, BEGIN IMMEDIATE, as in
    production), usable from several threads at once; the test database is not touched."""
    with django_db_blocker.unblock():
        yield from _db_file(tmp_path)


def _db_file(tmp_path: Path) -> Iterator[str]:
    # Built from the default alias's keys, but always SQLite with the production options, so
    # the backend is tested when the suite itself runs on PostgreSQL too.
    name = str(tmp_path / "fair.sqlite3")
    settings_dict = dict(connections["default"].settings_dict)
    settings_dict.update(
        ENGINE="torget.core.db.sqlite3",
        NAME=name,
        USER="",
        PASSWORD="",
        HOST="",
        PORT="",
        TEST={"NAME": name},
        OPTIONS={
            "transaction_mode": "IMMEDIATE",
            "timeout": 10,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    )
    connections.settings[ALIAS] = settings_dict
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, who TEXT)")
    yield name
    connections[ALIAS].close()
    del connections[ALIAS]
    del connections.settings[ALIAS]


def insert(who: str) -> None:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("INSERT INTO item (who) VALUES (%s)", [who])


def stored() -> list[str]:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT who FROM item ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def lock_is_free(lock: FairLock) -> bool:
    """Whether another thread would get `lock` at once (and gives it back)."""
    got: list[bool] = []
    thread = threading.Thread(target=lambda: got.append(lock.acquire(timeout=0)))
    thread.start()
    thread.join()
    if got[0]:
        lock.release()
    return got[0]


def test_fair_lock_serves_waiters_in_the_order_they_came() -> None:
    lock = FairLock()
    order: list[int] = []
    assert lock.acquire()

    def waiter(number: int) -> None:
        assert lock.acquire(timeout=10)
        order.append(number)
        lock.release()

    threads = []
    for number in range(8):
        threads.append(threading.Thread(target=waiter, args=(number,)))
        threads[-1].start()
        until(lambda n=number: lock.waiting == n + 1)
    lock.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == list(range(8))
    assert lock_is_free(lock)


def test_fair_lock_release_hands_over_before_the_releaser_asks_again() -> None:
    lock = FairLock()
    lock.acquire()
    done = threading.Event()
    got: list[bool] = []

    def other() -> None:
        got.append(lock.acquire(timeout=10))
        done.wait(10)
        lock.release()

    thread = threading.Thread(target=other)
    thread.start()
    until(lambda: lock.waiting == 1)
    lock.release()
    # The releaser asks again at once: the waiter owns the lock already.
    assert lock.acquire(timeout=0) is False
    done.set()
    thread.join(timeout=10)
    assert got == [True]
    assert lock_is_free(lock)


def test_fair_lock_is_reentrant_and_a_timed_out_waiter_leaves_the_queue() -> None:
    lock = FairLock()
    assert lock.acquire() and lock.acquire()
    results: list[bool] = []
    late = threading.Thread(target=lambda: results.append(lock.acquire(timeout=0.05)))
    late.start()
    late.join(timeout=10)
    assert results == [False]
    assert lock.waiting == 0
    lock.release()
    assert not lock_is_free(lock)  # still held once
    lock.release()
    assert lock_is_free(lock)
    with pytest.raises(RuntimeError):
        lock.release()


def test_writers_contending_all_get_through(db_file: str) -> None:
    def writer(number: int) -> Callable[[], None]:
        def write() -> None:
            for step in range(15):
                with transaction.atomic(using=ALIAS):
                    insert(f"{number}-{step}")

        return write

    threads = [in_thread(writer(number)) for number in range(12)]
    join(*threads)
    assert len(stored()) == 12 * 15
    assert lock_is_free(lock_for(db_file))


def test_transactions_start_in_the_order_they_asked(db_file: str) -> None:
    lock = lock_for(db_file)
    threads = []
    with transaction.atomic(using=ALIAS):
        insert("first")
        for number in range(6):

            def write(number: int = number) -> None:
                with transaction.atomic(using=ALIAS):
                    insert(str(number))

            threads.append(in_thread(write))
            until(lambda n=number: lock.waiting == n + 1)
    join(*threads)
    assert stored() == ["first", "0", "1", "2", "3", "4", "5"]
    assert lock_is_free(lock)


def test_an_exception_rolls_back_and_releases(db_file: str) -> None:
    lock = lock_for(db_file)
    with pytest.raises(ValueError), transaction.atomic(using=ALIAS):
        insert("lost")
        assert not lock_is_free(lock)
        raise ValueError("boom")
    assert lock_is_free(lock)
    assert stored() == []


def test_nested_atomic_blocks_take_no_second_ticket(db_file: str) -> None:
    lock = lock_for(db_file)
    with transaction.atomic(using=ALIAS):
        insert("outer")
        with transaction.atomic(using=ALIAS):
            insert("inner")
            with pytest.raises(ValueError), transaction.atomic(using=ALIAS):
                insert("rolled back")
                raise ValueError("inner only")
            assert not lock_is_free(lock)
        assert not lock_is_free(lock)
        assert lock.waiting == 0
    assert lock_is_free(lock)
    assert stored() == ["outer", "inner"]


def test_a_connection_closed_in_a_transaction_releases(db_file: str) -> None:
    lock = lock_for(db_file)
    with transaction.atomic(using=ALIAS):
        insert("gone")
        connections[ALIAS].close()
        assert lock_is_free(lock)
    assert lock_is_free(lock)
    assert stored() == []


def test_waiting_longer_than_the_timeout_is_database_is_locked(db_file: str) -> None:
    connections.settings[ALIAS]["OPTIONS"]["timeout"] = 0.05
    lock = lock_for(db_file)
    with transaction.atomic(using=ALIAS):
        insert("holder")
        failed: list[str] = []

        def late() -> None:
            with pytest.raises(OperationalError) as caught, transaction.atomic(using=ALIAS):
                insert("late")
            failed.append(str(caught.value))

        join(in_thread(late))
        assert failed == ["database is locked"]
        assert lock.waiting == 0
    assert stored() == ["holder"]
    assert lock_is_free(lock)

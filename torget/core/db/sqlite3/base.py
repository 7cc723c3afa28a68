"""Django's SQLite backend, with writers of one process queueing first come, first served.

SQLite has one writer at a time. A connection that finds the write lock taken waits in
SQLite's busy handler, which sleeps and tries again (1, 2, 5 ... up to 100 ms between
tries) rather than queueing: the lock goes to whoever happens to try just after it was
released. With a few dozen request threads writing at once, most get it within a second
while some lose again and again until the busy timeout ends them with "database is locked".

So before the BEGIN (IMMEDIATE, see settings) of an outermost `atomic` block each thread
takes a ticket in a process-wide queue per database file (`FairLock`) and holds its place
until the transaction has ended (COMMIT, ROLLBACK or the connection closed). Within the
process the write lock then passes straight to the thread that has waited longest, and
SQLite's busy handler only arbitrates between processes (the server and its workers).

Writes outside `atomic` (autocommit) and savepoints of nested blocks do not take a ticket;
waiting for one lasts at most the connection's `timeout` option and then fails as SQLite
would, with OperationalError("database is locked").

Set SQLITE_FAIR_TRACE to a file name to have every transaction that took a ticket append
one line "<pid> <queue wait ms> <BEGIN wait ms> <ms from BEGIN to the end>" to it (a
diagnostic).
"""

from __future__ import annotations

import collections
import os
import sqlite3
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

_DEFAULT_TIMEOUT = 5.0


class _Waiter:
    __slots__ = ("event", "ident")

    def __init__(self, ident: int) -> None:
        self.ident = ident
        self.event = threading.Event()


class FairLock:
    """A lock handed to its waiters in the order they asked (FIFO), re-entrant per thread.

    `release` gives the lock directly to the longest waiter, so a thread that releases and
    asks again at once queues behind everyone already waiting.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for the lock at most `timeout` seconds (None: as long as it takes). Returns
        whether it was acquired."""
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None:
                self._owner, self._depth = me, 1
                return True
            waiter = _Waiter(me)
            self._waiters.append(waiter)
        if waiter.event.wait(timeout):
            return True
        with self._mutex:
            if waiter.event.is_set():  # handed over just as the wait ran out
                return True
            self._waiters.remove(waiter)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._owner is None:
                raise RuntimeError("release of an unlocked FairLock")
            self._depth -= 1
            if self._depth:
                return
            if self._waiters:
                waiter = self._waiters.popleft()
                self._owner, self._depth = waiter.ident, 1
                waiter.event.set()
            else:
                self._owner = None

    @property
    def waiting(self) -> int:
        """How many threads wait for the lock now."""
        with self._mutex:
            return len(self._waiters)


_locks: dict[str, FairLock] = {}
_locks_mutex = threading.Lock()
_trace_mutex = threading.Lock()


def lock_for(name: str) -> FairLock:
    """The process's one FairLock for the database file `name`."""
    key = str(name)
    with _locks_mutex:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = FairLock()
        return lock


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fair_lock: FairLock | None = None
        self._fair_times: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def _start_transaction_under_autocommit(self) -> None:
        # Called by the outermost `atomic` only (nested blocks make savepoints).
        if self._fair_lock is None:
            lock = lock_for(self.settings_dict["NAME"])
            asked = time.monotonic()
            options = self.settings_dict.get("OPTIONS", {})
            if not lock.acquire(timeout=float(options.get("timeout", _DEFAULT_TIMEOUT))):
                with self.wrap_database_errors:
                    raise sqlite3.OperationalError("database is locked")
            self._fair_lock = lock
            self._fair_times = (asked, time.monotonic(), 0.0)
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in django-stubs
        except BaseException:
            self._fair_release()
            raise
        asked, got, _begun = self._fair_times
        self._fair_times = (asked, got, time.monotonic())

    def _fair_release(self) -> None:
        lock, self._fair_lock = self._fair_lock, None
        if lock is None:
            return
        lock.release()
        trace = os.environ.get("SQLITE_FAIR_TRACE")
        if trace:
            asked, got, begun = self._fair_times
            ended = time.monotonic()
            line = (
                f"{os.getpid()} {(got - asked) * 1000:.1f} "
                f"{((begun or ended) - got) * 1000:.1f} {(ended - (begun or ended)) * 1000:.1f}\n"
            )
            with _trace_mutex, open(trace, "a") as out:
                out.write(line)

    def _fair_release_if_done(self) -> None:
        if self._fair_lock is None:
            return
        try:
            open_transaction = self.connection is not None and self.connection.in_transaction
        except sqlite3.Error:  # closed under us: no transaction left
            open_transaction = False
        if not open_transaction:
            self._fair_release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._fair_release_if_done()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._fair_release_if_done()

    def _set_autocommit(self, autocommit: bool) -> None:
        try:
            super()._set_autocommit(autocommit)  # type: ignore[misc]  # not in django-stubs
        finally:
            if autocommit:
                self._fair_release_if_done()

    def _close(self) -> None:
        # A closed connection's transaction is gone (SQLite rolled it back).
        try:
            super()._close()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._fair_release()

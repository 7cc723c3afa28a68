"""A task for the worker crash test (test_worker_crash.py): it runs in the worker process."""

from __future__ import annotations

import time
from pathlib import Path

from django_tasks import task


@task()
def hold_until_released(gate: str, out: str) -> None:
    """Write "started" to `out`, wait until the file `gate` exists, then write "done"."""
    with Path(out).open("a") as log:
        log.write("started\n")
    deadline = time.monotonic() + 120
    while not Path(gate).exists():  # another process creates it: nothing to wait on but polls
        if time.monotonic() > deadline:
            raise TimeoutError(gate)
        time.sleep(0.01)
    with Path(out).open("a") as log:
        log.write("done\n")

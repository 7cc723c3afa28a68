"""A task survives its worker's death: a real `manage.py worker` is killed with SIGKILL in the
middle of a task, and the next worker runs the task again once the dead one has missed three
heartbeats (core.services.tasks_of_dead_workers_requeue). The workers run as subprocesses on a
database of their own, as in the alert crash tests."""

from __future__ import annotations

import datetime
import signal
import subprocess
import sys
from pathlib import Path

from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from torget.alerts.tests.test_delivery_crash import (
    ROOT,
    last_json,
    manage,
    wait_for,
    worker_database,
    worker_env,
)
from torget.core.models import WorkerHeartbeat
from torget.core.services import tasks_of_dead_workers_requeue

ENQUEUE = """
import json
from torget.core.tests.worker_tasks import hold_until_released
result = hold_until_released.enqueue(gate=%(gate)r, out=%(out)r)
print(json.dumps(str(result.id)))
"""

STATUS = """
import json
from django_tasks_db.models import DBTaskResult
row = DBTaskResult.objects.get(pk=%(pk)r)
print(json.dumps({"status": row.status, "workers": len(row.worker_ids)}))
"""


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_task_left_running_by_a_killed_worker_is_run_by_the_next(tmp_path: Path) -> None:
    gate, out = tmp_path / "gate", tmp_path / "out"
    log = (tmp_path / "worker.log").open("w")
    with worker_database(tmp_path) as url:
        env = worker_env(url, tmp_path, TORGET_WORKER_HEARTBEAT_SECONDS="0.5")
        command = [sys.executable, "manage.py", "worker", "--interval", "0.05"]
        try:
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            enqueue = ENQUEUE % {"gate": str(gate), "out": str(out)}
            pk = last_json(manage(env, "shell", "-c", enqueue))
            first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
            try:
                wait_for(lambda: _lines(out) == ["started"], 60, "the first worker to start it")
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=30)
            assert last_json(manage(env, "shell", "-c", STATUS % {"pk": pk})) == {
                "status": "RUNNING",
                "workers": 1,
            }
            gate.touch()
            second = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
            try:
                wait_for(lambda: "done" in _lines(out), 60, "the second worker to run it again")
            finally:
                second.send_signal(signal.SIGTERM)  # stops after the task it runs
                second.wait(timeout=60)
            status = last_json(manage(env, "shell", "-c", STATUS % {"pk": pk}))
        finally:
            log.close()
    assert status == {"status": "SUCCESSFUL", "workers": 2}
    assert _lines(out) == ["started", "started", "done"]


def _running(worker_id: str, started: datetime.datetime) -> DBTaskResult:
    from torget.core.tests.worker_tasks import hold_until_released

    result = hold_until_released.enqueue(gate="/nonexistent", out="/dev/null")
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=started, worker_ids=[worker_id]
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_only_the_tasks_of_workers_that_stopped_beating_go_back(db: None, settings: object) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # type: ignore[attr-defined]
    settings.WORKER_HEARTBEAT_SECONDS = 10  # type: ignore[attr-defined]
    now = timezone.now()
    old = now - datetime.timedelta(minutes=5)
    for worker_id, beat in [("alive", now - datetime.timedelta(seconds=20)), ("dead", old)]:
        WorkerHeartbeat.objects.create(
            worker_id=worker_id, hostname="h", pid=1, started_at=old, beat_at=beat
        )
    of_alive = _running("alive", old)
    of_dead = _running("dead", old)
    of_unknown = _running("never-beat", old)
    just_claimed = _running("dead", now - datetime.timedelta(seconds=5))
    assert tasks_of_dead_workers_requeue(now=now) == 2
    assert tasks_of_dead_workers_requeue(now=now) == 0  # once
    statuses = {
        row.pk: row.status
        for row in DBTaskResult.objects.filter(
            pk__in=[of_alive.pk, of_dead.pk, of_unknown.pk, just_claimed.pk]
        )
    }
    assert statuses == {
        of_alive.pk: TaskResultStatus.RUNNING,
        of_dead.pk: TaskResultStatus.READY,
        of_unknown.pk: TaskResultStatus.READY,
        just_claimed.pk: TaskResultStatus.RUNNING,
    }

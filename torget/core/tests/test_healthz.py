"""/healthz: the database and the worker's heartbeat."""

from __future__ import annotations

import datetime

import time_machine
from django.test import Client
from django.utils import timezone

from torget.core.services import worker_heartbeat_beat


def test_healthz_is_unhealthy_without_a_worker(client: Client, db: None) -> None:
    response = client.get("/healthz", HTTP_HOST="10.0.0.1")  # any host: load balancers use IPs
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "last_beat": None}
    assert body["checks"]["delivery"] == {"ok": False, "last_beat": None}


def test_healthz_is_ok_with_a_recent_heartbeat(client: Client, db: None) -> None:
    worker_heartbeat_beat(worker_id="w1", started_at=timezone.now())
    worker_heartbeat_beat(worker_id="deliver:w1", started_at=timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_calls_a_silent_worker_dead(client: Client, db: None) -> None:
    start = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        worker_heartbeat_beat(worker_id="w1", started_at=start)
        worker_heartbeat_beat(worker_id="deliver:w1", started_at=start)
    with time_machine.travel(start + datetime.timedelta(seconds=29), tick=False):
        assert client.get("/healthz").status_code == 200
    with time_machine.travel(start + datetime.timedelta(seconds=31), tick=False):
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["checks"]["worker"]["last_beat"] == start.isoformat()


def test_heartbeat_updates_one_row_per_worker(db: None) -> None:
    from torget.core.models import WorkerHeartbeat

    worker_heartbeat_beat(worker_id="w1", started_at=timezone.now())
    worker_heartbeat_beat(worker_id="w1", started_at=timezone.now())
    worker_heartbeat_beat(worker_id="w2", started_at=timezone.now())
    assert WorkerHeartbeat.objects.count() == 2


def test_healthz_needs_the_alert_delivery_worker_too(client: Client, db: None) -> None:
    worker_heartbeat_beat(worker_id="w1", started_at=timezone.now())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is True
    assert response.json()["checks"]["delivery"]["ok"] is False

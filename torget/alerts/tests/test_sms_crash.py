"""The crash case for SMS: a real `manage.py deliver --medium sms` worker on the SMPP provider,
killed with SIGKILL at random moments and restarted, hands every message to the SMSC whole
(every part of a long message), and exactly once but for the message in flight at the very
instant of a kill (the microsecond window documented in torget.alerts.delivery).

As in test_delivery_crash.py, the worker runs as a subprocess on a database of its own (a SQLite
file, or a fresh PostgreSQL database when TORGET_DATABASE_URL points there), migrated and
seeded by subprocesses. The SMSC (smpp34's server) runs in this process and records every
`submit_sm`.
"""

from __future__ import annotations

import collections
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from torget.alerts.tests.smsc import LocalSmsc
from torget.alerts.tests.test_delivery_crash import (
    ROOT,
    last_json,
    manage,
    wait_for,
    worker_database,
    worker_env,
)

MESSAGES = 600
KILLS = 3

SEED = """
import json
from django.utils import timezone
from tests.factories import municipality_make, unit_make
from torget.alerts.models import Alert, Delivery
from torget.alerts.sms import sms_length
from torget.alerts.messages import sms_text
from torget.alerts.tests.factories import alert_make
municipality = municipality_make()
unit = unit_make(municipality, slug="vann", name="Vann og avløp", kind="other")
alert = alert_make(
    unit,
    status=Alert.Status.SENT,
    sent_at=timezone.now(),
    text="Vannet er stengt i Storgata, Kirkeveien og Skolegata til kl. 18 i dag. Det er satt ut "
    "en vanntank ved skolen. Kok vannet før du drikker det de første dagene etterpå.",
)
now = timezone.now()
Delivery.objects.bulk_create(
    Delivery(alert=alert, medium="sms", destination=f"+4792{i:06d}", next_attempt_at=now)
    for i in range(%(count)d)
)
print(json.dumps({"parts": sms_length(sms_text(alert)).segments}))
"""

INSPECT = """
import json
from torget.alerts.models import Delivery
print(json.dumps(list(Delivery.objects.values_list("destination", "status", "provider_id"))))
"""


def test_sms_worker_killed_at_random_moments_sends_every_message_once_and_whole(
    tmp_path: Path,
) -> None:
    rng = random.Random()
    log = (tmp_path / "worker.log").open("w")
    with LocalSmsc() as smsc, worker_database(tmp_path) as url:
        env = worker_env(
            url,
            tmp_path,
            TORGET_ALERT_SMS_PROVIDER="smpp",
            TORGET_SMPP_HOST="127.0.0.1",
            TORGET_SMPP_PORT=str(smsc.port),
            TORGET_SMPP_SYSTEM_ID="crash",
            TORGET_SMPP_PASSWORD="test",
            TORGET_SMPP_RATE="0",
            TORGET_SMPP_BATCH="50",
            TORGET_WORKER_ID="sms-crash-test",
        )
        try:
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            parts = last_json(manage(env, "shell", "-c", SEED % {"count": MESSAGES}))["parts"]
            command = [sys.executable, "manage.py", "deliver", "--medium", "sms"]
            kills = []
            for _ in range(KILLS):
                before = smsc.accepted
                worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
                try:
                    target = before + parts * rng.randint(10, MESSAGES // (KILLS + 2))
                    wait_for(
                        lambda t=target, w=worker: smsc.accepted >= t or w.poll() is not None,
                        60,
                        "the worker to send",
                    )
                    # A random moment, not the instant a message arrives: killing exactly then
                    # aims at the microseconds between the socket write and the journal write,
                    # the one window the design leaves open (see torget.alerts.delivery).
                    time.sleep(rng.uniform(0.001, 0.02))
                    assert worker.poll() is None, "the worker stopped by itself"
                    worker.send_signal(signal.SIGKILL)
                finally:
                    worker.wait(timeout=30)
                kills.append(smsc.accepted // parts)
            assert kills[-1] < MESSAGES, "the kills came too late to test anything"
            manage(env, "deliver", "--medium", "sms", "--drain", timeout=300)
            rows = last_json(manage(env, "shell", "-c", INSPECT))
        finally:
            log.close()
        submitted = list(smsc.submitted)

    assert parts >= 2  # the alert's SMS is a long one: the parts are what could be cut
    assert len(rows) == MESSAGES
    statuses = collections.Counter(status for _, status, _ in rows)
    assert set(statuses) <= {"sent", "delivered"}, statuses
    # Per destination, each part number exactly once: nothing twice, nothing half.
    got: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    for part in submitted:
        got[part.destination_addr][part.short_message[5]] += 1
    wanted = {destination.removeprefix("+") for destination, _, _ in rows}
    assert set(got) == wanted, f"lost: {sorted(wanted - set(got))[:5]} (kills after {kills})"
    whole = collections.Counter(range(1, parts + 1))
    twice = {d for d, numbers in got.items() if numbers == whole + whole}
    broken = {
        destination: dict(numbers)
        for destination, numbers in got.items()
        if numbers != whole and destination not in twice
    }
    assert broken == {}, f"sent in part: {broken} (kills after {kills} messages)"
    # The one window the design leaves open (torget.alerts.delivery): a kill in the microseconds
    # between the last part's write and the journal write sends that message again, whole. So
    # at most the message in flight at each kill may come twice; a lost or unreplayed journal
    # would resend a whole window of messages and fail here.
    assert len(twice) <= KILLS, f"sent twice: {sorted(twice)} (kills after {kills} messages)"
    assert len(submitted) == (MESSAGES + len(twice)) * parts

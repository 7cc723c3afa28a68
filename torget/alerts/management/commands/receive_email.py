"""Take one incoming e-mail (RFC 5322) on standard input: an answer to an alert.

For the mail server's pipe transport, e.g. in Postfix's master.cf:

    torget unix - n n - - pipe
      user=torget argv=/srv/torget/.venv/bin/python /srv/torget/manage.py receive_email
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from torget.alerts.services.inbound import inbound_email_receive

MAX_BYTES = 10 * 1024 * 1024


class Command(BaseCommand):
    help = "Receive one e-mail on standard input as an answer to an alert."

    def handle(self, *args: Any, **options: Any) -> None:
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise CommandError("The e-mail is larger than 10 MB.")
        inbound = inbound_email_receive(raw)
        if inbound is None:
            raise CommandError("The e-mail has no sender address.")
        self.stdout.write(f"{inbound.result} {inbound.detail}".strip())

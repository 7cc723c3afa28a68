"""Build the demo municipality, Eksempel kommune. Safe to run again: nothing is duplicated."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from torget.accounts.models import User
from torget.demo import alerts, cases, data, dialogue, participation, services, volume


class Command(BaseCommand):
    help = "Create Eksempel kommune with units, staff in every role and residents (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--residents",
            type=int,
            default=0,
            help="Extra generated residents, for benchmarks (deterministic: resident-N@...).",
        )
        parser.add_argument(
            "--threads", type=int, default=0, help="Extra generated conversation threads."
        )
        parser.add_argument(
            "--messages", type=int, default=0, help="Messages in the generated threads in all."
        )
        parser.add_argument(
            "--units", type=int, default=0, help="Spread generated threads over this many units."
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print the log-ins.")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            municipality, created = data.municipality_ensure()
            people = data.people_ensure(municipality)
            posts = dialogue.dialogue_ensure(municipality)
            sent = alerts.alerts_ensure(
                municipality, User.objects.get(email=data._email("kommunikasjon"))
            )
            service_pages = services.services_ensure(municipality)
            forms = cases.forms_ensure(municipality)
            taking_part = participation.participation_ensure(municipality)
        added = data.residents_ensure_bulk(options["residents"]) if options["residents"] else 0
        if options["threads"]:
            report = volume.conversations_generate(
                municipality,
                threads=options["threads"],
                messages=max(options["messages"], options["threads"]),
                units=options["units"] or 10,
            )
            self.stdout.write(
                f"Generated {report.threads} threads with {report.messages} messages "
                f"over {report.units} units."
            )
        if options["quiet"]:
            return
        verb = "Created" if created else "Found"
        self.stdout.write(f"{verb} {municipality.name} ({municipality.number}).")
        if posts:
            self.stdout.write(f"Published {posts} posts with questions and answers.")
        if sent:
            self.stdout.write(f"Sent {sent} alerts (see the development outbox).")
        if service_pages:
            self.stdout.write(f"Wrote {service_pages} information pages by life situation.")
        if forms:
            self.stdout.write(f"Published {forms} self-service forms.")
        if taking_part:
            self.stdout.write(
                f"Added {taking_part} parts of participation (processes, hearings, proposals, "
                "forums, short views)."
            )
        if added:
            self.stdout.write(f"Added {added} generated residents.")
        self.stdout.write(f"Demo log-ins (password for all: {data.DEMO_PASSWORD}):")
        for person in people:
            self.stdout.write(f"  {person.email:42} {person.description}")
        self.stdout.write(
            "Staff log in with two-factor: the authenticator secret is "
            f"{data.DEMO_TOTP_SECRET}; `python manage.py totp_code` prints the current code."
        )

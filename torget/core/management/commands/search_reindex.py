"""manage.py search_reindex [--municipality NUMBER]: rebuild the search index."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from torget.core.search.services import search_reindex
from torget.organisation.models import Municipality


class Command(BaseCommand):
    help = (
        "Rebuild the search index from every registered kind of document (pages, posts, "
        "forms, ...), for one municipality or all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--municipality",
            metavar="NUMBER",
            help="Only this municipality (its four-digit number). Default: every one.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        municipality_id = None
        if options["municipality"]:
            found = Municipality.objects.filter(number=options["municipality"]).first()
            if found is None:
                raise CommandError(f"No municipality numbered {options['municipality']}.")
            municipality_id = found.pk
        written = search_reindex(municipality_id=municipality_id)
        if options["verbosity"] > 0:
            total = sum(written.values())
            detail = ", ".join(f"{kind} {count}" for kind, count in sorted(written.items()))
            self.stdout.write(f"Indexed {total} documents ({detail or 'no kinds registered'}).")

"""`manage.py import_addresses <municipality number> <file.csv> [--crs auto|25833|4326]`:
import the address register from CSV, as the staff page does, and print the rejected rows."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from torget.alerts.services import imports
from torget.organisation.models import Municipality


def run_import(
    command: BaseCommand, importer: Any, *, number: str, path: str, crs: str
) -> imports.ImportReport:
    """Call `importer` on the file at `path` for the municipality `number`, print the report."""
    municipality = Municipality.objects.filter(number=number).first()
    if municipality is None:
        raise CommandError(f"No municipality with number {number}.")
    try:
        with open(path, "rb") as handle:
            imports.text_check(handle.read(64 * 1024))
            handle.seek(0)
            report: imports.ImportReport = importer(
                municipality=municipality, actor=None, stream=handle, crs=crs
            )
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error}") from error
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from error
    for row in report.rejected:
        command.stderr.write(f"line {row.line}: {row.reason}")
    if report.rejected_count > len(report.rejected):
        command.stderr.write(f"... and {report.rejected_count - len(report.rejected)} more")
    command.stdout.write(
        f"{report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.skipped} already subscribed, "
        f"{report.rejected_count} rejected"
    )
    return report


class Command(BaseCommand):
    help = "Import the address register of a municipality from a CSV file."

    importer = staticmethod(imports.address_import)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("municipality", help="the municipality's number, e.g. 0301")
        parser.add_argument("file", help="the CSV file (UTF-8, ; or , between columns)")
        parser.add_argument(
            "--crs",
            choices=[choice for choice, _label in imports.CRS_CHOICES],
            default=imports.CRS_AUTO,
            help="coordinate system of the file; by default read from the column names",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run_import(
            self,
            self.importer,
            number=options["municipality"],
            path=options["file"],
            crs=options["crs"],
        )

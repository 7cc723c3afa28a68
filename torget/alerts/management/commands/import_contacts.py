"""`manage.py import_contacts <municipality number> <file.csv> [--crs ...]`: import a contact
list from CSV as active subscriptions, as the staff page does, and print the rejected rows."""

from __future__ import annotations

from torget.alerts.management.commands.import_addresses import Command as AddressCommand
from torget.alerts.services import imports


class Command(AddressCommand):
    help = "Import a contact list (phone, e-mail, address, topics) as active alert subscriptions."

    importer = staticmethod(imports.contacts_import)

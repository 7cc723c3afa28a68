"""SQLite: core_searchkey, a narrow copy of each indexed document's municipality, kind, object
and language, which the ranking query joins instead of the wide core_searchdocument (filled
from the documents already indexed). PostgreSQL: the title tsvector 0003 added is not used."""

from django.db import migrations

SQLITE_UP = [
    "CREATE TABLE core_searchkey (id INTEGER PRIMARY KEY, municipality_id INTEGER NOT NULL, "
    "kind TEXT NOT NULL, object_id INTEGER NOT NULL, language TEXT NOT NULL)",
    "INSERT INTO core_searchkey (id, municipality_id, kind, object_id, language) "
    "SELECT id, municipality_id, kind, object_id, language FROM core_searchdocument",
]
POSTGRES_UP = ["ALTER TABLE core_searchdocument DROP COLUMN IF EXISTS title_vector"]
POSTGRES_DOWN = [
    "ALTER TABLE core_searchdocument ADD COLUMN title_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('norwegian'::regconfig, coalesce(title, ''))) STORED"
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {
        "sqlite": ["DROP TABLE IF EXISTS core_searchkey"],
        "postgresql": POSTGRES_DOWN,
    }.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_search_fulltext")]

    operations = [migrations.RunPython(forwards, backwards)]

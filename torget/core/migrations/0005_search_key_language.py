"""An index by municipality and language of what search counts read (SQLite core_searchkey,
PostgreSQL core_searchdocument), so that counting the matching things can ask in two seeks
whether a municipality's documents are all in one language (then each match is another thing,
and the count need not tell them apart). Raw SQL like 0003 and 0004: on PostgreSQL the index
is not in the model's Meta, so Django's own migrations leave it alone."""

from typing import Any

from django.db import migrations

UP = {
    "sqlite": "CREATE INDEX IF NOT EXISTS core_searchkey_language "
    "ON core_searchkey (municipality_id, language)",
    "postgresql": "CREATE INDEX IF NOT EXISTS core_searchdocument_language "
    "ON core_searchdocument (municipality_id, language)",
}
DOWN = {
    "sqlite": "DROP INDEX IF EXISTS core_searchkey_language",
    "postgresql": "DROP INDEX IF EXISTS core_searchdocument_language",
}


def forwards(apps: Any, schema_editor: Any) -> None:
    statement = UP.get(schema_editor.connection.vendor)
    if statement:
        schema_editor.execute(statement)


def backwards(apps: Any, schema_editor: Any) -> None:
    statement = DOWN.get(schema_editor.connection.vendor)
    if statement:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_search_key")]

    operations = [migrations.RunPython(forwards, backwards)]

"""SQLite: core_searchindex again, with FTS5 prefix indexes for prefixes of 4 to 12 letters.

A query's stems of four letters or more are matched as prefixes ("barnehag*"); without a
prefix index FTS5 merges the lists of every term that begins with the stem on each query,
with one it reads a list made when the document was written. The same rows and the same
bm25 either way. The rows are copied over from the old table (rowids kept)."""

from typing import Any

from django.db import migrations

PREFIXES = "4 5 6 7 8 9 10 11 12"
SQLITE_UP = [
    "CREATE VIRTUAL TABLE core_searchindex_new USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0', "
    f"prefix = '{PREFIXES}')",
    "INSERT INTO core_searchindex_new (rowid, title, body) "
    "SELECT rowid, title, body FROM core_searchindex",
    "DROP TABLE core_searchindex",
    "ALTER TABLE core_searchindex_new RENAME TO core_searchindex",
]
SQLITE_DOWN = [
    "CREATE VIRTUAL TABLE core_searchindex_old USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0')",
    "INSERT INTO core_searchindex_old (rowid, title, body) "
    "SELECT rowid, title, body FROM core_searchindex",
    "DROP TABLE core_searchindex",
    "ALTER TABLE core_searchindex_old RENAME TO core_searchindex",
]


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_search_key_language")]

    operations = [migrations.RunPython(forwards, backwards)]

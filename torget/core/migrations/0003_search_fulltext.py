"""The full-text index of SearchDocument and the vocabulary of search terms (DESIGN.md §4).

SQLite: an FTS5 table of stemmed text (rowid = SearchDocument.id) and an FTS5 trigram table
of the vocabulary. PostgreSQL: a stored generated tsvector column ('norwegian') with a GIN
index, pg_trgm, and a trigram index on the vocabulary. Neither has a Django model: they are
read and written by raw SQL in torget.core.search.backend. Rows already in SearchDocument are
indexed here; `manage.py search_reindex` rebuilds everything from the registered kinds.
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE core_searchindex USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TABLE core_searchterm (term TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID",
    "CREATE VIRTUAL TABLE core_searchterm_trigram USING fts5(term, tokenize = 'trigram')",
]
SQLITE_DOWN = [
    "DROP TABLE IF EXISTS core_searchterm_trigram",
    "DROP TABLE IF EXISTS core_searchterm",
    "DROP TABLE IF EXISTS core_searchindex",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE core_searchdocument ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('norwegian'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('norwegian'::regconfig, coalesce(body, '')), 'B')) STORED",
    "CREATE INDEX core_searchdocument_vector ON core_searchdocument USING GIN (search_vector)",
    # The title's lexemes alone, for how much of the title a query covers (ranking).
    "ALTER TABLE core_searchdocument ADD COLUMN title_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('norwegian'::regconfig, coalesce(title, ''))) STORED",
    "CREATE TABLE core_searchterm (term text NOT NULL PRIMARY KEY)",
    "CREATE INDEX core_searchterm_trgm ON core_searchterm USING GIN (term gin_trgm_ops)",
    "INSERT INTO core_searchterm (term) SELECT DISTINCT t FROM core_searchdocument d, "
    "unnest(tsvector_to_array(d.search_vector)) AS t WHERE length(t) BETWEEN 3 AND 40 "
    "ON CONFLICT (term) DO NOTHING",
]
POSTGRES_DOWN = [
    "DROP TABLE IF EXISTS core_searchterm",
    "DROP INDEX IF EXISTS core_searchdocument_vector",
    "ALTER TABLE core_searchdocument DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE core_searchdocument DROP COLUMN IF EXISTS title_vector",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def _index_existing(apps, schema_editor):
    """SQLite: the stemmed text and the vocabulary of documents indexed before this migration
    (what backend.index_write does, as it was here)."""
    from torget.core.search import text

    SearchDocument = apps.get_model("core", "SearchDocument")
    terms = set()
    for document in SearchDocument.objects.only("pk", "title", "body").iterator():
        schema_editor.execute(
            "INSERT INTO core_searchindex (rowid, title, body) VALUES (%s, %s, %s)",
            [document.pk, text.stem_text(document.title), text.stem_text(document.body)],
        )
        terms |= text.vocabulary_terms(document.title, document.body)
    for term in sorted(terms):
        schema_editor.execute("INSERT INTO core_searchterm (term) VALUES (%s)", [term])
        schema_editor.execute("INSERT INTO core_searchterm_trigram (term) VALUES (%s)", [term])


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_UP)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_UP)
        _index_existing(apps, schema_editor)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_DOWN)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_search_and_speech")]

    operations = [migrations.RunPython(forwards, backwards)]

"""The database side of search: the full-text index, the vocabulary, and the one grouped query.

Two implementations with the same four operations, chosen by the connection's vendor:

- SQLite: `core_searchindex`, an FTS5 table (rowid = SearchDocument.id) of the stemmed title
  and body (text.stem_text), ranked by bm25 with the title weighted 10 to 1 against the body;
  `core_searchterm_trigram`, an FTS5 trigram table of the vocabulary, finds terms that look
  like a misspelt word.
- PostgreSQL: `search_vector`, a stored generated column of core_searchdocument
  (setweight(to_tsvector('norwegian', title), 'A') || ... body 'B') with a GIN index, ranked by
  ts_rank with the same 10 to 1 weights; pg_trgm's `%` on the vocabulary finds misspellings.

Both keep `core_searchterm`, the vocabulary: every stem of 3 to 40 letters the index holds (on
PostgreSQL the lexemes of the tsvectors themselves). It only grows between rebuilds; a term no
document holds any more costs nothing but a fallback that finds nothing.

The tables are made by migration 0003 (raw SQL: Django has no model for them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from torget.core.search import text

TYPO_CANDIDATES = 100


@dataclass(frozen=True)
class Term:
    """One word of the query and what may stand in for it.

    `stem` is matched as a prefix when it is long enough. `alternatives` are other stems that
    count as the word (corrections of a typo, prefix matched); `parts` are the stems of a
    compound that, all present, count as the word.
    """

    word: str
    stem: str
    alternatives: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()

    @property
    def prefix(self) -> bool:
        return len(self.stem) >= text.PREFIX_MIN


@dataclass(frozen=True)
class Row:
    id: int
    kind: str
    total: int
    position: int


def vendor() -> str:
    return connection.vendor


# --- writing ----------------------------------------------------------------------------------


def index_write(document_id: int, *, title: str, body: str) -> None:
    """Put one document's text in the full-text index and its stems in the vocabulary."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The tsvector is a generated column: it is already up to date. Its lexemes are the
            # vocabulary.
            cursor.execute(
                "INSERT INTO core_searchterm (term) "
                "SELECT DISTINCT t FROM core_searchdocument d, "
                "unnest(tsvector_to_array(d.search_vector)) AS t "
                "WHERE d.id = %s AND length(t) BETWEEN %s AND %s "
                "ON CONFLICT (term) DO NOTHING",
                [document_id, text.TERM_MIN, text.TERM_MAX],
            )
            return
        # Deleted first: after a test database is flushed, ids start again from 1 while the
        # virtual table (unknown to Django) still holds rows.
        cursor.execute("DELETE FROM core_searchindex WHERE rowid = %s", [document_id])
        cursor.execute(
            "INSERT INTO core_searchindex (rowid, title, body) VALUES (%s, %s, %s)",
            [document_id, text.stem_text(title), text.stem_text(body)],
        )
        _terms_add_sqlite(cursor, text.vocabulary_terms(title, body))


def _terms_add_sqlite(cursor: object, terms: set[str]) -> None:
    if not terms:
        return
    known: set[str] = set()
    ordered = sorted(terms)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        cursor.execute(  # type: ignore[attr-defined]
            f"SELECT term FROM core_searchterm WHERE term IN ({marks})",  # noqa: S608 — placeholders only
            chunk,
        )
        known.update(row[0] for row in cursor.fetchall())  # type: ignore[attr-defined]
    new = [(term,) for term in ordered if term not in known]
    if new:
        cursor.executemany("INSERT INTO core_searchterm (term) VALUES (%s)", new)  # type: ignore[attr-defined]
        cursor.executemany(  # type: ignore[attr-defined]
            "INSERT INTO core_searchterm_trigram (term) VALUES (%s)", new
        )


def index_remove(document_ids: Sequence[int]) -> None:
    """Take documents out of the full-text index (PostgreSQL: the row's own column went with
    it)."""
    if connection.vendor != "sqlite" or not document_ids:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "DELETE FROM core_searchindex WHERE rowid = %s", [(i,) for i in document_ids]
        )


def index_clear() -> None:
    """Empty the full-text index and the vocabulary (before a rebuild of everything)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_searchterm")
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM core_searchindex")
            cursor.execute("DELETE FROM core_searchterm_trigram")


def index_prune() -> None:
    """SQLite: drop index rows whose document is gone (e.g. a test database flushed)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM core_searchindex WHERE rowid NOT IN (SELECT id FROM core_searchdocument)"
        )


def index_count() -> int:
    """How many documents the full-text index holds (SQLite: rows of the FTS table)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM core_searchindex")
        else:
            cursor.execute(
                "SELECT count(*) FROM core_searchdocument WHERE search_vector IS NOT NULL"
            )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def index_text(document_id: int) -> tuple[str, str] | None:
    """What the SQLite index holds for a document (stemmed title and body), for tests."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, body FROM core_searchindex WHERE rowid = %s", [document_id])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


# --- the vocabulary ---------------------------------------------------------------------------


def terms_known(stems: Iterable[str]) -> set[str]:
    """Those of `stems` that the vocabulary holds, or (long enough) begins some term with."""
    found: set[str] = set()
    with connection.cursor() as cursor:
        for stem in stems:
            if len(stem) < text.TERM_MIN:
                continue
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT 1 FROM core_searchterm WHERE term >= %s AND term < %s LIMIT 1",
                    [stem, stem + "\U0010ffff"],
                )
            else:
                cursor.execute(
                    "SELECT 1 FROM core_searchterm WHERE term = %s OR term LIKE %s LIMIT 1",
                    [stem, stem + "%"],
                )
            if cursor.fetchone():
                found.add(stem)
    return found


def terms_present(candidates: Iterable[str]) -> set[str]:
    """Those of `candidates` that are terms of the vocabulary, exactly."""
    wanted = sorted(set(candidates))
    if not wanted:
        return set()
    found: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT term FROM core_searchterm WHERE term IN ({marks})",  # noqa: S608 — placeholders only
                chunk,
            )
            found.update(row[0] for row in cursor.fetchall())
    return found


def terms_similar(stem: str, *, limit: int = 3, threshold: float = 0.35) -> list[str]:
    """Terms of the vocabulary that look like `stem` (trigram similarity at least `threshold`,
    pg_trgm's measure on both databases), the most similar first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT term FROM core_searchterm WHERE term %% %s "
                "ORDER BY similarity(term, %s) DESC, term LIMIT %s",
                [stem, stem, TYPO_CANDIDATES],
            )
        else:
            inner = sorted({stem[i : i + 3] for i in range(len(stem) - 2)})
            if not inner:
                return []
            cursor.execute(
                "SELECT term FROM core_searchterm_trigram WHERE core_searchterm_trigram "
                "MATCH %s ORDER BY rank LIMIT %s",
                [" OR ".join(f'"{gram}"' for gram in inner), TYPO_CANDIDATES],
            )
        candidates = [row[0] for row in cursor.fetchall()]
    scored = sorted(
        ((text.similarity(stem, term), term) for term in candidates if term != stem),
        key=lambda pair: (-pair[0], pair[1]),
    )
    return [term for score, term in scored if score >= threshold][:limit]


# --- the grouped query ------------------------------------------------------------------------


def _fts_string(stem: str, prefix: bool) -> str:
    return f'"{stem}"' + ("*" if prefix and len(stem) >= text.PREFIX_MIN else "")


def _fts_term(term: Term) -> str:
    options = [_fts_string(term.stem, term.prefix)]
    options += [_fts_string(a, True) for a in term.alternatives]
    if term.parts:
        options.append("(" + " AND ".join(_fts_string(p, True) for p in term.parts) + ")")
    return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"


def fts_match(terms: Sequence[Term], *, any_term: bool = False) -> str:
    """The FTS5 query for `terms`: every one of them (AND), or any (OR)."""
    return (" OR " if any_term else " AND ").join(_fts_term(t) for t in terms)


def _ts_string(stem: str, prefix: bool) -> str:
    return f"'{stem}'" + (":*" if prefix and len(stem) >= text.PREFIX_MIN else "")


def _ts_term(term: Term, *, words: bool) -> str:
    # At the first level the words themselves go to to_tsquery('norwegian'), which stems them
    # and drops stop words as the index did; later levels give stems to to_tsquery('simple').
    first = _ts_string(term.word if words else term.stem, term.prefix)
    options = [first]
    options += [_ts_string(a, True) for a in term.alternatives]
    if term.parts:
        options.append("(" + " & ".join(_ts_string(p, True) for p in term.parts) + ")")
    return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


def ts_query(terms: Sequence[Term], *, any_term: bool = False, words: bool = False) -> str:
    """The to_tsquery text for `terms` (see _ts_term)."""
    return (" | " if any_term else " & ").join(_ts_term(t, words=words) for t in terms)


# Scores: lower is better. The title counts 10 to 1 against the body (bm25's column weights;
# ts_rank's weights of A and B), and the viewer's language 1.25 times. TITLE_COVERAGE: a
# document scores up to 3 times better as the query's words make up more of its title ("Søke
# barnehageplass" is more about "barnehageplass" than "Foreldrebetaling i barnehagen" is).
# FTS5's bm25 normalises by the length of the whole document, so without it a long, thorough
# page loses to a short one that mentions the word once in its title.
TITLE_COVERAGE = 2.0

_SQLITE_HITS = """
    SELECT d.id, d.kind, d.object_id, d.language = %(language)s AS preferred,
           bm25(core_searchindex, 10.0, 1.0)
             * (CASE WHEN d.language = %(language)s THEN 1.25 ELSE 1.0 END)
             * (1.0 + COVERAGE) AS score
    FROM core_searchindex CROSS JOIN core_searchdocument d ON d.id = core_searchindex.rowid
    WHERE core_searchindex MATCH %(match)s AND d.municipality_id = %(municipality)s
"""
# The words of the title: the stemmed title in the FTS row, or title_vector's lexemes.
_SQLITE_TITLE = "(' ' || core_searchindex.title)"
_SQLITE_TITLE_WORDS = (
    "(length(core_searchindex.title) - length(replace(core_searchindex.title, ' ', '')) + 1)"
)
_POSTGRES_TITLE_WORDS = "greatest(length(d.title_vector), 1)"

_POSTGRES_HITS = """
    SELECT d.id, d.kind, d.object_id, d.language = %(language)s AS preferred,
           -ts_rank('{0.1, 0.1, 0.1, 1.0}', d.search_vector, q.ranking)
             * (CASE WHEN d.language = %(language)s THEN 1.25 ELSE 1.0 END)
             * (1.0 + COVERAGE) AS score
    FROM core_searchdocument d,
         (SELECT to_tsquery(CONFIG, %(match)s) AS query,
                 to_tsquery(CONFIG, %(ranking)s) AS ranking) q
    WHERE d.search_vector @@ q.query AND d.municipality_id = %(municipality)s
"""

# One result per thing (kind, object_id), in the viewer's language when there is one; then
# each kind's count and every result's place in its kind.
_GROUPED = """
WITH hits AS ({hits}{kind_filter}),
one AS (
    SELECT id, kind, score, row_number() OVER (
        PARTITION BY kind, object_id ORDER BY preferred DESC, score, id) AS pick
    FROM hits
),
ranked AS (
    SELECT id, kind, count(*) OVER (PARTITION BY kind) AS total,
           row_number() OVER (PARTITION BY kind ORDER BY score, id) AS position
    FROM one WHERE pick = 1
)
SELECT id, kind, total, position FROM ranked
WHERE position = 1 OR (position > %(offset)s AND position <= %(end)s)
ORDER BY kind, position
"""


def _title_options(term: Term) -> list[tuple[str, bool]]:
    """What counts the term as in the title: (stem, anywhere in a word?) for its stem, its
    stand-ins and the first part of a split compound. A stem of PREFIX_MIN letters or more
    counts anywhere in a title word ("plass" in "barnehageplass"), a shorter one only at the
    start of a word, and one shorter than TERM_MIN ("i", "om") not at all."""
    options = [term.stem, *term.alternatives, *term.parts[:1]]
    return [
        (option, len(option) >= text.PREFIX_MIN)
        for option in options
        if len(option) >= text.TERM_MIN
    ]


def _coverage(terms: Sequence[Term], params: dict[str, str | int], *, postgres: bool) -> str:
    """SQL for TITLE_COVERAGE times the share of the title's words the query's terms match
    (at most 1). The title's words: the stemmed title in the FTS row (SQLite); the lexemes of
    title_vector as text, each in quotes (PostgreSQL: stop words left out)."""
    if postgres:
        title, words, start = "d.title_vector::text", _POSTGRES_TITLE_WORDS, "''''"
    else:
        title, words, start = _SQLITE_TITLE, _SQLITE_TITLE_WORDS, "' '"
    found = []
    for i, term in enumerate(terms):
        options = []
        for j, (option, anywhere) in enumerate(_title_options(term)):
            params[f"t{i}_{j}"] = option
            needle = f"%(t{i}_{j})s" if anywhere else f"{start} || %(t{i}_{j})s"
            options.append(f"{'strpos' if postgres else 'instr'}({title}, {needle}) > 0")
        if options:
            found.append("(CASE WHEN " + " OR ".join(options) + " THEN 1.0 ELSE 0.0 END)")
    if not found:
        return "0.0"
    least = "least" if postgres else "min"
    return f"{TITLE_COVERAGE} * {least}(1.0, ({' + '.join(found)}) / {words})"


def grouped(
    *,
    terms: Sequence[Term],
    municipality_id: int,
    language: str,
    kind: str | None,
    offset: int,
    limit: int,
    any_term: bool = False,
    words: bool = False,
) -> list[Row]:
    """Run one full-text query for `terms` (all of them, or any when `any_term`): per kind its
    number of results, the first result, and those at positions offset+1 .. offset+limit.

    On PostgreSQL `words` sends the query's words through to_tsquery('norwegian') (stemmed
    and stop words dropped as in the index); otherwise stems go to to_tsquery('simple').
    """
    params: dict[str, str | int] = {
        "municipality": municipality_id,
        "language": language,
        "kind": kind or "",
        "offset": offset,
        "end": offset + limit,
    }
    # Only fixed pieces of SQL and parameter names are put together here; every value is a
    # parameter.
    if connection.vendor == "postgresql":
        params["match"] = ts_query(terms, any_term=any_term, words=words)
        # Ranked as if any term would do: ts_rank of an AND query weighs how close together
        # the terms stand, and then a short page where they happen to touch beats the page
        # that is about them. Of OR it weighs how often and where (title, body) they occur.
        params["ranking"] = ts_query(terms, any_term=True, words=words)
        config = "'norwegian'" if words else "'simple'"
        hits = _POSTGRES_HITS.replace("COVERAGE", _coverage(terms, params, postgres=True))
        hits = hits.replace("CONFIG", config)
    else:
        params["match"] = fts_match(terms, any_term=any_term)
        hits = _SQLITE_HITS.replace("COVERAGE", _coverage(terms, params, postgres=False))
    sql = _GROUPED.format(hits=hits, kind_filter=" AND d.kind = %(kind)s" if kind else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Row(int(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in cursor.fetchall()]

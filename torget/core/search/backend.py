"""The database side of search: the full-text index, the vocabulary, the counts and the best
matches of each kind.

Two implementations behind the same functions, chosen by the connection's vendor:

- SQLite: `core_searchindex`, an FTS5 table (rowid = SearchDocument.id) of the stemmed title
  and body (text.stem_text), ranked by bm25 with the title weighted 10 to 1 against the body;
  `core_searchkey`, a narrow copy of each document's municipality, kind, object and language
  to join and look up instead of the wide core_searchdocument; `core_searchterm_trigram`, an
  FTS5 trigram table of the vocabulary, finds terms that look like a misspelt word.
- PostgreSQL: `search_vector`, a stored generated column of core_searchdocument
  (setweight(to_tsvector('norwegian', title), 'A') || ... body 'B') with a GIN index, ranked by
  ts_rank with the same 10 to 1 weights; pg_trgm's `%` on the vocabulary finds misspellings.

Both keep `core_searchterm`, the vocabulary: every stem of 3 to 40 letters the index holds (on
PostgreSQL the lexemes of the tsvectors themselves). It only grows between rebuilds; a term no
document holds any more costs nothing but a fallback that finds nothing.

The tables are made by migrations 0003 and 0004 (raw SQL: Django has no model for them);
0005 indexes core_searchkey (SQLite) and core_searchdocument (PostgreSQL) by municipality and
language (is a municipality's index all in one language, see `counts`); 0006 rebuilds the FTS5
table with prefix indexes of 4 to 12 letters (the query's stems are matched as prefixes). A
later migration that alters core_searchdocument's title or body on PostgreSQL must drop and
re-add search_vector around the change (a generated column depends on them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from torget.core.search import registry, text

TYPO_CANDIDATES = 100
TYPO_LENGTH = 2


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
        cursor.execute(
            "INSERT OR REPLACE INTO core_searchkey "
            "(id, municipality_id, kind, object_id, language) "
            "SELECT id, municipality_id, kind, object_id, language FROM core_searchdocument "
            "WHERE id = %s",
            [document_id],
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
        rows = [(i,) for i in document_ids]
        cursor.executemany("DELETE FROM core_searchindex WHERE rowid = %s", rows)
        cursor.executemany("DELETE FROM core_searchkey WHERE id = %s", rows)


def index_clear() -> None:
    """Empty the full-text index and the vocabulary (before a rebuild of everything)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_searchterm")
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM core_searchindex")
            cursor.execute("DELETE FROM core_searchkey")
            cursor.execute("DELETE FROM core_searchterm_trigram")


def index_prune() -> None:
    """SQLite: drop index rows whose document is gone (e.g. a test database flushed)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM core_searchindex WHERE rowid NOT IN (SELECT id FROM core_searchdocument)"
        )
        cursor.execute(
            "DELETE FROM core_searchkey WHERE id NOT IN (SELECT id FROM core_searchdocument)"
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


def documents(ids: Sequence[int], *, body: bool = False) -> list[tuple[Any, ...]]:
    """(id, title) of the documents `ids`, or (id, title, body, url, language) with `body`.
    Plain SQL: it runs twice for every search, and the ORM's own cost would show."""
    if not ids:
        return []
    columns = "id, title, body, url, language" if body else "id, title"
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM core_searchdocument WHERE id IN ({marks})",  # noqa: S608 — fixed columns, placeholders
            list(ids),
        )
        return list(cursor.fetchall())


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
    # A typo changes a letter or two: a term much longer or shorter is another word (often a
    # compound that merely contains this one).
    scored = sorted(
        (
            (text.similarity(stem, term), term)
            for term in candidates
            if term != stem and abs(len(term) - len(stem)) <= TYPO_LENGTH
        ),
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


# --- the queries ------------------------------------------------------------------------------

# Scores: lower is better. The title counts 10 to 1 against the body (bm25's column weights;
# ts_rank's weights of A and B), and the viewer's language 1.25 times. On SQLite the matches
# are joined to core_searchkey, a narrow copy of each document's municipality, kind, object
# and language: a look-up there costs a fraction of one in the wide core_searchdocument.
_SQLITE_FROM = """
    FROM core_searchindex CROSS JOIN core_searchkey d ON d.id = core_searchindex.rowid
    WHERE core_searchindex MATCH %(match)s AND d.municipality_id = %(municipality)s
"""
_SQLITE_SCORE = """bm25(core_searchindex, 10.0, 1.0)
    * (CASE WHEN d.language = %(language)s THEN 1.25 ELSE 1.0 END)"""

_POSTGRES_FROM = """
    FROM core_searchdocument d, (SELECT to_tsquery(CONFIG, %(match)s) AS query,
                                        to_tsquery(CONFIG, %(ranking)s) AS ranking) q
    WHERE d.search_vector @@ q.query AND d.municipality_id = %(municipality)s
"""
_POSTGRES_SCORE = """-ts_rank('{0.1, 0.1, 0.1, 1.0}', d.search_vector, q.ranking)
    * (CASE WHEN d.language = %(language)s THEN 1.25 ELSE 1.0 END)"""


@dataclass(frozen=True)
class Hit:
    id: int
    object_id: int
    language: str
    score: float
    # The document's title when the query that found it had it at hand (for the re-ranking).
    title: str | None = None


def _query(
    terms: Sequence[Term], params: dict[str, str | int], *, any_term: bool, words: bool
) -> tuple[str, str]:
    """The FROM ... WHERE and the score of a query for `terms`, its parameters put in `params`.

    On PostgreSQL `words` sends the query's words through to_tsquery('norwegian') (stemmed
    and stop words dropped as in the index); otherwise stems go to to_tsquery('simple').
    """
    if connection.vendor == "postgresql":
        params["match"] = ts_query(terms, any_term=any_term, words=words)
        # Ranked as if any term would do: ts_rank of an AND query weighs how close together
        # the terms stand, and then a short page where they happen to touch beats the page
        # that is about them. Of OR it weighs how often and where (title, body) they occur.
        params["ranking"] = ts_query(terms, any_term=True, words=words)
        config = "'norwegian'" if words else "'simple'"
        return _POSTGRES_FROM.replace("CONFIG", config), _POSTGRES_SCORE
    params["match"] = fts_match(terms, any_term=any_term)
    return _SQLITE_FROM, _SQLITE_SCORE


def counts(
    terms: Sequence[Term],
    *,
    municipality_id: int,
    kind: str | None,
    any_term: bool = False,
    words: bool = False,
) -> dict[str, int]:
    """How many things (kind, object) of `municipality_id` match, per kind."""
    params: dict[str, str | int] = {"municipality": municipality_id, "kind": kind or ""}
    where, _score = _query(terms, params, any_term=any_term, words=words)
    # A thing has one document per language (unique kind, object, language): where the
    # municipality's documents are all in one language, every match is another thing, and
    # the count need not sort them to tell them apart.
    things = "count(*)" if _one_language(municipality_id) else "count(DISTINCT d.object_id)"
    # Only fixed pieces of SQL are put together here; every value is a parameter.
    sql = (
        f"SELECT d.kind, {things}"
        + where
        + (" AND d.kind = %(kind)s" if kind else "")
        + " GROUP BY d.kind"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {str(kind_): int(count) for kind_, count in cursor.fetchall()}


def _one_language(municipality_id: int) -> bool:
    """SQLite: whether every document `municipality_id` has in the index is in the same
    language (two seeks in core_searchkey_language, migration 0005). On PostgreSQL the
    statements ask it themselves."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT min(language) FROM core_searchkey WHERE municipality_id = %s), "
            "(SELECT max(language) FROM core_searchkey WHERE municipality_id = %s)",
            [municipality_id, municipality_id],
        )
        row = cursor.fetchone()
    return bool(row) and row[0] == row[1]


def top(
    terms: Sequence[Term],
    *,
    municipality_id: int,
    language: str,
    kind: str,
    limit: int,
    any_term: bool = False,
    words: bool = False,
) -> list[Hit]:
    """The best `limit` matching documents of one kind, best first (every language)."""
    params: dict[str, str | int] = {
        "municipality": municipality_id,
        "kind": kind,
        "language": language,
        "limit": limit,
    }
    where, score = _query(terms, params, any_term=any_term, words=words)
    # Only fixed pieces of SQL are put together here; every value is a parameter.
    sql = (
        f"SELECT d.id, d.object_id, d.language, {score} AS score"
        + where
        + " AND d.kind = %(kind)s ORDER BY score, d.id LIMIT %(limit)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(int(r[0]), int(r[1]), str(r[2]), float(r[3])) for r in cursor.fetchall()]


def matches(
    terms: Sequence[Term],
    *,
    municipality_id: int,
    language: str,
    kind: str | None,
    limit: int,
    any_term: bool = False,
    words: bool = False,
    with_hits: bool = True,
    known: dict[str, int] | None = None,
) -> tuple[dict[str, int], dict[str, list[Hit]] | None]:
    """How many things match per kind, and, when `with_hits`, the best `limit` documents of
    each kind, best first. `known`: the counts of the same query, already found.

    The scan and the ranking of every match are the cost. PostgreSQL: the count and each
    kind's top-N in one statement over one scan (_counts_and_top_postgres). SQLite: the top-N
    from FTS5 alone where it can (_top_sqlite_unjoined), and the count from those same rows
    when they are every match; otherwise a count, then a top-N per kind (a top-N sort per kind
    after a bare count costs less than sorting every match for window functions: measured on
    the 10,000 pages of bench/search.py).
    """
    if with_hits and known is None and connection.vendor == "postgresql":
        return _counts_and_top_postgres(
            terms,
            municipality_id=municipality_id,
            language=language,
            kind=kind,
            limit=limit,
            any_term=any_term,
            words=words,
        )
    best: dict[str, list[Hit]] = {}
    found_counts = known
    if connection.vendor == "sqlite" and with_hits:
        found_counts, best = _top_sqlite_unjoined(
            terms,
            municipality_id=municipality_id,
            language=language,
            kind=kind,
            known=known,
            limit=limit,
            any_term=any_term,
        )
    if found_counts is None:
        found_counts = counts(
            terms, municipality_id=municipality_id, kind=kind, any_term=any_term, words=words
        )
    if not with_hits:
        return found_counts, None
    for found in found_counts:
        if found not in best:
            best[found] = top(
                terms,
                municipality_id=municipality_id,
                language=language,
                kind=found,
                limit=limit,
                any_term=any_term,
                words=words,
            )
    return found_counts, best


def _counts_and_top_postgres(
    terms: Sequence[Term],
    *,
    municipality_id: int,
    language: str,
    kind: str | None,
    limit: int,
    any_term: bool,
    words: bool,
) -> tuple[dict[str, int], dict[str, list[Hit]]]:
    """PostgreSQL: the count per kind and the best `limit` of each kind (with their titles) in
    one statement, from one scan of the matches (materialised once; the count and each kind's
    top-N read that). The scan and the @@ of every row are most of the cost, and a count then
    a top-N paid them twice. The same rows and order as `counts` and `top`: the same score,
    ORDER BY score, id."""
    params: dict[str, str | int] = {
        "municipality": municipality_id,
        "kind": kind or "",
        "language": language,
        "limit": limit,
    }
    where, score = _query(terms, params, any_term=any_term, words=words)
    # Only fixed pieces of SQL are put together here; every value is a parameter.
    sql = (
        f"WITH m AS MATERIALIZED (SELECT d.id, d.kind, d.object_id, d.language, {score} AS score"  # noqa: S608 — fixed pieces, placeholders
        + where
        + (" AND d.kind = %(kind)s" if kind else "")
        # One document per thing and language: in a municipality of one language (two seeks
        # in core_searchdocument_language, migration 0005) each match is another thing.
        # Else the things are told apart (grouped, which hashes them; count(DISTINCT) would
        # sort every match). Only one branch runs: the other's one-time filter is false.
        + "), one AS (SELECT (SELECT min(language) FROM core_searchdocument "
        "WHERE municipality_id = %(municipality)s) = (SELECT max(language) "
        "FROM core_searchdocument WHERE municipality_id = %(municipality)s) AS yes), "
        "c AS (SELECT kind, count(*) AS total FROM m WHERE (SELECT yes FROM one) GROUP BY kind "
        "UNION ALL SELECT kind, count(*) FROM (SELECT kind, object_id FROM m "
        "WHERE NOT (SELECT yes FROM one) GROUP BY kind, object_id) t GROUP BY kind) "
        "SELECT c.kind, c.total, t.id, t.object_id, t.language, t.score, doc.title "
        "FROM c CROSS JOIN LATERAL (SELECT id, object_id, language, score FROM m "
        "WHERE m.kind = c.kind ORDER BY score, id LIMIT %(limit)s) t "
        "JOIN core_searchdocument doc ON doc.id = t.id ORDER BY c.kind, t.score, t.id"
    )
    found_counts: dict[str, int] = {}
    best: dict[str, list[Hit]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind_, total, id_, object_id, language_, score_, title in cursor.fetchall():
            found_counts[str(kind_)] = int(total)
            best.setdefault(str(kind_), []).append(
                Hit(int(id_), int(object_id), str(language_), float(score_), str(title))
            )
    return found_counts, best


def _top_sqlite_unjoined(
    terms: Sequence[Term],
    *,
    municipality_id: int,
    language: str,
    kind: str | None,
    known: dict[str, int] | None,
    limit: int,
    any_term: bool,
) -> tuple[dict[str, int] | None, dict[str, list[Hit]]]:
    """SQLite: the best of each kind from one bare FTS5 query (the index's own top-N, no join
    per match), then the keys (and titles) of those rows alone. The rows are a prefix of the
    ranking of every document, so each kind's share of the first `limit` × kinds of them is
    that kind's best, in order; a kind with fewer there than it needs (other municipalities or
    kinds took the places) is left out, and `matches` asks for it with the joined query.

    Without `known` counts, the window is `limit` × the registered kinds (one kind when
    `kind` is given): when fewer rows than that come back, they are every match of every
    municipality, and the counts are taken from their keys (no count over the join). Else the
    counts are None, for `matches` to count."""
    match = fts_match(terms, any_term=any_term)
    if known is not None:
        window = limit * len(known)
    else:
        window = limit * (1 if kind else max(1, len(registry.kind_list())))
    rows = _unjoined_rows(match, window)
    keys = _keys([row[0] for row in rows])
    found_counts = known
    if found_counts is None and len(rows) < window:
        things: dict[str, set[int]] = {}
        for id_, _score in rows:
            key = keys.get(id_)
            if key is None or key[0] != municipality_id or (kind and key[1] != kind):
                continue
            things.setdefault(key[1], set()).add(key[2])
        found_counts = {kind_: len(objects) for kind_, objects in things.items()}
    if found_counts is None:
        found_counts = counts(terms, municipality_id=municipality_id, kind=kind, any_term=any_term)
        wanted = limit * len(found_counts)
        if wanted > window:
            # More kinds matched than are registered: a longer prefix of the same ranking.
            window = wanted
            rows = _unjoined_rows(match, window)
            keys = _keys([row[0] for row in rows])
    # The first `limit` × matched kinds rows: the same rows a query with that LIMIT returns
    # (the order is total: score, rowid).
    window = limit * len(found_counts)
    rows = rows[:window]
    found: dict[str, list[Hit]] = {kind_: [] for kind_ in found_counts}
    for id_, score in rows:
        key = keys.get(id_)
        if key is None or key[0] != municipality_id or key[1] not in found:
            continue
        boost = 1.25 if key[3] == language else 1.0
        found[key[1]].append(Hit(int(id_), int(key[2]), str(key[3]), float(score) * boost, key[4]))
    complete = len(rows) < window
    return found_counts, {
        kind_: sorted(hits, key=lambda h: (h.score, h.id))
        for kind_, hits in found.items()
        if complete or len({h.object_id for h in hits}) >= min(found_counts[kind_], limit)
    }


def _unjoined_rows(match: str, window: int) -> list[tuple[int, float]]:
    """SQLite: (rowid, bm25) of the best `window` rows of the FTS5 index for `match`, every
    municipality and kind."""
    if window <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid, bm25(core_searchindex, 10.0, 1.0) FROM core_searchindex "
            "WHERE core_searchindex MATCH %s ORDER BY 2, rowid LIMIT %s",
            [match, window],
        )
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]


def _keys(ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
    """SQLite: (municipality, kind, object, language, title) of the documents `ids`."""
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k.id, k.municipality_id, k.kind, k.object_id, k.language, d.title "  # noqa: S608 — placeholders only
            "FROM core_searchkey k LEFT JOIN core_searchdocument d ON d.id = k.id "
            f"WHERE k.id IN ({marks})",
            list(ids),
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}

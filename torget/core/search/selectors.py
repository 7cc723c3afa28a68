"""Reading the search index: the grouped results of a query, and the misses staff look at.

How a query is matched (the same on SQLite and PostgreSQL, see backend.py for the SQL):

1. Words. The query is cut into words (letters and digits) and each is stemmed with Snowball's
   `norwegian` ("barnehagen" -> "barnehag"). Every word must match (AND). A stem of four
   letters or more matches as a prefix, which also finds compounds that begin with it
   ("barnehag*" finds "barnehageplass") and words typed half-way ("barnehageplas").
   Results: bm25 (SQLite) or ts_rank (PostgreSQL), title 10 to 1 against the body, the
   viewer's language 1.25 times better, one result per thing in the best language.
2. Fallbacks, only when step 1 found fewer than FEW_RESULTS: each word the vocabulary does not
   know (no indexed term equals or begins with its stem) gets stand-ins: the parts of a
   compound split into known terms ("foreldrebetalingen" -> foreldr + betaling), and up to
   three known terms that look like it by trigram similarity (pg_trgm's measure; candidates
   from pg_trgm's index on PostgreSQL and from an FTS5 trigram table on SQLite), for typos
   ("barnehgae" -> barnehag). The query runs again with the stand-ins, every word still
   required; a word with no stand-in and no match is dropped.
3. If that finds nothing and the query had several words, any word may match (OR).

The common query costs one SQL statement plus one to load the shown documents; the fallbacks
cost a few indexed look-ups in the vocabulary and one or two more statements.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeString

from torget.core.models import SearchDocument, SearchMiss
from torget.core.search import backend, registry, text
from torget.core.search.backend import Row, Term

FEW_RESULTS = 3
PER_GROUP = 5
PER_PAGE = 20
MAX_QUERY = 200
MISS_DAYS = 30
MISSES_PER_PAGE = 50


@dataclass(frozen=True)
class SearchHit:
    kind: str
    title: SafeString
    snippet: SafeString
    url: str
    language: str


@dataclass
class SearchGroup:
    kind: str
    label: str | Promise
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_more(self) -> bool:
        """More results than this group shows on the overview."""
        return self.total > len(self.hits)


@dataclass
class SearchResults:
    query: str
    groups: list[SearchGroup]
    kind: str | None = None
    page: int = 1
    # "words", "fallback" or "any": how the results were found (see the module docstring).
    level: str = "words"
    marked: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)


def search(
    *,
    municipality_id: int,
    query: str,
    language: str,
    kind: str | None = None,
    page: int = 1,
    per_group: int = PER_GROUP,
    per_page: int = PER_PAGE,
) -> SearchResults:
    """Search one municipality's documents for `query`, grouped by kind in registry order.

    Without `kind`: every kind with results, each with its count and its first `per_group`
    results. With `kind`: that kind alone, page `page` of `per_page` results (a page past the
    end shows the last). Only `municipality_id`'s documents are ever read. Documents in
    `language` rank higher, others still show. `query` longer than MAX_QUERY is cut.
    """
    words = text.query_words(query[:MAX_QUERY])
    results = SearchResults(query=query, groups=[], kind=kind, page=max(1, page))
    if not words:
        return results
    stems = text.stems(words)
    terms = [Term(word=w, stem=s) for w, s in zip(words, stems, strict=True)]
    limit = per_page if kind else per_group
    offset = (results.page - 1) * per_page if kind else 0

    def run(chosen: list[Term], *, any_term: bool = False, first: bool = False) -> list[Row]:
        return backend.grouped(
            terms=chosen,
            municipality_id=municipality_id,
            language=language,
            kind=kind,
            offset=offset,
            limit=limit,
            any_term=any_term,
            words=first,
        )

    rows = run(terms, first=True)
    marked = set(stems)
    if _found(rows) < FEW_RESULTS:
        expanded = _expand(terms)
        if expanded is not None:
            marked |= {a for t in expanded for a in (*t.alternatives, *t.parts)}
            more = run(expanded)
            if more:
                rows, results.level = more, "fallback"
            elif len(expanded) > 1:
                more = run(expanded, any_term=True)
                if more:
                    rows, results.level = more, "any"
        elif not rows and len(terms) > 1:
            more = run(terms, any_term=True)
            if more:
                rows, results.level = more, "any"
    results.marked = tuple(sorted(marked))
    if kind and rows:
        last = max(1, math.ceil(rows[0].total / per_page))
        if results.page > last:
            return search(
                municipality_id=municipality_id,
                query=query,
                language=language,
                kind=kind,
                page=last,
                per_group=per_group,
                per_page=per_page,
            )
    results.groups = _groups(rows, results, offset=offset, limit=limit, per_page=per_page)
    return results


def _found(rows: list[Row]) -> int:
    return sum(row.total for row in rows if row.position == 1)


def _expand(terms: list[Term]) -> list[Term] | None:
    """The terms with stand-ins for the words the vocabulary does not know, or None when
    nothing could be added (see the module docstring, step 2)."""
    known = backend.terms_known(t.stem for t in terms)
    unknown = [t for t in terms if t.stem not in known and len(t.stem) >= text.TERM_MIN]
    if not unknown:
        return None
    candidates: set[str] = set()
    for term in unknown:
        candidates |= text.compound_candidates(term.word)
    present = backend.terms_present(candidates)
    expanded: list[Term] = []
    added = False
    for term in terms:
        if term not in unknown:
            if len(term.stem) >= text.TERM_MIN:
                expanded.append(term)
            continue
        parts = text.compound_split(term.word, present)
        similar = backend.terms_similar(term.stem) if len(term.stem) >= text.PREFIX_MIN else []
        if parts or similar:
            added = True
            expanded.append(
                Term(
                    word=term.word,
                    stem=term.stem,
                    alternatives=tuple(similar),
                    parts=tuple(parts or ()),
                )
            )
    return expanded if added and expanded else None


def _groups(
    rows: list[Row], results: SearchResults, *, offset: int, limit: int, per_page: int
) -> list[SearchGroup]:
    shown = [r for r in rows if offset < r.position <= offset + limit]
    documents = {
        d.pk: d
        for d in SearchDocument.objects.filter(pk__in=[r.id for r in shown]).only(
            "pk", "kind", "title", "body", "url", "language"
        )
    }
    by_kind: dict[str, SearchGroup] = {}
    hits: dict[str, list[tuple[int, SearchHit]]] = defaultdict(list)
    for row in rows:
        if row.kind not in by_kind:
            found = registry.kind_get(row.kind)
            by_kind[row.kind] = SearchGroup(
                kind=row.kind,
                label=found.label,
                total=row.total,
                page=results.page if results.kind else 1,
                per_page=per_page,
            )
        document = documents.get(row.id)
        if document is None or not offset < row.position <= offset + limit:
            continue
        hits[row.kind].append(
            (
                row.position,
                SearchHit(
                    kind=row.kind,
                    title=text.highlight(document.title, results.marked),
                    snippet=text.snippet(document.body, results.marked),
                    url=document.url,
                    language=document.language,
                ),
            )
        )
    for kind, group in by_kind.items():
        group.hits = [hit for _position, hit in sorted(hits[kind], key=lambda pair: pair[0])]
    return sorted(by_kind.values(), key=lambda g: registry.sort_key(g.kind))


# --- misses -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MissRow:
    query: str
    total: int
    last_seen: datetime.datetime


def search_miss_page(
    *, municipality_id: int, page: int | str | None, days: int = MISS_DAYS
) -> Page:
    """One page (50) of the queries that found nothing in the last `days` days, the most
    frequent first, each with its count and when it was last asked. One query per page plus
    the count."""
    since = timezone.localdate() - datetime.timedelta(days=days - 1)
    rows: QuerySet = (
        SearchMiss.objects.filter(municipality_id=municipality_id, day__gte=since)
        .values("query")
        .annotate(total=Sum("count"), last_seen=Max("last_at"))
        .order_by("-total", "-last_seen", "query")
    )
    return Paginator(rows, MISSES_PER_PAGE).get_page(page)

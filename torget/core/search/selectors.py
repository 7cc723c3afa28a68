"""Reading the search index: the grouped results of a query, and the misses staff look at.

How a query is matched (the same on SQLite and PostgreSQL, see backend.py for the SQL):

1. Words. The query is cut into words (letters and digits) and each is stemmed with Snowball's
   `norwegian` ("barnehagen" -> "barnehag"). Every word must match (AND). A stem of four
   letters or more matches as a prefix, which also finds compounds that begin with it
   ("barnehag*" finds "barnehageplass") and words typed half-way ("barnehageplas").
   Scores: bm25 (SQLite) or ts_rank (PostgreSQL), title 10 to 1 against the body, the
   viewer's language 1.25 times better; one result per thing, in the viewer's language when
   it has one. The best RERANK of each kind are then re-ranked by how much of their title the
   query covers (see TITLE_COVERAGE).
2. Fallbacks, only when step 1 found fewer than FEW_RESULTS: each word the vocabulary does not
   know (no indexed term equals or begins with its stem) gets stand-ins: the parts of a
   compound split into known terms ("foreldrebetalingen" -> foreldr + betaling), and up to
   three known terms that look like it by trigram similarity (pg_trgm's measure; candidates
   from pg_trgm's index on PostgreSQL and from an FTS5 trigram table on SQLite; at most two
   letters longer or shorter), for typos ("barnehgae" -> barnehag), asked only for a word that
   does not split into known words. The query runs again with the stand-ins, every word still
   required; a word with no stand-in and no match is dropped.
3. If that finds nothing and the query had several words, any word may match (OR).

The common query costs the count per kind, the best of each kind with their titles (for the
re-ranking), and the shown documents: two statements on PostgreSQL (backend.matches finds the
counts and the best in one), three or four on SQLite; the fallbacks cost a few indexed
look-ups in the vocabulary and one or two more searches.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeString

from torget.core.models import SearchDocument, SearchMiss
from torget.core.search import backend, registry, text
from torget.core.search.backend import Hit, Term

FEW_RESULTS = 3
# The first RERANK results by score are re-ranked by how much of their title the query covers:
# a document scores up to 1 + TITLE_COVERAGE times better when the query's words make up its
# whole title ("Søke barnehageplass" is more about "barnehageplass" than "Foreldrebetaling i
# barnehagen" is). FTS5's bm25 normalises by the length of the whole document, so without it a
# long, thorough page loses to a short one that mentions the word once in its title.
RERANK = 50
TITLE_COVERAGE = 2.0
# Rows fetched beyond those shown, for other language versions of the same things.
EXTRA_LANGUAGES = 10
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
    `language` rank higher, others still show (one result per thing, in `language` when the
    thing has it). `query` longer than MAX_QUERY is cut.
    """
    words = text.query_words(query[:MAX_QUERY])
    results = SearchResults(query=query, groups=[], kind=kind, page=max(1, page))
    if not words:
        return results
    stems = text.stems(words)
    terms = [Term(word=w, stem=s) for w, s in zip(words, stems, strict=True)]

    if kind:
        start, stop = (results.page - 1) * per_page, results.page * per_page
    else:
        start, stop = 0, per_group
    # A few more than shown: the first RERANK are re-ranked, and other languages of the same
    # things are dropped.
    limit = max(stop, RERANK) + EXTRA_LANGUAGES

    def run(
        chosen: list[Term],
        *,
        any_term: bool = False,
        first: bool = False,
        with_hits: bool = True,
        known: dict[str, int] | None = None,
    ) -> tuple[dict[str, int], dict[str, list[Hit]] | None]:
        return backend.matches(
            chosen,
            municipality_id=municipality_id,
            language=language,
            kind=kind,
            limit=limit,
            any_term=any_term,
            words=first,
            with_hits=with_hits,
            known=known,
        )

    chosen, any_term, first = terms, False, True
    totals, hits = run(terms, first=True)
    marked = set(stems)
    if sum(totals.values()) < FEW_RESULTS:
        expanded = _expand(terms)
        if expanded is not None:
            marked |= {a for t in expanded for a in (*t.alternatives, *t.parts)}
            more, more_hits = run(expanded)
            if more:
                totals, hits, chosen, first = more, more_hits, expanded, False
                results.level = "fallback"
            elif len(expanded) > 1:
                more, more_hits = run(expanded, any_term=True)
                if more:
                    totals, hits, chosen, any_term, first = more, more_hits, expanded, True, False
                    results.level = "any"
        elif not totals and len(terms) > 1:
            more, more_hits = run(terms, any_term=True)
            if more:
                totals, hits, any_term, results.level = more, more_hits, True, "any"
    if kind and totals.get(kind, 0) and results.page > math.ceil(totals[kind] / per_page):
        # A page past the end: the last page (its rows are within those fetched only if the
        # limit covers it, so ask again).
        return search(
            municipality_id=municipality_id,
            query=query,
            language=language,
            kind=kind,
            page=math.ceil(totals[kind] / per_page),
            per_group=per_group,
            per_page=per_page,
        )
    if hits is None and totals:
        totals, hits = run(chosen, any_term=any_term, first=first, with_hits=True, known=totals)
    results.marked = tuple(sorted(marked))
    groups: list[tuple[SearchGroup, list[int]]] = []
    for found_kind in sorted(totals, key=registry.sort_key):
        group = SearchGroup(
            kind=found_kind,
            label=registry.kind_get(found_kind).label,
            total=totals[found_kind],
            page=results.page if kind else 1,
            per_page=per_page,
        )
        ranked = _ranked((hits or {}).get(found_kind, []), language=language, terms=chosen)
        groups.append((group, ranked[start:stop]))
    _render(groups, results.marked)
    results.groups = [group for group, _ids in groups]
    return results


def _ranked(hits: list[Hit], *, language: str, terms: list[Term]) -> list[int]:
    """The ids of `hits` in their final order: one per thing (its version in `language`, else
    its best), and the first RERANK re-ranked by how much of the title the query covers."""
    best: dict[int, Hit] = {}
    for hit in hits:
        held = best.get(hit.object_id)
        if held is None or (hit.language == language and held.language != language):
            best[hit.object_id] = hit
    order = sorted(best.values(), key=lambda h: (h.score, h.id))
    window, rest = order[:RERANK], order[RERANK:]
    titles = {h.id: h.title for h in window if h.title is not None}
    missing = [h.id for h in window if h.title is None]
    titles.update((pk, title) for pk, title, *_rest in backend.documents(missing))
    options = [[o for o in (t.stem, *t.alternatives, *t.parts[:1]) if len(o) >= 3] for t in terms]

    def final(hit: Hit) -> tuple[float, int]:
        title = text.title_stems(titles.get(hit.id, ""))
        matched = sum(
            any(
                any((o in w) if len(o) >= text.PREFIX_MIN else w.startswith(o) for w in title)
                for o in opts
            )
            for opts in options
            if opts
        )
        coverage = min(1.0, matched / max(len(title), 1))
        return (hit.score * (1 + TITLE_COVERAGE * coverage), hit.id)

    return [h.id for h in sorted(window, key=final)] + [h.id for h in rest]


def _render(groups: list[tuple[SearchGroup, list[int]]], marked: tuple[str, ...]) -> None:
    """Give each group its hits, the documents `ids`, titles and snippets marked (one query)."""
    ids = [i for _group, group_ids in groups for i in group_ids]
    documents = {
        pk: SearchDocument(pk=pk, title=title, body=body, url=url, language=language)
        for pk, title, body, url, language in backend.documents(ids, body=True)
    }
    for group, group_ids in groups:
        group.hits = [
            SearchHit(
                kind=group.kind,
                title=text.highlight(documents[i].title, marked),
                snippet=text.snippet(documents[i].body, marked),
                url=documents[i].url,
                language=documents[i].language,
            )
            for i in group_ids
            if i in documents
        ]


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
        # A word that splits into known words is a compound, not a typo: no look-alikes (they
        # would be its parts' other compounds, and find far too much).
        similar = (
            backend.terms_similar(term.stem)
            if not parts and len(term.stem) >= text.PREFIX_MIN
            else []
        )
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


# --- misses -------------------------------------------------------------------------------------


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

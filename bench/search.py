"""Site search on 10,000 information pages of Norwegian text, against the bare full-text query.

One Python process per database (SQLite in a temporary folder; PostgreSQL, a fresh database on
127.0.0.1:5432 dropped afterwards) loads 10,000 information pages (kind "page") through
`torget.core.search.index.document_upsert`, the call the services app makes when a page is
saved. The text is generated deterministically (seed SEED) from a vocabulary of real Norwegian
municipal words: nouns in their inflected forms, compounds, verbs and adjectives put into
sentences of the kind municipal pages are written in; every page has a few topic words that
recur, the rest of its words drawn with Zipf-like frequencies.

It then runs 200 queries residents type (single words, inflected forms, compounds found in the
text and compounds that are not, two-word phrases, and a few typos), each through:

- ours: `torget.core.search.selectors.search(municipality_id, query, language="nb")`, exactly
  what /sok/ calls: stemming, the full-text query with prefixes, one result per page, the
  counts per kind and the first five of each, the fallbacks (compounds, typos, any word) when
  too little is found, and the documents loaded with their titles and snippets marked;
- raw: the bare full-text query for the same words on the same connection: on SQLite
  `SELECT rowid FROM core_searchindex WHERE core_searchindex MATCH '"stem" "stem"' ORDER BY
  bm25(core_searchindex, 10.0, 1.0) LIMIT 20`, on PostgreSQL `SELECT id FROM
  core_searchdocument WHERE search_vector @@ plainto_tsquery('norwegian', q) ORDER BY
  ts_rank(search_vector, plainto_tsquery('norwegian', q)) DESC LIMIT 20` (the first page of
  ranked results; no prefixes, no fallbacks, no grouping, no snippets).

Every query runs once to warm up, then ROUNDS times, ours and raw taking turns going first.
The figures are p50 and p95 over all runs in ms; ratio.p95_* = our p95 ÷ raw p95 (target <= 2).
BENCH_SEARCH_PAGES scales the number of pages down for a quick try.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    BenchError,
    PostgresDatabase,
    django_setup,
    machine,
    ratio_of,
    run_child,
    summary_ms,
    torget_env,
    write_result,
)

NAME = "search"
FULL_PAGES = 10_000
SEED = 20261127
ROUNDS = 3
TARGETS = {"p95_sqlite": "<= 2", "p95_postgres": "<= 2"}

# --- the vocabulary -------------------------------------------------------------------------------

# Nouns: (indefinite, definite, plural). Municipal words, many of them compounds.
NOUNS: list[tuple[str, str, str]] = [
    ("barnehage", "barnehagen", "barnehager"),
    ("barnehageplass", "barnehageplassen", "barnehageplasser"),
    ("skole", "skolen", "skoler"),
    ("skoleskyss", "skoleskyssen", "skoleskysser"),
    ("søknad", "søknaden", "søknader"),
    ("byggesøknad", "byggesøknaden", "byggesøknader"),
    ("plass", "plassen", "plasser"),
    ("bolig", "boligen", "boliger"),
    ("vei", "veien", "veier"),
    ("avfall", "avfallet", "avfall"),
    ("renovasjon", "renovasjonen", "renovasjoner"),
    ("vannledning", "vannledningen", "vannledninger"),
    ("avløp", "avløpet", "avløp"),
    ("kommune", "kommunen", "kommuner"),
    ("innbygger", "innbyggeren", "innbyggere"),
    ("tjeneste", "tjenesten", "tjenester"),
    ("elev", "eleven", "elever"),
    ("fastlege", "fastlegen", "fastleger"),
    ("legevakt", "legevakten", "legevakter"),
    ("hjemmesykepleie", "hjemmesykepleien", "hjemmesykepleier"),
    ("sykehjem", "sykehjemmet", "sykehjem"),
    ("sykehjemsplass", "sykehjemsplassen", "sykehjemsplasser"),
    ("omsorgsbolig", "omsorgsboligen", "omsorgsboliger"),
    ("byggesak", "byggesaken", "byggesaker"),
    ("tillatelse", "tillatelsen", "tillatelser"),
    ("eiendom", "eiendommen", "eiendommer"),
    ("eiendomsskatt", "eiendomsskatten", "eiendomsskatter"),
    ("gebyr", "gebyret", "gebyrer"),
    ("avgift", "avgiften", "avgifter"),
    ("faktura", "fakturaen", "fakturaer"),
    ("frist", "fristen", "frister"),
    ("vedtak", "vedtaket", "vedtak"),
    ("klage", "klagen", "klager"),
    ("bibliotek", "biblioteket", "bibliotek"),
    ("lånekort", "lånekortet", "lånekort"),
    ("kulturskole", "kulturskolen", "kulturskoler"),
    ("idrettshall", "idrettshallen", "idrettshaller"),
    ("svømmehall", "svømmehallen", "svømmehaller"),
    ("lekeplass", "lekeplassen", "lekeplasser"),
    ("park", "parken", "parker"),
    ("tilskudd", "tilskuddet", "tilskudd"),
    ("startlån", "startlånet", "startlån"),
    ("bostøtte", "bostøtten", "bostøtter"),
    ("sosialhjelp", "sosialhjelpen", "sosialhjelper"),
    ("bedrift", "bedriften", "bedrifter"),
    ("skjenkebevilling", "skjenkebevillingen", "skjenkebevillinger"),
    ("arrangement", "arrangementet", "arrangementer"),
    ("parkering", "parkeringen", "parkeringer"),
    ("parkeringstillatelse", "parkeringstillatelsen", "parkeringstillatelser"),
    ("brøyting", "brøytingen", "brøytinger"),
    ("fortau", "fortauet", "fortau"),
    ("gatelys", "gatelyset", "gatelys"),
    ("reguleringsplan", "reguleringsplanen", "reguleringsplaner"),
    ("høring", "høringen", "høringer"),
    ("møte", "møtet", "møter"),
    ("kommunestyre", "kommunestyret", "kommunestyrer"),
    ("formannskap", "formannskapet", "formannskap"),
    ("skjema", "skjemaet", "skjemaer"),
    ("vaksine", "vaksinen", "vaksiner"),
    ("helsestasjon", "helsestasjonen", "helsestasjoner"),
    ("jordmor", "jordmoren", "jordmødre"),
    ("tannlege", "tannlegen", "tannleger"),
    ("barnevern", "barnevernet", "barnevern"),
    ("familie", "familien", "familier"),
    ("forelder", "forelderen", "foreldre"),
    ("ungdom", "ungdommen", "ungdommer"),
    ("flyktning", "flyktningen", "flyktninger"),
    ("norskopplæring", "norskopplæringen", "norskopplæringer"),
    ("husleie", "husleien", "husleier"),
    ("feiing", "feiingen", "feiinger"),
    ("beredskap", "beredskapen", "beredskaper"),
    ("vannmåler", "vannmåleren", "vannmålere"),
    ("septiktank", "septiktanken", "septiktanker"),
    ("hytte", "hytta", "hytter"),
    ("fritidsbolig", "fritidsboligen", "fritidsboliger"),
    ("badeplass", "badeplassen", "badeplasser"),
    ("turvei", "turveien", "turveier"),
    ("skiløype", "skiløypa", "skiløyper"),
    ("hund", "hunden", "hunder"),
    ("båndtvang", "båndtvangen", "båndtvang"),
    ("gjenvinningsstasjon", "gjenvinningsstasjonen", "gjenvinningsstasjoner"),
    ("hageavfall", "hageavfallet", "hageavfall"),
    ("matrikkel", "matrikkelen", "matrikler"),
    ("oppmåling", "oppmålingen", "oppmålinger"),
    ("nabovarsel", "nabovarselet", "nabovarsler"),
    ("ledsagerbevis", "ledsagerbeviset", "ledsagerbevis"),
    ("støttekontakt", "støttekontakten", "støttekontakter"),
    ("avlastning", "avlastningen", "avlastninger"),
    ("trygghetsalarm", "trygghetsalarmen", "trygghetsalarmer"),
    ("hjemmehjelp", "hjemmehjelpen", "hjemmehjelper"),
    ("dagsenter", "dagsenteret", "dagsentre"),
    ("fysioterapi", "fysioterapien", "fysioterapier"),
    ("ergoterapi", "ergoterapien", "ergoterapier"),
    ("skolefritidsordning", "skolefritidsordningen", "skolefritidsordninger"),
    ("leksehjelp", "leksehjelpen", "leksehjelper"),
    ("spesialundervisning", "spesialundervisningen", "spesialundervisninger"),
    ("foreldrebetaling", "foreldrebetalingen", "foreldrebetalinger"),
    ("søskenmoderasjon", "søskenmoderasjonen", "søskenmoderasjoner"),
    ("kjernetid", "kjernetiden", "kjernetider"),
    ("kollektivtransport", "kollektivtransporten", "kollektivtransporter"),
]
VERBS: list[tuple[str, str]] = [
    ("søke", "søker"),
    ("sende", "sender"),
    ("melde", "melder"),
    ("betale", "betaler"),
    ("kontakte", "kontakter"),
    ("behandle", "behandler"),
    ("vurdere", "vurderer"),
    ("tilby", "tilbyr"),
    ("hente", "henter"),
    ("levere", "leverer"),
    ("bestille", "bestiller"),
    ("endre", "endrer"),
    ("klage", "klager"),
    ("registrere", "registrerer"),
    ("fornye", "fornyer"),
    ("avtale", "avtaler"),
]
ADJECTIVES: list[tuple[str, str]] = [
    ("kommunal", "kommunale"),
    ("privat", "private"),
    ("gratis", "gratis"),
    ("ny", "nye"),
    ("ledig", "ledige"),
    ("digital", "digitale"),
    ("årlig", "årlige"),
    ("midlertidig", "midlertidige"),
    ("fast", "faste"),
    ("offentlig", "offentlige"),
    ("redusert", "reduserte"),
]
GROUPS = [
    "barn",
    "unge",
    "eldre",
    "familier",
    "innbyggere",
    "søkere",
    "elever",
    "foreldre",
    "næringsdrivende",
    "huseiere",
    "pasienter",
    "pårørende",
]
UNITS = [
    "servicetorget",
    "tildelingskontoret",
    "byggesaksavdelingen",
    "oppvekstetaten",
    "helse og omsorg",
    "teknisk drift",
    "kulturkontoret",
    "NAV-kontoret",
]
PREPOSITIONS = ["i", "på", "for", "til", "om", "ved", "etter", "før"]
MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "august", "september", "oktober"]

SENTENCES = [
    "Du kan {vinf} om {n} hos {unit}.",
    "{Unit} {vpres} {ndef} {prep} {n2}.",
    "Søknaden om {n} må sendes innen 1. {month}.",
    "Har du spørsmål om {ndef}, kan du kontakte {unit}.",
    "Det finnes {adjpl} {npl} for {group} i kommunen.",
    "{Ndef} gjelder for {group} som {vpres} {n2}.",
    "Les mer om {n} og {n2} på denne siden.",
    "Prisen for {n} er {num} kroner per måned.",
    "{Group} som trenger {n}, må {vinf} {ndef} digitalt.",
    "Kommunen {vpres} {adjpl} {npl} hvert år.",
    "Vedtaket om {n} kan påklages innen tre uker.",
    "Ta med legitimasjon når du skal {vinf} {n}.",
    "{Ndef} er stengt i {month} på grunn av vedlikehold.",
    "Du får svar på søknaden om {n} innen fire uker.",
    "{Unit} hjelper deg med {n} og {n2}.",
]
TITLES = [
    "{Vinf} {n}",
    "{N} og {n2}",
    "{N} for {group}",
    "{Adj} {n}",
    "{N}",
    "{Vinf} om {n}",
]

# 200 queries: single words, inflected forms, compounds found in the text, compounds that are
# not (split into known words by the fallback), two-word phrases, and typos.
NOVEL_COMPOUNDS = [
    "barnehagesøknad",
    "skolesøknad",
    "boligtilskudd",
    "avfallsgebyr",
    "hundeparkering",
    "hyttevei",
    "parkeringsgebyret",
    "sykehjemssøknad",
    "vannmålerfaktura",
    "idrettsarrangement",
]
TYPOS = [
    "barnehgae",
    "barnehageplas",
    "eiendomskatt",
    "renovajson",
    "hjemmesykepleje",
    "byggesønad",
    "skjenkebeviling",
    "parkerigstillatelse",
    "legevak",
    "svømmehal",
]


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def _zipf_weights(n: int) -> list[float]:
    return [1 / (rank + 1) ** 0.9 for rank in range(n)]


def generate_pages(count: int, seed: int = SEED) -> Iterator[tuple[str, str]]:
    """(title, body) of `count` information pages, the same every run for the same seed."""
    rng = random.Random(seed)
    nouns = list(NOUNS)
    rng.shuffle(nouns)
    weights = _zipf_weights(len(nouns))
    for _ in range(count):
        topic = rng.choices(nouns, weights=weights, k=3)

        def noun(rng: random.Random = rng, topic: list[tuple[str, str, str]] = topic) -> Any:
            return topic[rng.randrange(3)] if rng.random() < 0.5 else rng.choices(nouns, weights)[0]

        def fill(template: str) -> str:
            n, n2 = noun(), noun()
            verb, adj = rng.choice(VERBS), rng.choice(ADJECTIVES)
            values = {
                "n": n[0],
                "n2": n2[rng.randrange(3)],
                "ndef": n[1],
                "npl": n[2],
                "vinf": verb[0],
                "vpres": verb[1],
                "adj": adj[0],
                "adjpl": adj[1],
                "group": rng.choice(GROUPS),
                "unit": rng.choice(UNITS),
                "prep": rng.choice(PREPOSITIONS),
                "month": rng.choice(MONTHS),
                "num": str(rng.randrange(100, 4000, 50)),
            }
            values |= {
                "N": _cap(values["n"]),
                "Ndef": _cap(values["ndef"]),
                "Vinf": _cap(values["vinf"]),
                "Adj": _cap(values["adj"]),
                "Unit": _cap(values["unit"]),
                "Group": _cap(values["group"]),
            }
            return template.format(**values)

        title = fill(rng.choice(TITLES))
        paragraphs = []
        for _paragraph in range(rng.randint(2, 5)):
            paragraphs.append(
                " ".join(fill(rng.choice(SENTENCES)) for _ in range(rng.randint(2, 6)))
            )
        yield title, "\n\n".join(paragraphs)


def generate_queries(seed: int = SEED) -> list[str]:
    """The 200 queries, the same every run."""
    rng = random.Random(seed + 1)
    nouns = sorted(NOUNS)
    singles = [n[0] for n in rng.sample(nouns, 60)]
    inflected = [n[rng.choice((1, 2))] for n in rng.sample(nouns, 40)]
    compounds = [n[0] for n in nouns if len(n[0]) >= 11]
    present = [rng.choice(compounds) for _ in range(30)]
    phrases = []
    for _ in range(50):
        kind = rng.randrange(3)
        noun = rng.choice(nouns)
        if kind == 0:
            phrases.append(f"{rng.choice(VERBS)[0]} {noun[0]}")
        elif kind == 1:
            phrases.append(f"{rng.choice(ADJECTIVES)[1]} {noun[2]}")
        else:
            phrases.append(f"{noun[1]} {rng.choice(nouns)[0]}")
    queries = singles + inflected + present + NOVEL_COMPOUNDS + phrases + TYPOS
    if len(queries) != 200:
        raise BenchError(f"{len(queries)} queries, expected 200")
    rng.shuffle(queries)
    return queries


# --- in the measuring child ---------------------------------------------------------------------


def _pages() -> int:
    pages = int(os.environ.get("BENCH_SEARCH_PAGES", "").strip() or FULL_PAGES)
    if pages < 100:
        raise BenchError("BENCH_SEARCH_PAGES must be at least 100")
    return pages


def load() -> dict[str, Any]:
    """Create the municipality and index the pages as the services app would."""
    from django.db import transaction

    from torget.core.search.index import document_upsert
    from torget.organisation import services as org

    municipality = org.municipality_create(
        number="4699", name="Benchvik kommune", malform="nb", hostnames=("localhost",)
    )
    began = time.perf_counter()
    pages = _pages()
    batch: list[tuple[int, str, str]] = []

    def flush() -> None:
        with transaction.atomic():
            for number, title, body in batch:
                document_upsert(
                    municipality_id=municipality.pk,
                    kind="page",
                    object_id=number,
                    title=title,
                    body=body,
                    url=f"/tjenester/side-{number}/",
                )
        batch.clear()

    words = 0
    for number, (title, body) in enumerate(generate_pages(pages), start=1):
        batch.append((number, title, body))
        words += len(body.split())
        if len(batch) == 500:
            flush()
    flush()
    return {
        "municipality_id": municipality.pk,
        "pages": pages,
        "words_per_page": round(words / pages, 1),
        "load_seconds": round(time.perf_counter() - began, 1),
    }


def _percentiles(samples: list[float]) -> dict[str, float]:
    """common.summary_ms, under the names this benchmark's results use (p50_ms, p95_ms)."""
    summary = summary_ms(samples)
    return {"p50_ms": summary["median_ms"], "p95_ms": summary["p95_ms"], "runs": summary["runs"]}


def measure() -> dict[str, Any]:
    """Time ours and the raw query for every query, in this process's database."""
    from django.db import connection

    from torget.core.search import text
    from torget.core.search.selectors import search
    from torget.organisation.models import Municipality

    municipality = Municipality.objects.get(number="4699")
    vendor = connection.vendor
    queries = generate_queries()
    connection.ensure_connection()
    raw_connection = connection.connection

    if vendor == "sqlite":
        raw_sql = (
            "SELECT rowid FROM core_searchindex WHERE core_searchindex MATCH ? "
            "ORDER BY bm25(core_searchindex, 10.0, 1.0) LIMIT 20"
        )
    else:
        raw_sql = (
            "SELECT id FROM core_searchdocument "
            "WHERE search_vector @@ plainto_tsquery('norwegian', %(q)s) "
            "ORDER BY ts_rank(search_vector, plainto_tsquery('norwegian', %(q)s)) DESC LIMIT 20"
        )

    def raw(query: str) -> list[Any]:
        cursor = raw_connection.cursor()
        try:
            if vendor == "sqlite":
                match = " ".join(f'"{s}"' for s in text.stems(text.query_words(query)))
                cursor.execute(raw_sql, [match])
            else:
                cursor.execute(raw_sql, {"q": query})
            return cursor.fetchall()
        finally:
            cursor.close()

    def ours(query: str) -> Any:
        return search(municipality_id=municipality.pk, query=query, language="nb")

    found = {"ours": 0, "raw": 0}
    levels: dict[str, int] = {}
    for query in queries:  # warm-up, and what each finds
        result = ours(query)
        levels[result.level] = levels.get(result.level, 0) + 1
        found["ours"] += result.total > 0
        found["raw"] += bool(raw(query))
    samples: dict[str, list[float]] = {"ours": [], "raw": []}
    per_query: dict[str, list[float]] = {}
    for round_number in range(ROUNDS):
        for i, query in enumerate(queries):
            pair: list[tuple[str, Callable[[str], Any]]] = [("ours", ours), ("raw", raw)]
            if (i + round_number) % 2:
                pair.reverse()
            for side, call in pair:
                began = time.perf_counter()
                call(query)
                took = time.perf_counter() - began
                samples[side].append(took)
                if side == "ours":
                    per_query.setdefault(query, []).append(took)
    slowest = sorted(per_query.items(), key=lambda item: -statistics.median(item[1]))[:5]
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if vendor == "sqlite" else "SHOW server_version")
        version = cursor.fetchone()[0]
    return {
        "vendor": vendor,
        "database_version": f"{vendor} {version}",
        "ours": _percentiles(samples["ours"]),
        "raw": _percentiles(samples["raw"]),
        "queries_with_results": found,
        "levels": levels,
        "slowest_ours_ms": {q: round(statistics.median(t) * 1000, 2) for q, t in slowest},
    }


def _child(argv: list[str]) -> None:
    django_setup()
    if argv == ["load"]:
        print(json.dumps(load()))
    elif argv == ["measure"]:
        print(json.dumps(measure()))
    else:
        raise SystemExit(f"unknown command {argv!r}")


# --- in the parent ------------------------------------------------------------------------------


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


@contextlib.contextmanager
def _database(kind: str, var_dir: Path) -> Iterator[dict[str, str]]:
    if kind == "sqlite":
        yield torget_env(var_dir)
        return
    with PostgresDatabase(prefix="torget_bench_search") as database:
        yield torget_env(var_dir, TORGET_DATABASE_URL=database.url)


def _postgres_analyse(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as c:
        c.execute("VACUUM ANALYZE")


def _one_database(kind: str, base: Path) -> dict[str, Any]:
    var_dir = base / kind
    var_dir.mkdir()
    with _database(kind, var_dir) as env:
        _manage(env, "migrate", "--noinput", "--verbosity", "0")
        loaded: dict[str, Any] = run_child(["bench.search", "load"], env=env)
        if kind == "postgres":
            _postgres_analyse(env["TORGET_DATABASE_URL"])
        print(f"  {kind}: {loaded}; measuring", file=sys.stderr, flush=True)
        measured: dict[str, Any] = run_child(["bench.search", "measure"], env=env)
        measured["data"] = loaded
        return measured


def run() -> dict[str, Any]:
    host = machine()
    base = Path(tempfile.mkdtemp(prefix="torget-bench-search-"))
    try:
        found = {kind: _one_database(kind, base) for kind in ("sqlite", "postgres")}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    ratio: dict[str, float] = {}
    for kind, got in found.items():
        figures[kind] = got["ours"]
        baseline[kind] = got["raw"]
        ratio[f"p95_{kind}"] = ratio_of(got["ours"]["p95_ms"], got["raw"]["p95_ms"])
        ratio[f"p50_{kind}"] = ratio_of(got["ours"]["p50_ms"], got["raw"]["p50_ms"])
        figures[f"detail_{kind}"] = {
            "database_version": got["database_version"],
            "data": got["data"],
            "queries_with_results": got["queries_with_results"],
            "levels": got["levels"],
            "slowest_ours_ms": got["slowest_ours_ms"],
        }
    pages = found["sqlite"]["data"]["pages"]
    return write_result(
        NAME,
        figures=figures,
        baseline=baseline,
        ratio=ratio,
        extra={
            "targets": TARGETS,
            "setup": {
                "data": (
                    f"{pages} information pages (kind 'page') of generated Norwegian text, "
                    f"seed {SEED}, written with index.document_upsert"
                    + ("" if pages == FULL_PAGES else " (scaled down by BENCH_SEARCH_PAGES)")
                ),
                "queries": (
                    "200: 60 single words, 40 inflected forms, 30 compounds in the text, 10 "
                    "compounds not in it, 50 two-word phrases, 10 typos"
                ),
                "ours": (
                    "torget.core.search.selectors.search(municipality_id, query, "
                    "language='nb'): what /sok/ calls (grouped, counted, snippets, fallbacks)"
                ),
                "raw": (
                    'SQLite: SELECT rowid ... MATCH \'"stem" "stem"\' ORDER BY bm25 LIMIT 20; '
                    "PostgreSQL: SELECT id ... @@ plainto_tsquery('norwegian', q) ORDER BY "
                    "ts_rank DESC LIMIT 20; on the DB-API connection Django holds"
                ),
                "runs": (
                    f"one warm-up pass, then {ROUNDS} passes over the 200 queries, ours and raw "
                    "taking turns going first; p50 and p95 (nearest rank) over all runs"
                ),
                "databases": (
                    "SQLite in a temporary folder (WAL); PostgreSQL: a fresh database on "
                    "127.0.0.1:5432, VACUUM ANALYZE after the load, dropped after the run"
                ),
                "machine": host,
            },
        },
    )


if __name__ == "__main__":
    _child(sys.argv[1:])

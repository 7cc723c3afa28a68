"""Text handling shared by both databases: words, Norwegian stems, trigrams, snippets.

Words are runs of letters and digits (Unicode, NFC, lower case); `_` and every other character
separate them, as FTS5's unicode61 tokenizer does, so a line of stems written by `stem_text`
is read back by FTS5 word for word. Stems come from Snowball's `norwegian` algorithm, the same
algorithm PostgreSQL's `norwegian` configuration uses; PyStemmer's C build is used when it is
installed (it is: see requirements.in). A stemmer object is not thread-safe, so each thread
keeps its own.
"""

from __future__ import annotations

import functools
import html
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence

import snowballstemmer
from django.utils.safestring import SafeString, mark_safe

WORD = re.compile(r"[^\W_]+")
# A stem shorter than this is matched as it is, never as a prefix ("om*" would match most of
# the index) and never corrected or split.
PREFIX_MIN = 4
# Terms kept in the vocabulary (for prefixes, compounds and typos): shorter ones are never
# expanded, longer ones are URLs and other noise.
TERM_MIN, TERM_MAX = 3, 40
MAX_QUERY_WORDS = 10
SNIPPET_WIDTH = 220

_local = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("norwegian")
    return stemmer


def normalise(text: str) -> str:
    """NFC and lower case: "Å" typed as A + ring and "å" are the same letter."""
    return unicodedata.normalize("NFC", text).lower()


def words(text: str) -> list[str]:
    """The words of `text`, normalised, in order."""
    return WORD.findall(normalise(text))


def stems(tokens: Sequence[str]) -> list[str]:
    """The Norwegian stem of each word."""
    return list(_stemmer().stemWords(list(tokens)))


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


@functools.lru_cache(maxsize=4096)
def title_stems(title: str) -> tuple[str, ...]:
    """The stems of a title's words (the re-ranking asks for the same titles again and
    again)."""
    return tuple(stems(words(title)))


def stem_text(text: str) -> str:
    """`text` as one line of stems, what the SQLite index stores and searches."""
    return " ".join(stems(words(text)))


def vocabulary_terms(*texts: str) -> set[str]:
    """The distinct stems of `texts` worth keeping in the vocabulary."""
    found: set[str] = set()
    for text in texts:
        found.update(s for s in stems(words(text)) if TERM_MIN <= len(s) <= TERM_MAX)
    return found


def query_words(query: str) -> list[str]:
    """The words of a query, at most MAX_QUERY_WORDS, without repeats (by stem)."""
    seen: set[str] = set()
    out: list[str] = []
    for word in words(query):
        key = stem(word)
        if key not in seen:
            seen.add(key)
            out.append(word)
        if len(out) == MAX_QUERY_WORDS:
            break
    return out


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity: shared trigrams over all trigrams of the two words."""
    ta, tb = trigrams(a), trigrams(b)
    union = len(ta | tb)
    return len(ta & tb) / union if union else 0.0


def compound_candidates(word: str) -> set[str]:
    """Every stem `compound_split` may look up for `word` (one vocabulary query for all)."""
    out: set[str] = set()
    for i in range(TERM_MIN, len(word) - TERM_MIN + 1):
        head, tail = word[:i], word[i:]
        out.add(stem(head))
        out.add(head)
        for rest in _tails(tail):
            out.add(stem(rest))
            out |= {stem(rest[:j]) for j in range(TERM_MIN, len(rest) - TERM_MIN + 1)}
            out |= {stem(rest[j:]) for j in range(TERM_MIN, len(rest) - TERM_MIN + 1)}
    return {c for c in out if len(c) >= TERM_MIN}


def _tails(tail: str) -> list[str]:
    """The rest of a compound after its first part, with and without a joining e or s
    ("barnehage|plass", "barnehag|e|plass", "kommune|s|styre")."""
    out = [tail]
    if tail[:1] in ("e", "s") and len(tail) > TERM_MIN:
        out.append(tail[1:])
    return out


def compound_split(word: str, known: set[str]) -> list[str] | None:
    """Split an unknown compound into two or three known stems, the first part as long as
    possible ("barnehageplassen" -> barnehag, plass). None when no split is found."""
    for i in range(len(word) - TERM_MIN, TERM_MIN - 1, -1):
        head = word[:i]
        first = head if head in known else stem(head)
        if first not in known:
            continue
        for rest in _tails(word[i:]):
            last = stem(rest)
            if last in known:
                return [first, last]
            for j in range(len(rest) - TERM_MIN, TERM_MIN - 1, -1):
                middle, end = stem(rest[:j]), stem(rest[j:])
                if middle in known and end in known:
                    return [first, middle, end]
    return None


# --- snippets -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _highlighter(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    usable = sorted({t for t in terms if len(t) >= 2}, key=len, reverse=True)
    if not usable:
        return None
    alternatives = "|".join(re.escape(t) for t in usable)
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)


def highlight_terms(query: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """What to mark in titles and snippets: the stems of the query's words and of what a
    fallback added (a word is marked when it starts with one of them)."""
    return tuple(sorted(set(stems(query_words(query))) | set(extra)))


def _marked(text: str, pattern: re.Pattern[str] | None) -> str:
    if pattern is None:
        return html.escape(text)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def highlight(text: str, terms: tuple[str, ...]) -> SafeString:
    """`text` HTML-escaped, with the words that start with one of `terms` in <mark>."""
    return mark_safe(_marked(normalise_space(text), _highlighter(terms)))  # noqa: S308 — escaped above


def normalise_space(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def snippet(text: str, terms: tuple[str, ...], *, width: int = SNIPPET_WIDTH) -> SafeString:
    """About `width` characters of `text` around where the query's words are densest,
    HTML-escaped, the words marked, with an ellipsis where it was cut."""
    pattern = _highlighter(terms)
    # Only the first part of a very long body is looked at: a snippet needs one good place.
    flat = normalise_space(text[:20_000])
    if len(flat) <= width:
        return mark_safe(_marked(flat, pattern))  # noqa: S308 — escaped in _marked
    starts = [m.start() for m in pattern.finditer(flat)][:200] if pattern else []
    begin = 0
    if starts:
        best, count, j = starts[0], 0, 0
        for i, at in enumerate(starts):
            while starts[j] < at - width // 2:
                j += 1
            if i - j + 1 > count:
                best, count = starts[j], i - j + 1
        begin = max(0, best - width // 5)
        if begin:
            space = flat.find(" ", begin)
            begin = space + 1 if 0 <= space < best else begin
    end = min(len(flat), begin + width)
    if end < len(flat):
        space = flat.rfind(" ", begin, end)
        end = space if space > begin else end
    piece = _marked(flat[begin:end], pattern)
    return mark_safe(  # noqa: S308 — escaped in _marked
        ("… " if begin else "") + piece + (" …" if end < len(flat) else "")
    )

"""What kinds of documents the index holds, how they are named and grouped, and how to
rebuild them.

Core imports no module above it: each app registers its kind in its AppConfig.ready(), e.g.

    register_kind("post", label=_("Posts"), order=20, documents=post_documents)

A kind nobody registered still shows in the results, under its own name, after the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

# documents(municipality) yields dicts of index.document_upsert's keyword arguments.
Documents = Callable[[Any], Iterable[dict[str, Any]]]
# document(object_id) returns one such dict, or None when the thing must not be found (gone,
# not yet published).
Document = Callable[[int], dict[str, Any] | None]

UNREGISTERED_ORDER = 1000


@dataclass(frozen=True)
class SearchKind:
    kind: str
    label: str | Promise
    order: int
    documents: Documents | None = None
    document: Document | None = None


_kinds: dict[str, SearchKind] = {}


def register_kind(
    kind: str,
    *,
    label: str | Promise,
    order: int,
    documents: Documents,
    document: Document | None = None,
) -> None:
    """Register a kind of search document.

    `label` is the group's heading (a lazy translation of a plural, "Information pages");
    `order` places the group among the others (lower first); `documents(municipality)` yields
    every document of the kind for `manage.py search_reindex`; `document(object_id)`, when
    given, lets `tasks.index_object` (re)index one thing later, e.g. when a post dated in the
    future is published. Registering a kind again replaces it.
    """
    _kinds[kind] = SearchKind(
        kind=kind, label=label, order=order, documents=documents, document=document
    )


def kind_get(kind: str) -> SearchKind:
    """The registered kind, or a stand-in named after the kind itself."""
    return _kinds.get(kind) or SearchKind(kind=kind, label=kind, order=UNREGISTERED_ORDER)


def kind_list() -> list[SearchKind]:
    """Every registered kind, in their order."""
    return sorted(_kinds.values(), key=lambda k: (k.order, k.kind))


def sort_key(kind: str) -> tuple[int, str]:
    found = kind_get(kind)
    return (found.order, kind)

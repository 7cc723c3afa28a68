"""The index kept in step with SearchDocument: upsert, delete, the registry and reindex, and
posts indexed by the pages app's services."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.factories import municipality_make
from torget.accounts.models import User
from torget.core.models import SearchDocument
from torget.core.search import backend, index, registry
from torget.core.search.selectors import search
from torget.core.search.services import search_reindex
from torget.core.search.tasks import index_object
from torget.organisation.models import Municipality, Unit
from torget.pages import services as pages
from torget.pages.models import PostKind


def _urls(municipality: Municipality, query: str) -> list[str]:
    results = search(municipality_id=municipality.pk, query=query, language="nb")
    return [hit.url for group in results.groups for hit in group.hits]


def _upsert(municipality: Municipality, object_id: int, title: str, body: str) -> SearchDocument:
    return index.document_upsert(
        municipality_id=municipality.pk,
        kind="page",
        object_id=object_id,
        title=title,
        body=body,
        url=f"/tjenester/{object_id}/",
    )


def test_document_upsert_writes_the_full_text_index(municipality: Municipality) -> None:
    document = _upsert(municipality, 1, "Søke barnehageplass", "Alle barn har rett til plass.")
    assert backend.index_count() == 1
    if connection.vendor == "sqlite":
        # The FTS row holds the Norwegian stems, under the document's id.
        assert backend.index_text(document.pk) == (
            "søk barnehageplass",
            "all barn har rett til plass",
        )
    assert _urls(municipality, "barnehageplassen") == ["/tjenester/1/"]


def test_document_upsert_again_replaces_the_indexed_text(municipality: Municipality) -> None:
    first = _upsert(municipality, 1, "Svømmehallen", "Åpent for publikum i helgene.")
    second = _upsert(municipality, 1, "Biblioteket", "Lånekort og lydbøker.")
    assert first.pk == second.pk
    assert SearchDocument.objects.count() == 1 and backend.index_count() == 1
    assert _urls(municipality, "svømmehallen") == []
    assert _urls(municipality, "lydbøker") == ["/tjenester/1/"]


def test_document_delete_takes_it_out_of_the_full_text_index(
    municipality: Municipality,
) -> None:
    _upsert(municipality, 1, "Svømmehallen", "Åpent for publikum.")
    _upsert(municipality, 2, "Svømmekurs for barn", "Meld på her.")
    assert index.document_delete(kind="page", object_id=1) == 1
    assert backend.index_count() == 1
    assert _urls(municipality, "svømm") == ["/tjenester/2/"]
    assert index.document_delete(kind="page", object_id=1) == 0


def test_document_delete_removes_every_language(municipality: Municipality) -> None:
    for language, title in (("nb", "Barnehage"), ("nn", "Barnehage"), ("en", "Kindergarten")):
        index.document_upsert(
            municipality_id=municipality.pk,
            kind="page",
            object_id=7,
            title=title,
            body="",
            url="/tjenester/7/",
            language=language,
        )
    assert index.document_delete(kind="page", object_id=7) == 3
    assert backend.index_count() == 0


def test_vocabulary_holds_the_stems_for_the_fallbacks(municipality: Municipality) -> None:
    _upsert(municipality, 1, "Søke barnehageplass", "Plass i barnehagen.")
    assert backend.terms_present(["barnehageplass", "barnehag", "plass", "xyz"]) == {
        "barnehageplass",
        "barnehag",
        "plass",
    }
    assert backend.terms_similar("barnehga")[0] == "barnehag"


# --- registry and reindex -----------------------------------------------------------------------


@pytest.fixture
def event_kind(municipality: Municipality) -> Iterator[list[dict[str, Any]]]:
    """A registered kind "event" whose documents the test decides."""
    documents: list[dict[str, Any]] = []
    registry.register_kind(
        "event",
        label="Events",
        order=5,
        documents=lambda m: [d for d in documents if d["municipality_id"] == m.pk],
    )
    try:
        yield documents
    finally:
        registry._kinds.pop("event", None)


def _event(municipality: Municipality, object_id: int, title: str) -> dict[str, Any]:
    return {
        "municipality_id": municipality.pk,
        "kind": "event",
        "object_id": object_id,
        "title": title,
        "body": "",
        "url": f"/arrangement/{object_id}/",
    }


def test_search_reindex_writes_registered_kinds_and_drops_what_is_gone(
    municipality: Municipality, event_kind: list[dict[str, Any]]
) -> None:
    _upsert(municipality, 1, "Konsert i parken", "Gammel side som ikke finnes lenger.")
    event_kind.append(_event(municipality, 10, "Konsert i kulturhuset"))
    written = search_reindex()
    assert written["event"] == 1
    assert _urls(municipality, "konsert") == ["/arrangement/10/"]
    assert backend.index_count() == 1


def test_search_reindex_command_for_one_municipality(
    municipality: Municipality, event_kind: list[dict[str, Any]]
) -> None:
    other = municipality_make(number="9997", name="Andrevik kommune", hostnames=("andrevik.test",))
    index.document_upsert(
        municipality_id=other.pk,
        kind="page",
        object_id=99,
        title="Konsert i Andrevik",
        body="",
        url="/x/",
    )
    event_kind.append(_event(municipality, 10, "Konsert i kulturhuset"))
    out = StringIO()
    call_command("search_reindex", "--municipality", municipality.number, stdout=out)
    assert "event 1" in out.getvalue()
    assert _urls(municipality, "konsert") == ["/arrangement/10/"]
    # The other municipality's documents are left alone.
    assert _urls(other, "konsert") == ["/x/"]


def test_unregistered_kind_shows_under_its_own_name_after_the_others(
    municipality: Municipality, event_kind: list[dict[str, Any]]
) -> None:
    index.document_upsert(
        municipality_id=municipality.pk,
        kind="mystery",
        object_id=1,
        title="Konsert",
        body="",
        url="/m/",
    )
    index.document_upsert(**_event(municipality, 1, "Konsert"))
    results = search(municipality_id=municipality.pk, query="konsert", language="nb")
    assert [(g.kind, str(g.label)) for g in results.groups] == [
        ("event", "Events"),
        ("mystery", "mystery"),
    ]


# --- posts, indexed by the pages app ------------------------------------------------------------


def test_published_post_is_found_and_an_edit_reindexes_it(
    library: Unit, communicator: User
) -> None:
    post = pages.post_create(
        unit=library,
        actor=communicator,
        title="Lesesirkel for voksne",
        body="Vi starter en lesesirkel på biblioteket.",
        kind=PostKind.INFORMATION,
    )
    municipality = library.municipality
    assert _urls(municipality, "lesesirkelen") == [f"/innlegg/{post.pk}/"]
    pages.post_update(
        post=post,
        actor=communicator,
        title="Strikkekafé",
        body="Ta med garn.",
        kind=PostKind.INFORMATION,
        comments_open=True,
    )
    assert _urls(municipality, "lesesirkel") == []
    assert _urls(municipality, "strikkekafé") == [f"/innlegg/{post.pk}/"]
    groups = search(municipality_id=municipality.pk, query="garn", language="nb").groups
    assert [g.kind for g in groups] == ["post"]


def test_post_dated_in_the_future_is_not_found_until_published(
    library: Unit, communicator: User
) -> None:
    later = timezone.now() + datetime.timedelta(days=2)
    post = pages.post_create(
        unit=library,
        actor=communicator,
        title="Hemmelig konsert",
        body="Kommer snart.",
        kind=PostKind.INFORMATION,
        published_at=later,
    )
    assert _urls(library.municipality, "konsert") == []
    assert index_object.call(kind="post", object_id=post.pk) is False
    with time_machine.travel(later + datetime.timedelta(minutes=1), tick=False):
        assert index_object.call(kind="post", object_id=post.pk) is True
        search_reindex(municipality_id=library.municipality_id)
    assert _urls(library.municipality, "konsert") == [f"/innlegg/{post.pk}/"]


def test_search_costs_a_bounded_number_of_queries(
    municipality: Municipality, event_kind: list[dict[str, Any]]
) -> None:
    from django.test.utils import CaptureQueriesContext

    for number in range(1, 31):
        _upsert(municipality, number, f"Konsert nummer {number}", "Konsert i parken.")
        index.document_upsert(**_event(municipality, number, f"Konsert {number}"))
    with CaptureQueriesContext(connection) as queries:
        results = search(municipality_id=municipality.pk, query="konsert", language="nb")
    assert [(g.kind, g.total, len(g.hits)) for g in results.groups] == [
        ("event", 30, 5),
        ("page", 30, 5),
    ]
    # SQLite: FTS5's own top-N (here every match, so the counts come from it too), the keys
    # and titles of those rows, then the shown documents. PostgreSQL: the counts and each
    # kind's best with their titles in one statement, then the shown documents.
    assert len(queries.captured_queries) == (3 if connection.vendor == "sqlite" else 2)


def test_counts_each_thing_once_in_one_language_or_several(municipality: Municipality) -> None:
    other_municipality = municipality_make(
        number="9996", name="Tredjevik kommune", hostnames=("tredjevik.test",)
    )
    # More matches than FTS5's own top-N holds, so the count is a statement of its own on
    # SQLite; in a municipality of one language it counts documents, in one of several it
    # tells things apart (the first 40 pages here have an English version too).
    for number in range(1, 401):
        _upsert(municipality, number, f"Konsert nummer {number}", "Konsert i parken.")
        index.document_upsert(
            municipality_id=other_municipality.pk,
            kind="page",
            object_id=1000 + number,
            title=f"Konsert {number}",
            body="Konsert i parken.",
            url=f"/tjenester/{1000 + number}/",
        )
    for number in range(1, 41):
        index.document_upsert(
            municipality_id=municipality.pk,
            kind="page",
            object_id=number,
            title=f"Concert number {number}",
            body="Konsert in the park.",
            url=f"/tjenester/{number}/",
            language="en",
        )
    for language in ("nb", "en"):
        several = search(municipality_id=municipality.pk, query="konsert", language=language)
        assert [(g.kind, g.total, len(g.hits)) for g in several.groups] == [("page", 400, 5)]
        one = search(municipality_id=other_municipality.pk, query="konsert", language=language)
        assert [(g.kind, g.total, len(g.hits)) for g in one.groups] == [("page", 400, 5)]
    paged = search(
        municipality_id=municipality.pk, query="konsert", language="en", kind="page", page=20
    )
    assert paged.groups[0].total == 400 and len(paged.groups[0].hits) == 20

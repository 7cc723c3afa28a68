"""Pages, their versions and restore, reviews, the search index and who may edit."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from torget.accounts.models import User
from torget.core.models import SearchDocument
from torget.organisation.models import Unit
from torget.services import policies, services
from torget.services.models import InfoPage, InfoPageVersion
from torget.services.search import page_document_by_id, page_documents
from torget.services.tests.factories import page_make, situation_make


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages and version notes in English, whatever the catalogues hold."""
    with translation.override("en"):
        yield


def fields(**changes: object) -> services.PageFields:
    values: dict[str, object] = {
        "title": "Bibliotekkort",
        "summary": "Slik får du lånekort.",
        "body": "Ta med legitimasjon.",
        "contact": "bibliotek@example.no",
        "is_published": True,
    }
    values.update(changes)
    return services.PageFields(**values)  # type: ignore[arg-type]


def test_page_create_writes_version_one_slug_language_and_review_due(
    library: Unit, communicator: User
) -> None:
    situation = situation_make(library, slug="flytte-hit", title="Flytte hit")
    page = services.page_create(
        unit=library,
        actor=communicator,
        fields=fields(life_situations=(situation,)),
        reviewed_on=datetime.date(2026, 1, 10),
    )
    assert page.slug == "bibliotekkort"
    assert page.language == "nb"  # the municipality's målform
    assert page.review_due_on == datetime.date(2027, 1, 10)
    assert list(page.life_situations.all()) == [situation]
    version = page.versions.get()
    assert (version.number, version.author, version.title) == (1, communicator, "Bibliotekkort")
    assert version.note == "Created the page"


def test_page_create_refuses_staff_of_another_unit(library: Unit, case_officer: User) -> None:
    with pytest.raises(PermissionDenied):
        services.page_create(unit=library, actor=case_officer, fields=fields())
    assert not InfoPage.objects.exists()


def test_page_create_reports_every_error_by_field(library: Unit, communicator: User) -> None:
    page_make(library, title="Bibliotekkort")
    with pytest.raises(ValidationError) as caught:
        services.page_create(
            unit=library,
            actor=communicator,
            fields=fields(summary="", body="   ", slug="bibliotekkort", review_every_days=0),
        )
    errors = caught.value.message_dict
    assert set(errors) == {"summary", "body", "slug", "review_every_days"}
    assert "already has the address name" in errors["slug"][0]


def test_page_create_refuses_the_reserved_slug(library: Unit, communicator: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.page_create(unit=library, actor=communicator, fields=fields(slug="side"))
    assert "slug" in caught.value.message_dict


def test_page_update_writes_a_new_version_with_author_and_note(
    library: Unit, communicator: User, admin: User
) -> None:
    page = page_make(library)
    services.page_update(
        page=page, actor=communicator, fields=fields(title="Lånekort"), note="Ny tittel"
    )
    services.page_update(page=page, actor=admin, fields=fields(title="Lånekort", body="Ny tekst"))
    versions = list(page.versions.order_by("number"))
    assert [(v.number, v.title, v.author) for v in versions] == [
        (1, "Barnehageplass", None),
        (2, "Lånekort", communicator),
        (3, "Lånekort", admin),
    ]
    assert versions[1].note == "Ny tittel"
    assert versions[2].body == "Ny tekst"


def test_page_update_refuses_a_communicator_of_another_unit(
    school: Unit, communicator: User
) -> None:
    page = page_make(school)
    with pytest.raises(PermissionDenied):
        services.page_update(page=page, actor=communicator, fields=fields())
    assert page.versions.count() == 1


def test_page_restore_version_puts_the_old_text_back_as_a_new_version(
    library: Unit, communicator: User
) -> None:
    page = page_make(library, body="Gammel tekst")
    services.page_update(page=page, actor=communicator, fields=fields(body="Ny tekst"))
    first = page.versions.get(number=1)
    restored = services.page_restore_version(page=page, actor=communicator, version=first)
    page.refresh_from_db()
    assert (page.title, page.body) == ("Barnehageplass", "Gammel tekst")
    assert restored.number == 3 and restored.note == "Restored version 1"
    assert page.versions.count() == 3  # the history is kept, not rewritten


def test_page_restore_refuses_a_version_of_another_page(library: Unit, communicator: User) -> None:
    page = page_make(library)
    other = page_make(library, title="Annen side")
    with pytest.raises(PermissionDenied):
        services.page_restore_version(page=page, actor=communicator, version=other.versions.get())


def test_page_mark_reviewed_moves_the_due_date_and_allows_a_new_reminder(
    library: Unit, communicator: User
) -> None:
    page = page_make(library, reviewed_on=datetime.date(2024, 1, 1))
    InfoPage.objects.filter(pk=page.pk).update(reminded_at=timezone.now())
    services.page_mark_reviewed(page=page, actor=communicator, on=datetime.date(2026, 5, 2))
    page.refresh_from_db()
    assert page.last_reviewed_on == datetime.date(2026, 5, 2)
    assert page.review_due_on == datetime.date(2027, 5, 2)
    assert page.reminded_at is None
    assert not page.needs_review(datetime.date(2027, 5, 2))
    assert page.needs_review(datetime.date(2027, 5, 3))


def test_published_page_is_indexed_with_summary_text_and_life_situations(library: Unit) -> None:
    situation = situation_make(library)
    page = page_make(library, situations=(situation,))
    document = SearchDocument.objects.get(kind="page", object_id=page.pk)
    assert document.title == "Barnehageplass"
    assert document.url == "/tjenester/side/barnehageplass/"
    assert document.unit_id == library.pk and document.language == "nb"
    assert "Slik søker du barnehageplass." in document.body
    assert "Søknadsfristen er 1. mars." in document.body and "**" not in document.body
    assert "Få barn" in document.body


def test_unpublishing_or_deleting_takes_the_page_out_of_the_index(
    library: Unit, communicator: User
) -> None:
    page = page_make(library)
    services.page_update(page=page, actor=communicator, fields=fields(is_published=False))
    assert not SearchDocument.objects.filter(kind="page", object_id=page.pk).exists()
    services.page_update(page=page, actor=communicator, fields=fields(is_published=True))
    assert SearchDocument.objects.get(kind="page", object_id=page.pk).title == "Bibliotekkort"
    services.page_delete(page=page, actor=communicator)
    assert not SearchDocument.objects.filter(kind="page", object_id=page.pk).exists()
    assert not InfoPageVersion.objects.exists()


def test_changing_the_language_leaves_one_document_in_the_new_language(
    library: Unit, communicator: User
) -> None:
    page = page_make(library)
    services.page_update(page=page, actor=communicator, fields=fields(language="en"))
    assert list(
        SearchDocument.objects.filter(kind="page", object_id=page.pk).values_list(
            "language", flat=True
        )
    ) == ["en"]


def test_unpublished_page_is_never_indexed(library: Unit) -> None:
    page = page_make(library, published=False)
    assert not SearchDocument.objects.filter(kind="page", object_id=page.pk).exists()


def test_page_documents_yields_exactly_the_published_pages_as_upsert_arguments(
    library: Unit, school: Unit
) -> None:
    published = page_make(library, situations=(situation_make(library),))
    page_make(school, title="Utkast", published=False)
    documents = list(page_documents(library.municipality))
    assert [d["object_id"] for d in documents] == [published.pk]
    assert set(documents[0]) == {
        "municipality_id",
        "kind",
        "object_id",
        "title",
        "body",
        "url",
        "language",
        "unit_id",
    }
    assert "Få barn" in documents[0]["body"]


def test_plain_text_holds_title_summary_and_body_without_markup(library: Unit) -> None:
    page = page_make(library, body="## Pris\n\n*Gratis* for [alle](https://x.no).")
    assert (
        page.plain_text()
        == "Barnehageplass\n\nSlik søker du barnehageplass.\n\nPris\n\nGratis for alle."
    )


def test_can_edit_page_for_editors_of_the_unit_and_above_only(
    library: Unit,
    communicator: User,
    admin: User,
    case_officer: User,
    moderator: User,
    resident: User,
) -> None:
    page = page_make(library)
    assert policies.can_edit_page(communicator, page)
    assert policies.can_edit_page(admin, page)
    assert not policies.can_edit_page(case_officer, page)  # staff of another unit
    assert not policies.can_edit_page(moderator, page)  # staff, but no editor role
    assert not policies.can_edit_page(resident, page)


def test_page_document_by_id_is_none_for_unpublished_or_missing_pages(library: Unit) -> None:
    published = page_make(library)
    draft = page_make(library, title="Utkast", published=False)
    document = page_document_by_id(published.pk)
    assert document is not None and document["url"] == "/tjenester/side/barnehageplass/"
    assert page_document_by_id(draft.pk) is None
    assert page_document_by_id(999_999) is None


def test_a_page_is_written_in_the_municipality_s_malform_by_default(db: None) -> None:
    from tests.factories import municipality_make, unit_make

    nynorsk = municipality_make(
        number="9996", name="Nyvik", malform="nn", hostnames=("nyvik.test",)
    )
    unit = unit_make(nynorsk, slug="skulen", kind="school")
    assert page_make(unit, title="Skulestart").language == "nn"
    assert page_make(unit, title="School start", language="en").language == "en"

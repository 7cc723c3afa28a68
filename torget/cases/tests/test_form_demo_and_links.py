"""The demo's forms (idempotent, the kindergarten application first) and the related form
links under information pages."""

from __future__ import annotations

from tests.factories import unit_make
from torget.accounts.models import User
from torget.cases.apps import form_links_for_page
from torget.cases.models import FieldKind, Form
from torget.core.models import SearchDocument
from torget.demo.cases import KINDERGARTENS, forms_ensure
from torget.organisation.models import Municipality, Unit
from torget.services import registry
from torget.services import services as info


def test_demo_forms_are_created_once(municipality: Municipality) -> None:
    school = unit_make(municipality, slug="skole", kind="school")
    assert forms_ensure(municipality) == 2
    assert forms_ensure(municipality) == 0
    assert Form.objects.filter(municipality=municipality).count() == 2
    form = Form.objects.get(slug="soknad-om-barnehageplass")
    assert form.title == "Søknad om barnehageplass"
    assert form.is_published and form.processing_days == 20
    assert form.unit.slug == "barnehage" and form.unit.parent == school
    kinds = [f.kind for f in form.fields.all()]
    assert kinds == [
        FieldKind.TEXT,
        FieldKind.NATIONAL_ID,
        FieldKind.DATE,
        FieldKind.RANKED_CHOICE,
        FieldKind.TEXTAREA,
        FieldKind.FILE,
        FieldKind.CHECKBOX,
    ]
    ranked = form.fields.get(kind=FieldKind.RANKED_CHOICE)
    assert ranked.choices == KINDERGARTENS and len(KINDERGARTENS) == 6
    assert ranked.options["places"] == 3
    assert not form.fields.get(kind=FieldKind.TEXTAREA).required
    assert not form.fields.get(kind=FieldKind.FILE).required
    second = Form.objects.exclude(pk=form.pk).get()
    assert 3 <= second.fields.count() <= 4
    assert SearchDocument.objects.filter(kind="form").count() == 2


def _page(unit: Unit) -> object:
    return info.page_create(
        unit=unit,
        actor=None,
        fields=info.PageFields(
            title="Barnehageplass",
            summary="Slik søker du.",
            body="Tekst.",
            slug="barnehageplass",
            is_published=True,
        ),
    )


def test_related_form_links_under_an_information_page(
    municipality: Municipality, school: Unit, resident: User
) -> None:
    page = _page(school)
    forms_ensure(municipality)
    form = Form.objects.get(slug="soknad-om-barnehageplass")
    assert list(form.info_pages.all()) == [page]
    assert form_links_for_page(page) == [
        ("Søknad om barnehageplass", "/skjema/soknad-om-barnehageplass/")
    ]
    # Registered with the services app in CasesConfig.ready().
    assert ("Søknad om barnehageplass", "/skjema/soknad-om-barnehageplass/") in (
        registry.page_links(page)  # type: ignore[arg-type]
    )
    Form.objects.filter(pk=form.pk).update(is_published=False)
    assert form_links_for_page(page) == []

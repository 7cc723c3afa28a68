"""Defining forms: who may (staff of the handling unit), the settings and fields pages, moving
fields without JavaScript, the preview, and the search index kept in step with publishing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from torget.accounts.models import User
from torget.cases.models import FieldKind, Form, FormField
from torget.cases.search import form_documents
from torget.cases.services import form_admin
from torget.cases.tests.test_formbuilder import form_make
from torget.core.models import SearchDocument
from torget.organisation.models import Unit

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def form(school: Unit) -> Form:
    return form_make(school, published=False)


def test_staff_of_the_unit_may_edit_forms_others_may_not(
    case_officer: User, communicator: User, admin: User, resident: User, school: Unit, library: Unit
) -> None:
    assert form_admin.can_edit_form(case_officer, school)
    assert not form_admin.can_edit_form(case_officer, library)
    assert form_admin.can_edit_form(communicator, library)
    assert form_admin.can_edit_form(admin, library)
    assert not form_admin.can_edit_form(resident, school)
    with pytest.raises(PermissionDenied):
        form_admin.form_create(actor=communicator, unit=school, title="Ikke din")


def test_moderator_may_not_edit_forms(moderator: User, school: Unit) -> None:
    assert not form_admin.can_edit_form(moderator, school)


def test_list_shows_the_forms_of_the_units_served(
    client: Client, case_officer: User, form: Form, library: Unit
) -> None:
    form_make(library, slug="lanekort").__class__.objects.filter(slug="lanekort").update(
        title="Lånekort"
    )
    client.force_login(case_officer)
    page = client.get(reverse("cases:form-admin-list"), **EN).text
    assert "Søknad om barnehageplass" in page
    assert "Lånekort" not in page


def test_list_empty_state(client: Client, admin: User) -> None:
    client.force_login(admin)
    page = client.get(reverse("cases:form-admin-list"), **EN).text
    assert "Your units have no forms yet." in page


def test_residents_and_anonymous_are_kept_out(
    client: Client, resident: User, form: Form, moderator: User
) -> None:
    url = reverse("cases:form-admin-edit", args=[form.pk])
    assert client.get(url).status_code == 302
    client.force_login(resident)
    assert client.get(reverse("cases:form-admin-list")).status_code == 403
    assert client.get(url).status_code == 403
    client.force_login(moderator)
    assert client.get(url).status_code == 403


def test_staff_of_another_unit_may_not_edit_or_preview(
    client: Client, communicator: User, form: Form
) -> None:
    client.force_login(communicator)
    for name in ("form-admin-edit", "form-admin-preview"):
        assert client.get(reverse(f"cases:{name}", args=[form.pk])).status_code == 403
    field = form.fields.first()
    assert field is not None
    response = client.post(reverse("cases:field-admin-delete", args=[form.pk, field.pk]))
    assert response.status_code == 403
    assert FormField.objects.filter(pk=field.pk).exists()


def test_create_form_then_add_a_field_and_publish(
    client: Client, case_officer: User, school: Unit
) -> None:
    client.force_login(case_officer)
    response = client.post(
        reverse("cases:form-admin-create"),
        {
            "title": "Søknad om SFO-plass",
            "intro": "For 1.–4. trinn.",
            "unit": school.pk,
            "processing_days": 10,
        },
        **EN,
    )
    assert response.status_code == 303
    made = Form.objects.get(title="Søknad om SFO-plass")
    assert (made.slug, made.unit, made.processing_days, made.is_published) == (
        "soknad-om-sfo-plass",
        school,
        10,
        False,
    )
    assert not SearchDocument.objects.filter(kind="form", object_id=made.pk).exists()
    added = client.post(
        reverse("cases:field-admin-create", args=[made.pk]),
        {
            "label": "Skole",
            "kind": FieldKind.CHOICE,
            "required": "on",
            "choices": "Sentrum\nNord\n\nSentrum",
        },
        **EN,
    )
    assert added.status_code == 303
    field = made.fields.get()
    assert (field.key, field.choices, field.required) == ("skole", ["Sentrum", "Nord"], True)
    client.post(
        reverse("cases:form-admin-edit", args=[made.pk]),
        {
            "title": made.title,
            "intro": made.intro,
            "unit": school.pk,
            "processing_days": 10,
            "is_published": "on",
        },
        **EN,
    )
    document = SearchDocument.objects.get(kind="form", object_id=made.pk)
    assert document.title == "Søknad om SFO-plass"
    assert "Skole" in document.body and "For 1.–4. trinn." in document.body
    assert document.url == reverse("cases:form-fill", args=[made.slug])
    client.post(
        reverse("cases:form-admin-edit", args=[made.pk]),
        {"title": made.title, "intro": made.intro, "unit": school.pk, "processing_days": 10},
        **EN,
    )
    assert not SearchDocument.objects.filter(kind="form", object_id=made.pk).exists()


def test_choice_field_without_choices_answers_422_with_the_error_beside_it(
    client: Client, case_officer: User, form: Form
) -> None:
    client.force_login(case_officer)
    response = client.post(
        reverse("cases:field-admin-create", args=[form.pk]),
        {"label": "Farge", "kind": FieldKind.MULTI_CHOICE, "choices": ""},
        **EN,
    )
    assert response.status_code == 422
    assert 'id="id_choices_error"' in response.text
    assert "Write the choices, one per line." in response.text
    assert 'value="Farge"' in response.text


def test_field_options_are_saved(client: Client, case_officer: User, form: Form) -> None:
    client.force_login(case_officer)
    client.post(
        reverse("cases:field-admin-create", args=[form.pk]),
        {
            "label": "Vedlegg",
            "kind": FieldKind.FILE,
            "file_types": ["pdf", "png"],
            "max_mb": "3",
        },
        **EN,
    )
    field = form.fields.get(label="Vedlegg")
    assert field.options == {"file_types": ["pdf", "png"], "max_mb": 3}
    assert field.required is False
    edit = client.get(reverse("cases:field-admin-edit", args=[form.pk, field.pk]), **EN).text
    assert re.search(r'value="png"[^>]*checked', edit)


def test_move_up_and_down_and_delete(client: Client, case_officer: User, form: Form) -> None:
    client.force_login(case_officer)
    keys = list(form.fields.values_list("key", flat=True))
    second = form.fields.get(key=keys[1])
    client.post(reverse("cases:field-admin-move", args=[form.pk, second.pk]), {"direction": "up"})
    assert list(form.fields.values_list("key", flat=True))[:2] == [keys[1], keys[0]]
    client.post(reverse("cases:field-admin-move", args=[form.pk, second.pk]), {"direction": "down"})
    assert list(form.fields.values_list("key", flat=True)) == keys
    page = client.get(reverse("cases:form-admin-edit", args=[form.pk]), **EN).text
    assert "Move up" in page and "Move down" in page
    client.post(reverse("cases:field-admin-delete", args=[form.pk, second.pk]))
    assert list(form.fields.values_list("key", flat=True)) == [keys[0], *keys[2:]]


def test_preview_shows_the_form_without_sending(
    client: Client, case_officer: User, form: Form
) -> None:
    client.force_login(case_officer)
    page = client.get(reverse("cases:form-admin-preview", args=[form.pk]), **EN).text
    assert "Preview: this is how residents see the form." in page
    assert '<label for="id_child_name">Barnets navn</label>' in page
    assert 'name="send"' not in page


def test_form_documents_list_published_forms(school: Unit, form: Form) -> None:
    published = form_make(school, slug="annen")
    documents = list(form_documents(school.municipality))
    assert [d["object_id"] for d in documents] == [published.pk]
    assert documents[0]["kind"] == "form"
    assert "Barnets navn" in documents[0]["body"]
    assert documents[0]["unit_id"] == school.pk

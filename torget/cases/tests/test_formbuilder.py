"""Every field kind's validation, good and bad, through the built Django form.

Also holds `form_make` and `valid_national_id`, which the other form tests use."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from torget.cases import formbuilder
from torget.cases.models import FieldKind, Form, FormField
from torget.organisation.models import Unit

KINDERGARTENS = ["Solsikken", "Trollskogen", "Maurtua", "Bakkebo", "Eventyrhagen", "Fjordglimt"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Messages are compared in English (the msgids)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def valid_national_id(seed: int = 1) -> str:
    """A national identity number with the right check digits, from our own algorithm."""
    rng = random.Random(seed)
    while True:
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 99)
        first_nine = f"{day:02d}{month:02d}{year:02d}{rng.randint(0, 999):03d}"
        found = formbuilder.national_id_complete(first_nine)
        if found:
            return found


def form_make(unit: Unit, *, slug: str = "barnehageplass", published: bool = True) -> Form:
    """A kindergarten application with one field of most kinds."""
    form = Form.objects.create(
        municipality=unit.municipality,
        unit=unit,
        slug=slug,
        title="Søknad om barnehageplass",
        intro="Søk plass for barnet ditt.",
        processing_days=20,
        is_published=published,
    )
    specs: list[tuple[str, str, str, bool, list[str], dict[str, Any]]] = [
        (
            "child_name",
            "Barnets navn",
            FieldKind.TEXT,
            True,
            [],
            {"min_length": 2, "max_length": 80},
        ),
        ("child_id", "Barnets fødselsnummer", FieldKind.NATIONAL_ID, True, [], {}),
        (
            "start",
            "Ønsket oppstart",
            FieldKind.DATE,
            True,
            [],
            {"not_before_today": True, "within_days": 365},
        ),
        (
            "kindergartens",
            "Barnehager i prioritert rekkefølge",
            FieldKind.RANKED_CHOICE,
            True,
            KINDERGARTENS,
            {"places": 3},
        ),
        ("needs", "Særskilte behov", FieldKind.TEXTAREA, False, [], {}),
        (
            "documentation",
            "Dokumentasjon",
            FieldKind.FILE,
            False,
            [],
            {"file_types": ["pdf", "jpg", "png"], "max_mb": 2},
        ),
        ("consent", "Jeg godtar vilkårene", FieldKind.CHECKBOX, True, [], {}),
    ]
    for position, (key, label, kind, required, choices, options) in enumerate(specs):
        FormField.objects.create(
            form=form,
            key=key,
            label=label,
            kind=kind,
            required=required,
            choices=choices,
            options=options,
            position=position,
        )
    return form


def good_answers(seed: int = 1) -> dict[str, str]:
    """POST data that passes every field of `form_make`'s form."""
    start = timezone.localdate() + datetime.timedelta(days=30)
    return {
        "child_name": "Åse Ødegård",
        "child_id": valid_national_id(seed),
        "start": start.isoformat(),
        "kindergartens_0": "Maurtua",
        "kindergartens_1": "Solsikken",
        "kindergartens_2": "",
        "needs": "Allergi mot nøtter.",
        "consent": "on",
    }


def _field(
    kind: str, *, required: bool = True, choices: list[str] | None = None, **options: Any
) -> FormField:
    return FormField(
        key="f", label="Felt", kind=kind, required=required, choices=choices or [], options=options
    )


def _errors(definition: FormField, data: dict[str, Any], files: Any = None) -> list[str]:
    form = formbuilder.build_form_class([definition])(data=data, files=files)
    form.is_valid()
    return [str(e) for e in form.errors.get("f", [])]


def _clean(definition: FormField, data: dict[str, Any]) -> Any:
    form = formbuilder.build_form_class([definition])(data=data)
    assert form.is_valid(), form.errors
    return form.cleaned_data["f"]


def test_national_id_check_digits_accept_generated_numbers_and_refuse_wrong_ones() -> None:
    for seed in range(50):
        number = valid_national_id(seed)
        assert formbuilder.national_id_is_valid(number), number
        # Changing any one digit breaks a mod-11 check.
        for position in range(11):
            wrong_digit = (int(number[position]) + 1) % 10
            wrong = number[:position] + str(wrong_digit) + number[position + 1 :]
            assert not formbuilder.national_id_is_valid(wrong), (number, wrong)
    assert not formbuilder.national_id_is_valid("1234567890")
    assert not formbuilder.national_id_is_valid("abcdefghijk")


def test_national_id_field_accepts_spaces_and_refuses_bad_check_digits() -> None:
    number = valid_national_id(7)
    assert _clean(_field(FieldKind.NATIONAL_ID), {"f": f"{number[:6]} {number[6:]}"}) == number
    bad = number[:10] + str((int(number[10]) + 1) % 10)
    assert (
        "not a valid national identity number"
        in _errors(_field(FieldKind.NATIONAL_ID), {"f": bad})[0]
    )


def test_phone_is_checked_for_norway_and_kept_in_e164() -> None:
    assert _clean(_field(FieldKind.PHONE), {"f": "912 34 567"}) == "+4791234567"
    assert _clean(_field(FieldKind.PHONE), {"f": "+46 8 123 456 78"}).startswith("+46")
    assert "valid phone number" in _errors(_field(FieldKind.PHONE), {"f": "12"})[0]
    assert "valid phone number" in _errors(_field(FieldKind.PHONE), {"f": "hei"})[0]


def test_date_limits_not_before_today_and_within_days() -> None:
    today = timezone.localdate()
    field = _field(FieldKind.DATE, not_before_today=True, within_days=10)
    assert _clean(field, {"f": today.isoformat()}) == today
    assert _clean(
        field, {"f": (today + datetime.timedelta(days=3)).strftime("%d.%m.%Y")}
    ) == today + datetime.timedelta(days=3)
    assert (
        "before today" in _errors(field, {"f": (today - datetime.timedelta(days=1)).isoformat()})[0]
    )
    assert (
        "on or before"
        in _errors(field, {"f": (today + datetime.timedelta(days=11)).isoformat()})[0]
    )
    assert _errors(field, {"f": "31.02.2030"})


def test_ranked_choice_needs_the_first_refuses_duplicates_and_gaps() -> None:
    field = _field(FieldKind.RANKED_CHOICE, choices=KINDERGARTENS, places=3)
    assert _clean(field, {"f_0": "Maurtua", "f_1": "Bakkebo", "f_2": ""}) == ["Maurtua", "Bakkebo"]
    assert "1st choice" in _errors(field, {"f_0": "", "f_1": "", "f_2": ""})[0]
    assert "only once" in _errors(field, {"f_0": "Maurtua", "f_1": "Maurtua"})[0]
    assert "in order" in _errors(field, {"f_0": "", "f_1": "Maurtua"})[0]
    assert _errors(field, {"f_0": "Ikke en barnehage"})
    optional = _field(FieldKind.RANKED_CHOICE, required=False, choices=KINDERGARTENS, places=3)
    assert _clean(optional, {}) == []


def test_ranked_choice_renders_one_labelled_select_per_place() -> None:
    field = _field(FieldKind.RANKED_CHOICE, choices=KINDERGARTENS, places=3)
    html = str(formbuilder.build_form_class([field])()["f"])
    assert html.count("<select") == 3
    for ordinal, index in (("1st choice", 0), ("2nd choice", 1), ("3rd choice", 2)):
        assert f'<label for="id_f_{index}">{ordinal}</label>' in html


def test_text_lengths_email_number_and_choices() -> None:
    text = _field(FieldKind.TEXT, min_length=3, max_length=5)
    assert _clean(text, {"f": "abcd"}) == "abcd"
    assert "at least 3" in _errors(text, {"f": "ab"})[0]
    assert "at most 5" in _errors(text, {"f": "abcdef"})[0]
    assert "required" in _errors(_field(FieldKind.TEXTAREA), {"f": "  "})[0]
    assert _clean(_field(FieldKind.EMAIL), {"f": "a@example.no"}) == "a@example.no"
    assert _errors(_field(FieldKind.EMAIL), {"f": "not an address"})
    number = _field(FieldKind.NUMBER, min_value=1, max_value=10)
    assert str(_clean(number, {"f": "2,5"})) == "2.5"
    assert "greater than or equal to 1" in _errors(number, {"f": "0"})[0]
    assert "less than or equal to 10" in _errors(number, {"f": "11"})[0]
    assert _errors(number, {"f": "mange"})
    choice = _field(FieldKind.CHOICE, choices=["Ja", "Nei"])
    assert _clean(choice, {"f": "Ja"}) == "Ja"
    assert _errors(choice, {"f": "Kanskje"})
    multi = _field(FieldKind.MULTI_CHOICE, choices=["A", "B", "C"], min_choices=2, max_choices=2)
    assert _clean(multi, {"f": ["A", "C"]}) == ["A", "C"]
    assert "at least 2" in _errors(multi, {"f": ["A"]})[0]
    assert "at most 2" in _errors(multi, {"f": ["A", "B", "C"]})[0]


def test_checkbox_required_means_ticked() -> None:
    assert _clean(_field(FieldKind.CHECKBOX), {"f": "on"}) is True
    assert "required" in _errors(_field(FieldKind.CHECKBOX), {})[0]
    assert _clean(_field(FieldKind.CHECKBOX, required=False), {}) is False


def test_file_field_checks_type_size_and_content() -> None:
    field = _field(FieldKind.FILE, file_types=["pdf"], max_mb=1)
    good = SimpleUploadedFile("vedtak.pdf", PDF)
    form = formbuilder.build_form_class([field])(data={}, files=MultiValueDict({"f": [good]}))
    assert form.is_valid(), form.errors
    png = SimpleUploadedFile("bilde.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    assert "does not accept" in _errors(field, {}, {"f": png})[0]
    html = SimpleUploadedFile("faktura.pdf", b"<html><script>alert(1)</script></html>")
    assert "does not match its file type" in _errors(field, {}, {"f": html})[0]
    large = SimpleUploadedFile("stor.pdf", PDF + b"0" * (1024 * 1024 + 1))
    assert "too large" in _errors(field, {}, {"f": large})[0]
    assert "required" in _errors(field, {}, {})[0]
    # A file kept in the draft counts for a required attachment.
    kept = formbuilder.build_form_class([field], kept_files={"f"})(data={}, files=MultiValueDict())
    assert kept.is_valid()


def test_errors_are_linked_to_their_fields_for_screen_readers() -> None:
    field = _field(FieldKind.TEXT)
    field.help_text = "Som i folkeregisteret"
    form = formbuilder.build_form_class([field])(data={"f": ""})
    assert not form.is_valid()
    html = str(form["f"])
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_f_helptext id_f_error"' in html


def test_draft_values_keep_what_is_typed_without_validating() -> None:
    definitions = [
        _field(FieldKind.NATIONAL_ID),
        FormField(key="r", label="R", kind=FieldKind.RANKED_CHOICE, choices=KINDERGARTENS),
        FormField(key="m", label="M", kind=FieldKind.MULTI_CHOICE, choices=["A", "B"]),
        FormField(key="c", label="C", kind=FieldKind.CHECKBOX),
    ]
    post = QueryDict(mutable=True)
    post.update({"f": "123", "r_0": "Maurtua", "r_1": "Maurtua", "c": "on"})
    post.setlist("m", ["A", "X"])
    values = formbuilder.draft_values(definitions, post)
    assert values == {"f": "123", "r": ["Maurtua", "Maurtua"], "m": ["A", "X"], "c": True}
    # The same values fill the form in again.
    form = formbuilder.build_form_class(definitions)(
        initial=formbuilder.initial_from_draft(definitions, values)
    )
    assert 'value="123"' in str(form["f"])
    assert str(form["r"]).count('value="Maurtua" selected') == 2


@pytest.mark.parametrize(
    ("row", "text"),
    [
        ({"kind": FieldKind.CHECKBOX, "value": True}, "Yes"),
        ({"kind": FieldKind.RANKED_CHOICE, "value": ["A", "B"]}, "1. A; 2. B"),
        ({"kind": FieldKind.DATE, "value": "2030-08-01"}, "01.08.2030"),
        ({"kind": FieldKind.FILE, "value": ["a.pdf", "b.png"]}, "a.pdf, b.png"),
    ],
)
def test_display_value_of_snapshot_rows(row: dict[str, Any], text: str) -> None:
    from django.utils import translation

    with translation.override("en"):
        assert formbuilder.display_value(row) == text

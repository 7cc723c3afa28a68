"""Build a Django form class from a self-service form's fields.

Each `FormField` becomes one Django field named by its key, with the kind's validation and the
limits staff set in `FormField.options`:

    min_length, max_length        short and long text
    min_value, max_value          number
    not_before_today, within_days date (not in the past; at most N days ahead)
    min_choices, max_choices      several choices
    places                        choices in order of preference (how many select boxes)
    file_types, max_mb            attachment (extensions such as "pdf", "jpg"; size per file)

`answers_from_draft` and `draft_values` turn what a person typed into the draft's JSON and back,
without validating (a draft keeps what is typed, also when it is wrong). `snapshot` turns
cleaned data into the list a case keeps.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from torget.cases.models import FieldKind, FormField
from torget.pages import files
from torget.pages.files import check_upload

TEXT_MAX = 200
TEXTAREA_MAX = 5000
DEFAULT_PLACES = 3
MAX_PLACES = 10
# Attachment types a form may accept, by extension (a subset of what pages.files knows).
FILE_TYPE_CHOICES = [
    ("pdf", "PDF"),
    ("jpg", "JPEG"),
    ("png", "PNG"),
    ("webp", "WebP"),
    ("txt", _("Plain text")),
    ("odt", "ODT"),
    ("docx", "DOCX"),
]
DEFAULT_FILE_TYPES = ["pdf", "jpg", "png"]
DEFAULT_MAX_MB = 10
# Ordinals for the select boxes of a ranked choice.
ORDINALS = [
    _("1st choice"),
    _("2nd choice"),
    _("3rd choice"),
    _("4th choice"),
    _("5th choice"),
    _("6th choice"),
    _("7th choice"),
    _("8th choice"),
    _("9th choice"),
    _("10th choice"),
]

# --- the Norwegian national identity number -------------------------------------------------

_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _check_digit(digits: Sequence[int], weights: Sequence[int]) -> int | None:
    """The mod-11 check digit over `digits`, or None when none fits (a remainder of 1)."""
    rest = 11 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    if rest == 11:
        return 0
    return None if rest == 10 else rest


def national_id_is_valid(value: str) -> bool:
    """True for 11 digits whose two mod-11 check digits are right (fødselsnummer, D-number)."""
    if len(value) != 11 or not value.isdigit():
        return False
    digits = [int(c) for c in value]
    k1 = _check_digit(digits[:9], _K1_WEIGHTS)
    if k1 is None or k1 != digits[9]:
        return False
    k2 = _check_digit(digits[:10], _K2_WEIGHTS)
    return k2 is not None and k2 == digits[10]


def national_id_complete(first_nine: str) -> str | None:
    """The whole number for the first nine digits (birth date and individual number), or None
    when no check digits fit. For tests and demo data."""
    digits = [int(c) for c in first_nine]
    k1 = _check_digit(digits, _K1_WEIGHTS)
    if k1 is None:
        return None
    k2 = _check_digit([*digits, k1], _K2_WEIGHTS)
    return None if k2 is None else f"{first_nine}{k1}{k2}"


class NationalIdField(forms.CharField):
    default_error_messages = {
        "invalid": _(
            "This is not a valid national identity number. Check the 11 digits "
            "(a birth number or a D-number)."
        )
    }

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return "".join((text or "").split())

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and not national_id_is_valid(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")


class PhoneField(forms.CharField):
    """A phone number, Norwegian unless it starts with a country code; kept as E.164."""

    default_error_messages = {"invalid": _("Enter a valid phone number, e.g. 912 34 567.")}

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if not text:
            return ""
        try:
            number = phonenumbers.parse(text, "NO")
        except phonenumbers.NumberParseException as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class NumberField(forms.DecimalField):
    """A number typed with a decimal comma or point, and spaces between thousands."""

    def to_python(self, value: Any) -> decimal.Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            value = "".join(value.split()).replace(",", ".")
        return super().to_python(value)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class LimitedDateField(forms.DateField):
    """A date with the form's limits: not before today, and at most `within_days` ahead."""

    def __init__(self, *, not_before_today: bool, within_days: int | None, **kwargs: Any):
        self.not_before_today = not_before_today
        self.within_days = within_days
        super().__init__(
            input_formats=["%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"], widget=DateInput(), **kwargs
        )
        today = timezone.localdate()
        if not_before_today:
            self.widget.attrs["min"] = today.isoformat()
        if within_days is not None:
            self.widget.attrs["max"] = (today + datetime.timedelta(days=within_days)).isoformat()

    def validate(self, value: datetime.date | None) -> None:
        super().validate(value)
        if value is None:
            return
        today = timezone.localdate()
        if self.not_before_today and value < today:
            raise ValidationError(_("The date cannot be before today."), code="past")
        if self.within_days is not None:
            last = today + datetime.timedelta(days=self.within_days)
            if value > last:
                raise ValidationError(
                    _("The date must be on or before %(last)s."),
                    code="too_late",
                    params={"last": last.strftime("%d.%m.%Y")},
                )


class RankedSelect(forms.MultiWidget):
    """N select boxes, "1st choice", "2nd choice", ..., each with its own label."""

    template_name = "cases/form_widget_ranked.html"

    def __init__(self, choices: Sequence[tuple[str, Any]], places: int) -> None:
        self.places = places
        widgets = [forms.Select(choices=choices) for _ in range(places)]
        super().__init__(widgets)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, list | tuple):
            return [*value, *[""] * self.places][: self.places]
        return [""] * self.places

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        for index, sub in enumerate(context["widget"]["subwidgets"]):
            sub["ordinal"] = ORDINALS[index] if index < len(ORDINALS) else str(index + 1)
        return context


class RankedChoiceField(forms.MultiValueField):
    """Choices in order of preference: the first required when the field is, no duplicates,
    no gaps (a 3rd choice needs a 2nd)."""

    def __init__(self, *, choices: Sequence[str], places: int, required: bool, **kwargs: Any):
        options = [("", _("Choose")), *[(c, c) for c in choices]]
        fields = [forms.ChoiceField(choices=options, required=False) for _ in range(places)]
        super().__init__(
            fields=fields,
            widget=RankedSelect(options, places),
            require_all_fields=False,
            required=required,
            **kwargs,
        )

    def compress(self, data_list: list[str]) -> list[str]:
        picked = list(data_list or [])
        while picked and not picked[-1]:
            picked.pop()
        if "" in picked:
            raise ValidationError(
                _("Fill in the choices in order, without leaving one empty in between."),
                code="gap",
            )
        if len(set(picked)) != len(picked):
            raise ValidationError(_("Choose each option only once."), code="duplicate")
        if self.required and not picked:
            raise ValidationError(_("Choose at least your 1st choice."), code="required")
        return picked

    def clean(self, value: Any) -> list[str]:
        # MultiValueField rejects an all-empty value as "required" before compress; let
        # compress say it in this field's words instead.
        values = list(value or []) if isinstance(value, list | tuple) else []
        cleaned = [field.clean(v) for field, v in zip(self.fields, values, strict=False)]
        result = self.compress(cleaned)
        self.validate(result)
        self.run_validators(result)
        return result

    def validate(self, value: Any) -> None:
        return


class CountedMultipleChoiceField(forms.MultipleChoiceField):
    def __init__(self, *, min_choices: int | None, max_choices: int | None, **kwargs: Any):
        self.min_choices = min_choices
        self.max_choices = max_choices
        super().__init__(**kwargs)

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if value and self.min_choices and len(value) < self.min_choices:
            raise ValidationError(
                ngettext_lazy(
                    "Choose at least %(count)d option.",
                    "Choose at least %(count)d options.",
                    "count",
                ),
                code="too_few",
                params={"count": self.min_choices},
            )
        if self.max_choices and len(value) > self.max_choices:
            raise ValidationError(
                ngettext_lazy(
                    "Choose at most %(count)d option.",
                    "Choose at most %(count)d options.",
                    "count",
                ),
                code="too_many",
                params={"count": self.max_choices},
            )


def file_types_of(field: FormField) -> list[str]:
    known = {ext for ext, _label in FILE_TYPE_CHOICES}
    wanted = [ext for ext in field.options.get("file_types") or DEFAULT_FILE_TYPES if ext in known]
    return wanted or DEFAULT_FILE_TYPES


def max_bytes_of(field: FormField) -> int:
    mb = _int(field.options.get("max_mb")) or DEFAULT_MAX_MB
    return min(mb, files.MAX_ATTACHMENT_MB) * 1024 * 1024


def check_attachment(field: FormField, upload: UploadedFile) -> files.CheckedFile:
    """Check one upload for a FILE field: this field's types and size, then the content check
    every upload gets (magic bytes, the name's type, archive bombs). Raises ValidationError."""
    name = upload.name or "file"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = file_types_of(field)
    # JPEG is one type under two extensions.
    if extension == "jpeg":
        extension = "jpg"
    if extension not in allowed:
        raise ValidationError(
            _("The file %(name)s is of a type this form does not accept. Allowed: %(types)s."),
            code="type",
            params={"name": name, "types": ", ".join(e.upper() for e in allowed)},
        )
    limit = max_bytes_of(field)
    if (upload.size or 0) > limit:
        raise ValidationError(
            _("The file %(name)s is too large (%(size)s). The limit is %(max)s."),
            code="too_large",
            params={
                "name": name,
                "size": filesizeformat(upload.size or 0),
                "max": filesizeformat(limit),
            },
        )
    return check_upload(upload, name)


class AttachmentField(forms.FileField):
    """One attachment, checked by content. A file kept in the draft counts for "required"."""

    def __init__(self, *, definition: FormField, kept: bool, **kwargs: Any) -> None:
        self.definition = definition
        self.kept = kept
        accept = ",".join(f".{e}" for e in file_types_of(definition))
        super().__init__(widget=forms.ClearableFileInput(attrs={"accept": accept}), **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if not data:
            if self.required and not self.kept:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        upload = super().clean(data, initial)
        check_attachment(self.definition, upload)
        return upload


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def field_for(definition: FormField, *, kept_files: Iterable[str] = ()) -> forms.Field:
    """The Django field for one form field."""
    kind = definition.kind
    opts = definition.options or {}
    common: dict[str, Any] = {
        "label": definition.label,
        "help_text": definition.help_text,
        "required": definition.required,
    }
    choices = [str(c) for c in definition.choices or []]
    if kind in (FieldKind.TEXT, FieldKind.TEXTAREA):
        limit = TEXT_MAX if kind == FieldKind.TEXT else TEXTAREA_MAX
        max_length = min(_int(opts.get("max_length")) or limit, limit)
        widget = forms.Textarea(attrs={"rows": 5}) if kind == FieldKind.TEXTAREA else None
        return forms.CharField(
            min_length=_int(opts.get("min_length")),
            max_length=max_length,
            widget=widget,
            **common,
        )
    if kind == FieldKind.EMAIL:
        return forms.EmailField(max_length=254, **common)
    if kind == FieldKind.PHONE:
        return PhoneField(max_length=30, widget=forms.TextInput(attrs={"type": "tel"}), **common)
    if kind == FieldKind.NUMBER:
        return NumberField(
            min_value=opts.get("min_value"),
            max_value=opts.get("max_value"),
            max_digits=15,
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            **common,
        )
    if kind == FieldKind.DATE:
        return LimitedDateField(
            not_before_today=bool(opts.get("not_before_today")),
            within_days=_int(opts.get("within_days")),
            **common,
        )
    if kind == FieldKind.NATIONAL_ID:
        return NationalIdField(
            max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric"}), **common
        )
    if kind == FieldKind.CHOICE:
        return forms.ChoiceField(
            choices=[(c, c) for c in choices], widget=forms.RadioSelect, **common
        )
    if kind == FieldKind.MULTI_CHOICE:
        return CountedMultipleChoiceField(
            choices=[(c, c) for c in choices],
            widget=forms.CheckboxSelectMultiple,
            min_choices=_int(opts.get("min_choices")),
            max_choices=_int(opts.get("max_choices")),
            **common,
        )
    if kind == FieldKind.RANKED_CHOICE:
        places = max(1, min(_int(opts.get("places")) or DEFAULT_PLACES, MAX_PLACES, len(choices)))
        return RankedChoiceField(choices=choices, places=places, **common)
    if kind == FieldKind.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == FieldKind.FILE:
        return AttachmentField(
            definition=definition, kept=definition.key in set(kept_files), **common
        )
    raise ValueError(f"unknown field kind {kind!r}")


class FilledForm(forms.Form):
    """Base of every built form: marks fields with errors `aria-invalid` and points
    `aria-describedby` at the error list and the help text (ids as `form_field.html` writes)."""

    def _describe(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            described = []
            if field.help_text:
                described.append(f"{bound.auto_id}_helptext")
            if self.is_bound and name in self.errors:
                described.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)
            else:
                field.widget.attrs.pop("aria-describedby", None)

    def full_clean(self) -> None:
        super().full_clean()
        self._describe()


def build_form_class(
    definitions: Sequence[FormField], *, kept_files: Iterable[str] = ()
) -> type[FilledForm]:
    """A Form class with one field per definition, in their order. `kept_files` are the keys
    of FILE fields that already have an attachment in the draft."""
    kept = set(kept_files)
    attrs: dict[str, Any] = {d.key: field_for(d, kept_files=kept) for d in definitions}
    return type("BuiltForm", (FilledForm,), attrs)


# --- drafts and snapshots -------------------------------------------------------------------


def draft_values(definitions: Sequence[FormField], post: QueryDict) -> dict[str, Any]:
    """What was typed, as the draft keeps it: strings (cut to the fields' size limits), lists
    for the choice kinds, a boolean for a checkbox. Nothing is validated."""
    values: dict[str, Any] = {}
    for d in definitions:
        if d.kind == FieldKind.FILE:
            continue
        if d.kind == FieldKind.MULTI_CHOICE:
            values[d.key] = [v[:TEXT_MAX] for v in post.getlist(d.key)][:50]
        elif d.kind == FieldKind.RANKED_CHOICE:
            values[d.key] = [post.get(f"{d.key}_{i}", "")[:TEXT_MAX] for i in range(MAX_PLACES)]
            while values[d.key] and not values[d.key][-1]:
                values[d.key].pop()
        elif d.kind == FieldKind.CHECKBOX:
            values[d.key] = post.get(d.key) in ("on", "true", "1")
        else:
            limit = TEXTAREA_MAX if d.kind == FieldKind.TEXTAREA else TEXT_MAX
            values[d.key] = post.get(d.key, "")[:limit]
    return values


def initial_from_draft(definitions: Sequence[FormField], data: Mapping[str, Any]) -> dict[str, Any]:
    """The draft's values as a form's initial data (only keys the form still has)."""
    return {d.key: data[d.key] for d in definitions if d.key in data and d.kind != FieldKind.FILE}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, UploadedFile):
        return value.name
    return value


def snapshot(
    definitions: Sequence[FormField],
    cleaned: Mapping[str, Any],
    attachments: Mapping[str, list[str]],
) -> list[dict[str, Any]]:
    """Each field's key, label, kind and value, in order: what a case keeps of its form.
    A FILE field's value is the list of its attachments' names."""
    rows = []
    for d in definitions:
        value: Any
        if d.kind == FieldKind.FILE:
            value = list(attachments.get(d.key, []))
        else:
            value = _json_value(cleaned.get(d.key))
            if value is None:
                value = ""
        rows.append({"key": d.key, "label": d.label, "kind": d.kind, "value": value})
    return rows


def display_value(row: Mapping[str, Any]) -> str:
    """One snapshot row's value as text for people (receipts, summaries)."""
    value = row.get("value")
    kind = row.get("kind")
    if kind == FieldKind.CHECKBOX:
        return str(_("Yes") if value else _("No"))
    if kind == FieldKind.RANKED_CHOICE and isinstance(value, list):
        return "; ".join(f"{i}. {v}" for i, v in enumerate(value, start=1))
    if kind == FieldKind.DATE and isinstance(value, str) and value:
        try:
            return datetime.date.fromisoformat(value).strftime("%d.%m.%Y")
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)

"""Defining self-service forms: the form's settings and its fields (staff of the handling unit).

Who: unit administrators, communicators and case officers of the form's unit or of a unit
above it (`can_edit_form`). Every write runs in one transaction with the search index, so a
form is findable exactly while it is published. A case keeps its own snapshot of the fields,
so editing or deleting a field never changes what residents have sent.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

from torget.accounts.models import User
from torget.cases.models import FieldKind, Form, FormField
from torget.cases.search import form_index
from torget.organisation.models import Membership, Municipality, Role, Unit
from torget.organisation.policies import has_role

EDIT_ROLES = frozenset({Role.UNIT_ADMIN, Role.COMMUNICATOR, Role.CASE_OFFICER})
CHOICE_KINDS = frozenset({FieldKind.CHOICE, FieldKind.MULTI_CHOICE, FieldKind.RANKED_CHOICE})
MAX_CHOICES = 100


def can_edit_form(user: User | AnonymousUser, unit: Unit) -> bool:
    """Define forms handled by `unit`: its administrators, communicators and case officers."""
    return has_role(user, unit, EDIT_ROLES)


def units_for_forms(*, viewer: User | AnonymousUser, municipality: Municipality) -> QuerySet[Unit]:
    """The units whose forms `viewer` may define: those of their roles and every unit below."""
    if not viewer.is_authenticated:
        return Unit.objects.none()
    paths = list(
        Membership.objects.filter(
            user_id=viewer.pk, unit__municipality=municipality, role__in=list(EDIT_ROLES)
        ).values_list("unit__path", flat=True)
    )
    if not paths:
        return Unit.objects.none()
    under = functools.reduce(operator.or_, (Q(path__startswith=p) for p in paths))
    return Unit.objects.filter(under, municipality=municipality).order_by("path")


def form_list_for_editor(
    *, viewer: User | AnonymousUser, municipality: Municipality
) -> QuerySet[Form]:
    """The forms of the units `viewer` serves, with their unit, by title."""
    return (
        Form.objects.filter(
            municipality=municipality,
            unit__in=units_for_forms(viewer=viewer, municipality=municipality),
        )
        .select_related("unit")
        .order_by("title", "pk")
    )


def _check(actor: User, unit: Unit) -> None:
    if not can_edit_form(actor, unit):
        raise PermissionDenied


_NORWEGIAN = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A"})


def _slug(text: str) -> str:
    """A URL-safe name; Norwegian letters spelled out first, since slugify drops ø."""
    return slugify(text.translate(_NORWEGIAN))


def _unique_slug(municipality: Municipality, title: str, *, exclude: int | None = None) -> str:
    base = (_slug(title) or "skjema")[:70]
    slug = base
    taken = Form.objects.filter(municipality=municipality)
    if exclude:
        taken = taken.exclude(pk=exclude)
    number = 2
    while taken.filter(slug=slug).exists():
        slug = f"{base}-{number}"
        number += 1
    return slug


@transaction.atomic
def form_create(
    *,
    actor: User,
    unit: Unit,
    title: str,
    intro: str = "",
    processing_days: int = 20,
    is_published: bool = False,
    slug: str = "",
) -> Form:
    """Create a form handled by `unit`. Raises PermissionDenied unless `actor` may define
    forms for the unit; puts a published form in the search index."""
    _check(actor, unit)
    form = Form.objects.create(
        municipality=unit.municipality,
        unit=unit,
        slug=_unique_slug(unit.municipality, slug or title),
        title=title.strip(),
        intro=intro.strip(),
        processing_days=processing_days,
        is_published=is_published,
    )
    form_index(form)
    return form


@transaction.atomic
def form_update(*, actor: User, form: Form, unit: Unit | None = None, **changes: Any) -> Form:
    """Change a form's title, intro, processing goal, publication or handling unit.

    Moving the form to another unit needs the right in both. Updates the search index in the
    same transaction (publishing puts it in, unpublishing takes it out)."""
    _check(actor, form.unit)
    if unit is not None and unit.pk != form.unit_id:
        if unit.municipality_id != form.municipality_id:
            raise PermissionDenied
        _check(actor, unit)
        form.unit = unit
    allowed = {"title", "intro", "processing_days", "is_published"}
    for name, value in changes.items():
        if name not in allowed:
            raise TypeError(f"form_update() got an unexpected field {name!r}")
        setattr(form, name, value.strip() if isinstance(value, str) else value)
    form.save()
    form_index(form)
    return form


def _clean_choices(kind: str, choices: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for choice in choices:
        text = str(choice).strip()[:200]
        if text and text not in cleaned:
            cleaned.append(text)
    if kind in CHOICE_KINDS and not cleaned:
        raise ValidationError({"choices": _("Write the choices, one per line.")})
    if len(cleaned) > MAX_CHOICES:
        raise ValidationError({"choices": _("At most %(count)d choices.") % {"count": MAX_CHOICES}})
    return cleaned if kind in CHOICE_KINDS else []


def _unique_key(form: Form, label: str, *, exclude: int | None = None) -> str:
    base = (_slug(label).replace("-", "_") or "felt")[:40]
    key = base
    taken = FormField.objects.filter(form=form)
    if exclude:
        taken = taken.exclude(pk=exclude)
    number = 2
    while taken.filter(key=key).exists():
        key = f"{base}_{number}"
        number += 1
    return key


@transaction.atomic
def field_add(
    *,
    actor: User,
    form: Form,
    label: str,
    kind: str,
    help_text: str = "",
    required: bool = True,
    choices: Sequence[str] = (),
    options: dict[str, Any] | None = None,
    key: str = "",
) -> FormField:
    """Add a field at the end of `form`. Its key (the name in the submitted data) comes from
    the label and never changes afterwards. Raises ValidationError for a choice kind without
    choices, PermissionDenied unless `actor` may define the form."""
    _check(actor, form.unit)
    if kind not in FieldKind.values:
        raise ValidationError({"kind": _("Choose a type.")})
    last = FormField.objects.filter(form=form).aggregate(m=Max("position"))["m"]
    field = FormField.objects.create(
        form=form,
        key=_unique_key(form, key or label),
        label=label.strip(),
        help_text=help_text.strip(),
        kind=kind,
        required=required,
        choices=_clean_choices(kind, choices),
        options=dict(options or {}),
        position=0 if last is None else last + 1,
    )
    form_index(form)
    return field


@transaction.atomic
def field_update(
    *,
    actor: User,
    field: FormField,
    label: str,
    kind: str,
    help_text: str = "",
    required: bool = True,
    choices: Sequence[str] = (),
    options: dict[str, Any] | None = None,
) -> FormField:
    """Change a field (its key stays). Submitted cases keep their snapshot."""
    _check(actor, field.form.unit)
    if kind not in FieldKind.values:
        raise ValidationError({"kind": _("Choose a type.")})
    field.label = label.strip()
    field.help_text = help_text.strip()
    field.kind = kind
    field.required = required
    field.choices = _clean_choices(kind, choices)
    field.options = dict(options or {})
    field.save()
    form_index(field.form)
    return field


@transaction.atomic
def field_delete(*, actor: User, field: FormField) -> None:
    """Delete a field. Drafts keep its value unused; cases keep their snapshot."""
    form = field.form
    _check(actor, form.unit)
    field.delete()
    form_index(form)


@transaction.atomic
def field_move(*, actor: User, field: FormField, up: bool) -> FormField:
    """Move a field one place up or down (swapping with its neighbour); the first field moved
    up and the last moved down stay where they are. Renumbers the positions 0..n-1."""
    _check(actor, field.form.unit)
    fields = list(
        FormField.objects.select_for_update()
        .filter(form_id=field.form_id)
        .order_by("position", "pk")
    )
    index = next(i for i, f in enumerate(fields) if f.pk == field.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(fields):
        fields[index], fields[other] = fields[other], fields[index]
    for position, item in enumerate(fields):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    return next(f for f in fields if f.pk == field.pk)

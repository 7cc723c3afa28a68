"""Staff pages that define self-service forms: the list, a form's settings, its fields (add,
edit, delete, move up and down with plain buttons) and a preview. Thin: parse, call one
service, render; a refused form answers 422 with what was typed and the errors beside it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from torget.cases.formbuilder import FILE_TYPE_CHOICES, FilledForm
from torget.cases.models import FieldKind, Form, FormField
from torget.cases.services import form_admin as service
from torget.cases.views.forms import SeeOther, _municipality, _user, form_render_preview
from torget.organisation.models import Unit

PER_PAGE = 25


class FormSettingsForm(FilledForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    intro = forms.CharField(
        label=gettext_lazy("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Who the form is for and what the resident needs at hand."),
    )
    unit = forms.ModelChoiceField(label=gettext_lazy("Handling unit"), queryset=Unit.objects.none())
    processing_days = forms.IntegerField(
        label=gettext_lazy("Processing-time goal (working days)"), min_value=1, max_value=365
    )
    is_published = forms.BooleanField(
        label=gettext_lazy("Published (open for submissions)"), required=False
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units


class FieldForm(FilledForm):
    label = forms.CharField(label=gettext_lazy("Label"), max_length=200)
    help_text = forms.CharField(label=gettext_lazy("Help text"), max_length=500, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=FieldKind.choices)
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False)
    choices = forms.CharField(
        label=gettext_lazy("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("For the choice types: one choice per line."),
    )
    min_length = forms.IntegerField(
        label=gettext_lazy("Shortest text (characters)"), min_value=0, required=False
    )
    max_length = forms.IntegerField(
        label=gettext_lazy("Longest text (characters)"), min_value=1, required=False
    )
    min_value = forms.DecimalField(label=gettext_lazy("Smallest number"), required=False)
    max_value = forms.DecimalField(label=gettext_lazy("Largest number"), required=False)
    not_before_today = forms.BooleanField(
        label=gettext_lazy("Date not before today"), required=False
    )
    within_days = forms.IntegerField(
        label=gettext_lazy("Date at most this many days ahead"), min_value=0, required=False
    )
    min_choices = forms.IntegerField(
        label=gettext_lazy("Fewest choices"), min_value=0, required=False
    )
    max_choices = forms.IntegerField(
        label=gettext_lazy("Most choices"), min_value=1, required=False
    )
    places = forms.IntegerField(
        label=gettext_lazy("Places in the order of preference"),
        min_value=1,
        max_value=10,
        required=False,
    )
    file_types = forms.MultipleChoiceField(
        label=gettext_lazy("Accepted attachment types"),
        choices=FILE_TYPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    max_mb = forms.IntegerField(
        label=gettext_lazy("Largest attachment (MB)"), min_value=1, max_value=10, required=False
    )

    OPTION_NAMES = (
        "min_length",
        "max_length",
        "min_value",
        "max_value",
        "not_before_today",
        "within_days",
        "min_choices",
        "max_choices",
        "places",
        "file_types",
        "max_mb",
    )

    def options(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in self.OPTION_NAMES:
            value = self.cleaned_data.get(name)
            if value in (None, "", [], False):
                continue
            found[name] = float(str(value)) if name in ("min_value", "max_value") else value
        return found

    def choice_lines(self) -> list[str]:
        return [line for line in self.cleaned_data.get("choices", "").splitlines() if line.strip()]

    def field_values(self) -> dict[str, Any]:
        """The keyword arguments that `field_add` and `field_update` take from this form."""
        data = self.cleaned_data
        return {
            "label": data["label"],
            "help_text": data["help_text"],
            "kind": data["kind"],
            "required": data["required"],
            "choices": self.choice_lines(),
            "options": self.options(),
        }

    @classmethod
    def initial_for(cls, field: FormField) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "label": field.label,
            "help_text": field.help_text,
            "kind": field.kind,
            "required": field.required,
            "choices": "\n".join(field.choices or []),
        }
        initial.update({k: v for k, v in (field.options or {}).items() if k in cls.OPTION_NAMES})
        return initial


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log-in first; then only people who may define forms for some unit (else 403)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        units = service.units_for_forms(viewer=request.user, municipality=_municipality(request))
        if not units.exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _editable_form(request: HttpRequest, pk: int) -> Form:
    form = get_object_or_404(
        Form.objects.select_related("unit"), pk=pk, municipality=_municipality(request)
    )
    if not service.can_edit_form(request.user, form.unit):
        raise PermissionDenied
    return form


def _apply(form: FilledForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
    form._describe()


@require_http_methods(["GET"])
@staff_view
def form_admin_list(request: HttpRequest) -> HttpResponse:
    """The forms of the units the person serves."""
    forms_ = service.form_list_for_editor(viewer=request.user, municipality=_municipality(request))
    page = Paginator(forms_, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "cases/form_admin_list.html", {"page_obj": page, "forms": page.object_list}
    )


@require_http_methods(["GET", "POST"])
@staff_view
def form_admin_create(request: HttpRequest) -> HttpResponse:
    units = service.units_for_forms(viewer=request.user, municipality=_municipality(request))
    if request.method == "POST":
        bound = FormSettingsForm(request.POST, units=units)
        if bound.is_valid():
            data = bound.cleaned_data
            created = service.form_create(
                actor=_user(request),
                unit=data["unit"],
                title=data["title"],
                intro=data["intro"],
                processing_days=data["processing_days"],
                is_published=data["is_published"],
            )
            messages.success(request, _("The form is created. Now add its fields."))
            return SeeOther(reverse("cases:form-admin-edit", args=[created.pk]))
        return render(request, "cases/form_admin_edit.html", {"settings": bound}, status=422)
    bound = FormSettingsForm(units=units, initial={"processing_days": 20})
    return render(request, "cases/form_admin_edit.html", {"settings": bound})


@require_http_methods(["GET", "POST"])
@staff_view
def form_admin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A form's settings and the list of its fields."""
    form = _editable_form(request, pk)
    units = service.units_for_forms(viewer=request.user, municipality=_municipality(request))
    status = 200
    if request.method == "POST":
        bound = FormSettingsForm(request.POST, units=units)
        if bound.is_valid():
            service.form_update(actor=_user(request), form=form, **bound.cleaned_data)
            messages.success(request, _("The form is saved."))
            return SeeOther(reverse("cases:form-admin-edit", args=[form.pk]))
        status = 422
    else:
        bound = FormSettingsForm(
            units=units,
            initial={
                "title": form.title,
                "intro": form.intro,
                "unit": form.unit_id,
                "processing_days": form.processing_days,
                "is_published": form.is_published,
            },
        )
    context = {
        "settings": bound,
        "editing": form,
        "form_fields": list(form.fields.all()),
        "case_count": form.cases.count(),
    }
    return render(request, "cases/form_admin_edit.html", context, status=status)


@require_http_methods(["GET"])
@staff_view
def form_admin_preview(request: HttpRequest, pk: int) -> HttpResponse:
    return form_render_preview(request, _editable_form(request, pk))


def _field_page(
    request: HttpRequest, form: Form, bound: FieldForm, field: FormField | None, status: int = 200
) -> HttpResponse:
    context = {"editing": form, "field_form": bound, "field": field}
    return render(request, "cases/form_admin_field.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view
def field_admin_create(request: HttpRequest, pk: int) -> HttpResponse:
    form = _editable_form(request, pk)
    if request.method == "GET":
        return _field_page(request, form, FieldForm(initial={"required": True}), None)
    bound = FieldForm(request.POST)
    if bound.is_valid():
        try:
            service.field_add(
                actor=_user(request),
                form=form,
                **bound.field_values(),
            )
        except ValidationError as exc:
            _apply(bound, exc)
        else:
            messages.success(request, _("The field is added."))
            return SeeOther(reverse("cases:form-admin-edit", args=[form.pk]))
    return _field_page(request, form, bound, None, status=422)


def _field_of(form: Form, field_pk: int) -> FormField:
    return get_object_or_404(FormField, pk=field_pk, form=form)


@require_http_methods(["GET", "POST"])
@staff_view
def field_admin_edit(request: HttpRequest, pk: int, field_pk: int) -> HttpResponse:
    form = _editable_form(request, pk)
    field = _field_of(form, field_pk)
    if request.method == "GET":
        return _field_page(request, form, FieldForm(initial=FieldForm.initial_for(field)), field)
    bound = FieldForm(request.POST)
    if bound.is_valid():
        try:
            service.field_update(
                actor=_user(request),
                field=field,
                **bound.field_values(),
            )
        except ValidationError as exc:
            _apply(bound, exc)
        else:
            messages.success(request, _("The field is saved."))
            return SeeOther(reverse("cases:form-admin-edit", args=[form.pk]))
    return _field_page(request, form, bound, field, status=422)


@require_POST
@staff_view
def field_admin_delete(request: HttpRequest, pk: int, field_pk: int) -> HttpResponse:
    form = _editable_form(request, pk)
    service.field_delete(actor=_user(request), field=_field_of(form, field_pk))
    messages.success(request, _("The field is deleted."))
    return SeeOther(reverse("cases:form-admin-edit", args=[form.pk]))


@require_POST
@staff_view
def field_admin_move(request: HttpRequest, pk: int, field_pk: int) -> HttpResponse:
    form = _editable_form(request, pk)
    field = _field_of(form, field_pk)
    service.field_move(actor=_user(request), field=field, up=request.POST.get("direction") == "up")
    return SeeOther(reverse("cases:form-admin-edit", args=[form.pk]) + f"#field-{field.pk}")

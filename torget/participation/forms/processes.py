"""Forms of the staff process pages: the process itself, its phases, and a document upload.
The rules live in `services.processes`; a refusal comes back on the fields it names."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from torget.organisation.models import Unit
from torget.pages import files
from torget.pages.forms import AccessibleErrorsMixin
from torget.participation.models import PHASE_ORDER, Phase, PhaseKind, Process, ProcessKind
from torget.participation.services import processes as services

# A hint for the browser's file chooser; the real check is by content (document_check).
ACCEPT = ".pdf,.png,.jpg,.jpeg,.webp,.odt,.docx"

PHASE_HELP = {
    PhaseKind.INFORMATION: _("Residents read about the plans."),
    PhaseKind.INPUT: _(
        "Residents give input: proposals, support and short views. Needed to publish."
    ),
    PhaseKind.PROCESSING: _("The municipality works through the input."),
    PhaseKind.DECISION: _("The decision is made."),
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ProcessForm(AccessibleErrorsMixin, forms.Form):
    """A process: its unit, kind, title, address name, summary and whether it is published."""

    unit = forms.ModelChoiceField(
        label=_("Responsible unit"), queryset=Unit.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(
        label=_("Kind of process"), choices=ProcessKind.choices, widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("Title"), max_length=services.MAX_TITLE)
    slug = forms.CharField(
        label=_("Address name"),
        max_length=services.MAX_SLUG,
        help_text=_("Part of the web address, e.g. veisystemet-i-sentrum: a–z, digits, hyphens."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown. What the process is about and what residents can do."),
    )
    is_published = forms.BooleanField(
        label=_("Published (residents can see the process)"),
        required=False,
        help_text=_("A process needs an input phase before it can be published."),
    )

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            pk__in=[unit.pk for unit in units]
        ).order_by("path")

    def process_fields(self) -> services.ProcessFields:
        data = self.cleaned_data
        return services.ProcessFields(
            title=data["title"],
            slug=data["slug"],
            kind=data["kind"],
            summary=data.get("summary") or "",
            is_published=bool(data.get("is_published")),
        )

    @staticmethod
    def initial_for(process: Process) -> dict[str, Any]:
        return {
            "unit": process.unit_id,
            "kind": process.kind,
            "title": process.title,
            "slug": process.slug,
            "summary": process.summary,
            "is_published": process.is_published,
        }


class PhasesForm(AccessibleErrorsMixin, forms.Form):
    """The four phases, each with an optional first and last day and a description; the
    fields are named "<kind>_starts_on", "<kind>_ends_on", "<kind>_description"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in PHASE_ORDER:
            label = PhaseKind(kind).label
            self.fields[f"{kind}_starts_on"] = forms.DateField(
                label=_("%(phase)s: first day") % {"phase": label},
                required=False,
                widget=DateInput(),
            )
            self.fields[f"{kind}_ends_on"] = forms.DateField(
                label=_("%(phase)s: last day") % {"phase": label},
                required=False,
                widget=DateInput(),
            )
            self.fields[f"{kind}_description"] = forms.CharField(
                label=_("%(phase)s: what happens") % {"phase": label},
                required=False,
                max_length=services.MAX_PHASE_DESCRIPTION,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def groups(self) -> list[dict[str, Any]]:
        """The fields by phase, for one fieldset each."""
        return [
            {
                "kind": kind,
                "label": PhaseKind(kind).label,
                "help": PHASE_HELP[PhaseKind(kind)],
                "fields": [
                    self[f"{kind}_starts_on"],
                    self[f"{kind}_ends_on"],
                    self[f"{kind}_description"],
                ],
            }
            for kind in PHASE_ORDER
        ]

    def phase_dates(self) -> list[services.PhaseDates]:
        data = self.cleaned_data
        return [
            services.PhaseDates(
                kind=kind,
                starts_on=data.get(f"{kind}_starts_on"),
                ends_on=data.get(f"{kind}_ends_on"),
                description=data.get(f"{kind}_description") or "",
            )
            for kind in PHASE_ORDER
        ]

    @staticmethod
    def initial_for(phases: list[Phase]) -> dict[str, datetime.date | str]:
        initial: dict[str, datetime.date | str] = {}
        for phase in phases:
            initial[f"{phase.kind}_starts_on"] = phase.starts_on
            initial[f"{phase.kind}_ends_on"] = phase.ends_on
            initial[f"{phase.kind}_description"] = phase.description
        return initial


class DocumentForm(AccessibleErrorsMixin, forms.Form):
    """One document to upload, with its title and description."""

    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("PDF, PNG, JPEG, WebP, ODT or DOCX, at most %(max)d MB.")
        % {"max": files.MAX_ATTACHMENT_MB},
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=services.MAX_DOCUMENT_TITLE,
        help_text=_("What residents see as the link, e.g. “Plan sketch, alternative A”."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=services.MAX_DOCUMENT_DESCRIPTION,
        help_text=_("What the document shows, in a sentence."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload:
            try:
                services.document_check(upload, upload.name)
            except ValidationError as exc:
                raise ValidationError(exc.messages, code=exc.code) from exc
        return upload

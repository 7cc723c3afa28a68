"""Forms of the hearing pages: they parse what was sent; the services decide.

Files are checked by content here (pages.files.check_upload) so that the person sees which
file was refused beside the field; the service checks them again. A browser never sends a file
back, so after any error the form says that the files must be chosen again.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from torget.conversations.services import MAX_BODY
from torget.core.forms import PrefixedForm
from torget.pages import files
from torget.pages.forms import ACCEPT, AccessibleErrorsMixin
from torget.participation.models import HearingSection
from torget.participation.services.hearings import (
    MAX_ATTACHMENTS,
    MAX_HEADING,
    MAX_ON_BEHALF_OF,
    MAX_TITLE,
)

EMPTY_TEXT = _("Write something before you send.")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class _Form(AccessibleErrorsMixin, PrefixedForm):
    id_prefix = "form"


class StatementForm(_Form):
    """A statement: on the whole plan or one section, the text, an organisation, public or
    not, up to three attachments, and the hidden key that makes a repeated send harmless."""

    id_prefix = "statement"
    section = forms.TypedChoiceField(
        label=_("What is your statement about?"),
        required=False,
        coerce=int,
        empty_value=None,
    )
    body = forms.CharField(
        label=pgettext_lazy("hearing", "Your statement"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": EMPTY_TEXT},
    )
    on_behalf_of = forms.CharField(
        label=_("On behalf of an organisation (optional)"),
        required=False,
        max_length=MAX_ON_BEHALF_OF,
        help_text=_("The name of the association or company you write for, if any."),
    )
    is_public = forms.BooleanField(
        label=_("Publish my statement"),
        required=False,
        initial=True,
        help_text=_(
            "Published statements are shown on this page with your name. If you untick the "
            "box, only the municipality's staff (and you) can see your statement."
        ),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, sections: list[HearingSection], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("submission_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        # Set here, not on the class: a lazy text formatted at import time is fixed in the
        # language active then.
        self.fields["body"].help_text = _(
            "At most %(max)d characters. Blank lines make paragraphs."
        ) % {"max": MAX_BODY}
        self.sections = {section.pk: section for section in sections}
        self.fields["section"].choices = [("", _("The whole plan"))] + [  # type: ignore[attr-defined]
            (section.pk, str(section)) for section in sections
        ]
        for slot in range(1, MAX_ATTACHMENTS + 1):
            self.fields[f"file_{slot}"] = forms.FileField(
                label=_("Attachment %(number)d (optional)") % {"number": slot},
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
                help_text=_("PDF, image (PNG, JPEG, WebP), ODT, DOCX or TXT, at most %(max)d MB.")
                % {"max": files.MAX_ATTACHMENT_MB},
            )

    def file_fields(self) -> list[forms.BoundField]:
        return [self[f"file_{slot}"] for slot in range(1, MAX_ATTACHMENTS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for slot in range(1, MAX_ATTACHMENTS + 1):
            upload = data.get(f"file_{slot}")
            if not upload:
                continue
            try:
                files.check_upload(upload, upload.name)
            except ValidationError as exc:
                self.add_error(f"file_{slot}", exc)
                self.add_error(
                    f"file_{slot}",
                    _("The file was not saved: choose a file again if you want to attach one."),
                )
        return data

    def chosen_section(self) -> HearingSection | None:
        pk = self.cleaned_data.get("section")
        return self.sections.get(pk) if pk is not None else None

    def uploads(self) -> list[Any]:
        return [
            self.cleaned_data[f"file_{slot}"]
            for slot in range(1, MAX_ATTACHMENTS + 1)
            if self.cleaned_data.get(f"file_{slot}")
        ]


class FollowUpForm(_Form):
    """A resident's follow-up in their statement's conversation."""

    id_prefix = "followup"
    body = forms.CharField(
        label=_("Write a follow-up"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": EMPTY_TEXT},
    )


def _moment(label: Any, required: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        error_messages={
            "required": required,
            "invalid": _("Give a date and a time, e.g. 15.01.2027 23:59."),
        },
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text=_("Date and time, Norwegian time."),
    )


class HearingForm(_Form):
    id_prefix = "hearing"
    title = forms.CharField(
        label=_("Title"),
        max_length=MAX_TITLE,
        error_messages={"required": _("Give the hearing a title.")},
    )
    intro = forms.CharField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: blank lines make paragraphs, # makes a heading."),
    )
    opens_at = _moment(_("Opens"), _("Give the opening time."))
    closes_at = _moment(_("Closing date"), _("Give the closing date."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The closing date must come after the opening."))
        return data


class SectionForm(_Form):
    id_prefix = "section"
    number = forms.CharField(
        label=_("Number (optional)"), required=False, max_length=12, help_text=_("E.g. 3.2")
    )
    heading = forms.CharField(
        label=_("Heading"),
        max_length=MAX_HEADING,
        error_messages={"required": _("Give the section a heading.")},
    )
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown."),
    )


class StatementFilterForm(forms.Form):
    """The filters of the staff statement list, read from the query string."""

    section = forms.TypedChoiceField(
        label=_("Section"), required=False, coerce=int, empty_value=None
    )
    answered = forms.ChoiceField(
        label=_("Answered"),
        required=False,
        choices=[("", _("All")), ("no", _("Not answered")), ("yes", _("Answered"))],
    )

    def __init__(self, *args: Any, sections: list[HearingSection], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [  # type: ignore[attr-defined]
            ("", _("All sections")),
            (0, _("The whole plan")),
        ] + [(section.pk, str(section)) for section in sections]


class AnswerManyForm(_Form):
    """One answer to the statements ticked in the list."""

    id_prefix = "answer"
    statements = forms.TypedMultipleChoiceField(
        label=_("Statements to answer"),
        coerce=int,
        error_messages={"required": _("Tick at least one statement to answer.")},
        widget=forms.CheckboxSelectMultiple,
    )
    body = forms.CharField(
        label=_("Answer"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write the answer before you send.")},
        help_text=_("The same answer is given in each statement you ticked."),
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["statements"].choices = choices  # type: ignore[attr-defined]

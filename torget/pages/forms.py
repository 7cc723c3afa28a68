"""Forms of the staff post editor. Comments are written in plain forms in the post template:
their text is checked by the conversation services, whose messages are shown next to the field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from torget.organisation.models import Unit
from torget.pages import files
from torget.pages.models import PostAttachment, PostKind
from torget.pages.services import MAX_ALT_TEXT, MAX_TITLE, NewAttachment

# How many files the form offers at once (no JavaScript needed to add more slots).
ATTACHMENT_SLOTS = 3
# A hint for the browser's file chooser; the real check is by content (files.check_upload).
ACCEPT = ",".join(f".{extension}" for extension in files.TYPES_BY_EXTENSION)


class AccessibleErrorsMixin:
    """Mark fields with errors `aria-invalid` and point `aria-describedby` at the error list
    (and the help text), which `pages/_field.html` renders with those ids. The one such mixin:
    the forms of alerts and services use it too."""

    def _describe(self) -> None:
        form: Any = self
        for name, field in form.fields.items():
            bound = form[name]
            described = []
            if field.help_text:
                described.append(f"{bound.auto_id}_helptext")
            if name in form.errors:
                described.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self._describe()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        self._describe()

    def apply_service_errors(self, exc: ValidationError) -> None:
        """Put a service's ValidationError beside the fields it names, the rest on top."""
        form: Any = self
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)


class PostForm(AccessibleErrorsMixin, forms.Form):
    """A post: which page, title, text, its kind, comments on or off, and attachments."""

    unit = forms.ModelChoiceField(
        label=_("Page"),
        queryset=Unit.objects.none(),
        empty_label=None,
        help_text=_("The unit whose page the post appears on."),
    )
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE, required=False)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Plain text. Blank lines make paragraphs; web addresses become links."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of post"),
        choices=PostKind.choices,
        initial=PostKind.INFORMATION,
        widget=forms.RadioSelect,
        help_text=_(
            "Choose “Invites dialogue” when you ask residents a question; the unit is "
            "expected to answer their comments."
        ),
    )
    comments_open = forms.BooleanField(
        label=_("Residents may comment"), required=False, initial=True
    )

    def __init__(
        self,
        *args: Any,
        units: list[Unit],
        fixed_unit: Unit | None = None,
        attachments: list[PostAttachment] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            pk__in=[u.pk for u in units]
        ).order_by("path")
        if fixed_unit is not None:
            del self.fields["unit"]
        self.fixed_unit = fixed_unit
        for slot in range(1, ATTACHMENT_SLOTS + 1):
            self.fields[f"file_{slot}"] = forms.FileField(
                label=_("Attachment %(number)d") % {"number": slot},
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
                help_text=_("PDF, PNG, JPEG, WebP, TXT, ODT or DOCX, at most %(max)d MB.")
                % {"max": files.MAX_ATTACHMENT_MB},
            )
            self.fields[f"alt_{slot}"] = forms.CharField(
                label=_("Description of picture %(number)d (alt text)") % {"number": slot},
                required=False,
                max_length=MAX_ALT_TEXT,
                help_text=_("Needed for pictures: what the picture shows, in a sentence."),
            )
        if attachments:
            self.fields["remove"] = forms.MultipleChoiceField(
                label=_("Remove attachments"),
                required=False,
                choices=[(str(a.pk), a.original_name) for a in attachments],
                widget=forms.CheckboxSelectMultiple,
            )

    def slot_names(self) -> list[tuple[str, str]]:
        return [(f"file_{n}", f"alt_{n}") for n in range(1, ATTACHMENT_SLOTS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for file_name, alt_name in self.slot_names():
            upload = data.get(file_name)
            if not upload:
                continue
            try:
                checked = files.check_upload(upload, upload.name)
            except ValidationError as exc:
                self.add_error(file_name, exc)
                continue
            if checked.is_image and not (data.get(alt_name) or "").strip():
                self.add_error(
                    alt_name,
                    _("Describe the picture in a few words, for those who cannot see it."),
                )
        return data

    def new_attachments(self) -> list[NewAttachment]:
        return [
            NewAttachment(
                file=self.cleaned_data[file_name],
                alt_text=self.cleaned_data.get(alt_name) or "",
                name=self.cleaned_data[file_name].name,
            )
            for file_name, alt_name in self.slot_names()
            if self.cleaned_data.get(file_name)
        ]

    def removed_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("remove") or []]

    def chosen_unit(self) -> Unit:
        return self.fixed_unit or self.cleaned_data["unit"]

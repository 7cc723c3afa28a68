"""Forms of the proposal pages: they parse what was sent; the services decide.

The picture is checked by its content here (pages.files.check_upload) so that the resident
sees beside the field why it was refused; the service checks it again. The drawing is parsed
here (geometry.drawing_parse) into a GeoJSON geometry. A browser never sends a chosen file
back, so after any error the picture field says that it must be chosen again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from torget.conversations.services import MAX_BODY
from torget.core.forms import PrefixedForm
from torget.pages import files
from torget.pages.forms import AccessibleErrorsMixin
from torget.participation.geometry import MAX_TEXT, drawing_parse
from torget.participation.models import ProposalStatus
from torget.participation.services.proposals import MAX_ALT, MAX_TITLE

IMAGE_ACCEPT = ".png,.jpg,.jpeg,.webp"
IMAGE_HELP = _("PNG, JPEG or WebP, at most %(max)d MB. Optional.")
CHOOSE_AGAIN = _(
    "You chose %(name)s. Choose the picture again before you send: a browser does not keep a "
    "chosen file when the page comes back."
)


class _Form(AccessibleErrorsMixin, PrefixedForm):
    id_prefix = "form"


class ProposalForm(_Form):
    """A new proposal: title, text, an optional picture with its description, and an optional
    drawing (GeoJSON from the map, or "latitude, longitude" lines typed by hand)."""

    id_prefix = "proposal"
    title = forms.CharField(
        label=_("Title"),
        max_length=MAX_TITLE,
        error_messages={"required": _("Give the proposal a title.")},
    )
    body = forms.CharField(
        label=_("Your proposal"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What you propose instead, and why. Plain text; blank lines make paragraphs."),
        error_messages={"required": _("Write something before you send.")},
    )
    image = forms.FileField(
        label=_("Picture"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    image_alt = forms.CharField(
        label=_("Description of the picture (alt text)"),
        required=False,
        max_length=MAX_ALT,
        help_text=_("Needed with a picture: what it shows, in a sentence."),
    )
    drawing = forms.CharField(
        label=_("Drawing on the map"),
        required=False,
        strip=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5, "data-drawing-field": "", "spellcheck": "false"}),
        help_text=_(
            "Optional. One point per line as “latitude, longitude” (for example 59.91273, "
            "10.74609): one line is a point, several lines a line, and lines that end where they "
            "began an area. GeoJSON may be pasted too."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = IMAGE_HELP % {"max": files.MAX_ATTACHMENT_MB}

    def clean_image(self) -> Any:
        upload = self.cleaned_data.get("image")
        if not upload:
            return None
        checked = files.check_upload(upload, upload.name)
        if not checked.is_image:
            raise ValidationError(
                _("%(name)s is not a picture. Choose a PNG, JPEG or WebP picture.")
                % {"name": upload.name}
            )
        return upload

    def clean_drawing(self) -> dict[str, Any] | None:
        return drawing_parse(self.cleaned_data.get("drawing"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self._upload() is not None and not (data.get("image_alt") or "").strip():
            self.add_error(
                "image_alt",
                _("Describe the picture in a sentence, for those who cannot see it."),
            )
        return data

    def _upload(self) -> Any:
        """The picture sent with this request, if any."""
        files_sent: Any = self.files
        return files_sent.get(self.add_prefix("image")) if files_sent else None

    def full_clean(self) -> None:
        self._checked = False
        super().full_clean()
        self._checked = True
        self._note_lost_file()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if getattr(self, "_checked", False):  # a service's error after the form's own checks
            self._note_lost_file()

    def _note_lost_file(self) -> None:
        """With errors, say at the picture field that a chosen picture must be chosen again
        (as an error, so that the summary lists it and the field points at it), unless the
        picture itself was refused, whose message says what to do."""
        errors: Any = getattr(self, "_errors", None)
        if getattr(self, "_noting", False) or not self.is_bound or not errors:
            return
        upload = self._upload()
        if upload is None or "image" in errors:
            return
        self._noting = True
        try:
            super().add_error("image", CHOOSE_AGAIN % {"name": upload.name})
        finally:
            self._noting = False


class StatusForm(_Form):
    """Staff: the proposal's official status and, optionally, the official answer."""

    id_prefix = "status"
    status = forms.ChoiceField(
        label=_("Status"),
        choices=ProposalStatus.choices,
        error_messages={"required": _("Choose one of the statuses.")},
    )
    answer = forms.CharField(
        label=_("Official answer (optional)"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Sent to the proposer by e-mail and shown on the page as the answer from the unit."
        ),
    )


class CommentForm(_Form):
    """A resident's comment in the proposal's conversation."""

    id_prefix = "comment"
    body = forms.CharField(
        label=_("Your comment"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write something before you send.")},
    )

"""Forms of the short views pages: they parse what was sent; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from torget.core.forms import PrefixedForm
from torget.pages.forms import AccessibleErrorsMixin
from torget.participation.models import MAX_SHORT_VIEW, VoteChoice
from torget.participation.services.shortviews import MAX_REASON


class _Form(AccessibleErrorsMixin, PrefixedForm):
    id_prefix = "shortview"


class ShortViewForm(_Form):
    """A statement: one line of at most MAX_SHORT_VIEW characters (the service strips it and
    refuses duplicates)."""

    id_prefix = "new"

    text = forms.CharField(
        label=pgettext_lazy("short view", "Your statement"),
        max_length=MAX_SHORT_VIEW,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_SHORT_VIEW}),
        help_text=_(
            "At most %(max)d characters. One clear statement others can agree or disagree with."
        )
        % {"max": MAX_SHORT_VIEW},
        error_messages={
            "required": _("Write your statement."),
            "max_length": _("A statement can be at most %(limit_value)d characters."),
        },
    )


class VoteForm(forms.Form):
    """A vote from one of the three buttons: the statement and the choice."""

    short_view = forms.IntegerField(min_value=1)
    choice = forms.TypedChoiceField(
        choices=[(str(value), label) for value, label in VoteChoice.choices], coerce=int
    )


class RejectForm(_Form):
    """Why a resident's statement is rejected (shown to its author)."""

    id_prefix = "reject"

    reason = forms.CharField(
        label=_("Reason for rejecting"),
        max_length=MAX_REASON,
        help_text=_("The author sees this reason."),
        error_messages={"required": _("Give a reason for rejecting the statement.")},
    )

    def __init__(self, *args: Any, short_view_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"reject_{short_view_id}_%s")
        super().__init__(*args, **kwargs)

"""The search field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from torget.core.search.selectors import MAX_QUERY


class SearchForm(forms.Form):
    """One search field. Errors are shown beside it (search/_form.html) and linked to it with
    aria-describedby; the text typed is kept."""

    q = forms.CharField(
        label=_("Search"),
        max_length=MAX_QUERY,
        strip=True,
        error_messages={
            "required": _("Type one or more words to search for."),
            "max_length": _(
                "The search is too long: at most %(limit_value)d characters, "
                "you typed %(show_value)d."
            ),
        },
    )

    def clean_q(self) -> str:
        value: str = self.cleaned_data["q"]
        if not any(ch.isalnum() for ch in value):
            raise forms.ValidationError(_("Type one or more words to search for."), code="no_words")
        return value

"""Forms of the e-service square: the staff page editor and "Was this page helpful?".

The forms parse; the services check (lengths, the address name, the e-mail address) and their
ValidationErrors are put beside the fields they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from torget.organisation.models import Unit
from torget.pages.forms import AccessibleErrorsMixin
from torget.services import feedback, services
from torget.services.models import Language, LifeSituation


class PageForm(AccessibleErrorsMixin, forms.Form):
    """An information page as its editors write it."""

    unit = forms.ModelChoiceField(
        label=_("Responsible unit"),
        queryset=Unit.objects.none(),
        empty_label=None,
        help_text=_("The unit that answers for the page and keeps it up to date."),
    )
    title = forms.CharField(label=_("Title"), max_length=services.MAX_TITLE, required=False)
    slug = forms.CharField(
        label=_("Address name"),
        max_length=80,
        required=False,
        help_text=_("The last part of the page's address. Leave empty to make it from the title."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or two sentences: what the page helps with. Shown in lists and search."),
    )
    body = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_(
            "Markdown: a blank line between paragraphs, “## ” before a heading, “- ” before a "
            "list item, [text](address) for a link. HTML is shown as text."
        ),
    )
    contact = forms.CharField(
        label=_("Contact"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Whom residents may ask: name or office, e-mail address, phone number."),
    )
    language = forms.ChoiceField(label=_("Language of the page"), choices=Language.choices)
    life_situations = forms.ModelMultipleChoiceField(
        label=_("Life situations"),
        queryset=LifeSituation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Where residents find the page on the service pages."),
    )
    review_every_days = forms.IntegerField(
        label=_("Review every (days)"),
        min_value=1,
        max_value=services.MAX_REVIEW_DAYS,
        initial=365,
        help_text=_(
            "The unit is reminded by e-mail when the page has not been reviewed for so long."
        ),
    )
    is_published = forms.BooleanField(label=_("Published"), required=False)
    note = forms.CharField(
        label=_("What did you change?"),
        max_length=services.MAX_NOTE,
        required=False,
        help_text=_("A short note for the version history."),
    )

    def __init__(self, *args: Any, units: list[Unit], municipality: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            pk__in=[u.pk for u in units]
        ).order_by("path")
        self.fields["life_situations"].queryset = LifeSituation.objects.filter(  # type: ignore[attr-defined]
            municipality=municipality
        ).order_by("position", "title")

    def page_fields(self) -> services.PageFields:
        data = self.cleaned_data
        return services.PageFields(
            title=data.get("title") or "",
            summary=data.get("summary") or "",
            body=data.get("body") or "",
            contact=data.get("contact") or "",
            slug=data.get("slug") or "",
            language=data.get("language") or "",
            life_situations=tuple(data.get("life_situations") or ()),
            is_published=bool(data.get("is_published")),
            review_every_days=data.get("review_every_days") or 365,
        )


class FeedbackForm(AccessibleErrorsMixin, forms.Form):
    """ "Was this page helpful?" and, after a no, "What did you miss?"."""

    helpful = forms.ChoiceField(
        label=_("Was this page helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        required=False,
    )
    text = forms.CharField(
        label=_("What did you miss?"),
        required=False,
        max_length=feedback.MAX_FEEDBACK,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Do not write personal information such as your national identity number."),
    )
    contact = forms.CharField(
        label=_("Your e-mail address (optional)"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("If you want an answer. We use it only to answer you."),
    )
    vote = forms.CharField(required=False, widget=forms.HiddenInput)

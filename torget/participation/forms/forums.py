"""Forms of the forum pages: a new topic, a reply, and the staff forum editor. They parse what
was sent; the services in `services.forums` decide, and their refusals come back on the fields
they name (AccessibleErrorsMixin.apply_service_errors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from torget.conversations.services import MAX_BODY
from torget.core.forms import PrefixedForm
from torget.organisation.models import Unit
from torget.pages.forms import AccessibleErrorsMixin
from torget.participation.models import ForumKind, Process
from torget.participation.services.forums import MAX_TITLE

EMPTY_TEXT = _("Write something before you send.")


class _Form(AccessibleErrorsMixin, PrefixedForm):
    id_prefix = "forum"


class TopicForm(_Form):
    """A new topic: its title and the first post."""

    id_prefix = "topic"
    title = forms.CharField(
        label=_("Title of the topic"),
        max_length=MAX_TITLE,
        error_messages={"required": _("Give the topic a title.")},
        help_text=_("A short line that says what you want to talk about."),
    )
    body = forms.CharField(
        label=_("Your post"),
        max_length=MAX_BODY,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": EMPTY_TEXT},
        help_text=_("Plain text. Blank lines make paragraphs; web addresses become links."),
    )
    follow = forms.BooleanField(
        label=_("E-mail me when someone replies"), required=False, initial=True
    )


class ReplyForm(_Form):
    """A post in a topic: a resident's reply, or an official answer for those who answer."""

    id_prefix = "reply"
    body = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_BODY,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": EMPTY_TEXT},
    )

    def __init__(self, *args: Any, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["body"].label = label


class ForumForm(_Form):
    """A forum: kind, address name, title, description, unit, process, open or closed."""

    id_prefix = "forum"
    kind = forms.ChoiceField(
        label=_("Kind of forum"), choices=ForumKind.choices, widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    slug = forms.SlugField(
        label=_("Address name"),
        max_length=80,
        help_text=_("Part of the web address, e.g. kultur: a–z, digits, hyphens."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown. What the forum is for, and who answers there."),
    )
    unit = forms.ModelChoiceField(
        label=_("Responsible unit"),
        queryset=Unit.objects.none(),
        empty_label=None,
        help_text=_("Its staff answer in the forum, and new topics wait in its inbox."),
    )
    process = forms.ModelChoiceField(
        label=_("Process (project forums only)"),
        queryset=Process.objects.none(),
        required=False,
        empty_label=_("None"),
    )
    is_open = forms.BooleanField(
        label=_("Open for new posts"),
        required=False,
        initial=True,
        help_text=_("A closed forum can still be read; residents cannot write in it."),
    )

    def __init__(
        self, *args: Any, units: list[Unit], processes: QuerySet[Process], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            pk__in=[u.pk for u in units]
        ).order_by("path")
        self.fields["process"].queryset = processes  # type: ignore[attr-defined]

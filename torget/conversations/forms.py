"""Forms of the conversation pages: they parse what was sent; the services decide.

Texts are checked again by the services (empty, too long); a form only gives the person a
message next to the field before anything is stored. Fields that name other objects (a unit,
a person) offer only what the page offered, so a forged id is an invalid choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.conversations.models import CannedReply, Channel
from torget.conversations.selectors import InboxFilter
from torget.conversations.services import MAX_REASON
from torget.core.forms import PrefixedForm
from torget.organisation.models import Unit

EMPTY_TEXT = _("Write something before you send.")
EMPTY_REASON = _("Give a reason.")


def _text(label: str | Any, *, rows: int = 5) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": EMPTY_TEXT},
    )


def _reason(label: str | Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_REASON,
        error_messages={"required": EMPTY_REASON},
    )


_Form = PrefixedForm


class InboxFilterForm(_Form):
    """The inbox filters, read from the query string. Invalid values are left out."""

    id_prefix = "filter"
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)
    never_answered = forms.BooleanField(label=_("Only never answered"), required=False)

    def __init__(self, *args: Any, units: list[Unit], people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All my units"))] + [(u.pk, u.name) for u in units]  # type: ignore[attr-defined]
        self.fields["channel"].choices = [("", _("All channels")), *Channel.choices]  # type: ignore[attr-defined]
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone or nobody")),
            ("me", _("Me")),
            ("none", _("Nobody")),
            *[(str(p.pk), str(p)) for p in people],
        ]

    def to_filter(self) -> InboxFilter:
        """The filter to apply: the valid values, the others left out."""
        if not self.is_bound:
            return InboxFilter()
        self.is_valid()
        data = self.cleaned_data
        return InboxFilter(
            unit=data.get("unit"),
            channel=data.get("channel") or "",
            assignee=data.get("assignee") or "",
            overdue=bool(data.get("overdue")),
            never_answered=bool(data.get("never_answered")),
        )

    @property
    def is_filtered(self) -> bool:
        return self.to_filter() != InboxFilter()


class AnswerForm(_Form):
    """An official answer, optionally started from a canned reply."""

    id_prefix = "answer"
    canned = forms.TypedChoiceField(
        label=_("Canned reply"), required=False, coerce=int, empty_value=None
    )
    body = _text(_("Answer"), rows=6)

    def __init__(self, *args: Any, canned: Sequence[CannedReply] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.canned_replies = {reply.pk: reply for reply in canned}
        self.fields["canned"].choices = [("", _("Choose a canned reply"))] + [  # type: ignore[attr-defined]
            (reply.pk, reply.title) for reply in canned
        ]

    def canned_text(self) -> str | None:
        """The text with the chosen canned reply filled in (after what was typed), or None
        with an error on the field when none was chosen."""
        self.is_valid()
        # Choosing a canned reply is not sending: an empty answer box is no error here.
        self.errors.pop("body", None)
        reply = self.canned_replies.get(self.cleaned_data.get("canned") or 0)
        if reply is None:
            if "canned" not in self.errors:
                self.add_error("canned", _("Choose a canned reply to use."))
            return None
        typed = (self.data.get("body") or "").strip()
        return f"{typed}\n\n{reply.body}" if typed else reply.body


class NoteForm(_Form):
    id_prefix = "note"
    body = _text(_("Internal note"), rows=3)


class AssignForm(_Form):
    id_prefix = "assign"
    assignee = forms.TypedChoiceField(
        label=_("Assign to"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {person.pk: person for person in people}
        self.fields["assignee"].choices = [("", _("Nobody"))] + [  # type: ignore[attr-defined]
            (person.pk, str(person)) for person in people
        ]

    def chosen(self) -> User | None:
        pk = self.cleaned_data.get("assignee")
        return self.people[pk] if pk is not None else None


class NoAnswerForm(_Form):
    id_prefix = "noanswer"
    reason = _reason(_("Why does it need no answer?"))


class MoveForm(_Form):
    id_prefix = "move"
    unit = forms.TypedChoiceField(label=_("Move to unit"), coerce=int)

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {unit.pk: unit for unit in units}
        self.fields["unit"].choices = [("", _("Choose a unit"))] + [  # type: ignore[attr-defined]
            (unit.pk, unit.name) for unit in units
        ]
        self.fields["unit"].error_messages["required"] = _("Choose a unit.")

    def chosen(self) -> Unit:
        return self.units[self.cleaned_data["unit"]]


class ResidentMessageForm(_Form):
    id_prefix = "reply"
    body = _text(_("Your message"), rows=5)


class ReasonForm(_Form):
    """A reason for a report, a hiding or a block."""

    id_prefix = "reason"
    reason = _reason(_("Reason"))


class InboxAnswerForm(_Form):
    """An answer sent from the inbox: to one row in place, or to every ticked row."""

    id_prefix = "bulk"
    body = _text(_("Answer"), rows=4)


class StatusForm(_Form):
    """Close or reopen: nothing to fill in, but refusals are shown like any form's."""

    id_prefix = "status"

"""The dashboard's filter: unit, channel and period."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from torget.conversations.models import Channel
from torget.organisation.models import Unit
from torget.organisation.workinghours import OSLO

LAST_30_DAYS = "30d"
THIS_YEAR = "year"
CUSTOM = "custom"
PERIODS = [
    (LAST_30_DAYS, _("Last 30 days")),
    (THIS_YEAR, _("This year")),
    (CUSTOM, _("Choose dates")),
]
# A custom period may span at most this many days (five years): the trend has a bar a month.
MAX_DAYS = 5 * 366


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The start of `day` in Norwegian time."""
    return datetime.datetime.combine(day, datetime.time(0), OSLO)


@dataclass(frozen=True)
class Scope:
    """What the figures cover: the period is [start, end), `first_day` to `last_day` inclusive."""

    unit: Unit | None
    include_subunits: bool
    channel: str | None
    first_day: datetime.date
    last_day: datetime.date

    @property
    def start(self) -> datetime.datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime.datetime:
        return local_midnight(self.last_day + datetime.timedelta(days=1))


def _period_days(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    if period == THIS_YEAR:
        return today.replace(month=1, day=1), today
    return today - datetime.timedelta(days=29), today


class MetricsFilterForm(forms.Form):
    """Sent with GET, so a filtered dashboard has an address that can be shared and bookmarked."""

    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    subunits = forms.BooleanField(
        label=_("Include the units below it"), required=False, initial=True
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    period = forms.ChoiceField(
        label=_("Period"), choices=PERIODS, initial=LAST_30_DAYS, widget=forms.RadioSelect
    )
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self, data: QueryDict | None = None, *, units: Sequence[Unit], **kwargs: Any
    ) -> None:
        if data is not None and not data.get("period"):
            # A link that sets only the unit or the channel gets the default period.
            data = data.copy()
            data["period"] = LAST_30_DAYS
        super().__init__(data, **kwargs)
        self.units = {u.pk: u for u in units}
        unit_field: Any = self.fields["unit"]
        unit_field.choices = [("", _("The whole municipality"))] + [
            (u.pk, "\u2003" * max(u.depth, 0) + u.name) for u in units
        ]
        channel_field: Any = self.fields["channel"]
        channel_field.choices = [("", _("All channels")), *Channel.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == CUSTOM:
            start, end = data.get("start"), data.get("end")
            if start is None and "start" not in self.errors:
                self.add_error("start", _("Give the first day of the period."))
            if end is None and "end" not in self.errors:
                self.add_error("end", _("Give the last day of the period."))
            if start and end:
                if end < start:
                    self.add_error("end", _("The last day comes before the first day."))
                elif (end - start).days > MAX_DAYS:
                    self.add_error("end", _("Choose a period of at most five years."))
        return data

    def scope(self, today: datetime.date | None = None) -> Scope:
        """The scope the form asks for (the defaults when the form was not sent).

        Call only on an unbound or a valid form.
        """
        today = today or timezone.localdate(timezone=OSLO)
        if not self.is_bound:
            first, last = _period_days(LAST_30_DAYS, today)
            return Scope(None, True, None, first, last)
        data = self.cleaned_data
        if data["period"] == CUSTOM:
            first, last = data["start"], data["end"]
        else:
            first, last = _period_days(data["period"], today)
        return Scope(
            unit=self.units.get(data["unit"]) if data["unit"] else None,
            include_subunits=bool(data["subunits"]),
            channel=data["channel"] or None,
            first_day=first,
            last_day=last,
        )

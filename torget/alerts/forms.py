"""Forms of the staff side of alerts: composing an alert, writing an update or the all-clear,
and drawing a predefined zone.

The forms parse; the services decide. An area is checked here (`geo.area_parse`, no database)
only so that its error shows beside the field on the first try, together with the others; the
service checks it again, and resolves zones and address lists, which need the database.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from torget.alerts import geo
from torget.alerts.models import Alert, Severity, Topic, Zone
from torget.alerts.services.alerts import DRAFT_FIELDS
from torget.organisation.models import Unit
from torget.pages.forms import AccessibleErrorsMixin

# The browser's datetime-local control sends this; typed text in the same form is accepted too.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATETIME_FORMATS = [DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]


def _datetime_field(label: Any, help_text: Any, *, required: bool) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=help_text,
    )


class _MessageFields(AccessibleErrorsMixin, forms.Form):
    """What an alert and its follow-ups share: the words, the channels, where to learn more
    and how long it is valid."""

    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("Short: what happened and where. It begins the SMS and is the e-mail subject."),
    )
    text = forms.CharField(
        label=_("Text"),
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6, "data-sms-text": ""}),
        help_text=_(
            "What residents should know and do. The SMS adds the title, the phone number, a "
            "link to the alert and how to answer."
        ),
    )
    by_sms = forms.BooleanField(label=_("SMS"), required=False, initial=True)
    by_email = forms.BooleanField(label=_("E-mail"), required=False, initial=True)
    contact_phone = forms.CharField(
        label=_("Phone for more information"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    contact_email = forms.EmailField(label=_("E-mail for more information"), required=False)
    contact_url = forms.URLField(
        label=_("Web page for more information"), required=False, assume_scheme="https"
    )
    onset = _datetime_field(
        _("Valid from"),
        _("Leave empty to start now. Date and time, e.g. 2026-11-27 14:30."),
        required=False,
    )
    expires = _datetime_field(
        _("Valid until"),
        _("Leave empty if you do not know yet; the all-clear ends it."),
        required=False,
    )

    def service_data(self) -> dict[str, Any]:
        """The cleaned values by the names of `services.alerts.DRAFT_FIELDS`."""
        return {name: self.cleaned_data[name] for name in self.fields if name in DRAFT_FIELDS}


class AlertForm(_MessageFields):
    """A new alert: for which unit, about what, the words, the area, the channels."""

    unit = forms.ModelChoiceField(
        label=_("Sent by"),
        queryset=Unit.objects.none(),
        empty_label=None,
        help_text=_("The unit that sends the alert and answers residents' replies."),
    )
    topic = forms.TypedChoiceField(
        label=_("Type"),
        choices=Topic.choices,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("Only those who subscribe to this type get the alert."),
    )
    area_source = forms.ChoiceField(
        label=_("How do you give the area?"),
        choices=Alert.AreaSource.choices,
        initial=Alert.AreaSource.DRAWN,
        widget=forms.RadioSelect(attrs={"data-area-source": ""}),
    )
    area = forms.CharField(
        label=_("Area: corners as “latitude, longitude”, one per line"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "data-area-field": "", "spellcheck": "false"}),
        help_text=_(
            "For example 59.9139, 10.7522 on the first line, then the next corner. At least "
            "three corners; the last joins the first. An empty line starts another polygon. "
            "Drawing on the map fills this field."
        ),
    )
    zone = forms.ModelChoiceField(
        label=_("Zone"),
        queryset=Zone.objects.none(),
        required=False,
        empty_label=_("Choose a zone"),
    )
    area_addresses = forms.CharField(
        label=_("Streets or addresses, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "A street name (“Storgata”) takes every address in it; a street and number "
            "(“Storgata 5”) takes that address. The area reaches 30 metres around them."
        ),
    )

    field_order = [
        "unit",
        "topic",
        "severity",
        "title",
        "text",
        "area_source",
        "area",
        "zone",
        "area_addresses",
        "by_sms",
        "by_email",
        "contact_phone",
        "contact_email",
        "contact_url",
        "onset",
        "expires",
    ]

    def __init__(self, *args: Any, units: list[Unit], zones: list[Zone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field: Any = self.fields["unit"]
        unit_field.queryset = Unit.objects.filter(pk__in=[u.pk for u in units]).order_by("path")
        zone_field: Any = self.fields["zone"]
        zone_field.queryset = Zone.objects.filter(pk__in=[z.pk for z in zones]).order_by("name")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        source = cleaned.get("area_source")
        if source == Alert.AreaSource.DRAWN:
            try:
                cleaned["area"] = geo.area_parse(cleaned.get("area") or "")
            except ValidationError as error:
                self.add_error("area", error)
        elif source == Alert.AreaSource.ZONE and not cleaned.get("zone"):
            self.add_error("zone", _("Choose a zone."))
        elif source == Alert.AreaSource.ADDRESSES and not cleaned.get("area_addresses", "").strip():
            self.add_error("area_addresses", _("List at least one street or address."))
        return cleaned


class FollowUpForm(_MessageFields):
    """An update or the all-clear: new words for the same recipients."""

    field_order = [
        "severity",
        "title",
        "text",
        "by_sms",
        "by_email",
        "contact_phone",
        "contact_email",
        "contact_url",
        "expires",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A follow-up is valid from when it is sent.
        del self.fields["onset"]
        self.fields["by_sms"].help_text = _("Only those the original alert reached by SMS.")
        self.fields["by_email"].help_text = _("Only those the original alert reached by e-mail.")


class ZoneForm(AccessibleErrorsMixin, forms.Form):
    """A predefined zone: a name and an area drawn on the map or typed."""

    name = forms.CharField(label=_("Name"), max_length=120)
    area = forms.CharField(
        label=_("Area: corners as “latitude, longitude”, one per line"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "data-area-field": "", "spellcheck": "false"}),
        help_text=_(
            "At least three corners; the last joins the first. Drawing on the map fills this field."
        ),
    )

    def clean_area(self) -> dict[str, Any]:
        return geo.area_parse(self.cleaned_data["area"])

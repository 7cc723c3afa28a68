"""Forms of the subscription pages and of the staff import page.

The place is an address found in the register (typed; when several match, they are offered as
choices on the same page, no JavaScript needed) or a point given as latitude and longitude
(typed, or filled in by clicking the map).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from torget.alerts.models import ALL_TOPICS, Address, Topic
from torget.alerts.services.imports import CRS_CHOICES
from torget.alerts.services.subscriptions import Place
from torget.alerts.sms import phone_normalise
from torget.alerts.subscription_selectors import address_search
from torget.alerts.targeting import MAX_RADIUS_M
from torget.organisation.models import Municipality
from torget.pages.forms import AccessibleErrorsMixin

KEEP, ADDRESS, POINT = "keep", "address", "point"


class PlaceForm(AccessibleErrorsMixin, forms.Form):
    """Where, how wide and which topics. With `keep` (changing a subscription) the place may
    stay as it is."""

    place_kind = forms.ChoiceField(
        label=_("Place"),
        choices=[(ADDRESS, _("An address")), (POINT, _("A point on the map"))],
        initial=ADDRESS,
        widget=forms.RadioSelect,
    )
    address = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=140,
        help_text=_("Street and house number, for example “Storgata 5”."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    address_choice = forms.TypedChoiceField(
        label=_("Which address?"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[],
        widget=forms.RadioSelect,
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        help_text=_("Decimal degrees, for example 59.91273. Clicking the map fills it in."),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        help_text=_("Decimal degrees, for example 10.74609."),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    radius_m = forms.IntegerField(
        label=_("Radius in metres"),
        min_value=0,
        max_value=MAX_RADIUS_M,
        initial=0,
        help_text=_(
            "Also get alerts for what happens this far from the place (0 to %(max)s). "
            "0 means the place itself."
        )
        % {"max": MAX_RADIUS_M},
    )
    topics = forms.TypedMultipleChoiceField(
        label=_("Topics"),
        choices=Topic.choices,
        coerce=int,
        initial=[topic.value for topic in Topic],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one topic.")},
    )

    def __init__(
        self, *args: Any, municipality: Municipality, keep: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.address_matches: list[Address] = []
        if keep:
            field = self.fields["place_kind"]
            field.choices = [(KEEP, _("Keep the place")), *field.choices]  # type: ignore[attr-defined]
            field.initial = KEEP
        if self.is_bound:
            text = str(self.data.get(self.add_prefix("address"), ""))
            self.address_matches = address_search(municipality=municipality, text=text)
            self.fields["address_choice"].choices = [  # type: ignore[attr-defined]
                (address.pk, str(address)) for address in self.address_matches
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("place_kind")
        if kind == ADDRESS:
            data["address_obj"] = self._address(data)
        elif kind == POINT:
            if data.get("lat") is None and "lat" not in self.errors:
                self.add_error("lat", _("Give the latitude, or click the map."))
            if data.get("lon") is None and "lon" not in self.errors:
                self.add_error("lon", _("Give the longitude, or click the map."))
        return data

    def _address(self, data: dict[str, Any]) -> Address | None:
        text = (data.get("address") or "").strip()
        choice = data.get("address_choice")
        by_pk = {address.pk: address for address in self.address_matches}
        if choice is not None and choice in by_pk:
            return by_pk[choice]
        if not text:
            self.add_error("address", _("Type the address, street and house number."))
            return None
        if len(self.address_matches) == 1:
            return self.address_matches[0]
        if not self.address_matches:
            self.add_error(
                "address",
                _("No address in the register matches “%(text)s”. Check the spelling.")
                % {"text": text},
            )
        else:
            self.add_error(
                "address_choice",
                _("Several addresses match “%(text)s”: choose one.") % {"text": text},
            )
        return None

    def place(self) -> Place | None:
        """The place chosen, or None to keep the present one. Call after is_valid()."""
        data = self.cleaned_data
        radius = int(data.get("radius_m") or 0)
        if data.get("place_kind") == ADDRESS:
            return Place(address=data.get("address_obj"), radius_m=radius)
        if data.get("place_kind") == POINT:
            return Place(lat=data.get("lat"), lon=data.get("lon"), radius_m=radius)
        return None

    def topic_mask(self) -> int:
        return sum(set(self.cleaned_data.get("topics") or [])) & ALL_TOPICS


class SubscribeForm(PlaceForm):
    """A new subscription: the place, the topics, and a mobile number and/or e-mail address."""

    phone = forms.CharField(
        label=_("Mobile number, for SMS"),
        required=False,
        max_length=30,
        help_text=_("A Norwegian number of 8 digits, or an international number with +."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail address"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_phone(self) -> str:
        """Checked here as well as in the service, so that every error shows at once."""
        value = str(self.cleaned_data.get("phone") or "").strip()
        if value:
            phone_normalise(value)
        return value

    def clean_email(self) -> str:
        value = str(self.cleaned_data.get("email") or "").strip()
        if value:
            try:
                validate_email(value)
            except ValidationError as error:
                raise ValidationError(
                    _("“%(email)s” is not an e-mail address."), params={"email": value}
                ) from error
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("phone") or "").strip() and not (data.get("email") or "").strip():
            self.add_error("phone", _("Give a mobile number, an e-mail address or both."))
        return data


class ChangeForm(PlaceForm):
    """Change the topics, the radius or the place of a subscription."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["keep"] = True
        super().__init__(*args, **kwargs)


class CodeForm(AccessibleErrorsMixin, forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )


class ImportForm(AccessibleErrorsMixin, forms.Form):
    """A CSV file of the address register or of a contact list."""

    ADDRESSES, CONTACTS = "addresses", "contacts"

    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[
            (ADDRESSES, _("The address register")),
            (CONTACTS, _("A contact list (creates active subscriptions)")),
        ],
        initial=ADDRESSES,
        widget=forms.RadioSelect,
    )
    crs = forms.ChoiceField(
        label=_("Coordinate system"),
        choices=CRS_CHOICES,
        initial="auto",
        help_text=_(
            "EPSG:25833 (UTM zone 33, east and north in metres) or EPSG:4326 (latitude and "
            "longitude in degrees). “From the header” reads it from the column names."
        ),
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, columns separated by ; or , and a header row naming them. Rows with "
            "errors are listed after the import; the other rows are imported."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        from torget.alerts.services.imports import upload_check

        try:
            upload_check(upload)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return upload

"""The one base of the site's forms: labels without a trailing colon, and ids unique on a page
with several forms (each form class names its `id_prefix`)."""

from __future__ import annotations

from typing import Any

from django import forms


class PrefixedForm(forms.Form):
    id_prefix = "form"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

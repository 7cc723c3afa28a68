"""What the shell (templates/base.html) needs on every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    """The municipality being served, the language switcher and whether to show the staff menu.

    `shell_is_staff` is a callable so that only pages that show a menu pay for its query.
    """
    municipality = getattr(request, "municipality", None)

    def is_staff() -> bool:
        from torget.organisation.policies import is_staff_in

        user = getattr(request, "user", None)
        return bool(municipality and user is not None and is_staff_in(user, municipality))

    return {
        "municipality": municipality,
        "shell_languages": settings.LANGUAGES,
        "shell_is_staff": is_staff,
    }

"""Views of a hearing's results: the export of all statements for the case file, and "how your
input was used"."""

from __future__ import annotations

from django.http import HttpRequest

from torget.participation.models import Hearing


def result_part(request: HttpRequest, hearing: Hearing) -> str:
    """The published result ("how your input was used") for the public hearing page, rendered
    ("" while none is published). The hearing page shows it above the statements."""
    return ""


def staff_result_part(request: HttpRequest, hearing: Hearing) -> str:
    """The export links and the result editor for the staff hearing page, rendered."""
    return ""

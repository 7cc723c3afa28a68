"""Views of the forums part of participation."""

from __future__ import annotations

from django.http import HttpRequest

from torget.participation.models import Process


def process_part(request: HttpRequest, process: Process) -> str:
    """The forums part of the process's public page, rendered ("" when there is none)."""
    return ""


def staff_process_part(request: HttpRequest, process: Process) -> str:
    """The forums part of the process's staff page, rendered ("" when there is none)."""
    return ""

"""Errors that carry a message for the person who caused them.

Services raise these; views show `message` next to the form and keep what was typed.
"""

from __future__ import annotations

from django.utils.functional import Promise


class TorgetError(Exception):
    """A refused action, with a message fit to show the person who tried it."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


class RateLimited(TorgetError):
    """Too many writes in a short while."""


class InvalidTransition(TorgetError):
    """The action does not fit the current state (e.g. writing in a closed thread)."""

"""What the hearings part registers with other modules (see hooks/__init__.py)."""

from __future__ import annotations


def register() -> None:
    """Called once from ParticipationConfig.ready()."""

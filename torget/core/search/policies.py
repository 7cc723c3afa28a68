"""Who may see what of search."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from torget.accounts.models import User
from torget.organisation.models import Municipality
from torget.organisation.policies import is_staff_in


def can_view_search_misses(user: User | AnonymousUser, municipality: Municipality) -> bool:
    """Every staff member of the municipality sees what residents searched for in vain (the
    queries only: who searched is not kept)."""
    return is_staff_in(user, municipality)

"""Helpers the resident and staff views share."""

from __future__ import annotations

from django.http import HttpRequest

from torget.accounts.models import User
from torget.organisation.models import Municipality


def municipality_of(request: HttpRequest) -> Municipality:
    """The municipality of the request's host (set by the organisation middleware)."""
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def user_of(request: HttpRequest) -> User:
    """The logged-in user (call after checking `is_authenticated`)."""
    return request.user  # type: ignore[return-value]


def hosts_of(municipality: Municipality) -> list[str]:
    """The municipality's host names: links to them are not marked nofollow."""
    return list(municipality.hostnames.values_list("name", flat=True))

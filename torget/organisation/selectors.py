"""Reads of municipalities and units, always scoped to one municipality."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from torget.accounts.models import User
from torget.organisation.models import Hostname, Membership, Municipality, OpeningHours, Unit

HOST_CACHE_SECONDS = 60


def municipality_get_by_host(host: str) -> Municipality | None:
    """The municipality served under `host` (port stripped, any case), or None.

    Cached for a minute: every request asks, and host names change rarely.
    """
    name = (host.rsplit(":", 1)[0] if not host.endswith("]") else host).lower()
    key = f"torget:host:{name}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    hostname = Hostname.objects.select_related("municipality").filter(name=name).first()
    municipality = hostname.municipality if hostname else None
    cache.set(key, municipality or False, HOST_CACHE_SECONDS)
    return municipality


def unit_list(*, municipality: Municipality) -> QuerySet[Unit]:
    """All units of `municipality`, root first, in tree order."""
    return Unit.objects.filter(municipality=municipality).order_by("path")


def unit_get_root(*, municipality: Municipality) -> Unit:
    """The unit that stands for the municipality as a whole."""
    return Unit.objects.get(municipality=municipality, parent__isnull=True)


def unit_get(*, municipality: Municipality, slug: str) -> Unit:
    """The unit of `municipality` with `slug`, with its opening hours and sub-units.

    Raises Http404 for a slug that does not exist in this municipality, also when another
    municipality has a unit with that slug.
    """
    try:
        return (
            Unit.objects.select_related("parent")
            .prefetch_related(
                Prefetch(
                    "opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")
                ),
                Prefetch("children", queryset=Unit.objects.order_by("name")),
            )
            .get(municipality=municipality, slug=slug)
        )
    except Unit.DoesNotExist as exc:
        raise Http404(slug) from exc


def membership_list_for_user(
    *, user_id: int | None, municipality: Municipality
) -> QuerySet[Membership]:
    """The roles a person holds in `municipality`'s units (none for an anonymous visitor)."""
    if user_id is None:
        return Membership.objects.none()
    return Membership.objects.filter(
        user_id=user_id, unit__municipality=municipality
    ).select_related("unit")


def unit_list_under_roles(
    *, viewer: User | AnonymousUser, municipality: Municipality, roles: Collection[str]
) -> list[Unit]:
    """The units where `viewer` holds one of `roles`, and every unit below them (a role covers
    the units below), in tree order. Two queries; none for an anonymous or inactive viewer."""
    if not viewer.is_authenticated or not viewer.is_active:
        return []
    paths = list(
        Membership.objects.filter(
            user_id=viewer.pk, unit__municipality=municipality, role__in=list(roles)
        ).values_list("unit__path", flat=True)
    )
    if not paths:
        return []
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return list(Unit.objects.filter(condition, municipality=municipality).order_by("path"))

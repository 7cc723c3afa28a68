"""Writes to municipalities, units, opening hours and memberships."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction

from torget.accounts.models import User
from torget.organisation.models import (
    Hostname,
    Membership,
    Municipality,
    OpeningHours,
    Role,
    Unit,
)


@transaction.atomic
def municipality_create(
    *, number: str, name: str, malform: str, hostnames: Iterable[str]
) -> Municipality:
    """Create a municipality, its host names and its root unit (the municipality as a whole).

    Host names are stored lower-case. Raises IntegrityError if the number or a host name is taken.
    """
    municipality = Municipality.objects.create(number=number, name=name, malform=malform)
    Hostname.objects.bulk_create(
        [Hostname(municipality=municipality, name=h.lower()) for h in hostnames]
    )
    unit_create(
        municipality=municipality, parent=None, kind="municipality", name=name, slug="kommunen"
    )
    return municipality


@transaction.atomic
def unit_create(
    *,
    municipality: Municipality,
    parent: Unit | None,
    kind: str,
    name: str,
    slug: str,
    **fields: str,
) -> Unit:
    """Create a unit below `parent` (None for the municipality's root) and set its tree path.

    Raises ValueError if `parent` belongs to another municipality.
    """
    if parent is not None and parent.municipality_id != municipality.pk:
        raise ValueError("A unit's parent must belong to the same municipality.")
    unit = Unit.objects.create(
        municipality=municipality, parent=parent, kind=kind, name=name, slug=slug, **fields
    )
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


@transaction.atomic
def unit_set_opening_hours(
    *, unit: Unit, intervals: Iterable[tuple[int, datetime.time, datetime.time]]
) -> None:
    """Replace the unit's weekly opening hours with `intervals` of (weekday, opens, closes)."""
    OpeningHours.objects.filter(unit=unit).delete()
    OpeningHours.objects.bulk_create(
        [OpeningHours(unit=unit, weekday=d, opens=o, closes=c) for d, o, c in intervals]
    )


def membership_grant(*, user: User, unit: Unit, role: Role | str, title: str = "") -> Membership:
    """Give `user` `role` in `unit` (idempotent: an existing grant is returned unchanged)."""
    membership, _ = Membership.objects.get_or_create(
        user=user, unit=unit, role=role, defaults={"title": title}
    )
    return membership

"""factory_boy factories for the models tests need most."""

from __future__ import annotations

import datetime
from typing import Any

import factory

from torget.accounts.models import User
from torget.organisation import services as org
from torget.organisation.models import Municipality, Unit

PASSWORD = "Et-godt-passord-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.no")
    name = factory.Faker("name", locale="no_NO")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        if create:
            instance.save()


def municipality_make(
    *,
    number: str = "9998",
    name: str = "Testvik kommune",
    malform: str = "nb",
    hostnames: tuple[str, ...] = ("testserver", "localhost", "127.0.0.1"),
) -> Municipality:
    """A municipality with its root unit, served under `hostnames`."""
    return org.municipality_create(number=number, name=name, malform=malform, hostnames=hostnames)


def unit_make(
    municipality: Municipality,
    *,
    slug: str,
    name: str | None = None,
    kind: str = "library",
    parent: Unit | None = None,
) -> Unit:
    """A unit below `parent` (default: the municipality's root), open weekdays 09–17."""
    parent = parent or Unit.objects.get(municipality=municipality, parent__isnull=True)
    unit = org.unit_create(
        municipality=municipality,
        parent=parent,
        kind=kind,
        name=name or slug.title(),
        slug=slug,
        phone="22 11 22 33",
        email=f"{slug}@example.no",
    )
    org.unit_set_opening_hours(
        unit=unit, intervals=[(d, datetime.time(9), datetime.time(17)) for d in range(5)]
    )
    return unit

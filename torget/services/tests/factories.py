"""Helpers that make life situations and information pages for the tests."""

from __future__ import annotations

import datetime
from typing import Any

from torget.organisation.models import Unit
from torget.services import services
from torget.services.models import InfoPage, LifeSituation


def situation_make(unit: Unit, slug: str = "fa-barn", title: str = "Få barn") -> LifeSituation:
    situation, _created = services.situation_ensure(
        municipality=unit.municipality, slug=slug, title=title, intro=f"Om {title.lower()}."
    )
    return situation


def page_make(
    unit: Unit,
    *,
    title: str = "Barnehageplass",
    summary: str = "Slik søker du barnehageplass.",
    body: str = "## Søk barnehageplass\n\nSøknadsfristen er **1. mars**.",
    contact: str = "barnehage@example.no\nTelefon 22 00 00 25",
    published: bool = True,
    situations: tuple[LifeSituation, ...] = (),
    reviewed_on: datetime.date | None = None,
    review_every_days: int = 365,
    **fields: Any,
) -> InfoPage:
    """A page written by the system (no actor), published unless told otherwise."""
    return services.page_create(
        unit=unit,
        actor=None,
        fields=services.PageFields(
            title=title,
            summary=summary,
            body=body,
            contact=contact,
            life_situations=situations,
            is_published=published,
            review_every_days=review_every_days,
            **fields,
        ),
        reviewed_on=reviewed_on,
    )

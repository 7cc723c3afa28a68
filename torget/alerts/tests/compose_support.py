"""People and data shared by the compose tests (services and views)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import _staff
from torget.accounts.models import User
from torget.alerts.models import AlertSettings, Topic
from torget.organisation.models import Municipality, Role, Unit

# SQUARE (tests/factories.py) typed as staff without the map would type it: "lat, lon" lines.
SQUARE_TEXT = "59.91, 10.74\n59.91, 10.75\n59.92, 10.75\n59.92, 10.74"
# A bow tie: its edges cross.
CROSSING_TEXT = "59.91, 10.74\n59.92, 10.75\n59.91, 10.75\n59.92, 10.74"
TWO_POINTS_TEXT = "59.91, 10.74\n59.92, 10.75"
# SQUARE with latitude and longitude swapped on every line.
SWAPPED_TEXT = "10.74, 59.91\n10.75, 59.91\n10.75, 59.92\n10.74, 59.92"


@pytest.fixture
def approver(library: Unit) -> User:
    """A second communicator of the library: may approve what the first wrote."""
    return _staff(library, Role.COMMUNICATOR, "vakt@example.no")


@pytest.fixture
def school_communicator(school: Unit) -> User:
    """A communicator of another unit (the school): nothing of the library's is theirs."""
    return _staff(school, Role.COMMUNICATOR, "skole.kommunikasjon@example.no")


@pytest.fixture
def root_communicator(root_unit: Unit) -> User:
    """A communicator of the municipality itself: keeps the predefined zones."""
    return _staff(root_unit, Role.COMMUNICATOR, "sentral@example.no")


@pytest.fixture
def approval_required(municipality: Municipality) -> AlertSettings:
    return AlertSettings.objects.create(municipality=municipality, require_approval=True)


def draft_data(**changes: Any) -> dict[str, Any]:
    """What a service caller passes as `data` for a plain water alert."""
    data: dict[str, Any] = {
        "topic": Topic.WATER,
        "severity": "Severe",
        "title": "Vannlekkasje i Storgata",
        "text": "Vannet er stengt til kl. 18. Kok vannet før bruk.",
        "by_sms": True,
        "by_email": True,
        "contact_phone": "",
        "contact_email": "",
        "contact_url": "",
        "onset": None,
        "expires": None,
    }
    data.update(changes)
    return data


def form_data(unit: Unit, **changes: Any) -> dict[str, Any]:
    """What the compose form posts for a plain water alert with a typed area."""
    data: dict[str, Any] = {
        "unit": str(unit.pk),
        "topic": str(Topic.WATER.value),
        "severity": "Severe",
        "title": "Vannlekkasje i Storgata",
        "text": "Vannet er stengt til kl. 18. Kok vannet før bruk.",
        "area_source": "drawn",
        "area": SQUARE_TEXT,
        "zone": "",
        "area_addresses": "",
        "by_sms": "on",
        "by_email": "on",
        "contact_phone": "",
        "contact_email": "",
        "contact_url": "",
        "onset": "",
        "expires": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}

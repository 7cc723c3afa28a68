"""The demo's life situations and information pages."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from torget.core.models import SearchDocument
from torget.demo import data
from torget.demo.services import services_ensure
from torget.services.models import InfoPage, InfoPageVersion, LifeSituation, PageFeedback


@pytest.mark.django_db
def test_services_ensure_creates_the_pages_once() -> None:
    municipality, _created = data.municipality_ensure()
    created = services_ensure(municipality)
    assert created == InfoPage.objects.count() >= 15
    assert LifeSituation.objects.filter(municipality=municipality).count() == 5
    assert services_ensure(municipality) == 0
    assert InfoPage.objects.count() == created
    assert InfoPageVersion.objects.count() == created
    assert LifeSituation.objects.count() == 5

    page = InfoPage.objects.get(slug="barnehageplass")
    assert "Søk barnehageplass" in page.body and "1. mars" in page.body
    assert "Moderasjon" in page.body and "kr" in page.body
    assert {s.slug for s in page.life_situations.all()} >= {"fa-barn"}
    assert page.feedback.filter(helpful=True).count() == 9
    written = page.feedback.get(text__gt="")
    assert written.thread is not None and written.thread.unit == page.unit
    assert PageFeedback.objects.count() == 12  # not repeated by the second run
    for slug in ("flytte-til-kommunen", "starte-bedrift", "hjemmesykepleie", "byggesoknad"):
        assert InfoPage.objects.filter(slug=slug, is_published=True).exists(), slug
    today = timezone.localdate()
    overdue = [p.slug for p in InfoPage.objects.all() if p.needs_review(today)]
    assert overdue == ["trygghetsalarm"]
    assert SearchDocument.objects.filter(kind="page").count() == created
    assert InfoPage.objects.get(
        slug="trygghetsalarm"
    ).last_reviewed_on < today - datetime.timedelta(days=365)

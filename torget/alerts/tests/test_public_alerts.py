"""The public side of alerts: the list, the alert page, the Atom feed and the CAP index, the
banner on every page, and "this concerns your address".

Pages are read in English (Accept-Language: en). Alerts that go through the real send service
(so that the banner's cache is dropped after commit, as in production) are made by `send`.
"""

from __future__ import annotations

import asyncio
import datetime
import re
from typing import Any

import pytest
from django.core.asgi import get_asgi_application
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from tests.factories import municipality_make, unit_make
from torget.accounts.models import User
from torget.alerts import geo
from torget.alerts.models import Address, Alert, Topic, Zone
from torget.alerts.services.alerts import (
    alert_draft_save,
    alert_follow_up_save,
    alert_follow_up_start,
    alert_send,
)
from torget.alerts.tests.factories import INSIDE, OUTSIDE, SQUARE, alert_make, subscription_make
from torget.core.asgi_cache import AnonymousPageCache
from torget.core.tests.test_asgi_cache import Clock, request
from torget.organisation.models import Unit

ATOM = {"atom": "http://www.w3.org/2005/Atom"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def page(client: Client, path: str, **extra: Any) -> str:
    answer = client.get(path, **EN, **extra)
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


def sent_alert(unit: Unit, **fields: Any) -> Alert:
    fields.setdefault("sent_at", timezone.now())
    return alert_make(unit, status=Alert.Status.SENT, **fields)


def send(actor: User, unit: Unit, **data: Any) -> Alert:
    """Draft and send an alert through the services, as staff do."""
    values = {
        "topic": Topic.WATER,
        "severity": "Severe",
        "title": "Vannlekkasje i Storgata",
        "text": "Vannet er stengt til kl. 18.",
        "by_sms": True,
        "by_email": False,
    }
    values.update(data)
    draft = alert_draft_save(actor=actor, unit=unit, data=values, area=SQUARE)
    return alert_send(alert=draft, actor=actor)


def send_follow_up(actor: User, original: Alert, kind: str, text: str) -> Alert:
    follow_up = alert_follow_up_start(original=original, actor=actor, kind=kind)
    follow_up = alert_follow_up_save(follow_up=follow_up, actor=actor, data={"text": text})
    return alert_send(alert=follow_up, actor=actor)


@pytest.fixture
def subscriber(library: Unit) -> None:
    """Someone inside SQUARE, so that an alert there has a recipient and can be sent."""
    subscription_make(library.municipality, destination="+4791234567")


def banner(html: str) -> str:
    """The banner region of a page, or "" when there is none."""
    match = re.search(r'<div class="alert-banner" role="region".*?</ul>\s*</div>', html, re.S)
    return match.group(0) if match else ""


# --- the list -------------------------------------------------------------------------------


def test_alert_list_shows_current_alerts_first_then_earlier_ones(
    client: Client, library: Unit
) -> None:
    now = timezone.now()
    ended = sent_alert(
        library,
        title="Stengt vei ved skolen",
        topic=Topic.ROADS,
        ended_at=now,
        sent_at=now - datetime.timedelta(days=2),
    )
    expired = sent_alert(
        library,
        title="Strømbrudd på Nordbyen",
        topic=Topic.POWER,
        sent_at=now - datetime.timedelta(days=1),
        expires=now - datetime.timedelta(hours=1),
    )
    active = sent_alert(library, title="Vannlekkasje i Storgata")
    alert_make(library, title="Utkast som ikke er sendt")

    html = page(client, "/varsler/")

    current, earlier = html.split('id="past-heading"')
    assert active.title in current and f'href="/varsler/{active.pk}/"' in current
    assert "Severity: Severe" in current and "Active" in current
    assert ended.title in earlier and "Over: all clear" in earlier
    assert expired.title in earlier and "Over: expired" in earlier
    assert ended.title not in current and expired.title not in current
    assert "Utkast som ikke er sendt" not in html
    assert 'href="/varsler/abonner/"' in html
    assert 'type="application/atom+xml" href="/varsler/feed.atom"' in html


def test_alert_list_says_so_when_there_are_none_and_hides_other_municipalities(
    client: Client, library: Unit
) -> None:
    other = municipality_make(number="1234", name="Annen kommune", hostnames=("annen.test",))
    sent_alert(unit_make(other, slug="vann"), title="Annen kommunes varsel")

    html = page(client, "/varsler/")

    assert "There are no alerts right now." in html
    assert "No earlier alerts." in html
    assert "Annen kommunes varsel" not in html


def test_alert_list_pages_earlier_alerts_twenty_at_a_time(client: Client, library: Unit) -> None:
    start = timezone.now() - datetime.timedelta(days=30)
    for number in range(21):
        sent_alert(
            library,
            title=f"Gammelt varsel {number:02d}",
            sent_at=start + datetime.timedelta(hours=number),
            ended_at=start + datetime.timedelta(hours=number, minutes=30),
        )

    first = page(client, "/varsler/")
    second = page(client, "/varsler/?page=2")

    assert "Gammelt varsel 20" in first and "Gammelt varsel 01" in first
    assert "Gammelt varsel 00" not in first
    assert "Page 1 of 2" in first and 'href="?page=2#tidligere"' in first
    assert "Gammelt varsel 00" in second and "Gammelt varsel 20" not in second


# --- the alert page -------------------------------------------------------------------------


def test_alert_page_shows_the_alert_its_update_and_all_clear_in_order(
    client: Client, library: Unit
) -> None:
    now = timezone.now()
    alert = sent_alert(
        library,
        sent_at=now - datetime.timedelta(hours=3),
        onset=now - datetime.timedelta(hours=3),
        expires=now + datetime.timedelta(hours=5),
        contact_phone="+4722112233",
        contact_email="vakt@testvik.kommune.no",
        contact_url="https://testvik.kommune.no/vann",
        ended_at=now,
    )
    update = sent_alert(
        library,
        original=alert,
        kind=Alert.Kind.UPDATE,
        text="Reparasjonen tar to timer til.",
        sent_at=now - datetime.timedelta(hours=1),
    )
    cancel = sent_alert(
        library, original=alert, kind=Alert.Kind.CANCEL, text="Vannet er tilbake.", sent_at=now
    )
    draft_update = alert_make(
        library, original=alert, kind=Alert.Kind.UPDATE, text="Utkast til oppdatering"
    )

    html = page(client, f"/varsler/{alert.pk}/")

    assert '<h1 id="alert-title">Vannlekkasje i Storgata</h1>' in html
    assert "Over: all clear" in html
    assert "<dt>Severity</dt><dd>Severe</dd>" in html
    assert 'href="tel:+4722112233"' in html and 'href="mailto:vakt@testvik.kommune.no"' in html
    assert 'href="https://testvik.kommune.no/vann"' in html
    positions = [html.index(f'id="melding-{m.pk}"') for m in (alert, update, cancel)]
    assert positions == sorted(positions)
    assert "Update: Vannlekkasje i Storgata" in html
    assert "All clear: Vannlekkasje i Storgata" in html
    assert "Vannet er tilbake." in html and "Reparasjonen tar to timer til." in html
    assert draft_update.text not in html and "3 messages" in html
    for message in (alert, update, cancel):
        assert f'href="/varsler/{message.pk}/cap.xml" type="application/cap+xml"' in html
    assert f'rel="alternate" type="application/cap+xml" href="/varsler/{cancel.pk}/cap.xml"' in html
    assert 'href="/varsler/abonner/"' in html and "Subscribe to alerts" in html
    assert 'href="/varsler/cap.atom"' in html


def test_alert_page_has_the_map_data_and_the_area_in_words(
    client: Client, library: Unit, settings: Any
) -> None:
    settings.TORGET_MAP_TILES_URL = "https://tiles.example/{z}/{x}/{y}.png"
    municipality = library.municipality
    inside_x, inside_y = geo.to_25833(*INSIDE)
    for street, x, y in [
        ("Storgata", inside_x, inside_y),
        ("Kirkegata", inside_x + 50, inside_y + 50),
        ("Langt unna vei", inside_x + 5000, inside_y),
    ]:
        Address.objects.create(
            municipality=municipality,
            street=street,
            number="1",
            search_key=f"{street.lower()} 1",
            x=x,
            y=y,
            lat=0,
            lon=0,
        )
    alert = sent_alert(library)

    html = page(client, f"/varsler/{alert.pk}/")

    assert 'id="alert-map"' in html and "hidden" in html.split('id="alert-map"')[1].split(">")[0]
    assert 'data-tiles-url="https://tiles.example/{z}/{x}/{y}.png"' in html
    assert '<script id="alert-area" type="application/json">' in html
    assert '"coordinates": [[[10.74, 59.91]' in html
    assert "/static/" in html and "js/alert_map" in html and "leaflet/leaflet" in html
    assert "described in words below the map" in html
    words = html.split('class="alert-area__text"')[1].split("</section>")[0]
    assert "<li>Kirkegata</li>" in words and "<li>Storgata</li>" in words
    assert "Langt unna vei" not in words


def test_alert_page_names_the_zone_or_the_listed_streets(client: Client, library: Unit) -> None:
    zone = Zone.objects.create(
        municipality=library.municipality, name="Sentrum vannverk", area=SQUARE
    )
    by_zone = sent_alert(library, area_source=Alert.AreaSource.ZONE, zone=zone)
    by_streets = sent_alert(
        library, area_source=Alert.AreaSource.ADDRESSES, area_addresses="Storgata\nTorget 3\n"
    )

    zone_html = page(client, f"/varsler/{by_zone.pk}/")
    streets_html = page(client, f"/varsler/{by_streets.pk}/")

    assert "The alert concerns the zone Sentrum vannverk." in zone_html
    assert "<li>Storgata</li><li>Torget 3</li>" in streets_html


def test_alert_page_of_a_follow_up_leads_to_the_alert_at_that_message(
    client: Client, library: Unit
) -> None:
    alert = sent_alert(library)
    update = sent_alert(library, original=alert, kind=Alert.Kind.UPDATE)

    answer = client.get(f"/varsler/{update.pk}/")

    assert answer.status_code == 302
    assert answer["Location"] == f"/varsler/{alert.pk}/#melding-{update.pk}"


def test_alert_page_is_not_found_for_drafts_and_other_municipalities(
    client: Client, library: Unit
) -> None:
    draft = alert_make(library)
    pending = alert_make(library, status=Alert.Status.PENDING_APPROVAL)
    other = municipality_make(number="1234", name="Annen kommune", hostnames=("annen.test",))
    elsewhere = sent_alert(unit_make(other, slug="vann"))

    for alert in (draft, pending, elsewhere):
        assert client.get(f"/varsler/{alert.pk}/", **EN).status_code == 404


# --- feeds ----------------------------------------------------------------------------------


def _feed(client: Client, path: str) -> etree._Element:
    answer = client.get(path, **EN)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/atom+xml")
    return etree.fromstring(answer.content)


def test_atom_feed_lists_alerts_updates_and_all_clears_newest_first(
    client: Client, library: Unit
) -> None:
    now = timezone.now()
    alert = sent_alert(library, sent_at=now - datetime.timedelta(hours=2))
    update = sent_alert(
        library, original=alert, kind=Alert.Kind.UPDATE, sent_at=now - datetime.timedelta(hours=1)
    )
    cancel = sent_alert(library, original=alert, kind=Alert.Kind.CANCEL, sent_at=now)
    alert_make(library, title="Utkast")

    feed = _feed(client, "/varsler/feed.atom")

    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.findtext("atom:title", namespaces=ATOM) == "Alerts from Testvik kommune"
    entries = feed.findall("atom:entry", ATOM)
    assert [e.findtext("atom:title", namespaces=ATOM) for e in entries] == [
        "All clear: Vannlekkasje i Storgata",
        "Update: Vannlekkasje i Storgata",
        "Vannlekkasje i Storgata",
    ]
    links = [e.find("atom:link", ATOM).get("href") for e in entries]  # type: ignore[union-attr]
    assert links == [
        f"http://testserver/varsler/{alert.pk}/#melding-{cancel.pk}",
        f"http://testserver/varsler/{alert.pk}/#melding-{update.pk}",
        f"http://testserver/varsler/{alert.pk}/",
    ]
    assert entries[2].findtext("atom:id", namespaces=ATOM) == f"urn:uuid:{alert.identifier}"
    assert entries[2].findtext("atom:summary", namespaces=ATOM) == "Vannet er stengt til kl. 18."


def test_cap_index_links_each_message_as_application_cap_xml(client: Client, library: Unit) -> None:
    alert = sent_alert(library, sent_at=timezone.now() - datetime.timedelta(hours=1))
    update = sent_alert(library, original=alert, kind=Alert.Kind.UPDATE)

    feed = _feed(client, "/varsler/cap.atom")

    entries = feed.findall("atom:entry", ATOM)
    assert len(entries) == 2
    cap_links = [
        link
        for entry in entries
        for link in entry.findall("atom:link", ATOM)
        if link.get("type") == "application/cap+xml"
    ]
    assert [link.get("href") for link in cap_links] == [
        f"http://testserver/varsler/{update.pk}/cap.xml",
        f"http://testserver/varsler/{alert.pk}/cap.xml",
    ]
    assert all(link.get("rel") == "alternate" for link in cap_links)
    for link in cap_links:
        answer = client.get(link.get("href").removeprefix("http://testserver"))
        assert answer["Content-Type"] == "application/cap+xml"
        assert b"urn:oasis:names:tc:emergency:cap:1.2" in answer.content
    self_link = [lk for lk in feed.findall("atom:link", ATOM) if lk.get("rel") == "self"]
    assert self_link[0].get("href") == "http://testserver/varsler/cap.atom"


# --- the banner -----------------------------------------------------------------------------


def test_banner_shows_an_active_alert_on_an_ordinary_page(client: Client, library: Unit) -> None:
    alert = sent_alert(
        library, severity="Extreme", onset=timezone.now() - datetime.timedelta(minutes=5)
    )

    html = page(client, "/enheter/biblioteket/")

    region = banner(html)
    assert 'aria-label="Active alerts"' in region
    assert "Alert, severity Extreme:" in region
    assert f'<a href="/varsler/{alert.pk}/">Vannlekkasje i Storgata</a>' in region
    assert "Water and sewage" in region
    # At the top of the main content, before the page's own heading.
    assert html.index('id="main"') < html.index("alert-banner") < html.index("<h1")


def test_banner_waits_for_the_start_and_goes_at_the_end(client: Client, library: Unit) -> None:
    now = timezone.now()
    sent_alert(library, title="Planlagt stenging", onset=now + datetime.timedelta(hours=2))
    sent_alert(
        library,
        title="Utløpt varsel",
        onset=now - datetime.timedelta(hours=5),
        expires=now - datetime.timedelta(minutes=1),
    )

    assert banner(page(client, "/")) == ""


def test_banner_appears_when_sent_and_disappears_after_the_all_clear(
    client: Client,
    library: Unit,
    communicator: User,
    subscriber: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert banner(page(client, "/")) == ""  # and the empty list is cached now

    with django_capture_on_commit_callbacks(execute=True):
        alert = send(communicator, library)
    shown = banner(page(client, "/"))
    with django_capture_on_commit_callbacks(execute=True):
        send_follow_up(communicator, alert, Alert.Kind.CANCEL, "Vannet er tilbake.")
    after = page(client, "/")

    assert f'href="/varsler/{alert.pk}/"' in shown
    assert banner(after) == ""
    alert.refresh_from_db()
    assert alert.ended_at is not None


def test_banner_shows_at_once_on_anonymous_pages_cached_in_front_of_django(
    transactional_db: None, library: Unit, communicator: User, subscriber: None
) -> None:
    clock = Clock()
    torget = AnonymousPageCache(get_asgi_application(), clock=clock)
    headers = [("Accept-Language", "en")]
    before = asyncio.run(request(torget, "/", headers=headers))
    assert banner(before.text) == ""
    assert asyncio.run(request(torget, "/", headers=headers)).body == before.body  # cached

    alert = send(communicator, library)  # commits: the banner's and the page cache are dropped
    after = asyncio.run(request(torget, "/", headers=headers))

    assert f'href="/varsler/{alert.pk}/"' in banner(after.text)


def test_banner_tells_a_resident_the_alert_concerns_their_address(
    client: Client, library: Unit, resident: User, other_resident: User
) -> None:
    municipality = library.municipality
    subscription_make(
        municipality,
        destination="nora@example.no",
        medium="email",
        lonlat=INSIDE,
        user=resident,
        place_label="Storgata 5",
    )
    subscription_make(
        municipality,
        destination="emil@example.no",
        medium="email",
        lonlat=OUTSIDE,
        user=other_resident,
        place_label="Bakkeveien 2",
    )
    alert = sent_alert(library)

    client.force_login(resident)
    nora_banner = banner(page(client, "/"))
    nora_page = page(client, f"/varsler/{alert.pk}/")
    client.force_login(other_resident)
    emil_banner = banner(page(client, "/"))
    emil_page = page(client, f"/varsler/{alert.pk}/")
    client.logout()
    anonymous_banner = banner(page(client, "/"))

    assert "This concerns your address" in nora_banner and "Storgata 5" in nora_banner
    assert "This concerns your address" in nora_page
    assert "This concerns your address" not in emil_banner
    assert "This concerns your address" not in emil_page
    assert "Vannlekkasje i Storgata" in emil_banner
    assert "This concerns your address" not in anonymous_banner


def test_banner_counts_a_place_whose_radius_reaches_the_area(
    client: Client, library: Unit, resident: User
) -> None:
    # OUTSIDE is about 560 m east of SQUARE's eastern edge.
    subscription_make(
        library.municipality,
        destination="nora@example.no",
        medium="email",
        lonlat=OUTSIDE,
        radius_m=1000,
        user=resident,
    )
    sent_alert(library)
    client.force_login(resident)

    assert "This concerns your address" in banner(page(client, "/"))


def test_banner_ignores_an_unsubscribed_place(
    client: Client, library: Unit, resident: User
) -> None:
    subscription_make(
        library.municipality,
        destination="nora@example.no",
        medium="email",
        lonlat=INSIDE,
        user=resident,
        status="unsubscribed",
    )
    sent_alert(library)
    client.force_login(resident)

    assert "This concerns your address" not in banner(page(client, "/"))


def test_banner_reads_no_alerts_from_the_database_once_cached(
    client: Client, library: Unit
) -> None:
    sent_alert(library)
    first = page(client, "/enheter/biblioteket/")

    with CaptureQueriesContext(connection) as queries:
        again = page(client, "/enheter/biblioteket/")

    assert banner(again) == banner(first) != ""
    assert not [q for q in queries.captured_queries if "alerts_alert" in q["sql"]]


def test_alert_page_map_uses_kartverkets_tiles_which_the_csp_allows(
    client: Client, library: Unit
) -> None:
    alert = sent_alert(library)

    answer = client.get(f"/varsler/{alert.pk}/", **EN)

    tiles = "https://cache.kartverket.no/v1/wmts/1.0.0/topo/default/webmercator/{z}/{y}/{x}.png"
    assert f'data-tiles-url="{tiles}"' in answer.content.decode()
    assert 'data-attribution="© Kartverket"' in answer.content.decode()
    img_src = next(
        part for part in answer["Content-Security-Policy"].split(";") if "img-src" in part
    )
    assert "https://cache.kartverket.no" in img_src.split()
    assert "'unsafe-inline'" not in answer["Content-Security-Policy"]


def test_alert_list_shows_an_alert_about_to_begin_as_current_but_not_in_the_banner(
    client: Client, library: Unit
) -> None:
    starts = timezone.now() + datetime.timedelta(days=1)
    sent_alert(library, title="Planlagt stenging av Storgata", topic=Topic.ROADS, onset=starts)

    html = page(client, "/varsler/")

    current = html.split('id="past-heading"')[0]
    assert "Planlagt stenging av Storgata" in current
    assert "Starts " in current and "Roads and traffic" in current
    assert banner(html) == ""


def test_alert_pages_answer_head_as_well_as_get(client: Client, library: Unit) -> None:
    alert = sent_alert(library)

    for path in ("/varsler/", f"/varsler/{alert.pk}/", f"/varsler/{alert.pk}/cap.xml"):
        answer = client.head(path, **EN)
        assert answer.status_code == 200, path
        assert answer.content == b""
    assert client.post("/varsler/", **EN).status_code == 405


@pytest.mark.parametrize("path", ["/varsler/", "/varsler/feed.atom", "/varsler/cap.atom"])
def test_list_and_feeds_cost_the_same_queries_for_few_or_many_alerts(
    client: Client, library: Unit, path: str
) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            alert = sent_alert(library)
            sent_alert(library, original=alert, kind=Alert.Kind.UPDATE)
            sent_alert(library, ended_at=timezone.now())

    def queries() -> int:
        page(client, path)  # the host lookup and the banner are cached from here on
        with CaptureQueriesContext(connection) as captured:
            page(client, path)
        return len(captured.captured_queries)

    add(2)
    few = queries()
    add(8)

    assert queries() == few

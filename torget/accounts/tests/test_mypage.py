"""Min side: each registered section with data from its module (cases, questions across
channels, alert subscriptions, followed pages) and its empty state, and "my data" as a JSON
download with everything each module holds about the person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD
from torget.accounts.models import User
from torget.alerts.tests.factories import subscription_make
from torget.cases.models import CaseStatus, Draft
from torget.cases.services.status import case_status_change
from torget.cases.tests.factories_cases import attachment_make, case_make, form_make
from torget.conversations import services as conversations
from torget.conversations.models import Channel
from torget.organisation.models import Municipality, Unit
from torget.pages import services as pages
from torget.pages.models import Follow, Post

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}

# Every foreign key to the user model, and where "my data" shows it: an export key, or why it
# is not the person's data as a resident. A new model that points at people fails here until
# its module registers its data (accounts.mypage.register_personal_data) or says why not.
STAFF_WORK = "the work of staff for the municipality, not data about them as residents"
USER_FIELDS = {
    "admin.LogEntry.user": "the IT operator's admin log",
    "account.EmailAddress.user": "account",
    "mfa.Authenticator.user": "account",
    "organisation.Membership.user": "memberships",
    "conversations.Thread.opened_by": "threads",
    "conversations.Thread.assignee": STAFF_WORK,
    "conversations.Message.author": "messages",
    "conversations.Message.hidden_by": STAFF_WORK,
    "conversations.ThreadEvent.actor": "the audit trail; the person's own acts are in threads",
    "conversations.MessageReport.reporter": "message_reports",
    "conversations.Block.user": "blocks",
    "conversations.Block.blocked_by": STAFF_WORK,
    "pages.Post.author": STAFF_WORK,
    "pages.Follow.user": "follows",
    "pages.PostNotice.user": "bookkeeping of e-mails sent about followed pages",
    "pages.DigestSent.user": "bookkeeping of e-mails sent about followed pages",
    "alerts.Subscription.user": "alert_subscriptions",
    "alerts.Alert.created_by": STAFF_WORK,
    "alerts.Alert.approved_by": STAFF_WORK,
    "services.InfoPageVersion.author": STAFF_WORK,
    "cases.Draft.user": "drafts",
    "cases.Case.applicant": "cases",
    "cases.CaseEvent.actor": "cases",
    "cases.CaseAttachment.owner": "cases",
    "participation.Statement.author": "participation",
    "participation.Proposal.author": "participation",
    "participation.ProposalSupport.user": "participation",
    "participation.ForumFollow.user": "participation",
    "participation.ForumNotice.user": "bookkeeping of e-mails sent about followed forums",
    "participation.ForumDigestSent.user": "bookkeeping of e-mails sent about followed forums",
    "participation.ShortView.author": "participation",
    "participation.ShortView.moderated_by": STAFF_WORK,
    "participation.Hearing.result_changed_by": STAFF_WORK,
    "participation.HearingExport.requested_by": STAFF_WORK,
    "participation.ShortViewVote.user": "participation",
}
EXPORT_KEYS = {
    "account",
    "memberships",
    "threads",
    "messages",
    "message_reports",
    "blocks",
    "cases",
    "drafts",
    "alert_subscriptions",
    "follows",
    "participation",
}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _post(unit: Unit, title: str = "Nye åpningstider") -> Post:
    return Post.objects.create(
        municipality=unit.municipality,
        unit=unit,
        title=title,
        body="Vi åpner tidligere.",
        published_at=timezone.now(),
    )


# --- the sections --------------------------------------------------------------------------


def test_my_page_shows_each_section_empty(
    client: Client, municipality: Municipality, resident: User
) -> None:
    client.force_login(resident)
    text = client.get("/min-side/", **EN).text
    for heading, empty in [
        ("My cases", "You have no cases."),
        ("My questions and answers", "You have not asked the municipality anything yet."),
        ("My alert subscriptions", "You get no alerts from the municipality yet."),
        ("Pages I follow", "You follow no unit's page."),
        ("Your account", "nora@example.no"),
    ]:
        assert heading in text and empty in text, heading
    assert text.index("My cases") < text.index("My questions") < text.index("Your account")
    assert 'href="/min-side/mine-data.json"' in text
    assert 'href="/min-side/slett-konto/"' in text


def test_my_page_shows_cases_questions_subscriptions_and_follows(
    client: Client,
    municipality: Municipality,
    school: Unit,
    library: Unit,
    resident: User,
    other_resident: User,
    case_officer: User,
    communicator: User,
) -> None:
    case = case_make(unit=school, applicant=resident)
    case_status_change(case=case, actor=case_officer, status=CaseStatus.IN_PROGRESS)
    case_make(unit=school, applicant=other_resident)  # someone else's
    post = _post(library)
    comment = pages.post_comment(post=post, actor=resident, body="Gjelder det lørdag også?")
    conversations.thread_answer(threads=[comment], actor=communicator, body="Ja, også lørdag.")
    conversations.note_add(thread=comment, actor=communicator, body="Intern: sjekk vakter")
    by_sms = conversations.thread_open(
        unit=library, channel=Channel.SMS, body="Er biblioteket åpent?", actor=resident
    )
    mine = subscription_make(
        municipality,
        destination="nora@example.no",
        medium="email",
        user=resident,
        place_label="Storgata 1",
    )
    subscription_make(municipality, destination="+4791234567", user=other_resident)
    Follow.objects.create(user=resident, unit=library)

    client.force_login(resident)
    text = client.get("/min-side/", **EN).text
    # My cases: status and expected decision, linked.
    assert f'href="/saker/{case.reference}/"' in text
    assert "Søknad om barnehageplass" in text and "In progress" in text
    # The page gives the date in Oslo, where 23:30 UTC is already the next day.
    assert case.due_at is not None
    assert timezone.localtime(case.due_at).strftime("%Y-%m-%d") in text
    assert text.count("/saker/") == 1 + 1  # the case link, and the case thread's link
    # My questions: every channel, with the latest official answer; never a note.
    assert "Nye åpningstider" in text and "Ja, også lørdag." in text
    assert "Answer from Testvik bibliotek" in text
    assert "Comment on a page" in text and "SMS" in text and "Case" in text
    assert f"/samtaler/{by_sms.pk}/" in text and "No answer yet." in text
    assert "Intern: sjekk vakter" not in text
    # Subscriptions, with links to change and to end them; none of someone else's.
    assert "Storgata 1" in text
    assert f'href="{reverse("alerts:subscription-manage", args=[mine.token])}"' in text
    assert f'href="{reverse("alerts:subscription-unsubscribe", args=[mine.token])}"' in text
    assert "+4791234567" not in text
    # Followed pages, with a way to stop following that comes back here.
    assert "Testvik bibliotek" in text and 'value="unfollow"' in text
    assert 'name="next" value="/min-side/#follows"' in text


def test_my_page_unfollow_from_min_side(
    client: Client, municipality: Municipality, library: Unit, resident: User
) -> None:
    Follow.objects.create(user=resident, unit=library)
    client.force_login(resident)
    response = client.post(
        f"/enheter/{library.slug}/folg/", {"action": "unfollow", "next": "/min-side/#follows"}
    )
    assert response.status_code == 302 and response["Location"] == "/min-side/#follows"
    assert not Follow.objects.filter(user=resident).exists()


def test_my_page_questions_are_paginated(
    client: Client, municipality: Municipality, library: Unit, resident: User
) -> None:
    from django.core.cache import cache

    for i in range(12):
        cache.clear()  # the write limits: these questions came over a long while
        conversations.thread_open(
            unit=library, channel=Channel.WEB, body=f"Spørsmål nummer {i}", actor=resident
        )
    client.force_login(resident)
    first = client.get("/min-side/", **EN).text
    assert "Spørsmål nummer 11" in first and "Spørsmål nummer 1<" not in first
    assert 'href="?questions_page=2#questions"' in first
    second = client.get("/min-side/?questions_page=2", **EN).text
    assert "Spørsmål nummer 1" in second and "Spørsmål nummer 11" not in second


def test_my_page_query_count_is_bounded(
    client: Client,
    municipality: Municipality,
    school: Unit,
    library: Unit,
    resident: User,
    communicator: User,
) -> None:
    from django.core.cache import cache

    client.force_login(resident)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/min-side/").status_code == 200
        return len(queries)

    def add(count_each: int) -> None:
        for _ in range(count_each):
            case_make(unit=school, applicant=resident)
            cache.clear()  # the write limits: these came over a long while
            thread = conversations.thread_open(
                unit=library, channel=Channel.WEB, body="Spørsmål", actor=resident
            )
            conversations.thread_answer(threads=[thread], actor=communicator, body="Svar")

    add(1)
    count()
    before = count()
    add(4)
    count()  # the host and banner caches were emptied with the write limits
    assert count() == before


def test_my_page_requires_login(client: Client, municipality: Municipality) -> None:
    response = client.get("/min-side/mine-data.json")
    assert response.status_code == 302 and response["Location"].startswith("/konto/login/")


# --- my data -----------------------------------------------------------------------------------


def test_every_foreign_key_to_a_person_is_exported_or_explained() -> None:
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                getattr(field, "concrete", False)
                and field.is_relation
                and field.related_model is get_user_model()
            ):
                found.add(f"{model._meta.label}.{field.name}")
    assert found == set(USER_FIELDS), "register the new data, or explain it in USER_FIELDS"
    for where in USER_FIELDS.values():
        assert where in EXPORT_KEYS or " " in where


def test_my_data_downloads_everything_from_every_module(
    client: Client,
    municipality: Municipality,
    school: Unit,
    library: Unit,
    resident: User,
    other_resident: User,
    case_officer: User,
    communicator: User,
) -> None:
    case = case_make(unit=school, applicant=resident)
    case_status_change(
        case=case, actor=case_officer, status=CaseStatus.WAITING_FOR_RESIDENT, note="Send attest"
    )
    attachment_make(case)
    assert case.thread is not None
    conversations.thread_answer(threads=[case.thread], actor=case_officer, body="Vi venter.")
    conversations.note_add(thread=case.thread, actor=case_officer, body="Intern vurdering")
    Draft.objects.create(
        form=form_make(school, slug="skoleskyss", title="Skoleskyss"),
        user=resident,
        data={"address": "Storgata 1"},
        updated_at=timezone.now(),
    )
    case_make(unit=school, applicant=other_resident)
    post = _post(library)
    pages.post_comment(post=post, actor=resident, body="Min kommentar")
    other_thread = pages.post_comment(post=post, actor=other_resident, body="Emils kommentar")
    conversations.message_report(
        message=other_thread.messages.get(), actor=resident, reason="Upassende"
    )
    subscription_make(municipality, destination="nora@example.no", medium="email", user=resident)
    Follow.objects.create(user=resident, unit=library)

    client.force_login(resident)
    response = client.get("/min-side/mine-data.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="mine-data.json"'
    data = json.loads(response.content)
    assert set(data) == EXPORT_KEYS | {"exported_at"}
    raw = response.content.decode()
    assert "argon2" not in raw and PASSWORD not in raw and '"password"' not in raw
    assert data["account"]["email"] == "nora@example.no"
    assert data["account"]["email_addresses"] == [] or data["account"]["email_addresses"][0]
    assert data["memberships"] == []
    [exported_case] = data["cases"]
    assert exported_case["reference"] == case.reference
    assert exported_case["answers"][0]["value"] == "Ola Bakken"
    assert [e["to"] for e in exported_case["events"]] == ["received", "waiting_for_resident"]
    assert exported_case["events"][1]["note"] == "Send attest"
    assert exported_case["attachments"][0]["file_name"] == "legeattest.pdf"
    assert data["drafts"][0]["form"] == "Skoleskyss"
    assert data["drafts"][0]["data"] == {"address": "Storgata 1"}
    bodies = {m["body"] for m in data["messages"]}
    assert "Min kommentar" in bodies
    assert "Vi venter." not in bodies and "Intern vurdering" not in raw
    assert "Emils kommentar" not in raw and "Emil" not in raw
    assert {t["channel"] for t in data["threads"]} == {"case", "web"}
    assert data["message_reports"][0]["reason"] == "Upassende"
    assert data["alert_subscriptions"][0]["destination"] == "nora@example.no"
    assert "token" not in json.dumps(data["alert_subscriptions"])
    assert data["follows"][0]["unit"] == "Testvik bibliotek"


def test_my_data_of_staff_lists_roles(
    client: Client, municipality: Municipality, case_officer: User
) -> None:
    client.force_login(case_officer)
    data = json.loads(client.get("/min-side/mine-data.json").content)
    assert data["memberships"] == [
        {"municipality": "Testvik kommune", "unit": "Testvik skole", "role": "case_officer"}
    ]
    assert data["account"]["authenticators"][0]["type"] == "totp"
    assert "secret" not in json.dumps(data["account"])

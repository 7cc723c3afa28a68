"""Deleting one's account: what stops it (an open case, named with a link; roles), the
password asked again, the limit on attempts, CSRF, and what happens to the person's data in
every module when it goes (DESIGN.md §6: public words stay as records, without the name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory
from torget.accounts.models import User
from torget.alerts.models import Delivery, Subscription
from torget.alerts.tests.factories import alert_make, subscription_make
from torget.cases.models import Case, CaseAttachment, CaseEvent, CaseStatus, Draft
from torget.cases.services.status import case_status_change
from torget.cases.tests.factories_cases import attachment_make, case_make, form_make
from torget.conversations import services as conversations
from torget.conversations.models import Message, MessageReport, Thread
from torget.organisation import services as org
from torget.organisation.models import Membership, Municipality, Role, Unit
from torget.pages import services as pages
from torget.pages.models import Follow, Post

EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = "/min-side/slett-konto/"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _post(unit: Unit) -> Post:
    return Post.objects.create(
        municipality=unit.municipality,
        unit=unit,
        title="Nye åpningstider",
        body="Vi åpner tidligere.",
        published_at=timezone.now(),
    )


def test_no_foreign_key_to_a_person_would_stop_the_delete() -> None:
    """A PROTECT (or RESTRICT, or DO_NOTHING) towards the user model crashes a deletion."""
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                getattr(field, "concrete", False)
                and field.is_relation
                and field.related_model is get_user_model()
            ):
                on_delete = field.remote_field.on_delete  # type: ignore[union-attr]
                assert on_delete in (models.CASCADE, models.SET_NULL), (
                    f"{model._meta.label}.{field.name}"
                )


def test_delete_page_says_what_goes_and_what_stays(
    client: Client, municipality: Municipality, resident: User
) -> None:
    client.force_login(resident)
    response = client.get(URL, **EN)
    assert response.status_code == 200
    text = response.text
    assert "What is deleted" in text and "What is kept" in text
    assert "shown without your name" in text
    assert 'type="password"' in text and 'name="password"' in text
    assert "cannot be deleted now" not in text


def test_an_open_case_blocks_the_delete_and_is_named_with_a_link(
    client: Client, municipality: Municipality, school: Unit, resident: User, case_officer: User
) -> None:
    case = case_make(unit=school, applicant=resident)
    case_status_change(case=case, actor=case_officer, status=CaseStatus.IN_PROGRESS)
    client.force_login(resident)
    page = client.get(URL, **EN).text
    assert "Your account cannot be deleted now" in page
    assert (
        f'Your case <a href="/saker/{case.reference}/">{case.reference} Søknad om barnehageplass'
        "</a> is “In progress”." in page
    )
    assert 'name="password"' not in page
    refused = client.post(URL, {"password": PASSWORD}, **EN)
    assert refused.status_code == 422
    assert f'href="/saker/{case.reference}/"' in refused.text  # the reason, shown again
    assert User.objects.filter(pk=resident.pk).exists()
    assert client.get("/min-side/").status_code == 200  # still logged in


def test_roles_block_the_delete(
    client: Client, municipality: Municipality, case_officer: User
) -> None:
    client.force_login(case_officer)
    assert "You hold roles in the municipality" in client.get(URL, **EN).text
    assert client.post(URL, {"password": PASSWORD}).status_code == 422
    assert User.objects.filter(pk=case_officer.pk).exists()


def test_wrong_password_is_422_with_the_error_beside_the_field(
    client: Client, municipality: Municipality, resident: User
) -> None:
    client.force_login(resident)
    response = client.post(URL, {"password": "feil-passord"}, **EN)
    assert response.status_code == 422
    assert "The password is not correct." in response.text
    assert 'aria-describedby="delete_password_error"' in response.text
    assert "error-summary" in response.text and 'href="#delete_password"' in response.text
    assert User.objects.filter(pk=resident.pk).exists()
    empty = client.post(URL, {"password": ""}, **EN)
    assert empty.status_code == 422 and "Type your password." in empty.text


def test_attempts_are_rate_limited(
    client: Client, municipality: Municipality, resident: User
) -> None:
    client.force_login(resident)
    for i in range(5):
        assert client.post(URL, {"password": f"feil{i}"}).status_code == 422
    limited = client.post(URL, {"password": PASSWORD}, **EN)
    assert limited.status_code == 429
    assert "You have tried many times" in limited.text
    assert User.objects.filter(pk=resident.pk).exists()


def test_the_delete_needs_a_csrf_token(municipality: Municipality, resident: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    assert client.post(URL, {"password": PASSWORD}).status_code == 403
    assert User.objects.filter(pk=resident.pk).exists()


def test_an_account_without_password_confirms_with_its_email(
    client: Client, municipality: Municipality
) -> None:
    person = User.objects.create_user(email="kode@example.no", password=None)
    client.force_login(person)
    page = client.get(URL, **EN).text
    assert 'name="email"' in page and 'name="password"' not in page
    wrong = client.post(URL, {"email": "annen@example.no"}, **EN)
    assert wrong.status_code == 422 and "Type the e-mail address of your account." in wrong.text
    assert client.post(URL, {"email": "KODE@example.no"}).status_code == 302
    assert not User.objects.filter(pk=person.pk).exists()


def test_delete_handles_the_data_of_every_module_and_logs_out(
    client: Client,
    municipality: Municipality,
    school: Unit,
    library: Unit,
    resident: User,
    other_resident: User,
    case_officer: User,
    communicator: User,
    moderator: User,
) -> None:
    # Cases: a closed case with an attachment and events, a draft with an unsent file.
    case = case_make(unit=school, applicant=resident)
    case_file = attachment_make(case)
    assert case.thread is not None
    conversations.thread_answer(threads=[case.thread], actor=case_officer, body="Innvilget.")
    case_status_change(case=case, actor=case_officer, status=CaseStatus.DECIDED, note="Ja")
    case_status_change(case=case, actor=case_officer, status=CaseStatus.CLOSED)
    form = form_make(school, slug="skoleskyss", title="Skoleskyss")
    Draft.objects.create(form=form, user=resident, data={"a": 1}, updated_at=timezone.now())
    unsent = attachment_make(case, name="utkast.pdf")
    CaseAttachment.objects.filter(pk=unsent.pk).update(case=None, form=form)
    unsent.refresh_from_db()
    unsent_path = Path(unsent.file.path)
    assert unsent_path.exists()
    # Conversations: a public comment answered, a report, a block lifted.
    post = _post(library)
    comment = pages.post_comment(post=post, actor=resident, body="Gjelder det lørdag også?")
    conversations.thread_answer(threads=[comment], actor=communicator, body="Ja.")
    emils = pages.post_comment(post=post, actor=other_resident, body="Fint!")
    conversations.message_report(message=emils.messages.get(), actor=resident, reason="Spam")
    conversations.user_block(
        municipality=municipality, user=resident, actor=moderator, reason="Test"
    )
    conversations.user_unblock(municipality=municipality, user=resident, actor=moderator)
    # Alerts: a subscription with a delivery made to it; pages: a follow.
    subscription = subscription_make(
        municipality, destination="nora@example.no", medium="email", user=resident
    )
    alert = alert_make(library)
    delivery = Delivery.objects.create(
        alert=alert,
        medium="email",
        destination="nora@example.no",
        subscription=subscription,
        next_attempt_at=timezone.now(),
    )
    Follow.objects.create(user=resident, unit=library)
    # Work done in an earlier staff role, since removed: a post and an alert.
    org.membership_grant(user=resident, unit=library, role=Role.COMMUNICATOR)
    Membership.objects.filter(user=resident).delete()
    own_post = Post.objects.create(
        municipality=municipality,
        unit=library,
        author=resident,
        title="Skrevet som ansatt",
        body="Tekst",
        published_at=timezone.now(),
    )
    own_alert = alert_make(library, created_by=resident, approved_by=resident)

    client.force_login(resident)
    response = client.post(URL, {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/min-side/slett-konto/slettet/"
    done = client.get(response["Location"], **EN)
    assert "Your account has been deleted" in done.text
    assert client.get("/min-side/").status_code == 302  # logged out

    assert not User.objects.filter(pk=resident.pk).exists()
    # Gone with the account.
    assert not Draft.objects.filter(form=form).exists()
    assert not CaseAttachment.objects.filter(pk=unsent.pk).exists()
    assert not unsent_path.exists()
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    assert not Follow.objects.filter(unit=library).exists()
    assert not MessageReport.objects.filter(reason="Spam").exists()
    # Kept as the municipality's records, without the person.
    case.refresh_from_db()
    assert case.applicant is None and case.status == CaseStatus.CLOSED
    assert CaseAttachment.objects.get(pk=case_file.pk).owner is None
    history = list(CaseEvent.objects.filter(case=case).order_by("at", "pk"))
    assert [e.status_to for e in history] == ["received", "decided", "closed"]
    assert history[0].actor is None  # the submission was the resident's
    assert history[1].actor == case_officer and history[1].note == "Ja"
    kept = Message.objects.get(body="Gjelder det lørdag også?")
    assert kept.author is None
    assert Thread.objects.get(pk=comment.pk).opened_by is None
    delivery.refresh_from_db()
    assert delivery.subscription is None
    own_post.refresh_from_db()
    own_alert.refresh_from_db()
    assert own_post.author is None and own_alert.created_by is None
    # The public comment is still shown, without the name.
    page = client.get(f"/innlegg/{post.pk}/", **EN).text
    assert "Gjelder det lørdag også?" in page and "Nora" not in page
    assert User.objects.filter(pk=other_resident.pk).exists()


def test_the_account_deleted_page_is_public(client: Client, municipality: Municipality) -> None:
    page = client.get("/min-side/slett-konto/slettet/", **EN)
    assert page.status_code == 200 and "You are logged out." in page.text


def test_delete_of_a_fresh_account(client: Client, municipality: Municipality) -> None:
    person = UserFactory(email="ny@example.no")
    client.force_login(person)
    assert client.post(URL, {"password": PASSWORD}).status_code == 302
    assert not User.objects.filter(email="ny@example.no").exists()
    assert not Case.objects.exists()

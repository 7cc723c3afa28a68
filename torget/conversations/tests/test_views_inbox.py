"""The staff inbox: who may open it, what it lists, its filters, answering from it, and the
small JSON status that the page polls for new messages."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client

from conftest import _staff
from torget.accounts.models import User
from torget.conversations import services
from torget.conversations.models import Message, Thread, ThreadStatus
from torget.organisation.models import Role, Unit
from torget.organisation.workinghours import OSLO

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
FRIDAY_1645 = datetime.datetime(2026, 11, 27, 16, 45, tzinfo=OSLO)
MONDAY_0910 = datetime.datetime(2026, 11, 30, 9, 10, tzinfo=OSLO)


def ask(
    unit: Unit,
    body: str = "Når åpner biblioteket?",
    *,
    channel: str = "web",
    title: str = "",
    at: datetime.datetime | None = None,
) -> Thread:
    """A question from a resident without an account (no write limit applies to those)."""
    return services.thread_open(
        unit=unit,
        channel=channel,
        body=body,
        actor=None,
        author_name="Innbygger",
        title=title,
        at=at,
    )


def row_ids(html: str) -> list[int]:
    """The thread ids of the inbox rows, in the order shown."""
    return [int(pk) for pk in re.findall(r'id="samtale-(\d+)" data-inbox-row', html)]


# --- access ----------------------------------------------------------------------------------


def test_inbox_sends_anonymous_visitor_to_login(client: Client, municipality: object) -> None:
    response = client.get("/ansatt/innboks/")
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/login/?next=/ansatt/innboks/")


def test_inbox_refuses_resident_with_the_shells_403(
    client: Client, municipality: object, resident: User
) -> None:
    client.force_login(resident)
    response = client.get("/ansatt/innboks/", **EN)
    assert response.status_code == 403
    assert "You do not have access to this page" in response.text


def test_inbox_status_json_refuses_resident_and_anonymous(
    client: Client, municipality: object, resident: User
) -> None:
    assert client.get("/ansatt/innboks/status.json").status_code == 302
    client.force_login(resident)
    assert client.get("/ansatt/innboks/status.json").status_code == 403


# --- what it lists ---------------------------------------------------------------------------


def test_inbox_lists_waiting_threads_of_served_units_oldest_wait_first(
    client: Client, library: Unit, school: Unit, communicator: User
) -> None:
    newer = ask(library, "Har dere lydbøker?", at=MONDAY_0910)
    older = ask(library, "Når åpner dere i jula?", title="Jul", at=FRIDAY_1645)
    at_school = ask(school, "Når er høstferien?")
    answered = ask(library, "Takk for sist")
    services.thread_answer(threads=[answered], actor=communicator, body="Bare hyggelig.")
    client.force_login(communicator)

    response = client.get("/ansatt/innboks/", **EN)

    assert response.status_code == 200
    assert row_ids(response.text) == [older.pk, newer.pk]
    assert at_school.pk not in row_ids(response.text)
    assert "2 conversations wait for an answer" in response.text
    # A row shows channel, unit, title (or the first words), waiting, due time and assignee.
    assert "Comment on a page" in response.text and "Testvik bibliotek" in response.text
    assert ">Jul</a>" in response.text and "Når åpner dere i jula?" in response.text
    assert ">Har dere lydbøker?</a>" in response.text
    assert "Waiting for" in response.text and "Due" in response.text
    assert "Nobody" in response.text


def test_inbox_row_shows_the_last_resident_message(
    client: Client, library: Unit, resident: User, communicator: User
) -> None:
    thread = services.thread_open(
        unit=library, channel="web", body="Første spørsmål", actor=resident, title="Lån"
    )
    services.thread_answer(threads=[thread], actor=communicator, body="Svar")
    services.message_add_resident(thread=thread, actor=resident, body="Oppfølgingen min")
    client.force_login(communicator)
    response = client.get("/ansatt/innboks/", **EN)
    assert "Oppfølgingen min" in response.text
    assert "Første spørsmål" not in response.text


def test_inbox_is_empty_says_so(client: Client, library: Unit, communicator: User) -> None:
    client.force_login(communicator)
    response = client.get("/ansatt/innboks/", **EN)
    assert response.status_code == 200
    assert "The inbox is empty." in response.text
    assert row_ids(response.text) == []


def test_inbox_paginates_25_a_page(client: Client, library: Unit, communicator: User) -> None:
    threads = [ask(library, f"Spørsmål {n}") for n in range(30)]
    client.force_login(communicator)
    first = client.get("/ansatt/innboks/", **EN)
    second = client.get("/ansatt/innboks/?page=2", **EN)
    assert row_ids(first.text) == [t.pk for t in threads[:25]]
    assert row_ids(second.text) == [t.pk for t in threads[25:]]
    assert "Page 1 of 2" in first.text and 'href="?page=2"' in first.text
    assert "Page 2 of 2" in second.text


def test_inbox_page_links_keep_the_filters(
    client: Client, library: Unit, communicator: User
) -> None:
    for n in range(26):
        ask(library, f"E-post {n}", channel="email")
    client.force_login(communicator)
    response = client.get("/ansatt/innboks/?channel=email", **EN)
    assert 'href="?channel=email&amp;page=2"' in response.text


# --- filters ---------------------------------------------------------------------------------


def test_inbox_filters_by_unit_and_channel(
    client: Client, library: Unit, school: Unit, moderator: User
) -> None:
    web_library = ask(library, "Om biblioteket")
    mail_school = ask(school, "Om skolen", channel="email")
    web_school = ask(school, "Mer om skolen")
    client.force_login(moderator)  # serves every unit from the root
    assert row_ids(client.get("/ansatt/innboks/").text) == [
        web_library.pk,
        mail_school.pk,
        web_school.pk,
    ]
    by_unit = client.get(f"/ansatt/innboks/?unit={school.pk}", **EN)
    assert row_ids(by_unit.text) == [mail_school.pk, web_school.pk]
    assert "Clear filters" in by_unit.text
    by_channel = client.get("/ansatt/innboks/?channel=email")
    assert row_ids(by_channel.text) == [mail_school.pk]
    both = client.get(f"/ansatt/innboks/?unit={library.pk}&channel=email", **EN)
    assert row_ids(both.text) == []
    assert "No waiting conversation matches these filters." in both.text


def test_inbox_ignores_a_unit_the_staff_member_does_not_serve(
    client: Client, library: Unit, school: Unit, communicator: User
) -> None:
    in_library = ask(library)
    ask(school)
    client.force_login(communicator)
    response = client.get(f"/ansatt/innboks/?unit={school.pk}")
    assert row_ids(response.text) == [in_library.pk]


def test_inbox_filters_by_assignee_me_nobody_and_a_person(
    client: Client, library: Unit, communicator: User, admin: User
) -> None:
    mine, theirs, nobodys = ask(library, "A"), ask(library, "B"), ask(library, "C")
    services.thread_assign(thread=mine, actor=communicator, assignee=communicator)
    services.thread_assign(thread=theirs, actor=communicator, assignee=admin)
    client.force_login(communicator)
    assert row_ids(client.get("/ansatt/innboks/?assignee=me").text) == [mine.pk]
    assert row_ids(client.get("/ansatt/innboks/?assignee=none").text) == [nobodys.pk]
    by_person = client.get(f"/ansatt/innboks/?assignee={admin.pk}")
    assert row_ids(by_person.text) == [theirs.pk]
    assert str(admin) in by_person.text


def test_inbox_filters_overdue_and_says_overdue_in_text(
    client: Client, library: Unit, communicator: User
) -> None:
    library.answer_goal_minutes = 30
    library.save()
    late = ask(library, "Fredag", at=FRIDAY_1645)  # due Monday 09:15
    in_time = ask(library, "Mandag", at=MONDAY_0910)  # due Monday 09:40
    client.force_login(communicator)
    with time_machine.travel(datetime.datetime(2026, 11, 30, 9, 20, tzinfo=OSLO), tick=False):
        everything = client.get("/ansatt/innboks/", **EN)
        overdue = client.get("/ansatt/innboks/?overdue=on", **EN)
    assert row_ids(everything.text) == [late.pk, in_time.pk]
    assert everything.text.count('<strong class="tag tag--overdue">Overdue</strong>') == 1
    assert row_ids(overdue.text) == [late.pk]


def test_inbox_filters_never_answered(
    client: Client, library: Unit, resident: User, communicator: User
) -> None:
    again = services.thread_open(unit=library, channel="web", body="Første", actor=resident)
    services.thread_answer(threads=[again], actor=communicator, body="Svar")
    services.message_add_resident(thread=again, actor=resident, body="Men ...")
    never = ask(library, "Hallo?")
    client.force_login(communicator)
    assert row_ids(client.get("/ansatt/innboks/").text) == [again.pk, never.pk]
    assert row_ids(client.get("/ansatt/innboks/?never_answered=on").text) == [never.pk]


# --- answering from the inbox ----------------------------------------------------------------


def test_inbox_one_answer_to_many_through_the_form(
    client: Client, library: Unit, communicator: User
) -> None:
    first, second, untouched = ask(library, "A?"), ask(library, "B?"), ask(library, "C?")
    client.force_login(communicator)
    response = client.post(
        "/ansatt/innboks/?channel=web",
        {"form": "bulk", "threads": [first.pk, second.pk], "body": "Felles svar"},
        **EN,
    )
    assert response.status_code == 302
    assert response["Location"] == "/ansatt/innboks/?channel=web"
    answers = Message.objects.filter(body="Felles svar")
    assert {m.thread_id for m in answers} == {first.pk, second.pk}
    assert len({m.answer_group for m in answers}) == 1
    for thread in (first, second):
        thread.refresh_from_db()
        assert thread.status == ThreadStatus.ANSWERED
    untouched.refresh_from_db()
    assert untouched.status == ThreadStatus.WAITING
    page = client.get(response["Location"], **EN)
    assert "Your answer has been sent in 2 conversations." in page.text
    assert row_ids(page.text) == [untouched.pk]


def test_inbox_answer_with_empty_text_is_422_and_keeps_the_ticks(
    client: Client, library: Unit, communicator: User
) -> None:
    first, second = ask(library, "A?"), ask(library, "B?")
    client.force_login(communicator)
    response = client.post(
        "/ansatt/innboks/", {"form": "bulk", "threads": [first.pk, second.pk], "body": "  "}, **EN
    )
    assert response.status_code == 422
    assert "Write something before you send." in response.text
    assert response.text.count("data-inbox-pick checked") == 2
    assert 'aria-describedby="bulk_body_error"' in response.text
    assert not Message.objects.filter(role="official").exists()


def test_inbox_answer_too_long_is_422_and_keeps_the_text(
    client: Client, library: Unit, communicator: User
) -> None:
    thread = ask(library)
    client.force_login(communicator)
    text = "Langt svar " * 500
    response = client.post(
        "/ansatt/innboks/", {"form": "bulk", "threads": [thread.pk], "body": text}, **EN
    )
    assert response.status_code == 422
    assert "The text is too long" in response.text
    assert text.strip() in response.text
    assert not Message.objects.filter(role="official").exists()


def test_inbox_answer_without_ticks_is_422(
    client: Client, library: Unit, communicator: User
) -> None:
    ask(library)
    client.force_login(communicator)
    response = client.post("/ansatt/innboks/", {"form": "bulk", "body": "Svar til ingen"}, **EN)
    assert response.status_code == 422
    assert "Tick at least one conversation to answer." in response.text
    assert "Svar til ingen" in response.text


@pytest.mark.parametrize("forged", ["999999", "abc", "school"])
def test_inbox_answer_with_forged_thread_id_is_404_and_stores_nothing(
    client: Client, library: Unit, school: Unit, communicator: User, forged: str
) -> None:
    mine = ask(library)
    other = ask(school)
    client.force_login(communicator)
    forged_id = str(other.pk) if forged == "school" else forged
    response = client.post(
        "/ansatt/innboks/", {"form": "bulk", "threads": [mine.pk, forged_id], "body": "Svar"}
    )
    assert response.status_code == 404
    assert not Message.objects.filter(role="official").exists()
    mine.refresh_from_db()
    assert mine.status == ThreadStatus.WAITING


def test_inbox_answer_by_staff_who_does_not_answer_is_403(
    client: Client, library: Unit, moderator: User
) -> None:
    thread = ask(library)
    client.force_login(moderator)
    page = client.get("/ansatt/innboks/", **EN)
    assert "Answer here" not in page.text and "One answer to many" not in page.text
    response = client.post(
        "/ansatt/innboks/", {"form": "bulk", "threads": [thread.pk], "body": "Svar"}
    )
    assert response.status_code == 403
    assert not Message.objects.filter(role="official").exists()


def test_inbox_answer_in_place_from_one_row(
    client: Client, library: Unit, communicator: User
) -> None:
    thread, other = ask(library, "A?"), ask(library, "B?")
    client.force_login(communicator)
    response = client.post(
        "/ansatt/innboks/", {"form": "quick", "threads": thread.pk, "body": "Kl. 10."}, **EN
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.ANSWERED
    assert thread.messages.filter(role="official", body="Kl. 10.").exists()
    page = client.get(response["Location"], **EN)
    assert "Your answer has been sent in 1 conversation." in page.text
    assert row_ids(page.text) == [other.pk]


def test_inbox_answer_in_place_in_closed_thread_reopens_the_row_with_the_text(
    client: Client, library: Unit, communicator: User
) -> None:
    waiting, closed = ask(library, "A?"), ask(library, "B?")
    services.thread_close(thread=closed, actor=communicator)
    client.force_login(communicator)
    # The closed thread is no longer listed; the row in the form may still be sent.
    response = client.post(
        "/ansatt/innboks/", {"form": "quick", "threads": closed.pk, "body": "For sent"}, **EN
    )
    assert response.status_code == 422
    assert "The conversation is closed; reopen it to answer." in response.text
    assert "Your answer was not sent" in response.text and ">For sent</textarea>" in response.text
    assert not closed.messages.filter(role="official").exists()
    # An empty answer on a listed row opens that row again, with the error next to the box.
    response = client.post(
        "/ansatt/innboks/", {"form": "quick", "threads": waiting.pk, "body": ""}, **EN
    )
    assert response.status_code == 422
    assert '<details class="inbox-row__quick" open>' in response.text
    assert f'aria-describedby="quick-{waiting.pk}_error"' in response.text
    assert "Write something before you send." in response.text


# --- the page around the list ----------------------------------------------------------------


def test_inbox_page_has_live_region_script_and_visible_shortcut_help(
    client: Client, library: Unit, communicator: User
) -> None:
    ask(library)
    client.force_login(communicator)
    response = client.get("/ansatt/innboks/?channel=web", **EN)
    assert 'aria-live="polite"' in response.text
    assert 'data-status-url="/ansatt/innboks/status.json?channel=web"' in response.text
    assert 'href="#shortcuts"' in response.text and 'id="shortcuts"' in response.text
    assert "<kbd>j</kbd>" in response.text and "Show these shortcuts" in response.text
    assert re.search(r'<script src="/static/js/inbox\.[0-9a-f]+\.js" defer>', response.text)
    assert "<script>" not in response.text and "style=" not in response.text


BOUND = 12


def test_inbox_bounded_queries_with_5_and_50_threads(
    client: Client,
    library: Unit,
    school: Unit,
    root_unit: Unit,
    communicator: User,
    django_assert_max_num_queries: object,
) -> None:
    everyone = _staff(root_unit, Role.COMMUNICATOR, "alle@example.no")

    def make(count: int) -> None:
        for n in range(count):
            thread = ask(library if n % 2 else school, f"Spørsmål {n}", title=f"T{n}")
            if n % 3 == 0:
                services.thread_assign(thread=thread, actor=everyone, assignee=everyone)

    client.force_login(everyone)
    client.get("/ansatt/innboks/")  # the session's first request settles log-in checks
    make(5)
    with django_assert_max_num_queries(BOUND):  # type: ignore[operator]
        few = client.get("/ansatt/innboks/")
    assert len(row_ids(few.text)) == 5
    make(45)
    with django_assert_max_num_queries(BOUND):  # type: ignore[operator]
        many = client.get("/ansatt/innboks/")
    assert len(row_ids(many.text)) == 25


# --- the status the page polls ---------------------------------------------------------------


def test_inbox_status_json_tells_count_newest_and_new_messages(
    client: Client, library: Unit, resident: User, communicator: User
) -> None:
    start = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=OSLO)
    first = ask(library, "Før", at=start)
    second = ask(library, "Etterpå", channel="email", at=start + datetime.timedelta(minutes=5))
    client.force_login(communicator)
    since = (start + datetime.timedelta(minutes=1)).isoformat()

    response = client.get("/ansatt/innboks/status.json", {"since": since}, **EN)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert datetime.datetime.fromisoformat(body.pop("newest")) == second.waiting_since
    assert body == {
        "count": 2,
        "last_id": second.pk,
        "new_messages": 1,
        "label": "1 new message – show",
    }
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    # Under the page's filters.
    only_web = client.get("/ansatt/innboks/status.json", {"since": since, "channel": "web"}).json()
    assert (only_web["count"], only_web["last_id"], only_web["new_messages"]) == (1, first.pk, 0)


def test_inbox_status_json_without_since_counts_nothing_new(
    client: Client, library: Unit, communicator: User
) -> None:
    ask(library)
    client.force_login(communicator)
    body = client.get("/ansatt/innboks/status.json?since=yesterday").json()
    assert body["count"] == 1 and body["new_messages"] == 0

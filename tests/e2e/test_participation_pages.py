"""Every participation page a resident or a staff member uses, in a real browser, so that axe
checks each one (tests/e2e/conftest.py), with the core flows run WITHOUT JavaScript where the
pages promise to work without it (proposals with a typed drawing, support, short views, forum
topics) and WITH JavaScript for the map drawing of a proposal (Leaflet.draw).

All data is made in fixtures before the browser starts: no ORM calls in the test bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright._impl._api_structures import SetCookieParam
from playwright.sync_api import Page, expect

from tests.e2e.test_inbox import session_cookie
from tests.e2e.test_participation_loop import pdf_bytes
from tests.factories import UserFactory
from torget.accounts.models import User
from torget.organisation.models import Unit
from torget.participation.models import Forum, Hearing, Process, Proposal, ShortView
from torget.participation.selectors.hearings import STATEMENTS_PER_PAGE
from torget.participation.services import forums as forum_services
from torget.participation.services.hearings import statement_submit
from torget.participation.services.processes import document_add
from torget.participation.services.proposals import proposal_submit
from torget.participation.services.shortviews import short_view_add, vote_cast
from torget.participation.tasks_shortviews import recompute_opinion_groups
from torget.participation.tests.factories import forum_make, hearing_make, process_make

pytestmark = pytest.mark.browser

ENGLISH = {"Accept-Language": "en"}
PROCESS_TITLE = "Omlegging av veisystemet i sentrum"
HEARING_TITLE = "Høring: veisystemet i sentrum"
SHORT_VIEWS = [
    "Sentrum bør bli bilfritt på lørdager.",
    "Bussene må få egne felt gjennom sentrum.",
    "Det trengs flere parkeringsplasser ved torget.",
]
# Three corners and back to the first, but the edges cross: a bow tie, not an area.
BOW_TIE = "\n".join(
    [
        "59.91000, 10.74000",
        "59.92000, 10.76000",
        "59.91000, 10.76000",
        "59.92000, 10.74000",
        "59.91000, 10.74000",
    ]
)


def residents(count: int, prefix: str) -> list[User]:
    return [
        cast(User, UserFactory(email=f"{prefix}{n}@example.no", name=f"Innbygger {prefix}{n}"))
        for n in range(count)
    ]


@pytest.fixture
def process(library: Unit) -> Process:
    """A published process of the library in its input phase."""
    return process_make(
        library,
        slug="veisystemet",
        title=PROCESS_TITLE,
        summary="Kommunen foreslår å legge om trafikken i sentrum.",
    )


@pytest.fixture
def cookies(resident: User, communicator: User, server_url: str) -> dict[str, dict[str, str]]:
    return {
        "resident": session_cookie(resident, server_url),
        "staff": session_cookie(communicator, server_url),
    }


def open_as(
    new_page: Callable[..., Page], cookie: dict[str, str] | None, *, javascript: bool = True
) -> Page:
    """A page for the user of `cookie`, in English; nothing leaves 127.0.0.1 (map tiles).

    `javascript=False` runs none of Torget's scripts: the context cannot simply turn JavaScript
    off (`java_script_enabled=False`), because axe runs in the page (tests/e2e/conftest.py). As
    the Content-Security-Policy allows no inline script, refusing every .js file the server
    sends leaves the pages exactly as a browser without JavaScript gets them, except that
    <noscript> content stays hidden."""
    page = new_page(extra_http_headers=ENGLISH)
    page.context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
    if not javascript:
        page.context.route(re.compile(r"\.js(\?.*)?$"), lambda route: route.abort())
    if cookie is not None:
        page.context.add_cookies([cast(SetCookieParam, cookie)])
    return page


def main(page: Page) -> Any:
    return page.locator("main")


# --- processes and hearings ----------------------------------------------------------------


@pytest.fixture
def hearing(process: Process, resident: User) -> Hearing:
    """An open hearing in two sections with STATEMENTS_PER_PAGE + 1 public statements by
    others (two pages) and one private statement by the resident."""
    hearing = hearing_make(process, title=HEARING_TITLE, sections=2)
    section = hearing.sections.order_by("position").first()
    writers = residents(6, "uttaler")
    for n in range(STATEMENTS_PER_PAGE + 1):
        statement_submit(
            hearing=hearing,
            actor=writers[n % len(writers)],
            body=f"Offentlig uttalelse nummer {n + 1}.",
            section=section if n % 2 else None,
        )
    statement_submit(
        hearing=hearing,
        actor=resident,
        body="Min private uttalelse om støy fra anlegget.",
        is_public=False,
    )
    return hearing


def test_resident_process_list_process_hearing_paging_statement_errors_and_private_statement(
    new_page: Callable[..., Page],
    hearing: Hearing,
    cookies: dict[str, dict[str, str]],
) -> None:
    page = open_as(new_page, cookies["resident"])
    public_count = STATEMENTS_PER_PAGE + 1
    private_number = public_count + 1

    # The list of processes, then the process.
    page.goto("/medvirkning/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Participation")
    card = page.get_by_role("heading", level=2, name=PROCESS_TITLE)
    expect(card).to_be_visible()
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROCESS_TITLE)
    expect(main(page)).to_contain_text("Kommunen foreslår å legge om trafikken i sentrum.")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()

    # The hearing: its sections, the first page of statements, then the second.
    page.get_by_role("link", name=re.compile(re.escape(HEARING_TITLE))).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(HEARING_TITLE)
    expect(page.get_by_role("heading", name="The plan document")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name="Del 2")).to_be_visible()
    statements = page.locator("#statements")
    expect(statements).to_contain_text(f"{public_count} public statements, in the order they came.")
    expect(statements.locator("article.statement")).to_have_count(STATEMENTS_PER_PAGE)
    expect(statements).to_contain_text("Offentlig uttalelse nummer 1.")
    expect(statements).not_to_contain_text("Min private uttalelse")
    expect(statements.get_by_text("Page 1 of 2")).to_be_visible()
    # The resident sees a link to the own, unpublished statement.
    expect(page.locator("#statement-form")).to_contain_text(
        f"Statement {private_number} (not published)"
    )
    statements.get_by_role("link", name="Next page").click()
    expect(page.locator("#statements").get_by_text("Page 2 of 2")).to_be_visible()
    expect(page.locator("#statements article.statement")).to_have_count(1)
    expect(page.locator("#statements")).to_contain_text(
        f"Offentlig uttalelse nummer {public_count}."
    )

    # An empty statement: 422, the error summary in view, what was typed kept.
    form = page.locator("#statement-form")
    form.get_by_label("What is your statement about?").select_option(index=2)
    form.get_by_label("On behalf of an organisation (optional)").fill("Sentrum vel")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.get_by_role("button", name="Send the statement").click()
    assert posted.value.status == 422
    # The form's section is the target of the form's #statement-form, and takes the focus
    # (tabindex=-1); the error summary is inside it, in view.
    expect(page.locator("#statement-form")).to_be_focused()
    summary = page.locator("#statement-form .error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("Please correct the following")
    expect(summary.get_by_role("link", name=re.compile("Your statement"))).to_be_visible()
    form = page.locator("#statement-form")
    expect(form.get_by_label("On behalf of an organisation (optional)")).to_have_value(
        "Sentrum vel"
    )
    selected = form.get_by_label("What is your statement about?").locator("option:checked")
    expect(selected).to_contain_text("Del 2")

    # The private statement's page, for its author.
    form.get_by_role("link", name=f"Statement {private_number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Statement {private_number}")
    expect(main(page)).to_contain_text("Min private uttalelse om støy fra anlegget.")


# --- proposals -----------------------------------------------------------------------------


@pytest.fixture
def proposal(process: Process, other_resident: User) -> Proposal:
    """Another resident's proposal, which the resident can support."""
    return proposal_submit(
        process=process,
        actor=other_resident,
        title="Flytt bussholdeplassen til torget",
        body="Da slipper bussene å snu i Storgata.",
    )


def test_proposals_without_javascript_typed_drawing_errors_support_and_withdraw(
    new_page: Callable[..., Page],
    proposal: Proposal,
    cookies: dict[str, dict[str, str]],
) -> None:
    page = open_as(new_page, cookies["resident"], javascript=False)

    page.goto("/medvirkning/veisystemet/forslag/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alternative proposals")
    expect(page.get_by_role("heading", level=2, name="1 proposal")).to_be_visible()
    expect(page.locator(".proposal-list")).to_contain_text("0 supporters")
    # Without JavaScript there is no map; the drawing is typed.
    expect(page.locator("[data-proposal-map]")).to_be_hidden()

    # A self-crossing area: 422, the message at the field, title and text kept.
    form = page.locator("#nytt-forslag form")
    form.get_by_label("Title").fill("Gågate i hele sentrum")
    form.get_by_label("Your proposal").fill("Steng Storgata for biler mellom torget og kirken.")
    form.get_by_label("Drawing on the map").fill(BOW_TIE)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.get_by_role("button", name="Publish the proposal").click()
    assert posted.value.status == 422
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("The edges of the area cross each other")
    form = page.locator("#nytt-forslag form")
    expect(form.get_by_label("Title")).to_have_value("Gågate i hele sentrum")
    expect(form.get_by_label("Your proposal")).to_have_value(
        "Steng Storgata for biler mellom torget og kirken."
    )
    expect(form.get_by_label("Drawing on the map")).to_have_value(BOW_TIE)

    # A typed line instead: published, the drawing described in words.
    form.get_by_label("Drawing on the map").fill("59.91000, 10.74000\n59.92000, 10.76000")
    form.get_by_role("button", name="Publish the proposal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gågate i hele sentrum")
    drawing = page.locator("#tegning")
    expect(drawing).to_contain_text(
        "A line of 2 points from 59.91000, 10.74000 to 59.92000, 10.76000"
    )
    expect(page.locator("#stotte")).to_contain_text(
        "This is your own proposal; its supports come from others."
    )

    # Support another resident's proposal, then withdraw the support.
    page.locator(".breadcrumb").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROCESS_TITLE)
    page.goto("/medvirkning/veisystemet/forslag/")
    expect(page.get_by_role("heading", level=2, name="2 proposals")).to_be_visible()
    page.get_by_role("link", name="Flytt bussholdeplassen til torget").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flytt bussholdeplassen til torget")
    expect(main(page)).to_contain_text("Da slipper bussene å snu i Storgata.")
    support = page.locator("#stotte")
    expect(support).to_contain_text("0 people support this proposal.")
    support.get_by_role("button", name="Support this proposal").click()
    support = page.locator("#stotte")
    expect(support).to_contain_text("1 person supports this proposal.")
    expect(support).to_contain_text("You support this proposal.")
    support.get_by_role("button", name="Withdraw my support").click()
    support = page.locator("#stotte")
    expect(support).to_contain_text("0 people support this proposal.")
    expect(support.get_by_role("button", name="Support this proposal")).to_be_visible()


def test_proposal_drawn_on_the_map_with_javascript(
    new_page: Callable[..., Page],
    process: Process,
    cookies: dict[str, dict[str, str]],
) -> None:
    page = open_as(new_page, cookies["resident"])
    page.goto("/medvirkning/veisystemet/forslag/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alternative proposals")
    form = page.locator("#nytt-forslag form")
    form.get_by_label("Title").fill("Benker ved elva")
    form.get_by_label("Your proposal").fill("Sett ut benker der stien møter elva.")
    canvas = page.locator("[data-proposal-map-canvas]")
    expect(canvas).to_be_visible()
    page.locator("a.leaflet-draw-draw-circlemarker").click()
    canvas.click(position={"x": 200, "y": 150})
    field = form.get_by_label("Drawing on the map")
    expect(field).to_have_value(re.compile(r'"type":\s*"Point"'))
    form.get_by_role("button", name="Publish the proposal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Benker ved elva")
    expect(page.locator("#tegning")).to_contain_text(
        re.compile(r"A point at \d+\.\d{5}, \d+\.\d{5} \(latitude, longitude\)\.")
    )
    expect(page.locator("#proposal-map")).to_be_visible()


# --- short views ---------------------------------------------------------------------------


@pytest.fixture
def short_views(process: Process, communicator: User) -> list[ShortView]:
    """Three statements by staff, voted on by twelve residents in two camps, the opinion groups
    computed (the task run here, synchronously), and two residents' statements waiting for
    moderation."""
    views = [short_view_add(process=process, actor=communicator, text=text) for text in SHORT_VIEWS]
    camps = ((1, 1, -1), (-1, -1, 1))
    for n, voter in enumerate(residents(12, "velger")):
        for view, choice in zip(views, camps[n % 2], strict=True):
            vote_cast(short_view=view, actor=voter, choice=choice)
    assert recompute_opinion_groups.call(process_id=process.pk) >= 2
    for n, author in enumerate(residents(2, "forfatter")):
        short_view_add(process=process, actor=author, text=f"Flere trær i sentrum, del {n + 1}.")
    return views


def test_short_views_without_javascript_vote_own_statement_results_and_groups(
    new_page: Callable[..., Page],
    short_views: list[ShortView],
    cookies: dict[str, dict[str, str]],
) -> None:
    page = open_as(new_page, cookies["resident"], javascript=False)
    page.goto("/medvirkning/veisystemet/korte-synspunkter/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Short views")
    expect(main(page)).to_contain_text("3 statements · 12 participants")
    vote = page.locator("#stem")
    expect(vote).to_contain_text("You have voted on 0 of 3 statements.")
    expect(vote.locator("#current-statement")).to_have_text(SHORT_VIEWS[0])
    vote.get_by_role("button", name="Agree", exact=True).click()
    expect(main(page)).to_contain_text("Your vote has been counted.")
    vote = page.locator("#stem")
    expect(vote).to_contain_text("You have voted on 1 of 3 statements.")
    expect(vote.locator("#current-statement")).to_have_text(SHORT_VIEWS[1])

    # An own statement goes to moderation.
    own = page.locator("#dine-synspunkter")
    own.get_by_label("Your statement").fill("Torget trenger flere sykkelstativ.")
    own.get_by_role("button", name="Send statement").click()
    expect(main(page)).to_contain_text(
        "Thank you. Your statement has been sent; it is shown when a moderator has approved it."
    )
    own = page.locator("#dine-synspunkter")
    expect(own).to_contain_text("Torget trenger flere sykkelstativ. – waiting for moderation")

    # The results per statement, with the resident's vote, and the opinion groups.
    results = page.locator("#resultater")
    for text in SHORT_VIEWS:
        expect(results).to_contain_text(text)
    expect(results).to_contain_text("Your vote: agree.")
    expect(results).not_to_contain_text("Torget trenger flere sykkelstativ.")
    groups = page.locator("#meningsgrupper")
    expect(groups.get_by_role("heading", name="Opinion groups")).to_be_visible()
    expect(groups).to_contain_text("from 12 participants")
    expect(groups.locator("figure svg")).to_be_visible()
    table = groups.get_by_role("table", name="The opinion groups and what sets them apart")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("Group A")
    expect(table).to_contain_text(SHORT_VIEWS[2])


# --- forums --------------------------------------------------------------------------------


@pytest.fixture
def forum(library: Unit, other_resident: User, communicator: User) -> Forum:
    """A topic forum of the library with one topic, answered by the library."""
    forum = forum_make(library, slug="framtida", title="Framtida i sentrum")
    topic = forum_services.topic_start(
        forum=forum,
        actor=other_resident,
        title="Parkering ved skolen",
        body="Det er for få parkeringsplasser ved skolen.",
    )
    forum_services.topic_reply(
        thread=topic, actor=communicator, body="Vi ser på saken i planarbeidet i vår."
    )
    return forum


def test_forums_without_javascript_start_a_topic_reply_and_follow(
    new_page: Callable[..., Page],
    forum: Forum,
    cookies: dict[str, dict[str, str]],
) -> None:
    page = open_as(new_page, cookies["resident"], javascript=False)
    page.goto("/forum/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Forums")
    page.get_by_role("link", name="Framtida i sentrum").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Framtida i sentrum")
    expect(main(page)).to_contain_text("Parkering ved skolen")

    # Start a topic.
    start = page.locator("#nytt-emne")
    start.get_by_label("Title of the topic").fill("Lys i skibakken")
    start.get_by_label("Your post").fill("Kan lysløypa få lys også i helgene?")
    start.get_by_role("button", name="Publish the topic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lys i skibakken")
    expect(main(page)).to_contain_text("Kan lysløypa få lys også i helgene?")

    # The answered topic: its posts, a reply, and following it.
    page.get_by_role("link", name="Framtida i sentrum").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Framtida i sentrum")
    page.get_by_role("link", name="Parkering ved skolen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Parkering ved skolen")
    expect(main(page)).to_contain_text("Answered by the municipality")
    expect(main(page)).to_contain_text("Det er for få parkeringsplasser ved skolen.")
    expect(main(page)).to_contain_text("Vi ser på saken i planarbeidet i vår.")
    reply = page.locator("#svar")
    reply.get_by_label("Your reply").fill("Takk for svaret!")
    reply.get_by_role("button", name="Publish reply").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Parkering ved skolen")
    expect(main(page)).to_contain_text("Takk for svaret!")
    follow = page.locator(".follow")
    follow.get_by_label("Once a day, one e-mail with the day's new posts").check()
    follow.get_by_role("button", name="Follow", exact=True).click()
    follow = page.locator(".follow")
    expect(follow).to_contain_text("You follow this topic")
    expect(follow.get_by_label("Once a day, one e-mail with the day's new posts")).to_be_checked()
    expect(follow.get_by_role("button", name="Stop following")).to_be_visible()

    # The list of what the resident follows: the started topic (followed by default) and this.
    page.goto("/forum/folger/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Forums and topics you follow")
    topics = page.locator("main section").filter(
        has=page.get_by_role("heading", level=2, name="Topics")
    )
    expect(topics).to_contain_text("Parkering ved skolen")
    expect(topics).to_contain_text("Lys i skibakken")


# --- staff ---------------------------------------------------------------------------------


@pytest.fixture
def staff_world(
    process: Process,
    communicator: User,
    resident: User,
    other_resident: User,
    short_views: list[ShortView],
    forum: Forum,
    proposal: Proposal,
) -> dict[str, Any]:
    """A plan sketch, a hearing with three statements, and what the other fixtures made."""
    document_add(
        process=process,
        actor=communicator,
        upload=SimpleUploadedFile("planskisse.pdf", pdf_bytes("Planskisse sentrum")),
        name="planskisse.pdf",
        title="Planskisse",
    )
    hearing = hearing_make(process, title=HEARING_TITLE, sections=2)
    for author, body in (
        (resident, "Første uttalelse: bygg sykkelvei."),
        (other_resident, "Andre uttalelse: bygg sykkelvei også langs elva."),
        (resident, "Tredje uttalelse: flere benker."),
    ):
        statement_submit(hearing=hearing, actor=author, body=body)
    return {"hearing_pk": hearing.pk, "proposal_pk": proposal.pk}


def test_staff_pages(
    new_page: Callable[..., Page],
    staff_world: dict[str, Any],
    cookies: dict[str, dict[str, str]],
    run_worker: Callable[[], None],
) -> None:
    page = open_as(new_page, cookies["staff"])
    hearing_url = f"/ansatt/medvirkning/veisystemet/horing/{staff_world['hearing_pk']}/"

    # The list of processes and the process's staff page.
    page.goto("/ansatt/medvirkning/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Participation processes")
    row = page.get_by_role("row").filter(has_text=PROCESS_TITLE)
    expect(row).to_contain_text("Input")
    row.get_by_role("link", name=PROCESS_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROCESS_TITLE)
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(main(page)).to_contain_text("Planskisse")

    # The forms for a new process, for editing this one and for a new hearing.
    page.goto("/ansatt/medvirkning/ny/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New process")
    expect(page.get_by_label("Address name")).to_be_visible()
    page.goto("/ansatt/medvirkning/veisystemet/rediger/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit “{PROCESS_TITLE}”")
    expect(page.get_by_label("Title")).to_have_value(PROCESS_TITLE)
    page.goto("/ansatt/medvirkning/veisystemet/horing/ny/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New hearing")
    expect(page.get_by_label("Introduction")).to_be_visible()

    # The phases form with an error: 422, the summary, the typed date kept.
    page.goto("/ansatt/medvirkning/veisystemet/faser/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Phases of “{PROCESS_TITLE}”")
    page.get_by_label("Input: last day").fill("2020-01-01")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Save the phases").click()
    assert posted.value.status == 422
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Input: last day")
    expect(page.get_by_label("Input: last day")).to_have_value("2020-01-01")

    # The documents page.
    page.goto("/ansatt/medvirkning/veisystemet/dokumenter/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Documents of “{PROCESS_TITLE}”")
    expect(main(page)).to_contain_text("Planskisse")
    expect(page.get_by_role("heading", name="Add a document")).to_be_visible()
    expect(page.get_by_label("File")).to_be_visible()

    # The hearing's staff page: sections, the CSV export (it works), the result editor.
    page.goto(hearing_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(HEARING_TITLE)
    expect(page.get_by_role("heading", name="Sections of the plan document")).to_be_visible()
    expect(page.get_by_role("heading", name="Export for the case file")).to_be_visible()
    csv_link = page.get_by_role("link", name="All statements as a spreadsheet (CSV)")
    csv = page.request.get(csv_link.get_attribute("href") or "")
    assert csv.status == 200 and "Andre uttalelse" in csv.text()
    expect(page.get_by_role("heading", name="How your input was used")).to_be_visible()
    expect(page.locator("#resultat")).to_contain_text(
        "The result can be published when the hearing has closed"
    )

    # The PDF is prepared in the background: ask, see it pending, let the worker build it,
    # check again (a link, no timed refresh) and download it.
    page.get_by_role("button", name="Prepare PDF of all statements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PDF of all statements")
    exports = page.locator("#eksporter")
    expect(exports).to_contain_text("Being prepared")
    run_worker()
    page.get_by_role("link", name="Check again").click()
    expect(exports).not_to_contain_text("Being prepared")
    expect(page.get_by_role("link", name="Check again")).to_have_count(0)
    pdf_link = exports.get_by_role("link", name=re.compile(r"^Ready — download \(PDF, "))
    expect(exports).to_contain_text("3 statements.")
    pdf = page.request.get(pdf_link.get_attribute("href") or "")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment;")

    # One answer to two selected statements.
    page.goto(f"{hearing_url}uttalelser/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Statements to {HEARING_TITLE}")
    expect(main(page)).to_contain_text("3 statements, by number.")
    page.get_by_label("Select statement 1").check()
    page.get_by_label("Select statement 2").check()
    page.locator("#answer-form").get_by_label("Answer").fill(
        "Takk! Sykkelveien er med i planforslaget."
    )
    page.get_by_role("button", name="Answer the selected statements with one answer").click()
    first = page.locator("#statement-1")
    expect(first).to_contain_text("Sykkelveien er med i planforslaget.")
    expect(page.locator("#statement-2")).to_contain_text("Sykkelveien er med i planforslaget.")
    expect(page.locator("#statement-3")).not_to_contain_text("Sykkelveien er med")

    # The short views moderation queue: approve one of two.
    page.goto("/ansatt/medvirkning/veisystemet/korte-synspunkter/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Short views: {PROCESS_TITLE}")
    queue = page.locator("#moderering")
    expect(queue.get_by_role("heading")).to_have_text("Waiting for moderation (2)")
    queue.locator("li").filter(has_text="del 1.").get_by_role(
        "button", name="Approve and publish"
    ).click()
    expect(main(page)).to_contain_text("The statement has been published.")
    queue = page.locator("#moderering")
    expect(queue.get_by_role("heading")).to_have_text("Waiting for moderation (1)")
    expect(page.locator("#synspunkter")).to_contain_text("Flere trær i sentrum, del 1.")

    # A proposal's official status and answer.
    page.goto(f"/medvirkning/veisystemet/forslag/{staff_world['proposal_pk']}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Flytt bussholdeplassen til torget")
    status = page.locator("#status")
    status.get_by_label("Status").select_option(label="Being considered")
    status.get_by_label("Official answer (optional)").fill("Vi vurderer forslaget i planarbeidet.")
    status.get_by_role("button", name="Save the status").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flytt bussholdeplassen til torget")
    expect(page.locator("dl.facts")).to_contain_text("Being considered")
    expect(page.locator("#samtale")).to_contain_text("Vi vurderer forslaget i planarbeidet.")

    # The forums and the form to open one.
    page.goto("/ansatt/forum/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Forums")
    expect(page.get_by_role("row").filter(has_text="Framtida i sentrum")).to_be_visible()
    page.goto("/ansatt/forum/ny/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a new forum")
    expect(page.get_by_label("Address name")).to_be_visible()
    expect(page.get_by_role("button", name="Open the forum")).to_be_visible()

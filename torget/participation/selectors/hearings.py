"""Reads of hearings and statements, with what the viewer may see applied and every page's
queries bounded: a page of 20 statements costs the same handful of queries as a page of 5
(statements with their section and thread, their messages, their attachments; the count of a
hearing's public statements reads the (hearing, is_public, number) index alone)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404

from torget.accounts.models import User
from torget.conversations import policies as conversation_policies
from torget.conversations.models import Message, ThreadStatus, Visibility
from torget.conversations.selectors import visible_messages
from torget.organisation.models import STAFF_ROLES, Municipality, Role
from torget.organisation.policies import has_role
from torget.pages import files
from torget.participation import policies
from torget.participation.models import (
    Hearing,
    HearingSection,
    Process,
    Statement,
    StatementAttachment,
)

AnyUser = User | AnonymousUser
STATEMENTS_PER_PAGE = 20
# The short name of each type an attachment may have ("PDF", "DOCX"), for the link text.
TYPE_LABELS: dict[str, str] = {}
for _extension, _content_type in files.TYPES_BY_EXTENSION.items():
    TYPE_LABELS.setdefault(_content_type, _extension.upper())
# Who may read every statement of a hearing on the staff page: the unit's staff, and its
# politicians (who may answer in the hearing channel: conversations.policies).
STATEMENT_READER_ROLES = frozenset({*STAFF_ROLES, Role.POLITICIAN})


def process_get_for_viewer(*, municipality: Municipality, slug: str, viewer: AnyUser) -> Process:
    """The process `slug` if `viewer` may see it (published, or run by them), else Http404."""
    process = (
        Process.objects.select_related("unit", "municipality")
        .filter(municipality=municipality, slug=slug)
        .first()
    )
    if process is None or not policies.can_view_process(viewer, process):
        raise Http404("process")
    return process


def hearing_get_for_viewer(
    *, municipality: Municipality, slug: str, pk: int, viewer: AnyUser
) -> Hearing:
    """The hearing `pk` of the process `slug` with its sections, if the viewer may see the
    process; Http404 otherwise."""
    process = process_get_for_viewer(municipality=municipality, slug=slug, viewer=viewer)
    return hearing_get_in_process(process=process, pk=pk)


def hearing_get_in_process(*, process: Process, pk: int) -> Hearing:
    hearing = (
        Hearing.objects.filter(process=process, pk=pk)
        .prefetch_related(Prefetch("sections", queryset=HearingSection.objects.all()))
        .first()
    )
    if hearing is None:
        raise Http404("hearing")
    hearing.process = process
    return hearing


def hearing_list_for_process(*, process: Process) -> list[Hearing]:
    """The hearings of `process`, each with `public_count` (its public statements) and
    `statement_count` (all of them)."""
    hearings: list[Hearing] = list(
        Hearing.objects.filter(process=process)
        .annotate(
            public_count=Count("statements", filter=Q(statements__is_public=True)),
            statement_count=Count("statements"),
        )
        .order_by("opens_at", "pk")
    )
    for hearing in hearings:
        hearing.process = process
    return hearings


def _attach(statements: list[Statement], hearing: Hearing) -> list[Statement]:
    """Give each statement's thread, messages and section the objects already loaded, and
    split the messages into the statement's own text (`first_messages`) and what followed
    (`later_messages`), so that templates make no query per statement."""
    sections = {section.pk: section for section in hearing.sections.all()}
    unit = hearing.process.unit
    for statement in statements:
        statement.hearing = hearing
        if statement.section_id is not None:
            statement.section = sections.get(statement.section_id)
        thread = statement.thread
        thread.unit = unit
        messages: list[Message] = getattr(thread, "visible", [])
        for message in messages:
            message.thread = thread
        for attachment in statement.attachments.all():
            attachment.type_label = TYPE_LABELS.get(  # type: ignore[attr-defined]
                attachment.content_type, attachment.content_type
            )
        statement.first_messages = messages[:1]  # type: ignore[attr-defined]
        statement.later_messages = messages[1:]  # type: ignore[attr-defined]
    return statements


def _statements(hearing: Hearing, messages: QuerySet[Message]) -> QuerySet[Statement]:
    return (
        Statement.objects.filter(hearing=hearing)
        .select_related("thread")
        .prefetch_related(
            Prefetch(
                "thread__messages",
                queryset=messages.order_by("created_at", "pk"),
                to_attr="visible",
            ),
            Prefetch("attachments", queryset=StatementAttachment.objects.order_by("pk")),
        )
    )


def statement_page_public(*, hearing: Hearing, viewer: AnyUser, page: int | str | None) -> Page:
    """One page of the hearing's public statements in the order they came (by number), each
    with its visible messages and attachments. Five queries per page, whatever its length."""
    messages = visible_messages(viewer).exclude(visibility=Visibility.INTERNAL)
    statements = _statements(hearing, messages).filter(is_public=True).order_by("number")
    paginator = Paginator(statements, STATEMENTS_PER_PAGE)
    # Counted on the index alone (no join, no prefetch).
    paginator.count = Statement.objects.filter(hearing=hearing, is_public=True).count()  # type: ignore[misc]
    result = paginator.get_page(page)
    result.object_list = _attach(list(result.object_list), hearing)
    return result


def statement_list_own(*, hearing: Hearing, viewer: AnyUser) -> list[Statement]:
    """The viewer's own statements to `hearing` (public and not), by number."""
    if not viewer.is_authenticated:
        return []
    return list(
        Statement.objects.filter(hearing=hearing, author_id=viewer.pk)
        .only("pk", "number", "is_public", "submitted_at", "hearing_id")
        .order_by("number")
    )


def can_view_statement(viewer: AnyUser, statement: Statement) -> bool:
    """A public statement is for everyone; a private one for its author and the unit's
    staff (as its thread)."""
    if statement.is_public:
        return True
    return conversation_policies.can_view_thread(viewer, statement.thread)


def statement_get_for_viewer(*, hearing: Hearing, number: int, viewer: AnyUser) -> Statement:
    """The statement `number` of `hearing` with its messages and attachments, if `viewer` may
    see it; Http404 otherwise (a private statement of someone else looks like none)."""
    statement = (
        Statement.objects.filter(hearing=hearing, number=number)
        .select_related("thread", "thread__unit", "author")
        .first()
    )
    if statement is None or not can_view_statement(viewer, statement):
        raise Http404("statement")
    messages = visible_messages(viewer, statement.thread)
    if not conversation_policies.is_staff_for_thread(viewer, statement.thread):
        messages = messages.exclude(visibility=Visibility.INTERNAL)
    loaded = list(messages.filter(thread=statement.thread).order_by("created_at", "pk"))
    statement.thread.visible = loaded  # type: ignore[attr-defined]
    prefetch_related_objects([statement], "attachments")
    statement.thread.unit = hearing.process.unit
    _attach([statement], hearing)
    return statement


def statement_attachment_get_for_viewer(
    *, hearing: Hearing, number: int, pk: int, viewer: AnyUser
) -> StatementAttachment:
    """An attachment of statement `number`, with the statement's access rule; Http404
    otherwise."""
    attachment = (
        StatementAttachment.objects.filter(
            pk=pk, statement__hearing=hearing, statement__number=number
        )
        .select_related("statement", "statement__thread")
        .first()
    )
    if attachment is None or not can_view_statement(viewer, attachment.statement):
        raise Http404("attachment")
    return attachment


# --- staff ------------------------------------------------------------------------------------


def can_read_statements(viewer: AnyUser, process: Process) -> bool:
    """The staff statements page: the unit's staff and politicians."""
    return has_role(viewer, process.unit, STATEMENT_READER_ROLES)


def process_get_for_staff(*, municipality: Municipality, slug: str) -> Process:
    """The process `slug` of `municipality` (drafts too), else Http404. The caller checks the
    viewer's role for what the page does."""
    process = (
        Process.objects.select_related("unit", "municipality")
        .filter(municipality=municipality, slug=slug)
        .first()
    )
    if process is None:
        raise Http404("process")
    return process


@dataclass(frozen=True)
class StatementFilter:
    section: int | None = None  # a section's id; 0 for "the whole plan"
    answered: str = ""  # "", "yes" or "no"


def statement_page_for_staff(
    *,
    hearing: Hearing,
    filters: StatementFilter,
    page: int | str | None,
    is_staff: bool = True,
) -> Page:
    """One page of the statements of `hearing` by number, with all their messages (hidden
    ones too) and attachments. The unit's staff (`is_staff`) see every statement and the
    internal notes; its politicians, who are no staff, see the public statements without the
    notes (as conversations.policies lets them see threads). "Unanswered" means the thread
    waits for the municipality."""
    messages = Message.objects.select_related("author")
    statements = _statements(hearing, messages).order_by("number")
    if not is_staff:
        messages = messages.exclude(visibility=Visibility.INTERNAL)
        statements = _statements(hearing, messages).filter(is_public=True).order_by("number")
    if filters.section == 0:
        statements = statements.filter(section__isnull=True)
    elif filters.section is not None:
        statements = statements.filter(section_id=filters.section)
    if filters.answered == "no":
        statements = statements.filter(thread__status=ThreadStatus.WAITING)
    elif filters.answered == "yes":
        statements = statements.exclude(thread__status=ThreadStatus.WAITING)
    result = Paginator(statements, STATEMENTS_PER_PAGE).get_page(page)
    result.object_list = _attach(list(result.object_list), hearing)
    return result


def statement_list_by_ids(
    *, hearing: Hearing, ids: list[int], is_staff: bool = True
) -> list[Statement]:
    """The statements of `hearing` with `ids` (public ones only unless `is_staff`), with their
    threads (for answering them)."""
    statements = Statement.objects.filter(hearing=hearing, pk__in=ids)
    if not is_staff:
        statements = statements.filter(is_public=True)
    return list(statements.select_related("thread", "thread__unit").order_by("number"))

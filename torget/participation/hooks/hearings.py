"""What the hearings part registers with other modules (see hooks/__init__.py): where a
statement's thread is shown (to residents and to staff), and the search kind "hearing"."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from torget.conversations.models import Thread


def _statement_of(thread: Thread) -> object:
    from torget.participation.models import Statement

    return (
        Statement.objects.filter(thread_id=thread.pk)
        .select_related("hearing__process")
        .only("number", "hearing__id", "hearing__process__slug")
        .first()
    )


def statement_path(thread: Thread) -> str:
    """The statement's own page (its conversation is there)."""
    statement = _statement_of(thread)
    if statement is None:
        return reverse("conversations:thread-detail", args=[thread.pk])
    return statement.get_absolute_url()  # type: ignore[attr-defined]


def statement_staff_path(thread: Thread) -> str:
    """The hearing's staff statement list, at the statement."""
    from torget.participation.models import Statement
    from torget.participation.selectors.hearings import STATEMENTS_PER_PAGE

    statement: object = _statement_of(thread)
    if statement is None:
        return reverse("conversations:staff-thread", args=[thread.pk])
    hearing = statement.hearing  # type: ignore[attr-defined]
    number = statement.number  # type: ignore[attr-defined]
    url = reverse("participation:staff-hearing-statements", args=[hearing.process.slug, hearing.pk])
    # The staff list shows every statement by number, STATEMENTS_PER_PAGE a page.
    before = Statement.objects.filter(hearing_id=hearing.pk, number__lt=number).count()
    page = before // STATEMENTS_PER_PAGE + 1
    return f"{url}?page={page}#statement-{number}"


def register() -> None:
    """Called once from ParticipationConfig.ready()."""
    from torget.conversations.registry import register_staff_subject, register_subject
    from torget.core.search.registry import register_kind
    from torget.participation.models import Statement
    from torget.participation.search import KIND, hearing_document_by_id, hearing_documents

    register_subject(Statement, statement_path)
    register_staff_subject(Statement, statement_staff_path)
    register_kind(
        KIND,
        label=_("Hearings"),
        order=30,
        documents=hearing_documents,
        document=hearing_document_by_id,
    )

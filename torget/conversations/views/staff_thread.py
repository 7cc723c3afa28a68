"""The staff page of one thread: answer, note, assign, move, close."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from torget.conversations import forms, policies, selectors, services
from torget.conversations.models import Thread, ThreadStatus
from torget.conversations.registry import staff_subject_path, thread_path
from torget.conversations.views.common import (
    _municipality,
    _refuse,
    _user,
    staff_required,
)
from torget.core.errors import TorgetError
from torget.organisation.policies import can_moderate_unit
from torget.organisation.selectors import unit_list

# --- the staff thread page ----------------------------------------------------------------------


def _staff_thread(request: HttpRequest, pk: int) -> Thread:
    return selectors.thread_get_for_staff(
        municipality=_municipality(request), pk=pk, viewer=request.user
    )


def _staff_forms(
    request: HttpRequest, thread: Thread, bound: str = ""
) -> dict[str, django_forms.Form]:
    """The forms of the staff thread page, the one named `bound` filled from the POST."""
    canned = selectors.canned_reply_list(unit=thread.unit)
    people = selectors.staff_list_for_units(units=[thread.unit])
    units = [u for u in unit_list(municipality=_municipality(request)) if u.pk != thread.unit_id]

    def data(name: str) -> Any:
        return request.POST if name == bound else None

    return {
        "answer": forms.AnswerForm(data("answer"), canned=canned),
        "note": forms.NoteForm(data("note")),
        "assign": forms.AssignForm(
            data("assign"), people=people, initial={"assignee": thread.assignee_id}
        ),
        "no_answer": forms.NoAnswerForm(data("no_answer")),
        "move": forms.MoveForm(data("move"), units=units),
        "reopen_close": forms.StatusForm(data("reopen_close")),
    }


def _staff_thread_render(
    request: HttpRequest,
    thread: Thread,
    page_forms: dict[str, django_forms.Form],
    status: int = 200,
) -> HttpResponse:
    user = request.user
    answer_form = page_forms["answer"]
    context = {
        "thread": thread,
        "thread_messages": selectors.message_list_for_page(thread=thread, viewer=user),
        "events": selectors.thread_event_list(thread=thread),
        "forms": page_forms,
        "canned_replies": list(getattr(answer_form, "canned_replies", {}).values()),
        "can_answer": policies.can_answer_thread(user, thread),
        "can_moderate": can_moderate_unit(user, thread.unit),
        "public_path": thread_path(thread),
        "subject_staff_path": staff_subject_path(thread),
        "now": timezone.now(),
        "is_closed": thread.status == ThreadStatus.CLOSED,
    }
    return render(request, "conversations/staff_thread.html", context, status=status)


@staff_required
@never_cache
def staff_thread(request: HttpRequest, pk: int) -> HttpResponse:
    """A thread for its unit's staff: every message, internal notes too, and what to do."""
    thread = _staff_thread(request, pk)
    return _staff_thread_render(request, thread, _staff_forms(request, thread))


def _staff_done(request: HttpRequest, thread: Thread, text: str, anchor: str = "") -> HttpResponse:
    messages.success(request, text)
    return redirect(f"{reverse('conversations:staff-thread', args=[thread.pk])}{anchor}")


def _staff_action(
    request: HttpRequest,
    pk: int,
    *,
    name: str,
    field: str | None,
    act: Callable[[Thread, Any], HttpResponse],
) -> HttpResponse:
    """Run one staff action: validate the form `name`, call `act` (one service), or render
    the page again with 422 and the refusal next to `field`."""
    thread = _staff_thread(request, pk)
    page_forms = _staff_forms(request, thread, bound=name)
    form = page_forms[name]
    if form.is_valid():
        try:
            return act(thread, form)
        except (ValidationError, TorgetError) as exc:
            _refuse(form, field, exc)
    return _staff_thread_render(request, thread, page_forms, status=422)


@staff_required
@require_POST
def staff_thread_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the thread; or, with "use this canned reply", fill the answer box with it."""
    if request.POST.get("action") == "use-canned":
        thread = _staff_thread(request, pk)
        page_forms = _staff_forms(request, thread, bound="answer")
        form = page_forms["answer"]
        assert isinstance(form, forms.AnswerForm)
        text = form.canned_text()
        if text is None:
            return _staff_thread_render(request, thread, page_forms, status=422)
        page_forms["answer"] = forms.AnswerForm(
            canned=list(form.canned_replies.values()),
            initial={"body": text, "canned": form.cleaned_data.get("canned")},
        )
        return _staff_thread_render(request, thread, page_forms)

    def act(thread: Thread, form: Any) -> HttpResponse:
        [answer] = services.thread_answer(
            threads=[thread], actor=_user(request), body=form.cleaned_data["body"]
        )
        return _staff_done(
            request, thread, _("Your answer has been sent."), f"#melding-{answer.pk}"
        )

    return _staff_action(request, pk, name="answer", field="body", act=act)


@staff_required
@require_POST
def staff_thread_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an internal note (only staff see it)."""

    def act(thread: Thread, form: Any) -> HttpResponse:
        note = services.note_add(
            thread=thread, actor=_user(request), body=form.cleaned_data["body"]
        )
        return _staff_done(request, thread, _("The note has been saved."), f"#melding-{note.pk}")

    return _staff_action(request, pk, name="note", field="body", act=act)


@staff_required
@require_POST
def staff_thread_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign the thread to a staff member of its unit, or to nobody."""

    def act(thread: Thread, form: Any) -> HttpResponse:
        assignee = form.chosen()
        services.thread_assign(thread=thread, actor=_user(request), assignee=assignee)
        if assignee is None:
            return _staff_done(request, thread, _("The conversation is assigned to nobody."))
        return _staff_done(
            request,
            thread,
            _("The conversation is assigned to %(name)s.") % {"name": str(assignee)},
        )

    return _staff_action(request, pk, name="assign", field="assignee", act=act)


@staff_required
@require_POST
def staff_thread_no_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the thread as needing no answer, with a reason."""

    def act(thread: Thread, form: Any) -> HttpResponse:
        services.thread_mark_no_answer_needed(
            thread=thread, actor=_user(request), reason=form.cleaned_data["reason"]
        )
        return _staff_done(request, thread, _("The conversation is marked as needing no answer."))

    return _staff_action(request, pk, name="no_answer", field="reason", act=act)


@staff_required
@require_POST
def staff_thread_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the thread: nobody writes in it until it is reopened."""

    def act(thread: Thread, form: Any) -> HttpResponse:
        services.thread_close(thread=thread, actor=_user(request))
        return _staff_done(request, thread, _("The conversation is closed."))

    return _staff_action(request, pk, name="reopen_close", field=None, act=act)


@staff_required
@require_POST
def staff_thread_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Reopen a closed thread."""

    def act(thread: Thread, form: Any) -> HttpResponse:
        services.thread_reopen(thread=thread, actor=_user(request))
        return _staff_done(request, thread, _("The conversation is open again."))

    return _staff_action(request, pk, name="reopen_close", field=None, act=act)


@staff_required
@require_POST
def staff_thread_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the thread to another unit of the municipality."""

    def act(thread: Thread, form: Any) -> HttpResponse:
        unit = form.chosen()
        user = _user(request)
        moved = services.thread_move(thread=thread, actor=user, unit=unit)
        text = _("The conversation has been moved to %(unit)s.") % {"unit": unit.name}
        if policies.is_staff_for_thread(user, moved):
            return _staff_done(request, moved, text)
        messages.success(request, text)  # no longer ours to see: back to the inbox
        return redirect("conversations:inbox")

    return _staff_action(request, pk, name="move", field="unit", act=act)

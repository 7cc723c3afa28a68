"""Conversation pages: the resident's thread page, the staff inbox and thread page, moderation.

Views parse, call one selector or service, and render. A write answers with a redirect back and
a message (POST/redirect/GET), or, when the form or the service refuses, renders the page again
with status 422, the error next to the field and what was typed kept.

Staff pages need a staff role in the municipality (else 403); a thread or message of a unit the
staff member does not serve is refused (403), and ids that do not exist for the viewer, also
in forms, are 404s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from torget.accounts.models import User
from torget.conversations import forms, policies, selectors, services
from torget.conversations.models import Message, Thread, ThreadStatus
from torget.conversations.registry import thread_path
from torget.core.errors import TorgetError
from torget.organisation.models import Municipality
from torget.organisation.policies import can_moderate_unit, is_staff_in
from torget.organisation.selectors import unit_get_root, unit_list

View = Callable[..., HttpResponse]
# How often the inbox asks whether new messages have come (static/js/inbox.js).
POLL_SECONDS = 15


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def staff_required(view: View) -> View:
    """Log-in, then a staff role in this municipality, else the shell's 403 page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_in(request.user, _municipality(request)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _refuse(form: django_forms.Form, field: str | None, exc: Exception) -> None:
    """Put a service's refusal on the form: a ValidationError on `field`, others on the form."""
    if isinstance(exc, ValidationError):
        form.add_error(field, exc)
    elif isinstance(exc, TorgetError):
        form.add_error(None, str(exc.message))
    elif isinstance(exc, PermissionDenied) and exc.args:
        form.add_error(None, str(exc.args[0]))  # e.g. "Your account has been blocked ..."
    else:
        raise exc


def _next_url(request: HttpRequest, default: str) -> str:
    """The `next` of the form if it is a path on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- the resident's thread page -----------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One thread with the messages the viewer may read, and a form to write a follow-up."""
    municipality = _municipality(request)
    thread = selectors.thread_get_for_viewer(municipality=municipality, pk=pk, viewer=request.user)
    form = forms.ResidentMessageForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            try:
                message = services.message_add_resident(
                    thread=thread, actor=_user(request), body=form.cleaned_data["body"]
                )
            except (ValidationError, TorgetError, PermissionDenied) as exc:
                _refuse(form, "body", exc)
            else:
                messages.success(request, _("Your message has been sent."))
                return redirect(
                    f"{reverse('conversations:thread-detail', args=[thread.pk])}"
                    f"#melding-{message.pk}"
                )
        status = 422
    context = {
        "thread": thread,
        "thread_messages": selectors.message_list_for_page(thread=thread, viewer=request.user),
        "form": form,
        "may_write": policies.can_write_in_thread(request.user, thread),
        "can_moderate": can_moderate_unit(request.user, thread.unit),
        "is_thread_staff": policies.is_staff_for_thread(request.user, thread),
    }
    return render(request, "conversations/thread_detail.html", context, status=status)


# --- the inbox ----------------------------------------------------------------------------------


def _inbox_filter_form(request: HttpRequest) -> forms.InboxFilterForm:
    """The filters of the query string, offering the units the viewer serves and their staff."""
    municipality = _municipality(request)
    units = list(selectors.units_served(viewer=request.user, municipality=municipality))
    people = selectors.staff_list_for_units(units=units)
    return forms.InboxFilterForm(request.GET or None, units=units, people=people)


def _form_ids(values: list[str]) -> list[int]:
    """Ids from a form; anything but whole numbers is a forged request (404)."""
    try:
        return sorted({int(value) for value in values})
    except ValueError as exc:
        raise Http404("id") from exc


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    """The threads that wait for the units the staff member serves, the oldest wait first,
    with filters; answer in place (one row) or one answer to the ticked rows."""
    municipality = _municipality(request)
    user = _user(request)
    filter_form = _inbox_filter_form(request)
    bulk_form = forms.InboxAnswerForm()
    quick: dict[str, Any] = {}
    selected: list[int] = []
    status = 200
    if request.method == "POST":
        which = "quick" if request.POST.get("form") == "quick" else "bulk"
        selected = _form_ids(request.POST.getlist("threads"))
        form = forms.InboxAnswerForm(request.POST)
        threads = selectors.thread_list_for_staff_by_ids(
            viewer=user, municipality=municipality, ids=selected
        )
        if len(threads) != len(selected) or (which == "quick" and len(selected) != 1):
            raise Http404("thread")
        if form.is_valid():
            if not threads:
                form.add_error(None, _("Tick at least one conversation to answer."))
            else:
                try:
                    answers = services.thread_answer(
                        threads=threads, actor=user, body=form.cleaned_data["body"]
                    )
                except (ValidationError, TorgetError) as exc:
                    _refuse(form, "body", exc)
                else:
                    messages.success(
                        request,
                        ngettext(
                            "Your answer has been sent in %(count)d conversation.",
                            "Your answer has been sent in %(count)d conversations.",
                            len(answers),
                        )
                        % {"count": len(answers)},
                    )
                    return redirect(request.get_full_path())
        status = 422
        if which == "quick":
            quick = {
                "pk": selected[0],
                "body": request.POST.get("body", ""),
                "errors": [str(e) for errors in form.errors.values() for e in errors],
            }
        else:
            bulk_form = form
    now = timezone.now()
    page_obj = selectors.thread_page_inbox(
        viewer=user,
        municipality=municipality,
        filters=filter_form.to_filter(),
        page=request.GET.get("page"),
        now=now,
    )
    if quick:
        quick["listed"] = any(thread.pk == quick["pk"] for thread in page_obj)
    context = {
        "filter_form": filter_form,
        "is_filtered": filter_form.is_filtered,
        "page_obj": page_obj,
        "answered_ids": selectors.unit_ids_answered(viewer=user, municipality=municipality),
        "bulk_form": bulk_form,
        "quick": quick,
        "selected_ids": set(selected),
        "now": now,
        "poll_seconds": POLL_SECONDS,
    }
    return render(request, "conversations/inbox.html", context, status=status)


@staff_required
@never_cache
def inbox_status(request: HttpRequest) -> JsonResponse:
    """What static/js/inbox.js polls for: the waiting threads under the page's filters, and how
    many resident messages came in them after `since` (the moment the page was made)."""
    filter_form = _inbox_filter_form(request)
    since = parse_datetime(request.GET.get("since", "").replace(" ", "+"))
    status = selectors.thread_status_inbox(
        viewer=request.user,
        municipality=_municipality(request),
        filters=filter_form.to_filter(),
        since=since,
    )
    return JsonResponse(
        {
            "count": status.count,
            "newest": status.newest.isoformat() if status.newest else None,
            "last_id": status.last_id,
            "new_messages": status.new_messages,
            "label": ngettext(
                "%(count)d new message – show",
                "%(count)d new messages – show",
                status.new_messages,
            )
            % {"count": status.new_messages},
        }
    )


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


# --- moderation: one mechanism for every channel ------------------------------------------------


def _message_default_next(message: Message) -> str:
    return f"{thread_path(message.thread)}#melding-{message.pk}"


def _message_action_page(
    request: HttpRequest, message: Message, form: forms.ReasonForm, *, action: str, status: int
) -> HttpResponse:
    """The page of one report or hiding: the fallback form, and where a refusal is shown."""
    context = {
        "message_obj": message,
        "form": form,
        "action": action,
        "next_url": _next_url(request, _message_default_next(message)),
    }
    return render(request, "conversations/message_action.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def message_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Report a message to the moderators, with a reason; back to where it was shown."""
    message = selectors.message_get_for_viewer(
        municipality=_municipality(request), pk=pk, viewer=request.user
    )
    form = forms.ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.message_report(
                    message=message, actor=_user(request), reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                _refuse(form, "reason", exc)
            else:
                messages.success(request, _("Thank you. The moderators will look at the message."))
                return redirect(_next_url(request, _message_default_next(message)))
        return _message_action_page(request, message, form, action="report", status=422)
    return _message_action_page(request, message, form, action="report", status=200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def message_hide(request: HttpRequest, pk: int) -> HttpResponse:
    """Hide a message with a reason its author will see (moderators of its unit)."""
    message = selectors.message_get_for_viewer(
        municipality=_municipality(request), pk=pk, viewer=request.user
    )
    if not policies.can_moderate_message(request.user, message):
        raise PermissionDenied
    form = forms.ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.message_hide(
                    message=message, actor=_user(request), reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                _refuse(form, "reason", exc)
            else:
                messages.success(request, _("The message is hidden."))
                return redirect(_next_url(request, _message_default_next(message)))
        return _message_action_page(request, message, form, action="hide", status=422)
    return _message_action_page(request, message, form, action="hide", status=200)


@login_required
@require_POST
def message_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a hidden message again (moderators of its unit)."""
    message = selectors.message_get_for_viewer(
        municipality=_municipality(request), pk=pk, viewer=request.user
    )
    services.message_restore(message=message, actor=_user(request))
    messages.success(request, _("The message is shown again."))
    return redirect(_next_url(request, _message_default_next(message)))


def _moderation_render(
    request: HttpRequest, *, block_error: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    municipality = _municipality(request)
    user = request.user
    if not selectors.unit_ids_moderated(viewer=user, municipality=municipality):
        raise PermissionDenied
    can_block = can_moderate_unit(user, unit_get_root(municipality=municipality))
    blocks = selectors.block_list_active(municipality=municipality) if can_block else []
    context = {
        "page_obj": selectors.message_page_reported(
            viewer=user, municipality=municipality, page=request.GET.get("page")
        ),
        "can_block": can_block,
        "blocks": blocks,
        "blocked_ids": {block.user_id for block in blocks},
        "block_error": block_error or {},
        "moderation_path": reverse("conversations:moderation"),
    }
    return render(request, "conversations/moderation.html", context, status=status)


@staff_required
@never_cache
def moderation(request: HttpRequest) -> HttpResponse:
    """The moderation queue: reported messages in the units the viewer moderates, and the
    accounts blocked from writing."""
    return _moderation_render(request)


@staff_required
@require_POST
def moderation_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """Nothing wrong with the message: resolve its reports and leave it shown."""
    message = selectors.message_get_for_viewer(
        municipality=_municipality(request), pk=pk, viewer=request.user
    )
    services.message_reports_dismiss(message=message, actor=_user(request))
    messages.success(request, _("The reports are dismissed; the message stays."))
    return redirect(_next_url(request, reverse("conversations:moderation")))


@staff_required
@require_POST
def user_block(request: HttpRequest) -> HttpResponse:
    """Block the author of a reported message from writing in the municipality."""
    municipality = _municipality(request)
    user_ids = _form_ids(request.POST.getlist("user"))
    if len(user_ids) != 1:
        raise Http404("user")
    person = selectors.user_get_blockable(municipality=municipality, pk=user_ids[0])
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.user_block(
                municipality=municipality,
                user=person,
                actor=_user(request),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _refuse(form, "reason", exc)
        else:
            messages.success(
                request,
                _("%(name)s can no longer write here.") % {"name": str(person)},
            )
            return redirect(_next_url(request, reverse("conversations:moderation")))
    error = {
        "message": request.POST.get("message", ""),
        "reason": request.POST.get("reason", ""),
        "errors": [str(e) for errors in form.errors.values() for e in errors],
    }
    return _moderation_render(request, block_error=error, status=422)


@staff_required
@require_POST
def user_unblock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift the block of an account."""
    municipality = _municipality(request)
    blocks = selectors.block_list_active(municipality=municipality)
    person = next((block.user for block in blocks if block.user_id == pk), None)
    if person is None:
        raise Http404("block")
    services.user_unblock(municipality=municipality, user=person, actor=_user(request))
    messages.success(request, _("%(name)s can write again.") % {"name": str(person)})
    return redirect("conversations:moderation")

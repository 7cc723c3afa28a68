"""The staff inbox: waiting threads across channels, filters, answers in place."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from torget.conversations import forms, selectors, services
from torget.conversations.views.common import (
    POLL_SECONDS,
    _form_ids,
    _municipality,
    _refuse,
    _user,
    staff_required,
)
from torget.core.errors import TorgetError

# --- the inbox ----------------------------------------------------------------------------------


def _inbox_filter_form(request: HttpRequest) -> forms.InboxFilterForm:
    """The filters of the query string, offering the units the viewer serves and their staff."""
    municipality = _municipality(request)
    units = list(selectors.units_served(viewer=request.user, municipality=municipality))
    people = selectors.staff_list_for_units(units=units)
    return forms.InboxFilterForm(request.GET or None, units=units, people=people)


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

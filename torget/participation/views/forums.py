"""Views of the forums part of participation: the forum list, a forum with its topics and the
"Start a topic" form, a topic with its messages and the reply form, following, the page of
one's follows, and the staff forum list and editor; plus the forums' parts of a process page.

Thin: parse, call one selector or service, render. A refused post (empty, too long, closed
forum, rate limit, block) re-renders the page with status 422, the message next to the field
and the typed text kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from torget.accounts.models import User
from torget.conversations.views.common import _next_url
from torget.core.errors import TorgetError
from torget.organisation.models import Municipality
from torget.organisation.policies import can_answer_for_unit, can_moderate_unit, is_staff_in
from torget.pages.models import FollowFrequency
from torget.participation.forms.forums import ForumForm, ReplyForm, TopicForm
from torget.participation.models import Forum, Process
from torget.participation.policies import can_manage_process
from torget.participation.selectors import forums as selectors
from torget.participation.services import forums as services
from torget.services.markdown import markdown_to_html


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _hosts(municipality: Municipality) -> list[str]:
    return list(municipality.hostnames.values_list("name", flat=True))


def _refuse(form: Any, field: str | None, exc: Exception) -> None:
    """Put a service's refusal on the form: a ValidationError on its fields, a TorgetError or
    a PermissionDenied with a message (a blocked account) on top."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            form.apply_service_errors(exc)
        else:
            form.add_error(field, exc)
    elif isinstance(exc, TorgetError):
        form.add_error(None, str(exc.message))
    elif isinstance(exc, PermissionDenied) and exc.args:
        form.add_error(None, str(exc.args[0]))
    else:
        raise exc


# --- the public pages ---------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def forum_list(request: HttpRequest) -> HttpResponse:
    """The municipality's forums, the open ones grouped by kind, the closed ones after them."""
    municipality = _municipality(request)
    groups, closed = selectors.forum_list_grouped(municipality=municipality, viewer=request.user)
    return render(
        request, "participation/forums/forum_list.html", {"groups": groups, "closed": closed}
    )


def _render_forum(
    request: HttpRequest, forum: Forum, *, form: TopicForm | None = None, status: int = 200
) -> HttpResponse:
    topics = selectors.topic_page(forum=forum, page=request.GET.get("page"))
    context = {
        "forum": forum,
        "description_html": markdown_to_html(forum.description, hosts=_hosts(forum.municipality)),
        "topics": topics,
        "form": form or TopicForm(),
        "follow": selectors.follow_get(user=request.user, forum=forum),
        "can_manage": selectors.can_manage_forum(request.user, forum),
        "frequencies": FollowFrequency.choices,
    }
    return render(request, "participation/forums/forum_detail.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def forum_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A forum: its description, its topics (20 a page, the most recently active first), the
    follow form, and the "Start a topic" form, which posts here."""
    forum = selectors.forum_get(municipality=_municipality(request), slug=slug, viewer=request.user)
    if request.method != "POST":
        return _render_forum(request, forum)
    if not request.user.is_authenticated:
        return redirect_to_login(forum.get_absolute_url())
    form = TopicForm(request.POST)
    if form.is_valid():
        try:
            thread = services.topic_start(
                forum=forum,
                actor=_user(request),
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                follow=form.cleaned_data["follow"],
            )
        except (ValidationError, TorgetError, PermissionDenied) as exc:
            _refuse(form, "body", exc)
        else:
            messages.success(request, _("Your topic is published."))
            return HttpResponseRedirect(
                reverse("participation:topic-detail", args=[forum.slug, thread.pk])
            )
    return _render_forum(request, forum, form=form, status=422)


def _render_topic(
    request: HttpRequest,
    forum: Forum,
    thread: Any,
    *,
    form: ReplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may_answer = services.may_answer_topic(user, thread)
    as_staff = may_answer and can_answer_for_unit(user, thread.unit)
    label = (
        _("Your reply")
        if not may_answer
        else (
            _("Answer as %(unit)s (official)") % {"unit": thread.unit.name}
            if as_staff
            else _("Answer as politician")
        )
    )
    if form is None:
        form = ReplyForm(label=label)
    else:
        form.fields["body"].label = label
    page = selectors.message_page_for_topic(
        thread=thread, viewer=user, page=request.GET.get("page")
    )
    context = {
        "forum": forum,
        "thread": thread,
        "page_obj": page,
        "thread_messages": page.object_list,
        "form": form,
        "may_answer": may_answer,
        "as_staff": as_staff,
        "can_moderate": can_moderate_unit(user, forum.unit),
        "follow": selectors.follow_get(user=user, thread=thread),
        "forum_follow": selectors.follow_get(user=user, forum=forum),
        "topic_path": reverse("participation:topic-detail", args=[forum.slug, thread.pk]),
    }
    return render(request, "participation/forums/topic_detail.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def topic_detail(request: HttpRequest, slug: str, thread_pk: int) -> HttpResponse:
    """A topic: its messages through the shared partial (50 a page, oldest first), with the
    reply form, which posts here. For staff of the forum's unit and politicians the form is an
    official answer, labelled as such."""
    forum = selectors.forum_get(municipality=_municipality(request), slug=slug, viewer=request.user)
    thread = selectors.topic_get(forum=forum, pk=thread_pk)
    path = reverse("participation:topic-detail", args=[forum.slug, thread.pk])
    if request.method != "POST":
        return _render_topic(request, forum, thread)
    if not request.user.is_authenticated:
        return redirect_to_login(path)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            message = services.topic_reply(
                thread=thread, actor=_user(request), body=form.cleaned_data["body"]
            )
        except (ValidationError, TorgetError, PermissionDenied) as exc:
            _refuse(form, "body", exc)
        else:
            if message.role == "official":
                messages.success(request, _("Your answer is published."))
            else:
                messages.success(request, _("Your reply is published."))
            return HttpResponseRedirect(selectors.message_path(message, forum))
    thread.refresh_from_db(fields=["status"])
    return _render_topic(request, forum, thread, form=form, status=422)


def _follow(
    request: HttpRequest, *, forum: Forum, thread: Any | None, back: str, name: str
) -> HttpResponse:
    back = _next_url(request, back)
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    target: dict[str, Any] = {"thread": thread} if thread is not None else {"forum": forum}
    if request.POST.get("action") == "unfollow":
        services.follow_remove(user=_user(request), **target)
        messages.success(request, _("You no longer follow %(name)s.") % {"name": name})
        return HttpResponseRedirect(back)
    frequency = request.POST.get("frequency") or FollowFrequency.IMMEDIATE
    try:
        services.follow_set(user=_user(request), frequency=frequency, **target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    if frequency == FollowFrequency.DAILY:
        text = _("You follow %(name)s and get one e-mail a day when there is something new.")
    else:
        text = _("You follow %(name)s and get an e-mail for each new post.")
    messages.success(request, text % {"name": name})
    return HttpResponseRedirect(back)


@require_POST
def forum_follow(request: HttpRequest, slug: str) -> HttpResponse:
    """Follow a forum (or change how often), or stop following it; then go back."""
    forum = selectors.forum_get(municipality=_municipality(request), slug=slug, viewer=request.user)
    return _follow(
        request, forum=forum, thread=None, back=forum.get_absolute_url(), name=forum.title
    )


@require_POST
def topic_follow(request: HttpRequest, slug: str, thread_pk: int) -> HttpResponse:
    """Follow one topic (or change how often), or stop following it; then go back."""
    forum = selectors.forum_get(municipality=_municipality(request), slug=slug, viewer=request.user)
    thread = selectors.topic_get(forum=forum, pk=thread_pk)
    back = reverse("participation:topic-detail", args=[forum.slug, thread.pk])
    return _follow(request, forum=forum, thread=thread, back=back, name=thread.title)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def follow_list(request: HttpRequest) -> HttpResponse:
    """The forums and topics the person follows, with how often, to change or stop (the
    e-mails link here)."""
    follows = selectors.follow_list_for_user(
        user=_user(request), municipality=_municipality(request)
    )
    context = {
        "forum_follows": [f for f in follows if f.forum is not None],
        "topic_follows": [f for f in follows if f.thread is not None],
        "next": reverse("participation:forum-follows"),
    }
    return render(request, "participation/forums/follows.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop the follows named by the signed link in a forum e-mail, without logging in. The
    link shows what will stop and asks for a click (POST), so that a mail scanner opening the
    link stops nothing."""
    found = selectors.follow_list_for_token(token)
    if found is None:
        return render(
            request, "participation/forums/unsubscribe.html", {"invalid": True}, status=404
        )
    user_id, follows = found
    if request.method == "POST":
        services.follow_remove_listed(user_id=user_id, follow_ids=[f.pk for f in follows])
        return render(request, "participation/forums/unsubscribe.html", {"done": True})
    return render(request, "participation/forums/unsubscribe.html", {"follows": follows})


# --- the staff pages ----------------------------------------------------------------------------


def _staff_units(request: HttpRequest) -> list[Any]:
    """The units the viewer runs forums for: 403 for anyone without such a role."""
    if not is_staff_in(request.user, _municipality(request)):
        raise PermissionDenied
    units = selectors.units_managed(viewer=request.user, municipality=_municipality(request))
    if not units:
        raise PermissionDenied
    return units


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def staff_forum_list(request: HttpRequest) -> HttpResponse:
    """The forums of the units the viewer manages (communicator or unit administrator)."""
    units = _staff_units(request)
    page = selectors.forum_page_for_staff(units=units, page=request.GET.get("page"))
    return render(request, "participation/forums/staff_forum_list.html", {"page_obj": page})


def _forum_values(form: ForumForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "unit": data["unit"],
        "kind": data["kind"],
        "slug": data["slug"],
        "title": data["title"],
        "description": data.get("description") or "",
        "process": data.get("process"),
        "is_open": data.get("is_open", False),
    }


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def staff_forum_create(request: HttpRequest) -> HttpResponse:
    """Open a new forum. `?process=<slug>` starts a project forum of that process."""
    units = _staff_units(request)
    municipality = _municipality(request)
    processes = selectors.process_choices(municipality=municipality)
    initial: dict[str, Any] = {"is_open": True, "kind": "topic"}
    process_slug = request.GET.get("process")
    if process_slug:
        process = processes.filter(slug=process_slug).first()
        if process is not None:
            initial.update(
                process=process.pk,
                kind="project",
                title=process.title,
                slug=process.slug,
                unit=process.unit_id if process.unit_id in {u.pk for u in units} else None,
            )
    form = ForumForm(
        request.POST if request.method == "POST" else None,
        units=units,
        processes=processes,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                forum = services.forum_create(actor=_user(request), **_forum_values(form))
            except (ValidationError, TorgetError) as exc:
                _refuse(form, None, exc)
            else:
                messages.success(request, _("The forum is opened."))
                return HttpResponseRedirect(forum.get_absolute_url())
        status = 422
    return render(
        request,
        "participation/forums/staff_forum_form.html",
        {"form": form, "forum": None},
        status=status,
    )


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def staff_forum_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a forum of a unit the viewer manages (404 for any other forum)."""
    units = _staff_units(request)
    municipality = _municipality(request)
    forum = selectors.forum_get_for_staff(municipality=municipality, slug=slug, viewer=request.user)
    initial = {
        "kind": forum.kind,
        "slug": forum.slug,
        "title": forum.title,
        "description": forum.description,
        "unit": forum.unit_id,
        "process": forum.process_id,
        "is_open": forum.is_open,
    }
    form = ForumForm(
        request.POST if request.method == "POST" else None,
        units=units,
        processes=selectors.process_choices(municipality=municipality),
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                forum = services.forum_update(
                    forum=forum, actor=_user(request), **_forum_values(form)
                )
            except (ValidationError, TorgetError) as exc:
                _refuse(form, None, exc)
            else:
                messages.success(request, _("The forum is saved."))
                return HttpResponseRedirect(reverse("participation:staff-forum-list"))
        status = 422
    return render(
        request,
        "participation/forums/staff_forum_form.html",
        {"form": form, "forum": forum},
        status=status,
    )


# --- parts of the process pages -----------------------------------------------------------------


def process_part(request: HttpRequest, process: Process) -> str:
    """The forums part of the process's public page, rendered ("" when there is none): its
    project forums with their latest topics and a link to each."""
    rows = selectors.forum_list_for_process(process=process, viewer=request.user)
    if not rows:
        return ""
    return render_to_string(
        "participation/forums/_process_part.html", {"rows": rows, "process": process}, request
    )


def staff_process_part(request: HttpRequest, process: Process) -> str:
    """The forums part of the process's staff page, rendered ("" when there is none): its
    forums, and a link to open a project forum for it."""
    if not can_manage_process(request.user, process):
        return ""
    rows = selectors.forum_list_for_process(process=process, viewer=request.user, latest=0)
    return render_to_string(
        "participation/forums/_staff_process_part.html",
        {"rows": rows, "process": process},
        request,
    )

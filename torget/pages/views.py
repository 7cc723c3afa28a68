"""Pages of posts: a post with its comments, a unit's posts, attachments, following, and the
staff editor. Thin: parse, call one selector or service, render.

The comment forms post without JavaScript. A refused comment (empty, too long, rate-limited,
blocked, closed) re-renders the post page with status 422, the message next to the field and
the typed text kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from torget.conversations.selectors import thread_page_for_subject
from torget.core.errors import TorgetError
from torget.organisation.models import Role, Unit
from torget.organisation.policies import can_answer_for_unit, can_moderate_unit, has_role
from torget.organisation.selectors import unit_get
from torget.pages import policies, selectors, services
from torget.pages.forms import PostForm
from torget.pages.models import FollowFrequency, Post, PostAttachment

# Those who may write an official answer in a comment thread: staff of the unit, and
# politicians, whose answers are shown (and counted) apart (conversations.policies).
ANSWER_ROLES = frozenset({Role.COMMUNICATOR, Role.CASE_OFFICER, Role.UNIT_ADMIN, Role.POLITICIAN})


@dataclass(frozen=True)
class FormState:
    """What a refused comment form shows again: which thread (None for a new comment), the
    typed text and the message."""

    thread: int | None
    text: str
    error: str


def _error_text(exc: Exception) -> str:
    if isinstance(exc, TorgetError):
        return str(exc.message)
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You may not write here.")


def _page_number(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _post_url(post: Post, *, page: int | None = None, anchor: str = "") -> str:
    url = post.get_absolute_url()
    if page and page > 1:
        url += f"?page={page}"
    return f"{url}#{anchor}" if anchor else url


def _render_post(
    request: HttpRequest,
    post: Post,
    *,
    page: int | str | None = None,
    comment: FormState | None = None,
    reply: FormState | None = None,
    answer: FormState | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    threads = thread_page_for_subject(
        subject=post, viewer=user, page=page or request.GET.get("page")
    )
    # Roles are asked once per page, never per thread or message.
    context = {
        "post": post,
        "unit": post.unit,
        "threads": threads,
        # Where forms on the page return to; not request.path, which after a refused comment
        # is the address the form was posted to.
        "page_url": _post_url(post, page=threads.number),
        "can_answer": can_answer_for_unit(user, post.unit),
        "can_moderate": can_moderate_unit(user, post.unit),
        "may_answer": has_role(user, post.unit, ANSWER_ROLES),
        "can_edit": policies.can_publish_for_unit(user, post.unit),
        "follow": selectors.follow_get(user=user, unit=post.unit),
        "comment": comment,
        "reply": reply,
        "answer": answer,
    }
    return render(request, "pages/post_detail.html", context, status=status)


@require_GET
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A post with its attachments and one page of comments (20 threads)."""
    post = selectors.post_get(
        municipality=request.municipality,  # type: ignore[attr-defined]
        pk=pk,
        viewer=request.user,
    )
    return _render_post(request, post)


def _post_for_writing(request: HttpRequest, pk: int) -> Post:
    return selectors.post_get(
        municipality=request.municipality,  # type: ignore[attr-defined]
        pk=pk,
        viewer=request.user,
    )


def _login_redirect(post: Post) -> HttpResponse:
    return redirect(f"{reverse('account_login')}?next={post.get_absolute_url()}")


@require_POST
def post_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """A resident's new comment: opens a thread in the post's unit, channel web."""
    post = _post_for_writing(request, pk)
    if not request.user.is_authenticated:
        return _login_redirect(post)
    body = request.POST.get("body", "")
    try:
        thread = services.post_comment(post=post, actor=request.user, body=body)  # type: ignore[arg-type]
    except (TorgetError, ValidationError, PermissionDenied) as exc:
        state = FormState(thread=None, text=body, error=_error_text(exc))
        return _render_post(request, post, comment=state, status=422)
    messages.success(request, _("Your comment is published."))
    return HttpResponseRedirect(_post_url(post, anchor=f"samtale-{thread.pk}"))


@require_POST
def post_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A resident writes on in a comment thread under the post."""
    post = _post_for_writing(request, pk)
    if not request.user.is_authenticated:
        return _login_redirect(post)
    thread = selectors.thread_get_for_post(post=post, pk=request.POST.get("thread"))
    page = _page_number(request.POST.get("page"))
    body = request.POST.get("body", "")
    try:
        services.post_comment_reply(post=post, thread=thread, actor=request.user, body=body)  # type: ignore[arg-type]
    except (TorgetError, ValidationError, PermissionDenied) as exc:
        state = FormState(thread=thread.pk, text=body, error=_error_text(exc))
        return _render_post(request, post, page=page, reply=state, status=422)
    messages.success(request, _("Your reply is published."))
    return HttpResponseRedirect(_post_url(post, page=page, anchor=f"samtale-{thread.pk}"))


@require_POST
def post_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff answer a comment thread in place, on behalf of the post's unit."""
    post = _post_for_writing(request, pk)
    if not request.user.is_authenticated:
        return _login_redirect(post)
    thread = selectors.thread_get_for_post(post=post, pk=request.POST.get("thread"))
    page = _page_number(request.POST.get("page"))
    body = request.POST.get("body", "")
    try:
        services.post_comment_answer(post=post, thread=thread, actor=request.user, body=body)  # type: ignore[arg-type]
    except (TorgetError, ValidationError) as exc:
        state = FormState(thread=thread.pk, text=body, error=_error_text(exc))
        return _render_post(request, post, page=page, answer=state, status=422)
    messages.success(request, _("Your answer is published."))
    return HttpResponseRedirect(_post_url(post, page=page, anchor=f"samtale-{thread.pk}"))


@require_GET
def unit_posts(request: HttpRequest, slug: str) -> HttpResponse:
    """All posts of a unit's page, 20 a page, newest first."""
    unit = unit_get(municipality=request.municipality, slug=slug)  # type: ignore[attr-defined]
    posts = selectors.post_page_for_unit(unit=unit, page=request.GET.get("page"))
    context = {
        "unit": unit,
        "posts": posts,
        "follow": selectors.follow_get(user=request.user, unit=unit),
        "can_publish": policies.can_publish_for_unit(request.user, unit),
    }
    return render(request, "pages/unit_posts.html", context)


@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """An attachment of a post the viewer may see. Pictures are shown inline; every other file
    is downloaded, never rendered by the browser, and no type is ever guessed from content."""
    post = selectors.post_get(
        municipality=request.municipality,  # type: ignore[attr-defined]
        pk=pk,
        viewer=request.user,
    )
    attachment = PostAttachment.objects.filter(post=post, pk=attachment_pk).first()
    if attachment is None:
        raise Http404("attachment")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("attachment file") from exc
    response = FileResponse(
        handle,
        as_attachment=not attachment.is_image,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def unit_follow(request: HttpRequest, slug: str) -> HttpResponse:
    """Follow a unit's page (or change how often), or stop following it; then go back."""
    unit = unit_get(municipality=request.municipality, slug=slug)  # type: ignore[attr-defined]
    back = _safe_next(request, reverse("organisation:unit-detail", args=[unit.slug]))
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={back}")
    if request.POST.get("action") == "unfollow":
        services.follow_remove(unit=unit, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("You no longer follow %(unit)s.") % {"unit": unit.name})
        return HttpResponseRedirect(back)
    frequency = request.POST.get("frequency") or FollowFrequency.IMMEDIATE
    try:
        services.follow_set(unit=unit, actor=request.user, frequency=frequency)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    if frequency == FollowFrequency.DAILY:
        text = _("You follow %(unit)s and get one e-mail a day when it has posted.")
    else:
        text = _("You follow %(unit)s and get an e-mail when it posts.")
    messages.success(request, text % {"unit": unit.name})
    return HttpResponseRedirect(back)


# --- the staff editor ---------------------------------------------------------------------


def _apply_errors(form: PostForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _editor(request: HttpRequest, *, units: list[Unit], fixed_unit: Unit | None) -> HttpResponse:
    if not units:
        raise PermissionDenied
    form = PostForm(
        request.POST or None,
        request.FILES or None,
        units=units,
        fixed_unit=fixed_unit,
        initial={"unit": units[0].pk} if len(units) == 1 else {},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                post = services.post_create(
                    unit=form.chosen_unit(),
                    actor=request.user,  # type: ignore[arg-type]
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    kind=form.cleaned_data["kind"],
                    comments_open=form.cleaned_data["comments_open"],
                    attachments=form.new_attachments(),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The post is published."))
                return HttpResponseRedirect(post.get_absolute_url())
        return render(
            request,
            "pages/post_form.html",
            {"form": form, "unit": fixed_unit, "editing": None},
            status=422,
        )
    return render(request, "pages/post_form.html", {"form": form, "unit": fixed_unit})


@login_required
def post_create(request: HttpRequest) -> HttpResponse:
    """Staff write a post on one of the pages they may publish on."""
    units = selectors.unit_list_publishable(
        viewer=request.user,
        municipality=request.municipality,  # type: ignore[attr-defined]
    )
    return _editor(request, units=units, fixed_unit=None)


@login_required
def unit_post_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Staff write a post on one unit's page."""
    unit = unit_get(municipality=request.municipality, slug=slug)  # type: ignore[attr-defined]
    if not policies.can_publish_for_unit(request.user, unit):
        raise PermissionDenied
    return _editor(request, units=[unit], fixed_unit=unit)


@login_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff change a post: text, kind, comments on or off, attachments."""
    post = selectors.post_get_for_edit(
        municipality=request.municipality,  # type: ignore[attr-defined]
        pk=pk,
    )
    if not policies.can_publish_for_unit(request.user, post.unit):
        raise PermissionDenied
    attachments = list(post.attachments.all())
    initial = {
        "title": post.title,
        "body": post.body,
        "kind": post.kind,
        "comments_open": post.comments_open,
    }
    form = PostForm(
        request.POST or None,
        request.FILES or None,
        units=[post.unit],
        fixed_unit=post.unit,
        attachments=attachments,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.post_update(
                    post=post,
                    actor=request.user,  # type: ignore[arg-type]
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    kind=form.cleaned_data["kind"],
                    comments_open=form.cleaned_data["comments_open"],
                    add_attachments=form.new_attachments(),
                    remove_attachments=form.removed_ids(),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The post is saved."))
                return HttpResponseRedirect(post.get_absolute_url())
    context = {"form": form, "unit": post.unit, "editing": post}
    return render(request, "pages/post_form.html", context, status=status)

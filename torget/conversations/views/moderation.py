"""Moderation, one mechanism for every channel: report, hide, restore, block."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from torget.conversations import forms, policies, selectors, services
from torget.conversations.models import Message
from torget.conversations.registry import thread_path
from torget.conversations.views.common import (
    _form_ids,
    _municipality,
    _next_url,
    _refuse,
    _user,
    staff_required,
)
from torget.organisation.policies import can_moderate_unit
from torget.organisation.selectors import unit_get_root

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

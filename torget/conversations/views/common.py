"""Helpers shared by the conversation views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from torget.accounts.models import User
from torget.core.errors import TorgetError
from torget.organisation.models import Municipality
from torget.organisation.policies import is_staff_in

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


def _form_ids(values: list[str]) -> list[int]:
    """Ids from a form; anything but whole numbers is a forged request (404)."""
    try:
        return sorted({int(value) for value in values})
    except ValueError as exc:
        raise Http404("id") from exc

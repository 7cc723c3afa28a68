"""Min side (the resident's own page), their data, deleting the account, and the staff start
page.

Min side's sections come from the modules that hold the person's cases, questions and
subscriptions, through `torget.accounts.mypage`: this module imports none of them.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from torget.accounts import mypage
from torget.accounts.models import User
from torget.core.errors import RateLimited
from torget.organisation.models import Municipality
from torget.organisation.policies import is_staff_in
from torget.organisation.selectors import membership_list_for_user


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


@login_required
@never_cache
def my_page(request: HttpRequest) -> HttpResponse:
    """Min side: the person's cases, questions and subscriptions (each registered by its
    module), and their account with, for staff, their roles in this municipality."""
    municipality = _municipality(request)
    user: User = request.user  # type: ignore[assignment]
    memberships = membership_list_for_user(user_id=user.pk, municipality=municipality)
    sections = mypage.section_contexts(
        user=user, municipality=municipality, params=request.GET.dict()
    )
    return render(
        request, "accounts/my_page.html", {"memberships": memberships, "sections": sections}
    )


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything Torget holds about the person, as a JSON download."""
    user: User = request.user  # type: ignore[assignment]
    data = mypage.personal_data_collect(user=user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mine-data.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class AccountDeleteForm(forms.Form):
    """The password again (or, for an account without one, the e-mail address)."""

    password = forms.CharField(
        label=_("Your password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    email = forms.EmailField(
        label=_("The e-mail address of your account"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "delete_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if user.has_usable_password():
            del self.fields["email"]
            self.fields["password"].required = True
            self.fields["password"].error_messages["required"] = _("Type your password.")
        else:
            del self.fields["password"]
            self.fields["email"].required = True
            self.fields["email"].error_messages["required"] = _(
                "Type the e-mail address of your account."
            )


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Say what deleting the account removes and keeps, and what stops it now; delete it when
    the password is typed again and nothing stops it, then log out."""
    user: User = request.user  # type: ignore[assignment]
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, user=user)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                mypage.account_delete(
                    actor=user,
                    password=form.cleaned_data.get("password", ""),
                    email=form.cleaned_data.get("email", ""),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except RateLimited as exc:
                form.add_error(None, str(exc.message))
                status = 429
            except PermissionDenied as exc:
                form.add_error(None, str(exc.args[0]) if exc.args else "")
            else:
                logout(request)
                return redirect("accounts:account-delete-done")
    context = {
        "form": form,
        "blockers": mypage.erasure_blockers(user=user),
    }
    return render(request, "accounts/account_delete.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
def account_delete_done(request: HttpRequest) -> HttpResponse:
    """The account has been deleted."""
    return render(request, "accounts/account_delete_done.html")


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """The staff start page: the units this person serves and in which role."""
    municipality = _municipality(request)
    if not is_staff_in(request.user, municipality):
        raise PermissionDenied
    memberships = membership_list_for_user(user_id=request.user.pk, municipality=municipality)
    return render(request, "accounts/staff_home.html", {"memberships": memberships})

"""Min side (the resident's own page) and the staff start page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from torget.organisation.policies import is_staff_in
from torget.organisation.selectors import membership_list_for_user


@login_required
def my_page(request: HttpRequest) -> HttpResponse:
    """Min side: the person's account and, for staff, their roles in this municipality."""
    memberships = membership_list_for_user(
        user_id=request.user.pk,
        municipality=request.municipality,  # type: ignore[attr-defined]
    )
    return render(request, "accounts/my_page.html", {"memberships": memberships})


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """The staff start page: the units this person serves and in which role."""
    municipality = request.municipality  # type: ignore[attr-defined]
    if not is_staff_in(request.user, municipality):
        raise PermissionDenied
    memberships = membership_list_for_user(user_id=request.user.pk, municipality=municipality)
    return render(request, "accounts/staff_home.html", {"memberships": memberships})

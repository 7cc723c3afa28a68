"""Staff must use two-factor log-in (TOTP) outside DEBUG."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from torget.accounts.selectors import user_has_totp, user_needs_two_factor

SESSION_KEY = "torget_two_factor_ok"


class StaffTwoFactorMiddleware:
    """Send a staff member without an authenticator app to set one up before anything else.

    A staff member who has one is asked for a code by allauth at log-in; this middleware only
    closes the gap of the staff member who never set one up. The answer is remembered in the
    session so the check costs nothing on later requests.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            not settings.DEBUG
            and user.is_authenticated
            and not request.session.get(SESSION_KEY)
            and not request.path.startswith(self._allowed_prefixes())
        ):
            if user_needs_two_factor(user=user) and not user_has_totp(user=user):  # type: ignore[arg-type]
                return redirect(f"{reverse('mfa_activate_totp')}?next={request.path}")
            request.session[SESSION_KEY] = True
        return self.get_response(request)

    @staticmethod
    def _allowed_prefixes() -> tuple[str, ...]:
        return (
            reverse("mfa_index"),
            reverse("account_logout"),
            # allauth asks for the password again before an authenticator may be added.
            reverse("account_reauthenticate"),
            "/static/",
            "/healthz",
            "/sprak/",
        )

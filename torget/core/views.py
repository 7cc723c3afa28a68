"""Views every page relies on: health, language choice, error pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from torget.core.middleware import language_for_request
from torget.core.selectors import database_check, worker_is_alive, worker_latest_beat


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers, and a task worker and an alert
    delivery worker beat recently.

    Answers 200 when all hold and 503 otherwise, with the detail of each check.
    """
    db_ok, db_detail = database_check()
    beat = worker_latest_beat() if db_ok else None
    delivery_beat = worker_latest_beat(delivery=True) if db_ok else None
    worker_ok = worker_is_alive(beat=beat)
    delivery_ok = worker_is_alive(beat=delivery_beat)
    body = {
        "status": "ok" if db_ok and worker_ok and delivery_ok else "unhealthy",
        "checks": {
            "database": {"ok": db_ok, "detail": db_detail},
            "worker": {"ok": worker_ok, "last_beat": beat.isoformat() if beat else None},
            "delivery": {
                "ok": delivery_ok,
                "last_beat": delivery_beat.isoformat() if delivery_beat else None,
            },
        },
    }
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


def language_set(request: HttpRequest, code: str) -> HttpResponse:
    """Remember the chosen language in a cookie and go back to where the person was.

    A plain link (no form, no JavaScript) so that the switcher works everywhere and anonymous
    pages stay free of CSRF cookies and can be cached.
    """
    if code not in {c for c, _ in settings.LANGUAGES}:
        return error_page(
            request,
            status=404,
            title=_("Unknown language"),
            message=_("Torget is available in Bokmål, Nynorsk and English."),
        )
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language != code:
        type(user).objects.filter(pk=user.pk).update(language=code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
        httponly=True,
    )
    return response


def error_page(
    request: HttpRequest,
    *,
    status: int,
    title: str | Promise,
    message: str | Promise,
    **context: Any,
) -> HttpResponse:
    """Render an error in the shell every page uses, in the visitor's language.

    `title` and `message` are lazy translations: an error may come before the language
    middleware has run (an unknown host), so the language is settled here first.
    """
    if not hasattr(request, "LANGUAGE_CODE"):
        translation.activate(language_for_request(request))
    template = loader.get_template("error.html")
    body = template.render(
        {"status": status, "title": title, "message": message, **context}, request
    )
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request,
        status=400,
        title=_("The request could not be understood"),
        message=_(
            "Something in the request was wrong or too large. Go back and try again; "
            "if you were uploading a file, choose a smaller one."
        ),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request,
        status=403,
        title=_("You do not have access to this page"),
        message=_("This page is for staff with a role in the unit it belongs to."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request,
        status=404,
        title=_("We could not find the page"),
        message=_("The address may be mistyped, or the page may have been moved or removed."),
    )


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request,
        status=429,
        title=_("Too many attempts"),
        message=_("You have tried many times in a short while. Wait a minute and try again."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page. Renders without the database, which may be what failed."""
    translation.activate(language_for_request(request))
    body = loader.get_template("500.html").render(
        {"status": 500, "LANGUAGE_CODE": translation.get_language()}
    )
    return HttpResponse(body, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(
        request,
        status=403,
        title=_("The form had expired"),
        message=_(
            "For your safety the form could not be sent. Go back, reload the page and send it "
            "again; what you wrote is still in the form in most browsers."
        ),
    )


def unknown_host(request: HttpRequest) -> HttpResponse:
    return error_page(
        request,
        status=404,
        title=_("No municipality here"),
        message=_("This address does not belong to any municipality served by Torget."),
    )

"""Residents' subscriptions to alerts: sign up, confirm (a link by e-mail, a code by SMS), see,
change and end a subscription by its secret link.

Every page works without JavaScript: the address is found by a search on the server, a point
is typed as latitude and longitude (the map only fills the two fields in). The e-mail
confirmation link is never shown in the browser that signed up: only the mailbox's owner can
confirm it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from torget.alerts import subscription_selectors as selectors
from torget.alerts.models import Medium, Subscription
from torget.alerts.services import subscriptions as services
from torget.alerts.subscription_forms import ChangeForm, CodeForm, PlaceForm, SubscribeForm
from torget.core.errors import TorgetError
from torget.core.ratelimit import client_address, ratelimit_hit
from torget.organisation.models import Municipality

# Per address of the browser: sign-ups, and tries at a code, an hour.
SUBSCRIBES_PER_IP_PER_HOUR = 20
CODE_TRIES_PER_IP_PER_HOUR = 30
_SESSION_EMAIL = "alerts_email_sent"


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined,no-any-return]


def _refuse(form: Any, exc: Exception) -> None:
    """Put a service's refusal beside the fields it concerns, or on the form."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        # The service names the form's own fields (phone, email, address, lat, radius_m ...).
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    elif isinstance(exc, TorgetError):
        form.add_error(None, str(exc.message))
    elif isinstance(exc, PermissionDenied) and exc.args:
        form.add_error(None, str(exc.args[0]))
    else:
        raise exc


def _get(request: HttpRequest, token: str) -> Subscription:
    subscription = selectors.subscription_get_by_token(
        municipality=_municipality(request), token=token
    )
    if subscription is None:
        raise Http404
    return subscription


def _map_context() -> dict[str, Any]:
    from django.conf import settings

    return {
        "map_tiles_url": getattr(settings, "TORGET_MAP_TILES_URL", ""),
        "map_attribution": getattr(settings, "TORGET_MAP_ATTRIBUTION", ""),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """The sign-up form: place, radius, topics, and a mobile number and/or e-mail address."""
    municipality = _municipality(request)
    initial = {"email": request.user.email} if request.user.is_authenticated else {}
    form = SubscribeForm(
        request.POST if request.method == "POST" else None,
        municipality=municipality,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if not ratelimit_hit(
            f"alert-subscribe-ip:{client_address(request)}",
            limit=SUBSCRIBES_PER_IP_PER_HOUR,
            period=3600,
        ):
            form.is_valid()
            form.add_error(
                None, _("Many sign-ups have come from here. Wait a while and try again.")
            )
            status = 429
        elif form.is_valid():
            try:
                created = services.subscription_start(
                    municipality=municipality,
                    actor=request.user if request.user.is_authenticated else None,  # type: ignore[arg-type]
                    place=form.place() or services.Place(),
                    topics=form.topic_mask(),
                    phone=form.cleaned_data.get("phone") or "",
                    email=form.cleaned_data.get("email") or "",
                    language=request.LANGUAGE_CODE,
                )
            except (ValidationError, TorgetError) as exc:
                _refuse(form, exc)
            else:
                return _after_start(request, created)
    return render(request, "alerts/subscribe.html", {"form": form, **_map_context()}, status=status)


def _after_start(request: HttpRequest, created: list[Subscription]) -> HttpResponse:
    pending_email = next(
        (
            s
            for s in created
            if s.medium == Medium.EMAIL and s.status == Subscription.Status.PENDING
        ),
        None,
    )
    if pending_email is not None:
        request.session[_SESSION_EMAIL] = pending_email.destination
    sms = next((s for s in created if s.medium == Medium.SMS), None)
    if sms is not None:
        url = reverse("alerts:subscription-code", args=[sms.token])
        return redirect(f"{url}?epost=1" if pending_email else url)
    if pending_email is not None:
        return redirect("alerts:subscription-check-email")
    messages.success(request, _("Your alerts are on."))
    if request.user.is_authenticated:
        return redirect("accounts:my-page")
    return redirect("alerts:subscription-manage", token=created[0].token)


@require_http_methods(["GET", "HEAD"])
def subscription_check_email(request: HttpRequest) -> HttpResponse:
    """After signing up by e-mail: the link to confirm is in the mailbox."""
    return render(
        request,
        "alerts/subscription_check_email.html",
        {"email": request.session.get(_SESSION_EMAIL, "")},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def subscription_code(request: HttpRequest, token: str) -> HttpResponse:
    """Enter the code sent by SMS; or ask for a new one."""
    subscription = _get(request, token)
    if subscription.medium != Medium.SMS or subscription.status != Subscription.Status.PENDING:
        return redirect("alerts:subscription-manage", token=token)
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 422
        if request.POST.get("action") == "resend":
            form = CodeForm()
            try:
                services.subscription_code_resend(subscription=subscription)
            except TorgetError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("A new code is on its way."))
                return redirect(request.get_full_path())
        elif not ratelimit_hit(
            f"alert-code-ip:{client_address(request)}",
            limit=CODE_TRIES_PER_IP_PER_HOUR,
            period=3600,
        ):
            form.is_valid()
            form.add_error(None, _("Too many tries from here. Wait a while and try again."))
            status = 429
        elif form.is_valid():
            try:
                services.subscription_confirm_code(
                    subscription=subscription, code=form.cleaned_data["code"]
                )
            except (ValidationError, TorgetError) as exc:
                _refuse(form, exc)
            else:
                messages.success(request, _("Your number is confirmed: your SMS alerts are on."))
                return redirect("alerts:subscription-manage", token=token)
    context = {
        "subscription": subscription,
        "form": form,
        "email_too": request.GET.get("epost") == "1",
        "email": request.session.get(_SESSION_EMAIL, ""),
    }
    return render(request, "alerts/subscription_code.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def subscription_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail's confirmation link: a page with one button (a link opened by a mail
    scanner confirms nothing), and the confirmation itself on POST."""
    subscription = _get(request, token)
    if subscription.medium != Medium.EMAIL:
        raise Http404
    if request.method == "POST":
        try:
            services.subscription_confirm_link(token=token)
        except TorgetError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Your e-mail address is confirmed: your alerts are on."))
        return redirect("alerts:subscription-manage", token=token)
    if subscription.status != Subscription.Status.PENDING:
        return redirect("alerts:subscription-manage", token=token)
    return render(request, "alerts/subscription_confirm.html", {"subscription": subscription})


def _change_initial(subscription: Subscription) -> dict[str, Any]:
    return {
        "radius_m": subscription.radius_m,
        "topics": [topic.value for topic in subscription.topic_list()],
        "lat": round(subscription.lat, 6),
        "lon": round(subscription.lon, 6),
        "address": (
            f"{subscription.address.street} {subscription.address.number}".strip()
            if subscription.address
            else ""
        ),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def subscription_manage(request: HttpRequest, token: str) -> HttpResponse:
    """See a subscription, and change its topics, radius or place."""
    subscription = _get(request, token)
    form: PlaceForm | None = None
    status = 200
    if subscription.status != Subscription.Status.UNSUBSCRIBED:
        form = ChangeForm(
            request.POST if request.method == "POST" else None,
            municipality=_municipality(request),
            initial=_change_initial(subscription),
        )
        if request.method == "POST":
            status = 422
            if form.is_valid():
                try:
                    services.subscription_change(
                        subscription=subscription,
                        actor=None,
                        token=token,
                        topics=form.topic_mask(),
                        place=form.place(),
                        radius_m=form.cleaned_data.get("radius_m"),
                    )
                except (ValidationError, TorgetError, PermissionDenied) as exc:
                    _refuse(form, exc)
                else:
                    messages.success(request, _("Your subscription has been changed."))
                    return redirect("alerts:subscription-manage", token=token)
    elif request.method == "POST":
        raise Http404
    context = {"subscription": subscription, "form": form, **_map_context()}
    return render(request, "alerts/subscription_manage.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def subscription_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Ask "end this subscription?", and end it on POST."""
    subscription = _get(request, token)
    if request.method == "POST":
        services.subscription_unsubscribe(subscription=subscription, actor=None, token=token)
        messages.success(request, _("You have unsubscribed. You will get no more alerts here."))
        return redirect("alerts:subscription-manage", token=token)
    if subscription.status == Subscription.Status.UNSUBSCRIBED:
        return redirect("alerts:subscription-manage", token=token)
    return render(request, "alerts/subscription_unsubscribe.html", {"subscription": subscription})


@require_http_methods(["GET", "HEAD"])
def address_suggest(request: HttpRequest) -> JsonResponse:
    """Addresses of the register matching `q`, for the sign-up form's suggestions (JavaScript
    only; without it the form searches when it is sent)."""
    matches = selectors.address_search(
        municipality=_municipality(request), text=request.GET.get("q", "")[:140]
    )
    return JsonResponse({"addresses": [str(address) for address in matches]})

"""Residents' subscriptions to alerts: start, confirm (double opt-in), change, unsubscribe, and
STOP by SMS.

A subscription starts pending and reaches nobody until it is confirmed: an e-mail address by
the link in a confirmation e-mail (the subscription's secret token), a phone number by a
six-digit code sent by SMS. A resident logged in on Min side who subscribes their own verified
e-mail address skips the confirmation: the address is already proven theirs.

The SMS code is never stored. `code_hash` keeps when the code was issued and a random nonce;
the code is an HMAC of the token and the nonce under the secret key. With a keyed derivation
the database alone reveals nothing (an unkeyed hash of six digits would fall to a million
guesses), and the task that sends the code can recompute it from the subscription's id: it
takes ids, like every task, and sends the same code if it runs twice. A code lives
CODE_LIFETIME and allows MAX_CODE_ATTEMPTS wrong guesses; a new code (rate-limited) starts over.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from torget.accounts.models import User
from torget.alerts import geo
from torget.alerts.models import ALL_TOPICS, Address, Medium, Subscription
from torget.alerts.sms import phone_normalise
from torget.alerts.targeting import MAX_RADIUS_M
from torget.core.errors import InvalidTransition, RateLimited
from torget.core.ratelimit import ratelimit_hit
from torget.organisation.models import Municipality

CODE_LIFETIME = datetime.timedelta(minutes=30)
MAX_CODE_ATTEMPTS = 5
CODE_DIGITS = 6
# New codes for one subscription: at most this many an hour (each lets MAX_CODE_ATTEMPTS guesses).
CODE_RESENDS_PER_HOUR = 3
# Confirmation messages to one destination: at most this many an hour, so that the form cannot
# be used to flood somebody's phone or mailbox.
STARTS_PER_DESTINATION_PER_HOUR = 5


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a subscription is about: an address of the register, or a point (WGS 84), and a
    radius in metres around it."""

    address: Address | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: int = 0


@dataclasses.dataclass(frozen=True)
class _Resolved:
    address: Address | None
    label: str
    x: float
    y: float
    lat: float
    lon: float
    radius_m: int


def _place_resolve(municipality: Municipality, place: Place) -> _Resolved:
    """Check the place and compute both coordinate pairs. Raises ValidationError by field."""
    errors: dict[str, list[str]] = {}
    if not 0 <= place.radius_m <= MAX_RADIUS_M:
        errors["radius_m"] = [
            _("The radius must be between 0 and %(max)s metres.") % {"max": MAX_RADIUS_M}
        ]
    resolved: _Resolved | None = None
    if place.address is not None:
        address = place.address
        if address.municipality_id != municipality.pk:
            errors["address"] = [_("Choose an address in the municipality's register.")]
        else:
            resolved = _Resolved(
                address, str(address), address.x, address.y, address.lat, address.lon, 0
            )
    elif place.lat is not None and place.lon is not None:
        if not geo.in_norway(place.lon, place.lat):
            errors["lat"] = [
                _(
                    "The point %(lat).5f, %(lon).5f is not in Norway: are latitude and "
                    "longitude swapped?"
                )
                % {"lat": place.lat, "lon": place.lon}
            ]
        else:
            x, y = geo.to_25833(place.lon, place.lat)
            label = _("Point %(lat).5f, %(lon).5f") % {"lat": place.lat, "lon": place.lon}
            resolved = _Resolved(None, label, x, y, place.lat, place.lon, 0)
    else:
        errors["address"] = [_("Give an address, or choose a point on the map.")]
    if errors or resolved is None:
        raise ValidationError(errors)
    return dataclasses.replace(resolved, radius_m=place.radius_m)


def _topics_check(topics: int) -> None:
    if topics <= 0 or topics & ~ALL_TOPICS:
        raise ValidationError({"topics": [_("Choose at least one topic.")]})


def _email_normalise(text: str) -> str:
    value = (text or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError as error:
        raise ValidationError(
            _("“%(email)s” is not an e-mail address."), params={"email": text.strip()}
        ) from error
    return value


def _has_verified_email(user: User, address: str) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=address, verified=True).exists()


# --- the SMS code ---------------------------------------------------------------------------


def _code_for(token: str, nonce: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"alert-code:{token}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def _code_issue(subscription: Subscription, now: datetime.datetime) -> None:
    """Give the subscription a new code (not saved): issued now, no attempts used."""
    subscription.code_hash = f"v1${int(now.timestamp())}${secrets.token_hex(16)}"
    subscription.code_attempts = 0


def subscription_code(subscription: Subscription) -> str:
    """The code the subscription's SMS carries (for the task that sends it). Empty when it has
    none."""
    parts = subscription.code_hash.split("$")
    if len(parts) != 3:
        return ""
    return _code_for(subscription.token, parts[2])


def _code_issued_at(subscription: Subscription) -> datetime.datetime | None:
    parts = subscription.code_hash.split("$")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return datetime.datetime.fromtimestamp(int(parts[1]), tz=datetime.UTC)


# --- writes ---------------------------------------------------------------------------------


def _on_commit_send(subscription: Subscription) -> None:
    from torget.alerts import subscription_tasks as tasks

    pk = subscription.pk
    if subscription.medium == Medium.EMAIL:
        transaction.on_commit(lambda: tasks.send_subscription_confirmation.enqueue(pk))
    else:
        transaction.on_commit(lambda: tasks.send_subscription_code.enqueue(pk))


@transaction.atomic
def subscription_start(
    *,
    municipality: Municipality,
    actor: User | None,
    place: Place,
    topics: int,
    phone: str = "",
    email: str = "",
    language: str = "",
) -> list[Subscription]:
    """Subscribe a phone number and/or an e-mail address to alerts about `place` and `topics`:
    one pending subscription per medium, each sent its confirmation after commit (a code by
    SMS, a link by e-mail).

    `actor` is None for a resident without an account. A logged-in resident's subscriptions are
    theirs (shown on Min side); an e-mail address they have verified is active at once.
    Raises ValidationError by field (`phone`, `email`, `address`, `lat`, `radius_m`, `topics`)
    and RateLimited when one destination has been sent too many confirmations.
    """
    errors: dict[str, list[str]] = {}
    resolved: _Resolved | None = None
    try:
        resolved = _place_resolve(municipality, place)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        _topics_check(topics)
    except ValidationError as error:
        errors.update(error.message_dict)
    destinations: list[tuple[str, str]] = []
    if phone.strip():
        try:
            destinations.append((Medium.SMS, phone_normalise(phone)))
        except ValidationError as error:
            errors["phone"] = error.messages
    if email.strip():
        try:
            destinations.append((Medium.EMAIL, _email_normalise(email)))
        except ValidationError as error:
            errors["email"] = error.messages
    if not phone.strip() and not email.strip():
        errors["phone"] = [_("Give a mobile number, an e-mail address or both.")]
    if errors or resolved is None:
        raise ValidationError(errors)
    now = timezone.now()
    user = actor if actor is not None and actor.is_authenticated else None
    created = []
    for medium, destination in destinations:
        active_at_once = (
            medium == Medium.EMAIL and user is not None and _has_verified_email(user, destination)
        )
        if not active_at_once and not ratelimit_hit(
            f"alert-subscribe:{municipality.pk}:{destination}",
            limit=STARTS_PER_DESTINATION_PER_HOUR,
            period=3600,
        ):
            raise RateLimited(
                _(
                    "Many confirmations have been sent to %(destination)s in the last hour. "
                    "Wait a while and try again."
                )
                % {"destination": destination}
            )
        subscription = Subscription(
            municipality=municipality,
            user=user,
            medium=medium,
            destination=destination,
            address=resolved.address,
            place_label=resolved.label[:200],
            x=resolved.x,
            y=resolved.y,
            lat=resolved.lat,
            lon=resolved.lon,
            radius_m=resolved.radius_m,
            topics=topics,
            language=language[:5],
            source=Subscription.Source.WEB,
        )
        if active_at_once:
            subscription.status = Subscription.Status.ACTIVE
            subscription.confirmed_at = now
        elif medium == Medium.SMS:
            _code_issue(subscription, now)
        subscription.save()
        if not active_at_once:
            _on_commit_send(subscription)
        created.append(subscription)
    return created


@transaction.atomic
def subscription_confirm_link(*, token: str) -> Subscription:
    """Confirm a pending e-mail subscription by the token of its confirmation link. Confirming
    again changes nothing. Raises InvalidTransition for an unknown token or an unsubscribed
    subscription."""
    subscription = (
        Subscription.objects.select_for_update().filter(token=token, medium=Medium.EMAIL).first()
    )
    if subscription is None:
        raise InvalidTransition(_("This confirmation link is not valid."))
    if subscription.status == Subscription.Status.UNSUBSCRIBED:
        raise InvalidTransition(
            _("This subscription has been ended. Subscribe again to get alerts.")
        )
    if subscription.status == Subscription.Status.PENDING:
        subscription.status = Subscription.Status.ACTIVE
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["status", "confirmed_at"])
    return subscription


def subscription_confirm_code(*, subscription: Subscription, code: str) -> Subscription:
    """Confirm a pending SMS subscription with the code it was sent.

    Each wrong code uses one of MAX_CODE_ATTEMPTS; a code older than CODE_LIFETIME, or one whose
    attempts are used up, no longer works (ask for a new one). Raises ValidationError (on
    `code`) for a wrong, spent or expired code and InvalidTransition when there is nothing to
    confirm. A wrong code's attempt is committed before the error is raised.
    """
    error: ValidationError | None = None
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.medium != Medium.SMS or locked.status == Subscription.Status.UNSUBSCRIBED:
            raise InvalidTransition(_("There is nothing to confirm here."))
        if locked.status == Subscription.Status.ACTIVE:
            return locked
        issued = _code_issued_at(locked)
        if issued is None or timezone.now() - issued > CODE_LIFETIME:
            raise ValidationError(
                {"code": [_("The code has expired. Ask for a new code.")]}, code="expired"
            )
        if locked.code_attempts >= MAX_CODE_ATTEMPTS:
            raise ValidationError(
                {"code": [_("Too many wrong codes. Ask for a new code.")]}, code="spent"
            )
        typed = "".join((code or "").split())
        if hmac.compare_digest(typed.encode(), subscription_code(locked).encode()):
            locked.status = Subscription.Status.ACTIVE
            locked.confirmed_at = timezone.now()
            locked.code_hash = ""
            locked.save(update_fields=["status", "confirmed_at", "code_hash"])
            return locked
        locked.code_attempts += 1
        locked.save(update_fields=["code_attempts"])
        left = MAX_CODE_ATTEMPTS - locked.code_attempts
        if left <= 0:
            message = _("Wrong code, and no tries are left. Ask for a new code.")
        else:
            message = _("Wrong code. %(left)s tries left.") % {"left": left}
        error = ValidationError({"code": [message]}, code="wrong")
    # Raised outside the atomic block, which would otherwise roll the counted attempt back.
    raise error


@transaction.atomic
def subscription_code_resend(*, subscription: Subscription) -> Subscription:
    """Issue a new SMS code for a pending subscription and send it after commit. Raises
    RateLimited after CODE_RESENDS_PER_HOUR new codes in an hour, InvalidTransition when the
    subscription is not waiting for a code."""
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.medium != Medium.SMS or locked.status != Subscription.Status.PENDING:
        raise InvalidTransition(_("There is nothing to confirm here."))
    if not ratelimit_hit(f"alert-code:{locked.pk}", limit=CODE_RESENDS_PER_HOUR, period=3600):
        raise RateLimited(_("Several codes have been sent already. Wait an hour and try again."))
    _code_issue(locked, timezone.now())
    locked.save(update_fields=["code_hash", "code_attempts"])
    _on_commit_send(locked)
    return locked


def _check_owner(actor: User | None, subscription: Subscription, token: str | None) -> None:
    """The holder of the subscription's token, or its logged-in owner, may change it."""
    if token is not None and hmac.compare_digest(token, subscription.token):
        return
    if actor is not None and actor.is_authenticated and subscription.user_id == actor.pk:
        return
    raise PermissionDenied(_("You may not change this subscription."))


@transaction.atomic
def subscription_change(
    *,
    subscription: Subscription,
    actor: User | None,
    token: str | None = None,
    topics: int,
    place: Place | None = None,
    radius_m: int | None = None,
) -> Subscription:
    """Change the topics, and the place or only the radius, of a subscription that has not been
    ended. The holder of its token or its logged-in owner may. Raises ValidationError by field,
    PermissionDenied and InvalidTransition (an ended subscription)."""
    _check_owner(actor, subscription, token)
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.status == Subscription.Status.UNSUBSCRIBED:
        raise InvalidTransition(
            _("This subscription has been ended. Subscribe again to get alerts.")
        )
    _topics_check(topics)
    locked.topics = topics
    fields = ["topics"]
    if place is not None:
        resolved = _place_resolve(locked.municipality, place)
        locked.address = resolved.address
        locked.place_label = resolved.label[:200]
        locked.x, locked.y, locked.lat, locked.lon = (
            resolved.x,
            resolved.y,
            resolved.lat,
            resolved.lon,
        )
        locked.radius_m = resolved.radius_m
        fields += ["address", "place_label", "x", "y", "lat", "lon", "radius_m"]
    elif radius_m is not None:
        if not 0 <= radius_m <= MAX_RADIUS_M:
            raise ValidationError(
                {
                    "radius_m": [
                        _("The radius must be between 0 and %(max)s metres.")
                        % {"max": MAX_RADIUS_M}
                    ]
                }
            )
        locked.radius_m = radius_m
        fields.append("radius_m")
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def subscription_unsubscribe(
    *, subscription: Subscription, actor: User | None, token: str | None = None
) -> Subscription:
    """End a subscription (pending or active): no alert reaches it any more. Ending it again
    changes nothing. The holder of its token or its logged-in owner may."""
    _check_owner(actor, subscription, token)
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.status != Subscription.Status.UNSUBSCRIBED:
        locked.status = Subscription.Status.UNSUBSCRIBED
        locked.unsubscribed_at = timezone.now()
        locked.code_hash = ""
        locked.save(update_fields=["status", "unsubscribed_at", "code_hash"])
    return locked


@transaction.atomic
def subscriptions_stop(*, municipality: Municipality, destination: str) -> int:
    """STOP by SMS (or e-mail): end every subscription of `destination` in `municipality` that
    is active or waiting for confirmation. Returns how many were ended."""
    value = destination.strip()
    if "@" in value:
        value = value.lower()
    else:
        # A number we cannot read is compared as it came: no stored number matches it.
        with contextlib.suppress(ValidationError):
            value = phone_normalise(value, sms=False)
    return Subscription.objects.filter(
        municipality=municipality,
        destination=value,
        status__in=[Subscription.Status.ACTIVE, Subscription.Status.PENDING],
    ).update(status=Subscription.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now(), code_hash="")

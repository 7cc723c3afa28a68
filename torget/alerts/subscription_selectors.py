"""Reads for subscriptions: the address search of the sign-up form, a subscription by its
secret, and a resident's own subscriptions for Min side."""

from __future__ import annotations

from django.db.models import QuerySet

from torget.accounts.models import User
from torget.alerts.models import Address, Subscription
from torget.organisation.models import Municipality

SEARCH_LIMIT = 10


def address_normalise(text: str) -> str:
    """What a resident typed as an address, in the register's `search_key` form: lower case,
    single spaces, without a trailing ", postcode place"."""
    head = (text or "").split(",", 1)[0]
    return " ".join(head.lower().split())


def address_search(
    *, municipality: Municipality, text: str, limit: int = SEARCH_LIMIT
) -> list[Address]:
    """Addresses of the register matching what was typed: the exact address when there is one,
    else those beginning with it ("storgata 1" finds Storgata 1, 10, 12 ...), by street and
    number. A postcode after a comma chooses among equal addresses. An empty text finds
    nothing."""
    key = address_normalise(text)
    if not key:
        return []
    base = Address.objects.filter(municipality=municipality)
    exact = list(base.filter(search_key=key).order_by("postcode", "pk")[:limit])
    if len(exact) > 1:
        # "Storgata 5, 0150 Oslo" (a suggestion taken as it was shown) picks by postcode.
        tail = text.split(",", 1)[1].split() if "," in text else []
        if tail:
            exact = [a for a in exact if a.postcode == tail[0]] or exact
    if exact:
        return exact
    return list(base.filter(search_key__startswith=key).order_by("search_key", "pk")[:limit])


def address_get(*, municipality: Municipality, pk: int) -> Address | None:
    return Address.objects.filter(municipality=municipality, pk=pk).first()


def subscription_get_by_token(*, municipality: Municipality, token: str) -> Subscription | None:
    """The subscription whose secret is `token`, in this municipality."""
    if not token:
        return None
    return (
        Subscription.objects.select_related("address")
        .filter(municipality=municipality, token=token)
        .first()
    )


def subscription_list_for_user(*, user: User, municipality: Municipality) -> QuerySet[Subscription]:
    """The person's subscriptions in this municipality that have not been ended, newest
    first."""
    return (
        Subscription.objects.filter(user_id=user.pk, municipality=municipality)
        .exclude(status=Subscription.Status.UNSUBSCRIBED)
        .select_related("address")
        .order_by("-created_at", "-pk")
    )

"""Min side and the person's rights over their data, as a registry.

`accounts` sits below the modules that hold a person's cases, questions and subscriptions, so
it never imports them (DESIGN.md §2). Each module registers, from its AppConfig.ready():

- a *section* of Min side: a title, a template, and a function giving the template its context
  for the person (`context(user, municipality, page)`; `page` is the section's own page number
  from the query string, `?<key>_page=2`, for sections that list many things);
- a *personal-data provider*: `fn(user)` returning what the module holds about the person as
  JSON-able data, under its key in "my data";
- an *erasure blocker*: `fn(user)` returning reasons (lazy-translated text, each with a link)
  why the account may not be deleted now, e.g. an open case;
- an *erasure step*: `fn(user)`, run in the deleting transaction before the account row goes,
  for data that must go with it although its foreign key would only be emptied (SET_NULL).

The account itself and its roles are this module's own key ("account", "memberships").
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.core.errors import RateLimited
from torget.core.ratelimit import ratelimit_hit
from torget.organisation.models import Membership, Municipality

SectionContext = Callable[[User, Municipality, str | None], dict[str, Any]]
PersonalData = Callable[[User], Any]
ErasureBlocker = Callable[[User], list[Any]]
ErasureStep = Callable[[User], None]

# At most this many attempts to delete one's account an hour (a guessed password each).
DELETE_ATTEMPTS_PER_HOUR = 5


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    template: str
    context: SectionContext
    order: int

    @property
    def page_param(self) -> str:
        return f"{self.key}_page"


_sections: dict[str, Section] = {}
_personal_data: dict[str, PersonalData] = {}
_blockers: list[ErasureBlocker] = []
_erasure_steps: list[ErasureStep] = []


def register_section(
    key: str,
    title: str | Promise,
    template: str,
    context: SectionContext,
    order: int = 100,
) -> None:
    """Add (or replace) the section `key` of Min side, shown in ascending `order`."""
    _sections[key] = Section(key=key, title=title, template=template, context=context, order=order)


def register_personal_data(key: str, fn: PersonalData) -> None:
    """Add what a module holds about a person to "my data", under `key`."""
    _personal_data[key] = fn


def register_erasure_blocker(fn: ErasureBlocker) -> None:
    """Add a reason-giver that may stop a person from deleting their account now."""
    if fn not in _blockers:
        _blockers.append(fn)


def register_erasure_step(fn: ErasureStep) -> None:
    """Add a step run, in the deleting transaction, before the account row is deleted."""
    if fn not in _erasure_steps:
        _erasure_steps.append(fn)


def section_list() -> list[Section]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


@dataclass(frozen=True)
class RenderedSection:
    section: Section
    context: dict[str, Any]


def section_contexts(
    *, user: User, municipality: Municipality, params: dict[str, str]
) -> list[RenderedSection]:
    """Each registered section with its context for `user`, in order."""
    return [
        RenderedSection(
            section=section,
            context={
                **section.context(user, municipality, params.get(section.page_param)),
                "section": section,
            },
        )
        for section in section_list()
    ]


def personal_data_keys() -> list[str]:
    return sorted(["account", "memberships", *_personal_data])


def _account_data(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "language": user.language,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_active": user.is_active,
        "has_password": user.has_usable_password(),
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        # What kind of second factor, and when; never its secret.
        "authenticators": [
            {"type": a.type, "created_at": a.created_at, "last_used_at": a.last_used_at}
            for a in Authenticator.objects.filter(user=user).order_by("pk")
        ],
    }


def _membership_data(user: User) -> list[dict[str, Any]]:
    return [
        {
            "municipality": m.unit.municipality.name,
            "unit": m.unit.name,
            "role": m.role,
        }
        for m in Membership.objects.filter(user=user)
        .select_related("unit__municipality")
        .order_by("unit__municipality__name", "unit__path", "role")
    ]


def personal_data_collect(*, user: User) -> dict[str, Any]:
    """Everything Torget holds about `user`, by module key: the account (never the password
    hash), their roles, and what each registered module contributes."""
    data: dict[str, Any] = {
        "exported_at": datetime.datetime.now(tz=datetime.UTC),
        "account": _account_data(user),
        "memberships": _membership_data(user),
    }
    for key in sorted(_personal_data):
        data[key] = _personal_data[key](user)
    return data


def _roles_blocker(user: User) -> list[Any]:
    if Membership.objects.filter(user=user).exists():
        return [
            _(
                "You hold roles in the municipality's units. Ask a unit administrator to "
                "remove them before you delete your account."
            )
        ]
    return []


def erasure_blockers(*, user: User) -> list[Any]:
    """Why `user` may not delete their account now (empty: nothing stops it)."""
    reasons: list[Any] = list(_roles_blocker(user))
    for fn in _blockers:
        reasons.extend(fn(user))
    return reasons


@transaction.atomic
def account_delete(*, actor: User, password: str = "", email: str = "") -> None:
    """Delete `actor`'s own account, confirmed with the password (or, for an account that logs
    in only by one-time code, the e-mail address typed again).

    Runs every registered erasure step, then deletes the account: drafts, follows and the like
    go with it (CASCADE), closed cases and written messages stay as the municipality's
    records without the person (SET_NULL). Raises RateLimited after too many attempts,
    ValidationError for a wrong password (on "password") or address (on "email"),
    PermissionDenied while a blocker gives a reason.
    """
    if not ratelimit_hit(f"account-delete:{actor.pk}", limit=DELETE_ATTEMPTS_PER_HOUR, period=3600):
        raise RateLimited(_("You have tried many times. Wait an hour and try again."))
    if actor.has_usable_password():
        if not actor.check_password(password or ""):
            raise ValidationError(
                {"password": [_("The password is not correct.")]}, code="wrong_password"
            )
    elif (email or "").strip().lower() != actor.email.lower():
        raise ValidationError(
            {"email": [_("Type the e-mail address of your account.")]}, code="wrong_email"
        )
    user = User.objects.select_for_update().get(pk=actor.pk)
    if erasure_blockers(user=user):
        raise PermissionDenied(_("Something stops your account from being deleted now."))
    for step in _erasure_steps:
        step(user)
    user.delete()

"""Every write to life situations, information pages and their versions (the feedback on
pages is written in `torget.services.feedback`).

Each service takes keyword arguments and an explicit `actor`, runs in one transaction, checks
permissions and keeps the search index in step in the same transaction.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.organisation.models import Municipality, Unit
from torget.services import policies
from torget.services.models import InfoPage, InfoPageVersion, Language, LifeSituation
from torget.services.search import page_index, page_unindex

MAX_TITLE = 200
MAX_SUMMARY = 400
MAX_BODY = 50_000
MAX_CONTACT = 2_000
MAX_NOTE = 300
MAX_REVIEW_DAYS = 3_650
# Slugs the public URLs use for themselves (/tjenester/side/...).
RESERVED_SLUGS = frozenset({"side"})


@dataclass(frozen=True)
class PageFields:
    """What a staff member writes on a page. `slug` may be blank: it is made from the title."""

    title: str
    summary: str
    body: str
    contact: str = ""
    slug: str = ""
    language: str = ""
    life_situations: tuple[LifeSituation, ...] = ()
    is_published: bool = False
    review_every_days: int = 365


def too_long(max_length: int, length: int) -> ValidationError:
    """The error for a text of `length` characters where `max_length` are allowed."""
    return ValidationError(
        _("The text is too long: at most %(max)d characters, you wrote %(length)d."),
        code="too_long",
        params={"max": max_length, "length": length},
    )


def _slug_taken(slug: str, *, municipality: Municipality, page: InfoPage | None) -> bool:
    others = InfoPage.objects.filter(municipality=municipality, slug=slug)
    if page is not None:
        others = others.exclude(pk=page.pk)
    return others.exists()


def _clean_fields(
    fields: PageFields, *, municipality: Municipality, page: InfoPage | None
) -> PageFields:
    """`fields` stripped and checked. Raises ValidationError with the errors per field."""
    errors: dict[str, list[ValidationError]] = {}
    title = (fields.title or "").strip()
    summary = " ".join((fields.summary or "").split())
    body = (fields.body or "").strip()
    contact = (fields.contact or "").strip()
    if not title:
        errors["title"] = [ValidationError(_("Give the page a title."), code="empty")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [too_long(MAX_TITLE, len(title))]
    if not summary:
        errors["summary"] = [
            ValidationError(_("Say in a sentence or two what the page is about."), code="empty")
        ]
    elif len(summary) > MAX_SUMMARY:
        errors["summary"] = [too_long(MAX_SUMMARY, len(summary))]
    if not body:
        errors["body"] = [ValidationError(_("Write the text of the page."), code="empty")]
    elif len(body) > MAX_BODY:
        errors["body"] = [too_long(MAX_BODY, len(body))]
    if len(contact) > MAX_CONTACT:
        errors["contact"] = [too_long(MAX_CONTACT, len(contact))]
    slug = slugify((fields.slug or "").strip() or title)[:80].strip("-")
    if title and not slug:
        errors["slug"] = [
            ValidationError(_("Give the page an address name with letters or digits."), "empty")
        ]
    elif slug in RESERVED_SLUGS:
        errors["slug"] = [ValidationError(_("This address name is taken."), code="taken")]
    elif slug and _slug_taken(slug, municipality=municipality, page=page):
        errors["slug"] = [
            ValidationError(
                _("Another page already has the address name “%(slug)s”."),
                code="taken",
                params={"slug": slug},
            )
        ]
    language = fields.language or (page.language if page else municipality.malform)
    if language not in Language.values:
        errors["language"] = [ValidationError(_("Choose a language."), code="language")]
    if not 1 <= fields.review_every_days <= MAX_REVIEW_DAYS:
        errors["review_every_days"] = [
            ValidationError(
                _("Review the page at least every %(max)d days."),
                code="range",
                params={"max": MAX_REVIEW_DAYS},
            )
        ]
    foreign = [s for s in fields.life_situations if s.municipality_id != municipality.pk]
    if foreign:
        errors["life_situations"] = [
            ValidationError(_("Choose life situations of this municipality."), code="foreign")
        ]
    if errors:
        raise ValidationError(errors)
    return PageFields(
        title=title,
        summary=summary,
        body=body,
        contact=contact,
        slug=slug,
        language=language,
        life_situations=tuple(fields.life_situations),
        is_published=fields.is_published,
        review_every_days=fields.review_every_days,
    )


def _review_due(last_reviewed_on: datetime.date, every_days: int) -> datetime.date:
    return last_reviewed_on + datetime.timedelta(days=every_days)


def _version_add(
    page: InfoPage, *, actor: User | None, note: str, at: datetime.datetime
) -> InfoPageVersion:
    """Write the page's text as its next version. The page row is locked by the caller, so
    two saves at once cannot take the same number."""
    last = page.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return InfoPageVersion.objects.create(
        page=page,
        number=last + 1,
        title=page.title,
        summary=page.summary,
        body=page.body,
        contact=page.contact,
        author=actor,
        at=at,
        note=(note or "").strip()[:MAX_NOTE],
    )


def _lock(page: InfoPage) -> InfoPage:
    return InfoPage.objects.select_for_update().select_related("unit").get(pk=page.pk)


@transaction.atomic
def situation_ensure(
    *, municipality: Municipality, slug: str, title: str, intro: str = "", position: int = 0
) -> tuple[LifeSituation, bool]:
    """The life situation `slug` of `municipality`, created with these texts if missing
    (returns it and whether it was created). For set-up and the demo; staff do not edit
    life situations from the site."""
    if slug in RESERVED_SLUGS:
        raise ValueError(f"{slug!r} is reserved")
    return LifeSituation.objects.get_or_create(
        municipality=municipality,
        slug=slug,
        defaults={"title": title, "intro": intro, "position": position},
    )


@transaction.atomic
def page_create(
    *,
    unit: Unit,
    actor: User | None,
    fields: PageFields,
    note: str = "",
    reviewed_on: datetime.date | None = None,
    at: datetime.datetime | None = None,
) -> InfoPage:
    """Write a new information page for `unit`, with its first version. A published page goes
    into the search index. `actor` None is the system (set-up, the demo).

    Raises PermissionDenied unless `actor` edits pages of `unit`, ValidationError with errors
    per field (title, summary, body, contact, slug, language, review_every_days,
    life_situations).
    """
    if actor is not None and not policies.can_edit_pages_of_unit(actor, unit):
        raise PermissionDenied
    municipality = unit.municipality
    clean = _clean_fields(fields, municipality=municipality, page=None)
    now = at or timezone.now()
    reviewed = reviewed_on or timezone.localdate(now)
    page = InfoPage.objects.create(
        municipality=municipality,
        unit=unit,
        slug=clean.slug,
        title=clean.title,
        summary=clean.summary,
        body=clean.body,
        contact=clean.contact,
        language=clean.language,
        is_published=clean.is_published,
        last_reviewed_on=reviewed,
        review_every_days=clean.review_every_days,
        review_due_on=_review_due(reviewed, clean.review_every_days),
    )
    page.life_situations.set(clean.life_situations)
    _version_add(page, actor=actor, note=note or str(_("Created the page")), at=now)
    page_index(page)
    return page


@transaction.atomic
def page_update(
    *,
    page: InfoPage,
    actor: User,
    fields: PageFields,
    note: str = "",
    unit: Unit | None = None,
    at: datetime.datetime | None = None,
) -> InfoPage:
    """Save a staff member's changes as a new version, and bring the search index in line
    (published and changed: updated; unpublished: taken out). `unit` hands the page to
    another unit, which `actor` must also edit for.

    Raises PermissionDenied and ValidationError as `page_create` does.
    """
    page = _lock(page)
    if not policies.can_edit_page(actor, page):
        raise PermissionDenied
    if unit is not None and unit.pk != page.unit_id:
        if unit.municipality_id != page.municipality_id or not policies.can_edit_pages_of_unit(
            actor, unit
        ):
            raise PermissionDenied
        page.unit = unit
    clean = _clean_fields(fields, municipality=page.unit.municipality, page=page)
    previous_language = page.language
    page.slug = clean.slug
    page.title = clean.title
    page.summary = clean.summary
    page.body = clean.body
    page.contact = clean.contact
    page.language = clean.language
    page.is_published = clean.is_published
    page.review_every_days = clean.review_every_days
    page.review_due_on = _review_due(page.last_reviewed_on, clean.review_every_days)
    page.save()
    page.life_situations.set(clean.life_situations)
    _version_add(page, actor=actor, note=note, at=at or timezone.now())
    page_index(page, previous_language=previous_language)
    return page


@transaction.atomic
def page_mark_reviewed(*, page: InfoPage, actor: User, on: datetime.date | None = None) -> InfoPage:
    """Say the page was checked and is still right: its next review is due
    `review_every_days` from `on` (today), and a new overdue period may be reminded again."""
    page = _lock(page)
    if not policies.can_edit_page(actor, page):
        raise PermissionDenied
    day = on or timezone.localdate()
    page.last_reviewed_on = day
    page.review_due_on = _review_due(day, page.review_every_days)
    page.reminded_at = None
    page.save(update_fields=["last_reviewed_on", "review_due_on", "reminded_at", "updated_at"])
    return page


@transaction.atomic
def page_restore_version(
    *, page: InfoPage, actor: User, version: InfoPageVersion, at: datetime.datetime | None = None
) -> InfoPageVersion:
    """Undo: put the text of `version` back on the page. This writes a new version (the
    history is never rewritten) and updates the search index."""
    page = _lock(page)
    if not policies.can_edit_page(actor, page):
        raise PermissionDenied
    if version.page_id != page.pk:
        raise PermissionDenied
    page.title = version.title
    page.summary = version.summary
    page.body = version.body
    page.contact = version.contact
    page.save()
    restored = _version_add(
        page,
        actor=actor,
        note=str(_("Restored version %(number)d") % {"number": version.number}),
        at=at or timezone.now(),
    )
    page_index(page)
    return restored


@transaction.atomic
def page_delete(*, page: InfoPage, actor: User) -> None:
    """Delete the page with its versions and feedback, and take it out of the search index.
    Threads opened from its feedback stay in the inbox."""
    page = _lock(page)
    if not policies.can_edit_page(actor, page):
        raise PermissionDenied
    page_id = page.pk
    page.delete()
    page_unindex(page_id)

"""Every write to hearings, their sections and statements.

Staff who run the process (policies.can_manage_process) create and edit hearings and sections;
each change puts the hearing in the search index in the same transaction. A resident submits a
statement with `statement_submit`: one transaction opens its thread (channel `hearing`), gives
it the next number of the hearing and stores its attachments. Statements are answered with
the conversation services (thread_answer, one answer to many included).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, models, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.conversations.models import Channel, Visibility
from torget.conversations.services import thread_open
from torget.pages import files
from torget.participation import policies, search
from torget.participation.models import (
    Hearing,
    HearingSection,
    Process,
    Statement,
    StatementAttachment,
)

MAX_ATTACHMENTS = 3
MAX_TITLE = 200
MAX_HEADING = 200
MAX_ON_BEHALF_OF = 200
# How often a statement's number is tried again when another one took it meanwhile.
NUMBER_ATTEMPTS = 5


def format_moment(moment: datetime.datetime) -> str:
    """ "15 January 2027 at 23:59" in the municipality's time zone and the active language."""
    local = timezone.localtime(moment)
    return gettext("%(date)s at %(time)s") % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "TIME_FORMAT"),
    }


def closed_message(hearing: Hearing) -> str:
    return gettext("The closing date was %(moment)s. Statements are no longer accepted.") % {
        "moment": format_moment(hearing.closes_at)
    }


def not_open_message(hearing: Hearing) -> str:
    return gettext("The hearing opens on %(moment)s. Statements are accepted from then.") % {
        "moment": format_moment(hearing.opens_at)
    }


def _require_manager(actor: User, process: Process) -> None:
    if not policies.can_manage_process(actor, process):
        raise PermissionDenied


def _clean_hearing(
    title: str, opens_at: datetime.datetime | None, closes_at: datetime.datetime | None
) -> str:
    errors: dict[str, list[ValidationError]] = {}
    text = (title or "").strip()
    if not text:
        errors["title"] = [ValidationError(_("Give the hearing a title."), code="required")]
    elif len(text) > MAX_TITLE:
        errors["title"] = [
            ValidationError(_("The title is too long: at most 200 characters."), code="too_long")
        ]
    if opens_at is None:
        errors["opens_at"] = [ValidationError(_("Give the opening time."), code="required")]
    if closes_at is None:
        errors["closes_at"] = [ValidationError(_("Give the closing date."), code="required")]
    elif opens_at is not None and closes_at <= opens_at:
        errors["closes_at"] = [
            ValidationError(_("The closing date must come after the opening."), code="order")
        ]
    if errors:
        raise ValidationError(errors)
    return text


@transaction.atomic
def hearing_create(
    *,
    process: Process,
    actor: User,
    title: str,
    intro: str = "",
    opens_at: datetime.datetime | None,
    closes_at: datetime.datetime | None,
) -> Hearing:
    """A new hearing of `process`. Raises PermissionDenied unless `actor` runs the process,
    ValidationError for a missing title or a closing date not after the opening."""
    _require_manager(actor, process)
    text = _clean_hearing(title, opens_at, closes_at)
    assert opens_at is not None and closes_at is not None  # checked just above
    hearing = Hearing.objects.create(
        process=process,
        title=text,
        intro=(intro or "").strip(),
        opens_at=opens_at,
        closes_at=closes_at,
    )
    search.hearing_index(hearing)
    return hearing


@transaction.atomic
def hearing_update(
    *,
    hearing: Hearing,
    actor: User,
    title: str,
    intro: str,
    opens_at: datetime.datetime | None,
    closes_at: datetime.datetime | None,
) -> Hearing:
    """Change the hearing's title, introduction and dates (as hearing_create checks them)."""
    _require_manager(actor, hearing.process)
    text = _clean_hearing(title, opens_at, closes_at)
    hearing.title = text
    hearing.intro = (intro or "").strip()
    assert opens_at is not None and closes_at is not None  # checked just above
    hearing.opens_at = opens_at
    hearing.closes_at = closes_at
    hearing.save(update_fields=["title", "intro", "opens_at", "closes_at"])
    search.hearing_index(hearing)
    return hearing


def _clean_section(number: str, heading: str) -> tuple[str, str]:
    text = (heading or "").strip()
    if not text:
        raise ValidationError(
            {"heading": [ValidationError(_("Give the section a heading."), code="required")]}
        )
    return (number or "").strip()[:12], text[:MAX_HEADING]


@transaction.atomic
def section_add(
    *, hearing: Hearing, actor: User, heading: str, number: str = "", body: str = ""
) -> HearingSection:
    """A new section at the end of the plan document."""
    _require_manager(actor, hearing.process)
    clean_number, clean_heading = _clean_section(number, heading)
    last = hearing.sections.aggregate(last=models.Max("position"))["last"]
    section = HearingSection.objects.create(
        hearing=hearing,
        number=clean_number,
        heading=clean_heading,
        body=(body or "").strip(),
        position=(last or 0) + 1,
    )
    search.hearing_index(hearing)
    return section


@transaction.atomic
def section_update(
    *, section: HearingSection, actor: User, heading: str, number: str = "", body: str = ""
) -> HearingSection:
    _require_manager(actor, section.hearing.process)
    section.number, section.heading = _clean_section(number, heading)
    section.body = (body or "").strip()
    section.save(update_fields=["number", "heading", "body"])
    search.hearing_index(section.hearing)
    return section


@transaction.atomic
def section_move(*, section: HearingSection, actor: User, up: bool) -> HearingSection:
    """Move a section one place up or down (positions are renumbered 1, 2, 3 ...)."""
    hearing = section.hearing
    _require_manager(actor, hearing.process)
    sections = list(HearingSection.objects.select_for_update().filter(hearing=hearing))
    index = next(i for i, s in enumerate(sections) if s.pk == section.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(sections):
        sections[index], sections[other] = sections[other], sections[index]
    for position, item in enumerate(sections, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    search.hearing_index(hearing)
    return next(s for s in sections if s.pk == section.pk)


@transaction.atomic
def section_delete(*, section: HearingSection, actor: User) -> None:
    """Delete a section. Statements on it stay, as statements on the whole plan."""
    hearing = section.hearing
    _require_manager(actor, hearing.process)
    section.delete()
    search.hearing_index(hearing)


def check_attachments(attachments: Sequence[File]) -> list[files.CheckedFile]:
    """Check each upload (type by content, size, archive bombs); at most MAX_ATTACHMENTS."""
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValidationError(
            {
                "attachments": [
                    ValidationError(
                        _("Attach at most %(max)d files."),
                        code="too_many",
                        params={"max": MAX_ATTACHMENTS},
                    )
                ]
            }
        )
    checked = []
    for upload in attachments:
        name = getattr(upload, "name", "") or ""
        try:
            checked.append(files.check_upload(upload, name.rsplit("/", 1)[-1]))
        except ValidationError as exc:
            raise ValidationError({"attachments": [exc]}) from exc
    return checked


def _next_number(hearing: Hearing) -> int:
    last = Statement.objects.filter(hearing=hearing).aggregate(last=models.Max("number"))["last"]
    return (last or 0) + 1


@transaction.atomic
def statement_submit(
    *,
    hearing: Hearing,
    actor: User,
    body: str,
    section: HearingSection | None = None,
    on_behalf_of: str = "",
    is_public: bool = True,
    attachments: Sequence[File] = (),
    submission_key: uuid.UUID | None = None,
    at: datetime.datetime | None = None,
) -> Statement:
    """A resident's statement to `hearing`, on the whole plan or on `section`.

    Opens its thread in the process's unit (public, or private when `is_public` is False: then
    only the author and the unit's staff see it), numbers it 1, 2, 3 ... per hearing, makes
    the statement the thread's subject and stores the attachments. The same `submission_key`
    sent again gives the statement it made the first time.

    Raises ValidationError before the hearing opens, from its closing date on, for a section
    of another hearing, an empty or too long text and a refused attachment; PermissionDenied
    for an anonymous or blocked actor or an unpublished process; RateLimited for a flood.
    """
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied
    if submission_key is not None:
        earlier = Statement.objects.filter(submission_key=submission_key).first()
        if earlier is not None:
            if earlier.author_id != actor.pk or earlier.hearing_id != hearing.pk:
                raise PermissionDenied
            return earlier
    now = at or timezone.now()
    # One writer per hearing at a time from here (PostgreSQL row lock; SQLite has one writer).
    locked = (
        Hearing.objects.select_for_update()
        .select_related("process__unit", "process__municipality")
        .get(pk=hearing.pk)
    )
    process = locked.process
    if not process.is_published:
        raise PermissionDenied
    if now < locked.opens_at:
        raise ValidationError(not_open_message(locked), code="not_open")
    if now >= locked.closes_at:
        raise ValidationError(closed_message(locked), code="closed")
    if section is not None and section.hearing_id != locked.pk:
        raise ValidationError(
            {"section": [ValidationError(_("Choose a section of this hearing."), code="section")]}
        )
    behalf = (on_behalf_of or "").strip()
    if len(behalf) > MAX_ON_BEHALF_OF:
        raise ValidationError(
            {
                "on_behalf_of": [
                    ValidationError(
                        _("The name of the organisation is too long: at most 200 characters."),
                        code="too_long",
                    )
                ]
            }
        )
    checked = check_attachments(attachments)
    if submission_key is not None:
        # A twin request may have committed while this one waited for the lock.
        earlier = Statement.objects.filter(submission_key=submission_key).first()
        if earlier is not None:
            return earlier
    visibility = Visibility.PUBLIC if is_public else Visibility.PRIVATE
    thread = thread_open(
        unit=process.unit,
        channel=Channel.HEARING,
        body=body,
        actor=actor,
        visibility=visibility,
        title=locked.title,
        at=now,
    )
    statement = None
    for _attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                statement = Statement.objects.create(
                    hearing=locked,
                    section=section,
                    thread=thread,
                    author=actor,
                    on_behalf_of=behalf,
                    is_public=is_public,
                    number=_next_number(locked),
                    submitted_at=now,
                    submission_key=submission_key,
                )
            break
        except IntegrityError:
            if submission_key is not None:
                earlier = Statement.objects.filter(submission_key=submission_key).first()
                if earlier is not None:
                    transaction.set_rollback(True)
                    return earlier
            continue
    if statement is None:
        raise IntegrityError("No free statement number after several attempts.")
    with translation.override(process.municipality.malform):
        thread.title = gettext("%(title)s – statement %(number)d") % {
            "title": locked.title,
            "number": statement.number,
        }
    thread.subject = statement
    thread.save(update_fields=["title", "subject_type", "subject_id"])
    for upload, found in zip(attachments, checked, strict=True):
        name = (getattr(upload, "name", "") or "vedlegg").rsplit("/", 1)[-1][:200]
        attachment = StatementAttachment(
            statement=statement,
            original_name=name,
            content_type=found.content_type,
            size=found.size,
        )
        upload.seek(0)
        attachment.file.save(name, upload, save=False)
        attachment.save()
    return statement

"""Filling in a form: drafts, attachments and the submission that makes a case.

`draft_save` keeps what a resident typed, also when it is wrong, so they can come back;
`case_submit` turns valid answers into a case in one transaction: the case with its reference
number and snapshot, its first status event, its due time, its private thread in the unit's
inbox, the draft's attachments, and the receipt e-mail task (committed with the case).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from torget.accounts.models import User
from torget.cases import formbuilder
from torget.cases.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    CaseStatus,
    Draft,
    FieldKind,
    Form,
    FormField,
)
from torget.conversations.models import Channel, Visibility
from torget.conversations.services import thread_open
from torget.organisation.workinghours import OSLO, WeeklyHours, is_holiday

# The largest draft (its JSON), and how many attachments one field of a draft may hold.
MAX_DRAFT_BYTES = 64 * 1024
MAX_FILES_PER_FIELD = 5
SUMMARY_MAX = 4000
# How often a submission is tried when SQLite's write lock could not be had in time.
LOCK_ATTEMPTS = 3
# Working days without opening hours: Monday to Friday.
_WEEKDAYS = frozenset(range(5))


def can_fill_in_form(user: Any, form: Form) -> bool:
    """Any active, logged-in person may fill in a published form."""
    return bool(user.is_authenticated and user.is_active and form.is_published)


def add_working_days(start: datetime.datetime, days: int, hours: WeeklyHours) -> datetime.datetime:
    """The end of the `days`-th working day after `start`'s day.

    A working day is a day the unit is open (Monday to Friday when it has no opening hours)
    that is not a Norwegian public holiday; the day ends at the unit's last closing time.
    """
    open_weekdays = (
        frozenset(i for i, spans in enumerate(hours.days) if spans)
        if not hours.is_empty
        else _WEEKDAYS
    )
    day = start.astimezone(OSLO).date()
    counted = 0
    for _step in range(3 * 366):
        if counted >= days:
            break
        day += datetime.timedelta(days=1)
        if day.weekday() in open_weekdays and not is_holiday(day):
            counted += 1
    spans = hours.days[day.weekday()] if not hours.is_empty else ()
    closes = max((c for _o, c in spans), default=datetime.time(16, 0))
    return datetime.datetime.combine(day, closes, OSLO).astimezone(datetime.UTC)


def _attachments_of_draft(form: Form, user: User) -> list[CaseAttachment]:
    return list(
        CaseAttachment.objects.filter(form=form, owner=user, case__isnull=True).order_by("pk")
    )


def _store_attachment(
    *, form: Form, actor: User, definition: FormField, upload: UploadedFile, at: datetime.datetime
) -> CaseAttachment:
    checked = formbuilder.check_attachment(definition, upload)
    attachment = CaseAttachment(
        municipality_id=form.municipality_id,
        form=form,
        owner=actor,
        field_key=definition.key,
        original_name=(upload.name or "file")[:200],
        content_type=checked.content_type,
        size=checked.size,
        created_at=at,
    )
    upload.seek(0)
    attachment.file.save(attachment.original_name, upload, save=False)
    attachment.save()
    return attachment


def _store_uploads(
    *,
    form: Form,
    actor: User,
    definitions: Sequence[FormField],
    uploads: Mapping[str, Iterable[UploadedFile]],
    at: datetime.datetime,
) -> dict[str, list[str]]:
    """Check and store uploads as draft attachments. Returns the errors by field key (files
    that were refused are not stored; the others are)."""
    errors: dict[str, list[str]] = {}
    if not any(uploads.values()):
        return errors
    by_key = {d.key: d for d in definitions if d.kind == FieldKind.FILE}
    kept: dict[str, int] = {}
    for a in _attachments_of_draft(form, actor):
        kept[a.field_key] = kept.get(a.field_key, 0) + 1
    for key, files in uploads.items():
        definition = by_key.get(key)
        if definition is None:
            continue
        for upload in files:
            if kept.get(key, 0) >= MAX_FILES_PER_FIELD:
                errors.setdefault(key, []).append(
                    _("A field holds at most %(count)d files. Remove one first.")
                    % {"count": MAX_FILES_PER_FIELD}
                )
                break
            try:
                _store_attachment(
                    form=form, actor=actor, definition=definition, upload=upload, at=at
                )
            except ValidationError as exc:
                errors.setdefault(key, []).extend(exc.messages)
                continue
            kept[key] = kept.get(key, 0) + 1
    return errors


@transaction.atomic
def draft_save(
    *,
    form: Form,
    actor: User,
    values: Mapping[str, Any],
    uploads: Mapping[str, Iterable[UploadedFile]] | None = None,
    remove: Iterable[int] = (),
    at: datetime.datetime | None = None,
) -> tuple[Draft, dict[str, list[str]]]:
    """Keep what `actor` has typed into `form` (unvalidated, see `formbuilder.draft_values`),
    store new attachments and remove the ones asked for.

    Returns the draft and the upload errors by field key (a refused file is not kept; the rest
    of the draft is). Raises PermissionDenied unless `actor` may fill in the form, and
    ValidationError when the draft is larger than MAX_DRAFT_BYTES.
    """
    if not can_fill_in_form(actor, form):
        raise PermissionDenied
    now = at or timezone.now()
    data = dict(values)
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_DRAFT_BYTES:
        raise ValidationError(_("The draft is too large to be saved."), code="too_large")
    draft, _created = Draft.objects.update_or_create(
        form=form, user=actor, defaults={"data": data, "updated_at": now}
    )
    for attachment in CaseAttachment.objects.filter(
        pk__in=list(remove), form=form, owner=actor, case__isnull=True
    ):
        attachment.file.delete(save=False)
        attachment.delete()
    errors = _store_uploads(
        form=form,
        actor=actor,
        definitions=list(form.fields.all()),
        uploads=uploads or {},
        at=now,
    )
    return draft, errors


def draft_get(*, form: Form, user: User) -> Draft | None:
    return Draft.objects.filter(form=form, user=user).first()


def draft_attachments(*, form: Form, user: User) -> list[CaseAttachment]:
    """The attachments `user` has added to their draft of `form`, oldest first."""
    return _attachments_of_draft(form, user)


def summary_text(form: Form, rows: Sequence[Mapping[str, Any]]) -> str:
    """The submission as plain text: one "label: value" line per answered field."""
    lines = [form.title, ""]
    for row in rows:
        value = formbuilder.display_value(row)
        if value:
            lines.append(f"{row['label']}: {value}")
    text = "\n".join(lines)
    # The thread's first message has a size limit; the whole snapshot stays on the case.
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def reference_for(case: Case) -> str:
    year = case.submitted_at.astimezone(OSLO).year
    return f"{year}-{case.pk:06d}"


def case_submit(
    *,
    form: Form,
    actor: User,
    cleaned: Mapping[str, Any],
    submission_key: uuid.UUID,
    uploads: Mapping[str, Iterable[UploadedFile]] | None = None,
    at: datetime.datetime | None = None,
    definitions: Sequence[FormField] | None = None,
) -> Case:
    """Submit valid answers (`cleaned`, a built form's cleaned data) as a new case.

    In one transaction: the case (status received, reference "<year>-<pk:06d>", the snapshot
    of every field, the draft's attachments and `uploads`), its first CaseEvent, its due time
    (`form.processing_days` working days of the unit), its private thread in the unit's inbox,
    the draft deleted and the receipt e-mail task queued (committed with the case).

    `definitions` are the form's fields that `cleaned` was validated against (the view has
    them already); without them they are read in the transaction. The snapshot follows them.

    The same `submission_key` twice returns the case the first call made (a repeated POST).
    Raises PermissionDenied unless `actor` may fill in the form (or the key is someone
    else's), ValidationError for a refused upload, and what `thread_open` raises (a blocked
    account, a flood of messages), which rolls the whole submission back.
    """
    existing = Case.objects.filter(submission_key=submission_key).first()
    if existing is not None:
        return _same_applicant(existing, actor)
    at = at or timezone.now()
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _submit(
                    form=form,
                    actor=actor,
                    cleaned=cleaned,
                    submission_key=submission_key,
                    uploads=uploads or {},
                    at=at,
                    definitions=definitions,
                )
        except IntegrityError:
            # Two requests with the same key at once: the other one's case won (the unique
            # constraint on submission_key); answer with it.
            existing = Case.objects.filter(submission_key=submission_key).first()
            if existing is None:
                raise
            return _same_applicant(existing, actor)
        except OperationalError as exc:
            # SQLite has one writer at a time; under a heavy load the wait for the lock can
            # pass its timeout. The whole submission rolled back, so trying again is safe
            # (and a resident's submission is worth it). Not inside someone else's
            # transaction, which is spoilt anyway.
            locked = "database is locked" in str(exc)
            if not locked or attempt == LOCK_ATTEMPTS or connection.in_atomic_block:
                raise
    raise AssertionError("unreachable")


def _same_applicant(case: Case, actor: User) -> Case:
    if case.applicant_id != actor.pk:
        raise PermissionDenied
    return case


def _submit(
    *,
    form: Form,
    actor: User,
    cleaned: Mapping[str, Any],
    submission_key: uuid.UUID,
    uploads: Mapping[str, Iterable[UploadedFile]],
    at: datetime.datetime,
    definitions: Sequence[FormField] | None,
) -> Case:
    from torget.cases.tasks_receipt import send_receipt

    # Re-read inside the transaction (is it still published?), with what the thread and the
    # due time need: the unit's municipality and opening hours, fetched once for both (and
    # the fields unless the caller has them).
    related = (
        ["unit__opening_hours"] if definitions is not None else ["unit__opening_hours", "fields"]
    )
    form = (
        Form.objects.select_related("unit__municipality").prefetch_related(*related).get(pk=form.pk)
    )
    if not can_fill_in_form(actor, form):
        raise PermissionDenied
    definitions = list(form.fields.all()) if definitions is None else list(definitions)
    case = Case.objects.create(
        municipality_id=form.municipality_id,
        form=form,
        unit=form.unit,
        applicant=actor,
        submission_key=submission_key,
        status=CaseStatus.RECEIVED,
        submitted_at=at,
        updated_at=at,
    )
    errors = _store_uploads(form=form, actor=actor, definitions=definitions, uploads=uploads, at=at)
    if errors:
        raise ValidationError(errors)
    attachments = _attachments_of_draft(form, actor)
    names: dict[str, list[str]] = {}
    for attachment in attachments:
        names.setdefault(attachment.field_key, []).append(attachment.original_name)
    CaseAttachment.objects.filter(pk__in=[a.pk for a in attachments]).update(case=case)
    rows = formbuilder.snapshot(definitions, cleaned, names)
    case.reference = reference_for(case)
    case.data = {"form": {"slug": form.slug, "title": form.title}, "fields": rows}
    case.due_at = add_working_days(at, form.processing_days, form.unit.weekly_hours())
    case.thread = thread_open(
        unit=form.unit,
        channel=Channel.CASE,
        visibility=Visibility.PRIVATE,
        subject=case,
        actor=actor,
        title=f"{form.title} {case.reference}",
        body=summary_text(form, rows),
        at=at,
    )
    case.save(update_fields=["reference", "data", "due_at", "thread"])
    CaseEvent.objects.create(
        case=case, status_from="", status_to=CaseStatus.RECEIVED, actor=actor, at=at
    )
    Draft.objects.filter(form=form, user=actor).delete()
    # Inside the transaction on purpose: the database queue's row commits with the case, so a
    # case never lacks its receipt task and a rolled-back submission never sends one.
    send_receipt.enqueue(case_id=case.pk)
    return case

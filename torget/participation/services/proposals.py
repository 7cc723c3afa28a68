"""Every write to alternative proposals: a resident proposes (text, a picture, a drawing on the
map), others support it once per account or withdraw their support, and the process's staff
give it an official status and answer.

Residents propose and support only while the process is in its input phase
(policies.accepts_input). An author does not support their own proposal: the count says how
many *others* back it.
"""

from __future__ import annotations

import datetime
import io
import json
import uuid
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from torget.accounts.models import User
from torget.conversations import services as conversations
from torget.conversations.models import Channel, ThreadEvent, Visibility
from torget.pages import files
from torget.participation import policies
from torget.participation.geometry import drawing_parse
from torget.participation.models import Process, Proposal, ProposalStatus, ProposalSupport
from torget.participation.selectors.proposals import input_window_text

MAX_TITLE = 150
MAX_ALT = 300
_EXTENSIONS = {files.PNG: "png", files.JPEG: "jpg", files.WEBP: "webp"}
# The list shows each picture this wide (twice its CSS width, for sharp screens).
THUMBNAIL_WIDTH = 240


def thumbnail_name(image_name: str) -> str:
    """Where the small copy of a proposal's picture is stored, next to the picture."""
    return f"{image_name}.small.webp"


def _thumbnail(image: File) -> bytes:
    """A small WebP copy of a checked picture, for the list of proposals. Decoding the
    picture is also the last check of it: one that Pillow cannot read (cut off, or a
    decompression bomb) raises ValidationError."""
    from PIL import Image

    image.seek(0)
    try:
        with Image.open(image) as picture:
            picture.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 4))
            converted = picture.convert("RGBA" if picture.has_transparency_data else "RGB")
            out = io.BytesIO()
            converted.save(out, format="WEBP", quality=80)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            {
                "image": [
                    _("The picture %(name)s could not be read. Save it again and choose it anew.")
                    % {"name": image.name}
                ]
            }
        ) from exc
    finally:
        image.seek(0)
    return out.getvalue()


def _account(actor: User | AnonymousUser | None) -> User:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Log in to take part."))
    return actor  # type: ignore[return-value]


def _require_input(process: Process, at: datetime.datetime | None) -> None:
    if not policies.accepts_input(process, at):
        raise ValidationError(input_window_text(process, at=at), code="closed")


def _clean_fields(
    *, title: str, body: str, image: File | None, image_alt: str
) -> tuple[str, str, str, files.CheckedFile | None]:
    """The title, text and picture description stripped, and the picture's checked type.
    Raises one ValidationError naming each field that is wrong."""
    errors: dict[str, list[Any]] = {}
    clean_title = (title or "").strip()
    if not clean_title:
        errors["title"] = [_("Give the proposal a title.")]
    elif len(clean_title) > MAX_TITLE:
        errors["title"] = [
            _("The title is too long: at most %(max)d characters, you wrote %(length)d.")
            % {"max": MAX_TITLE, "length": len(clean_title)}
        ]
    clean_body = ""
    try:
        clean_body = conversations.clean_body(body)
    except ValidationError as exc:
        errors["body"] = exc.messages
    checked = None
    alt = (image_alt or "").strip()
    if image is not None:
        try:
            checked = files.check_upload(image, image.name or "")
        except ValidationError as exc:
            errors["image"] = exc.messages
        else:
            if not checked.is_image:
                errors["image"] = [
                    _("%(name)s is not a picture. Choose a PNG, JPEG or WebP picture.")
                    % {"name": image.name}
                ]
        if not alt:
            errors["image_alt"] = [
                _("Describe the picture in a sentence, for those who cannot see it.")
            ]
        elif len(alt) > MAX_ALT:
            errors["image_alt"] = [
                _("The description is too long: at most %(max)d characters.") % {"max": MAX_ALT}
            ]
    if errors:
        raise ValidationError(errors)
    return clean_title, clean_body, alt, checked


@transaction.atomic
def proposal_submit(
    *,
    process: Process,
    actor: User | AnonymousUser | None,
    title: str,
    body: str,
    image: File | None = None,
    image_alt: str = "",
    geometry: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> Proposal:
    """A resident proposes an alternative in `process`: a public forum thread in the process's
    unit whose first message is `body` (it waits for the unit's answer), and the Proposal as
    the thread's subject, in one transaction.

    `image` is checked by its content (PNG, JPEG or WebP only) and needs `image_alt`;
    `geometry` is checked again by geometry.drawing_parse. Raises PermissionDenied without an
    account (or for a blocked one), ValidationError outside the input phase (with when it is)
    or naming the fields that are wrong, RateLimited for a flood.
    """
    user = _account(actor)
    _require_input(process, at)
    clean_title, clean_body, alt, checked = _clean_fields(
        title=title, body=body, image=image, image_alt=image_alt
    )
    if geometry is not None:
        try:
            geometry = drawing_parse(json.dumps(geometry))
        except ValidationError as exc:
            raise ValidationError({"drawing": exc.messages}) from exc
    small = _thumbnail(image) if image is not None else None
    now = at or timezone.now()
    thread = conversations.thread_open(
        unit=process.unit,
        channel=Channel.FORUM,
        body=clean_body,
        actor=user,
        visibility=Visibility.PUBLIC,
        title=clean_title,
        at=now,
    )
    proposal = Proposal(
        process=process,
        thread=thread,
        author=user,
        title=clean_title,
        geometry=geometry,
        created_at=now,
    )
    if image is not None and checked is not None:
        # The stored name is ours: the resident's file name is kept only as text.
        image.seek(0)
        proposal.image.save(
            f"{uuid.uuid4().hex}.{_EXTENSIONS[checked.content_type]}", image, save=False
        )
        proposal.image_name = (image.name or "")[:200]
        proposal.image_type = checked.content_type
        proposal.image_size = checked.size
        proposal.image_alt = alt
        if small is not None:
            proposal.image.storage.save(thumbnail_name(proposal.image.name), ContentFile(small))
    proposal.save()
    thread.subject = proposal
    thread.save(update_fields=["subject_type", "subject_id"])
    return proposal


@transaction.atomic
def proposal_support(
    *,
    proposal: Proposal,
    actor: User | AnonymousUser | None,
    at: datetime.datetime | None = None,
) -> ProposalSupport:
    """`actor` supports `proposal`, once: the unique pair (proposal, account) is the guard, so
    two attempts at the same moment still make one support. The count goes up in the same
    transaction.

    Raises PermissionDenied without an account; ValidationError outside the input phase, for
    the author's own proposal, and for a second support ("You already support this proposal."),
    which changes nothing.
    """
    user = _account(actor)
    _require_input(proposal.process, at)
    if proposal.author_id == user.pk:
        raise ValidationError(
            _("This is your own proposal; its supports come from others."), code="own"
        )
    try:
        # A savepoint: the failed insert leaves the surrounding transaction usable.
        with transaction.atomic():
            support = ProposalSupport.objects.create(
                proposal=proposal, user=user, created_at=at or timezone.now()
            )
    except IntegrityError as exc:
        raise ValidationError(_("You already support this proposal."), code="already") from exc
    Proposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") + 1)
    proposal.refresh_from_db(fields=["support_count"])
    return support


@transaction.atomic
def proposal_support_withdraw(
    *,
    proposal: Proposal,
    actor: User | AnonymousUser | None,
    at: datetime.datetime | None = None,
) -> None:
    """`actor` withdraws their support of `proposal`; the count goes down in the same
    transaction. They may support it again later (in the input phase).

    Raises PermissionDenied without an account; ValidationError outside the input phase and
    when there is no support to withdraw.
    """
    user = _account(actor)
    _require_input(proposal.process, at)
    deleted, _rows = ProposalSupport.objects.filter(proposal=proposal, user=user).delete()
    if not deleted:
        raise ValidationError(_("You do not support this proposal."), code="not_supported")
    Proposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") - 1)
    proposal.refresh_from_db(fields=["support_count"])


@transaction.atomic
def proposal_status_set(
    *,
    proposal: Proposal,
    actor: User | AnonymousUser,
    status: str,
    answer: str = "",
    at: datetime.datetime | None = None,
) -> Proposal:
    """Give `proposal` an official status and, with `answer`, the official answer: an answer in
    the proposal's thread through conversations.thread_answer, so that it counts as the unit's
    answer in the dialogue metrics and the author gets it by e-mail (its notice task).

    Raises PermissionDenied unless `actor` runs the process (policies.can_manage_process),
    ValidationError for an unknown status or a too long answer, InvalidTransition when the
    conversation is closed.
    """
    if not policies.can_manage_process(actor, proposal.process):
        raise PermissionDenied
    user = _account(actor)
    if status not in ProposalStatus.values:
        raise ValidationError({"status": [_("Choose one of the statuses.")]})
    text = (answer or "").strip()
    if text:
        try:
            text = conversations.clean_body(text)
        except ValidationError as exc:
            raise ValidationError({"answer": exc.messages}) from exc
    now = at or timezone.now()
    locked = Proposal.objects.select_for_update().select_related("thread").get(pk=proposal.pk)
    if locked.status != status:
        before = locked.get_status_display()
        locked.status = status
        locked.status_changed_at = now
        locked.save(update_fields=["status", "status_changed_at"])
        conversations.thread_event_record(
            thread=locked.thread,
            actor=user,
            kind=ThreadEvent.Kind.STATUS_CHANGED,
            at=now,
            reason=f"{before} → {locked.get_status_display()}",
        )
    if text:
        conversations.thread_answer(threads=[locked.thread], actor=user, body=text, at=now)
    proposal.status = locked.status
    proposal.status_changed_at = locked.status_changed_at
    return proposal

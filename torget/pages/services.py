"""Every write to posts, their attachments, comments under them and follows.

Comments are threads of the conversations app: the services here check what belongs to the
page (is the post open for comments, is the thread really under this post) and then call
`torget.conversations.services`, which do the rest (waiting, metrics, rate limits, notices).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from torget.accounts.models import User
from torget.conversations import services as conversations
from torget.conversations.models import Channel, Message, Thread, Visibility
from torget.core.errors import InvalidTransition
from torget.core.search import index as search_index
from torget.organisation.models import Unit
from torget.pages import files, policies, tasks
from torget.pages.models import Follow, FollowFrequency, Post, PostAttachment, PostKind
from torget.pages.search import KIND as SEARCH_KIND
from torget.pages.search import post_search_document

MAX_TITLE = 200
MAX_POST_BODY = 20_000
MAX_ATTACHMENTS = 10
MAX_ALT_TEXT = 300


@dataclass(frozen=True)
class NewAttachment:
    """A file to attach to a post. `name` defaults to the file's own name; images need
    `alt_text` (what the picture shows, for those who cannot see it)."""

    file: File
    alt_text: str = ""
    name: str = ""


@dataclass(frozen=True)
class _Checked:
    upload: NewAttachment
    name: str
    info: files.CheckedFile


def _clean_post(*, title: str, body: str, kind: str) -> tuple[str, str]:
    errors: dict[str, list[ValidationError]] = {}
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        errors["title"] = [ValidationError(_("Give the post a title."), code="empty")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [
            ValidationError(
                _("The title is too long: at most %(max)d characters."),
                code="too_long",
                params={"max": MAX_TITLE},
            )
        ]
    if not body:
        errors["body"] = [ValidationError(_("Write the text of the post."), code="empty")]
    elif len(body) > MAX_POST_BODY:
        errors["body"] = [
            ValidationError(
                _("The text is too long: at most %(max)d characters, you wrote %(length)d."),
                code="too_long",
                params={"max": MAX_POST_BODY, "length": len(body)},
            )
        ]
    if kind not in PostKind.values:
        errors["kind"] = [
            ValidationError(
                _("Say whether the post is information or invites dialogue."), code="kind"
            )
        ]
    if errors:
        raise ValidationError(errors)
    return title, body


def _check_attachments(
    attachments: Iterable[NewAttachment | File], *, already: int
) -> list[_Checked]:
    checked: list[_Checked] = []
    problems: list[ValidationError] = []
    uploads = [a if isinstance(a, NewAttachment) else NewAttachment(file=a) for a in attachments]
    if already + len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(
            {
                "attachments": ValidationError(
                    _("A post may have at most %(max)d attachments."),
                    code="too_many",
                    params={"max": MAX_ATTACHMENTS},
                )
            }
        )
    for upload in uploads:
        name = (upload.name or upload.file.name or "").replace("\\", "/").rsplit("/", 1)[-1]
        name = name.strip()[:200] or "fil"
        try:
            info = files.check_upload(upload.file, name)
        except ValidationError as exc:
            problems.append(exc)
            continue
        if info.is_image and not upload.alt_text.strip():
            problems.append(
                ValidationError(
                    _("Describe the picture %(name)s in a few words (alt text)."),
                    code="alt_text",
                    params={"name": name},
                )
            )
            continue
        checked.append(_Checked(upload=upload, name=name, info=info))
    if problems:
        raise ValidationError({"attachments": problems})
    return checked


def _store(post: Post, checked: Sequence[_Checked], *, start: int) -> None:
    for position, item in enumerate(checked, start=start):
        attachment = PostAttachment(
            post=post,
            original_name=item.name,
            content_type=item.info.content_type,
            size=item.info.size,
            is_image=item.info.is_image,
            alt_text=item.upload.alt_text.strip()[:MAX_ALT_TEXT] if item.info.is_image else "",
            position=position,
        )
        item.upload.file.seek(0)
        # The storage name is random (see attachment_path); the original name stays in the row.
        attachment.file.save(item.name, item.upload.file, save=False)
        attachment.save()


def _delete_files(names: Sequence[str]) -> None:
    storage = PostAttachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    for name in names:
        storage.delete(name)


def _index(post: Post) -> None:
    """Keep the post's search document in step: in the index when published, out of it while
    dated in the future (`manage.py search_reindex` puts it in once it is published)."""
    if post.published_at <= timezone.now():
        search_index.document_upsert(**post_search_document(post))
    else:
        search_index.document_delete(kind=SEARCH_KIND, object_id=post.pk)


def _schedule_notice(post: Post) -> None:
    """Enqueue the notice to followers inside the transaction: with the database queue the task
    row commits (or rolls back) together with the post. A post dated in the future is noticed
    when it is published, if the queue can wait (the database queue can)."""
    task = tasks.notify_followers
    if post.published_at > timezone.now() and task.get_backend().supports_defer:
        task = task.using(run_after=post.published_at)
    task.enqueue(post_id=post.pk)


@transaction.atomic
def post_create(
    *,
    unit: Unit,
    actor: User,
    title: str,
    body: str,
    kind: str,
    published_at: datetime.datetime | None = None,
    attachments: Iterable[NewAttachment | File] = (),
    comments_open: bool = True,
) -> Post:
    """Publish a post on `unit`'s page (at `published_at`, default now).

    Attachments are checked by content and size (see `files.check_upload`); images need alt
    text. Followers who asked for it get an e-mail through the task queue.
    Raises PermissionDenied if `actor` may not publish for `unit`, ValidationError (a dict by
    field: title, body, kind, attachments) for missing or invalid content; nothing is stored
    then.
    """
    if not policies.can_publish_for_unit(actor, unit):
        raise PermissionDenied
    title, body = _clean_post(title=title, body=body, kind=kind)
    checked = _check_attachments(attachments, already=0)
    post = Post.objects.create(
        municipality_id=unit.municipality_id,
        unit=unit,
        author=actor,
        title=title,
        body=body,
        kind=kind,
        comments_open=comments_open,
        published_at=published_at or timezone.now(),
    )
    _store(post, checked, start=0)
    _schedule_notice(post)
    _index(post)
    return post


@transaction.atomic
def post_update(
    *,
    post: Post,
    actor: User,
    title: str,
    body: str,
    kind: str,
    comments_open: bool,
    add_attachments: Iterable[NewAttachment | File] = (),
    remove_attachments: Iterable[int] = (),
) -> Post:
    """Change a post's text, kind, whether it takes comments, and its attachments.

    Followers are not notified again. Removed attachments' files are deleted after commit.
    Raises PermissionDenied if `actor` may not publish for the post's unit, ValidationError as
    `post_create` does.
    """
    post = Post.objects.select_for_update().select_related("unit").get(pk=post.pk)
    if not policies.can_publish_for_unit(actor, post.unit):
        raise PermissionDenied
    title, body = _clean_post(title=title, body=body, kind=kind)
    removed = list(PostAttachment.objects.filter(post=post, pk__in=list(remove_attachments)))
    remaining = PostAttachment.objects.filter(post=post).count() - len(removed)
    checked = _check_attachments(add_attachments, already=remaining)
    post.title, post.body, post.kind, post.comments_open = title, body, kind, comments_open
    post.save()
    names = [attachment.file.name for attachment in removed]
    PostAttachment.objects.filter(pk__in=[a.pk for a in removed]).delete()
    transaction.on_commit(lambda: _delete_files(names))
    last = PostAttachment.objects.filter(post=post).order_by("-position").first()
    _store(post, checked, start=(last.position + 1) if last else 0)
    _index(post)
    return post


# --- comments: threads of the conversations app, with the post as subject --------------------


def _check_thread_belongs(post: Post, thread: Thread) -> None:
    if (
        thread.subject_type_id != ContentType.objects.get_for_model(Post).pk
        or thread.subject_id != post.pk
        or thread.municipality_id != post.municipality_id
        or thread.visibility != Visibility.PUBLIC
    ):
        raise PermissionDenied


@transaction.atomic
def post_comment(*, post: Post, actor: User, body: str) -> Thread:
    """A resident comments under `post`: a new public thread in the post's unit, channel web.

    Raises InvalidTransition when the post is closed for comments; ValidationError,
    PermissionDenied (blocked) and RateLimited as `conversations.services.thread_open` does.
    """
    if not post.comments_open:
        raise InvalidTransition(_("Comments are closed for this post."))
    return conversations.thread_open(
        unit=post.unit,
        channel=Channel.WEB,
        subject=post,
        actor=actor,
        body=body,
        visibility=Visibility.PUBLIC,
        title=post.title,
    )


@transaction.atomic
def post_comment_reply(*, post: Post, thread: Thread, actor: User, body: str) -> Message:
    """A resident writes on in a comment thread under `post`.

    Raises PermissionDenied if `thread` is not a public thread under `post`, InvalidTransition
    when the post no longer takes comments or the thread is closed, and what
    `conversations.services.message_add_resident` raises.
    """
    _check_thread_belongs(post, thread)
    if not post.comments_open:
        raise InvalidTransition(_("Comments are closed for this post."))
    return conversations.message_add_resident(thread=thread, actor=actor, body=body)


@transaction.atomic
def post_comment_answer(*, post: Post, thread: Thread, actor: User, body: str) -> Message:
    """Staff answer a comment thread under `post` on behalf of its unit ("Answer from …").

    Allowed also after the post has closed for comments, so that questions asked before get
    their answer. Raises PermissionDenied if `thread` is not under `post` or `actor` may not
    answer for the unit, InvalidTransition for a closed thread.
    """
    _check_thread_belongs(post, thread)
    [message] = conversations.thread_answer(threads=[thread], actor=actor, body=body)
    return message


# --- following ----------------------------------------------------------------------------


@transaction.atomic
def follow_set(*, unit: Unit, actor: User, frequency: str) -> Follow:
    """`actor` follows `unit`'s page, e-mailed at once or in a daily digest (idempotent; a
    second call changes the frequency). Raises PermissionDenied for an inactive account,
    ValidationError for an unknown frequency."""
    if not policies.can_follow_unit(actor, unit):
        raise PermissionDenied
    if frequency not in FollowFrequency.values:
        raise ValidationError(_("Choose how often you want e-mail."), code="frequency")
    follow, _created = Follow.objects.update_or_create(
        user=actor, unit=unit, defaults={"frequency": frequency}
    )
    return follow


@transaction.atomic
def follow_remove(*, unit: Unit, actor: User) -> None:
    """`actor` stops following `unit` (idempotent)."""
    Follow.objects.filter(user_id=actor.pk, unit=unit).delete()

"""Writes of a hearing's PDF export: ask for it, build it, forget old ones.

Building the PDF of every statement takes seconds to minutes for a large hearing (6.9 s for
3,000 statements, 18 s when they carry 500 PDFs and 100 photos), so it is not done in the
request. `export_request` records a pending HearingExport and enqueues its build after
commit; `export_build` (the task `tasks_exports.build_hearing_export`) writes the file first
and flips the row to ready after, with a conditional update, as read-aloud audio does
(`torget.core.speech.services`). Running the build twice, or twice at once, leaves one file
and one ready row; a worker killed in between leaves the row pending, and the next request
for the same hearing and language after STALE_PENDING enqueues it again.

Only the newest KEEP exports of a hearing are kept (rows and files), so that storage does not
grow with every click; a pending one is never pruned (its build is on its way). A file that
no export names (a build killed between writing and flipping) is swept by the next request for
the hearing once it is a day old.

When a build ends more than NOTIFY_AFTER after it was asked for, the member of staff who asked
has likely left the page, and `export_notify` e-mails them a link to it (once per export).
"""

from __future__ import annotations

import datetime
import logging
import secrets

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from torget.accounts.models import User
from torget.core.links import absolute_url
from torget.core.storage import unnamed_files_sweep
from torget.pages.tasks import notice_language, send_notice_email
from torget.participation import export, policies
from torget.participation.models import Hearing, HearingExport
from torget.participation.models.exports import hearing_export_path
from torget.participation.selectors.hearing_results import (
    hearing_counts,
    statement_list_for_export,
)

logger = logging.getLogger(__name__)

Status = HearingExport.Status

# A pending export not finished by then is enqueued again by the next request for it (its
# worker may have been killed). Long enough for a large hearing to wait in the queue and build.
STALE_PENDING = datetime.timedelta(minutes=15)
# The newest exports of a hearing that are kept; older ones lose their row and file.
KEEP = 5
# Files in a hearing's export folder that no export names are deleted once this old.
ORPHAN_AGE = datetime.timedelta(days=1)
# A build that ends sooner than this after it was asked for was most likely seen on its page:
# no e-mail.
NOTIFY_AFTER = datetime.timedelta(minutes=1)


@transaction.atomic
def export_request(*, hearing: Hearing, actor: User, language: str) -> HearingExport:
    """The PDF export of every statement of `hearing` in `language`, asked for by `actor`.

    A pending export of the hearing in the same language is reused (asking twice while it is
    built builds once); if it has waited longer than STALE_PENDING, its build is enqueued
    again, by the one request that wins a compare-and-set on `enqueued_at`. Otherwise (none
    pending, or the last one ready or failed) a new pending export is made, its build
    enqueued after commit, and exports beyond the newest KEEP are deleted, their files after
    commit. Raises PermissionDenied unless `actor` manages the hearing's process.
    """
    # Locking the hearing makes two requests at once queue: the second finds the first's row.
    hearing = (
        Hearing.objects.select_for_update()
        .select_related("process__unit", "process__municipality")
        .get(pk=hearing.pk)
    )
    if not policies.can_manage_process(actor, hearing.process):
        raise PermissionDenied
    now = timezone.now()
    pending = (
        HearingExport.objects.filter(hearing=hearing, language=language, status=Status.PENDING)
        .order_by("-requested_at", "-pk")
        .first()
    )
    if pending is not None:
        if pending.enqueued_at < now - STALE_PENDING:
            claimed = HearingExport.objects.filter(
                pk=pending.pk, status=Status.PENDING, enqueued_at=pending.enqueued_at
            ).update(enqueued_at=now)
            if claimed:
                logger.info(
                    "hearing export %s: still pending after %s, enqueued again",
                    pending.pk,
                    STALE_PENDING,
                )
                pending.enqueued_at = now
                _enqueue(pending.pk)
        return pending
    made = HearingExport.objects.create(
        hearing=hearing,
        requested_by=actor,
        language=language,
        status=Status.PENDING,
        requested_at=now,
        enqueued_at=now,
    )
    _enqueue(made.pk)
    _prune(hearing)
    transaction.on_commit(lambda: _sweep_orphans(hearing.pk, now=now))
    return made


def _enqueue(export_id: int) -> None:
    from torget.participation import tasks_exports

    transaction.on_commit(lambda: tasks_exports.build_hearing_export.enqueue(export_id=export_id))


def _prune(hearing: Hearing) -> None:
    """Delete the hearing's exports beyond the newest KEEP (never a pending one); their files
    go after commit, once no row names them."""
    old = (
        HearingExport.objects.filter(hearing=hearing)
        .order_by("-requested_at", "-pk")
        .values_list("pk", "file", "status")[KEEP:]
    )
    doomed = [(pk, name) for pk, name, status in old if status != Status.PENDING]
    if not doomed:
        return
    HearingExport.objects.filter(pk__in=[pk for pk, _name in doomed]).delete()
    names = [name for _pk, name in doomed if name]
    transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _sweep_orphans(hearing_id: int, *, now: datetime.datetime) -> int:
    """Delete files in the hearing's export folder that no export names and that are older
    than ORPHAN_AGE (left by a build killed between writing and flipping; a file just written
    by a build still running is younger). Returns how many went."""
    return unnamed_files_sweep(
        folder=f"participation/exports/{hearing_id}", model=HearingExport, before=now - ORPHAN_AGE
    )


def export_build(*, export_id: int) -> HearingExport | None:
    """Build the PDF of the pending export `export_id`, store it and mark the export ready.
    Safe to run twice, and at the same time.

    An export that is ready or failed is left as it is. The file is written first and the
    status flipped after with a conditional update: a run killed in between leaves the export
    pending (to be enqueued again when stale) and at worst a file no row names. Of two
    concurrent runs, the one that loses the flip deletes its own file, as does a run whose
    export was deleted meanwhile. An error while building marks the export failed, with the
    error logged and kept for staff to see; an error of the storage raises and leaves it
    pending. Returns the export, or None when it is gone.
    """
    found = (
        HearingExport.objects.select_related("hearing__process__municipality")
        .filter(pk=export_id)
        .first()
    )
    if found is None or found.status != Status.PENDING:
        return found
    hearing = found.hearing
    try:
        statements = statement_list_for_export(hearing=hearing)
        body = export.statements_pdf(
            hearing, statements, hearing_counts(statements), language=found.language
        )
    except Exception as exc:
        logger.exception("hearing export %s of hearing %s failed", found.pk, hearing.pk)
        return _fail(found, f"{type(exc).__name__}: {exc}")
    # A random part: the name is not guessable, and two runs at once write two files.
    filename = f"{found.pk}-{secrets.token_hex(8)}.pdf"
    name = default_storage.save(hearing_export_path(found, filename), ContentFile(body))
    flipped = HearingExport.objects.filter(pk=found.pk, status=Status.PENDING).update(
        status=Status.READY,
        file=name,
        size=len(body),
        statements=len(statements),
        error="",
        finished_at=timezone.now(),
    )
    if not flipped:
        default_storage.delete(name)
    return HearingExport.objects.filter(pk=found.pk).first()


def _fail(found: HearingExport, error: str) -> HearingExport | None:
    HearingExport.objects.filter(pk=found.pk, status=Status.PENDING).update(
        status=Status.FAILED, error=error[:300], finished_at=timezone.now()
    )
    return HearingExport.objects.filter(pk=found.pk).first()


def export_notify(*, export_id: int) -> bool:
    """E-mail the member of staff who asked for the export `export_id` that it is ready (or
    has failed), with a link to the hearing's page of exports, if the build took longer than
    NOTIFY_AFTER. Returns whether this run sent the e-mail.

    Once per export: the claim on `notified_at` and the send are one transaction, so a send
    that fails rolls the claim back (and raises), and a later run sends it; a run killed after
    the SMTP server took the e-mail but before the commit sends it again with the same
    Message-ID. Nothing is sent while the export is pending, nor to a deleted or inactive
    account.
    """
    found = (
        HearingExport.objects.select_related("hearing__process__municipality", "requested_by")
        .filter(pk=export_id)
        .first()
    )
    if found is None or found.status == Status.PENDING or found.notified_at is not None:
        return False
    user = found.requested_by
    if user is None or not user.is_active or not user.email:
        return False
    if found.finished_at is None or found.finished_at - found.requested_at < NOTIFY_AFTER:
        return False
    hearing = found.hearing
    municipality = hearing.process.municipality
    path = reverse("participation:staff-hearing-exports", args=[hearing.process.slug, hearing.pk])
    with transaction.atomic():
        claimed = HearingExport.objects.filter(pk=found.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        if not claimed:
            return False
        with get_connection() as connection:
            send_notice_email(
                connection,
                template="participation/hearing_results/export_email",
                context={
                    "export": found,
                    "hearing": hearing,
                    "user": user,
                    "link": absolute_url(municipality, f"{path}#eksport-{found.pk}"),
                },
                language=notice_language(user, municipality),
                to=user.email,
                message_id=f"<hearing-export-{found.pk}@torget.{municipality.number}>",
            )
    return True

"""E-mail to everyone who gave a statement when a hearing's result is published.

One task per hearing, safe to run twice (or on two workers at once) and without a table of its
own: who has been told is recorded on the statements themselves, as `notified_at` on each
statement's opening message (the resident's own message, which no other notice uses; answer
notices mark the official messages). Per person, in one transaction, the task claims their
unmarked opening messages with one UPDATE ... WHERE notified_at IS NULL and sends the e-mail;
a claim that finds nothing (another run got there first) sends nothing, and a send that fails
rolls its claim back, so a later run sends it. A worker killed after the SMTP server took the
e-mail but before the commit sends it again on the next run with the same Message-ID, so that
mail clients show it once (at least once, like answer notices and new-post e-mails).

Because the marks stay, publishing the result again after an unpublish (or editing it) sends
nothing new: each person hears about the result once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from torget.core.links import absolute_url

logger = logging.getLogger(__name__)


class ResultNoticeFailed(Exception):
    """Some e-mails could not be sent; a later run of the task sends those (and only those)."""


@task()
def notify_result(hearing_id: int) -> int:
    """E-mail each person who gave a statement to the hearing that its result is published:
    one e-mail per address, in the person's language, with a link to the hearing. Returns how
    many were sent by this run. Does nothing while the result is not published."""
    from torget.conversations.models import AuthorRole, Message
    from torget.participation.models import Hearing, Statement
    from torget.services.markdown import markdown_to_text

    hearing = (
        Hearing.objects.select_related("process__municipality", "process__unit")
        .filter(pk=hearing_id, result_published_at__isnull=False)
        .first()
    )
    if hearing is None:
        return 0
    municipality = hearing.process.municipality
    # The opening (resident) message of each statement's thread, if not yet marked as told.
    openings: dict[int, int] = {}
    seen: set[int] = set()
    for thread_id, message_id, notified_at in (
        Message.objects.filter(
            thread_id__in=Statement.objects.filter(hearing=hearing).values("thread_id"),
            role=AuthorRole.RESIDENT,
        )
        .order_by("thread_id", "created_at", "pk")
        .values_list("thread_id", "pk", "notified_at")
    ):
        if thread_id in seen:
            continue
        seen.add(thread_id)
        if notified_at is None:
            openings[thread_id] = message_id
    if not openings:
        return 0
    # Per address: the person, and their statements' numbers and opening messages.
    people: dict[str, dict[str, Any]] = defaultdict(lambda: {"numbers": [], "messages": []})
    for statement in (
        Statement.objects.filter(hearing=hearing, thread_id__in=list(openings))
        .select_related("author", "thread")
        .order_by("number")
    ):
        author = statement.author
        if author is not None and not author.is_active:
            continue
        address = author.email if author else statement.thread.contact
        if not address or "@" not in address:
            continue
        person = people[address.lower()]
        person.setdefault("address", address)
        person.setdefault("user", author)
        person["numbers"].append(statement.number)
        person["messages"].append(openings[statement.thread_id])
    link = absolute_url(municipality, f"{hearing.get_absolute_url()}#resultat")
    result_text = markdown_to_text(hearing.result)
    sent = failed = 0
    with get_connection() as connection:
        for _key, person in sorted(people.items()):
            user = person["user"]
            language = str((user.language if user else "") or municipality.malform)
            try:
                with transaction.atomic():
                    claimed = Message.objects.filter(
                        pk__in=person["messages"], notified_at__isnull=True
                    ).update(notified_at=timezone.now())
                    if not claimed:
                        continue
                    context = {
                        "hearing": hearing,
                        "process": hearing.process,
                        "municipality": municipality,
                        "user": user,
                        "numbers": person["numbers"],
                        "link": link,
                        "result_text": result_text,
                    }
                    with translation.override(language):
                        subject = render_to_string(
                            "participation/hearing_results/email_subject.txt", context
                        )
                        body = render_to_string(
                            "participation/hearing_results/email_body.txt", context
                        )
                    recipient = user.pk if user else f"s{person['numbers'][0]}"
                    EmailMultiAlternatives(
                        subject=" ".join(subject.split()),
                        body=body,
                        to=[person["address"]],
                        headers={
                            "Message-ID": (
                                f"<hearing-result-{hearing.pk}-{recipient}"
                                f"@torget.{municipality.number}>"
                            )
                        },
                        connection=connection,
                    ).send()
                sent += 1
            except Exception:
                # One bad address must not hold back the others' e-mails.
                logger.exception("hearing result notice failed", extra={"hearing": hearing.pk})
                failed += 1
    if failed:
        raise ResultNoticeFailed(
            f"{failed} of {sent + failed} result notices of hearing {hearing.pk} failed"
        )
    return sent

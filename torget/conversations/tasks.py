"""Background work of conversations. Tasks take ids, re-read, and are safe to run twice."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from torget.core.links import absolute_url


@task()
def notify_answer(message_id: int) -> None:
    """E-mail the resident who opened the thread that the municipality has answered.

    At least once: the notice is sent, then marked; a worker killed in between sends it again
    on retry, with the same Message-ID so that mail clients show it once.
    """
    from torget.conversations.models import AuthorRole, Message, Visibility
    from torget.conversations.registry import answer_sender, thread_path

    message = (
        Message.objects.select_related("thread__unit__municipality", "thread__opened_by", "author")
        .filter(pk=message_id, role=AuthorRole.OFFICIAL, notified_at__isnull=True)
        .exclude(visibility=Visibility.INTERNAL)
        .first()
    )
    if message is None:
        return
    thread = message.thread
    opener = thread.opened_by
    sender = answer_sender(thread.channel) if opener is None else None
    if sender is not None:
        sender(message)
        Message.objects.filter(pk=message.pk).update(notified_at=timezone.now())
        return
    recipient = opener.email if opener else (thread.contact if "@" in thread.contact else "")
    if not recipient:
        return
    municipality = thread.unit.municipality
    language = (opener.language if opener else "") or municipality.malform
    with translation.override(language):
        context = {
            "message": message,
            "thread": thread,
            "unit": thread.unit,
            "link": absolute_url(municipality, thread_path(thread)),
        }
        subject = render_to_string("conversations/email/answer_subject.txt", context).strip()
        body = render_to_string("conversations/email/answer_body.txt", context)
    email = EmailMultiAlternatives(
        subject=subject,
        body=body,
        to=[recipient],
        headers={"Message-ID": f"<answer-{message.pk}@torget.{municipality.number}>"},
    )
    email.send()
    Message.objects.filter(pk=message.pk).update(notified_at=timezone.now())

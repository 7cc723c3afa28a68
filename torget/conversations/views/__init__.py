"""Conversation pages: the resident's thread page, the staff inbox and thread page, moderation.

Views parse, call one selector or service, and render. A write answers with a redirect back and
a message (POST/redirect/GET), or, when the form or the service refuses, renders the page again
with status 422, the error next to the field and what was typed kept.

Staff pages need a staff role in the municipality (else 403); a thread or message of a unit the
staff member does not serve is refused (403), and ids that do not exist for the viewer, also
in forms, are 404s.
"""

from torget.conversations.views.inbox import inbox, inbox_status
from torget.conversations.views.moderation import (
    message_hide,
    message_report,
    message_restore,
    moderation,
    moderation_dismiss,
    user_block,
    user_unblock,
)
from torget.conversations.views.resident import thread_detail
from torget.conversations.views.staff_thread import (
    staff_thread,
    staff_thread_answer,
    staff_thread_assign,
    staff_thread_close,
    staff_thread_move,
    staff_thread_no_answer,
    staff_thread_note,
    staff_thread_reopen,
)

__all__ = [
    "inbox",
    "inbox_status",
    "message_hide",
    "message_report",
    "message_restore",
    "moderation",
    "moderation_dismiss",
    "staff_thread",
    "staff_thread_answer",
    "staff_thread_assign",
    "staff_thread_close",
    "staff_thread_move",
    "staff_thread_no_answer",
    "staff_thread_note",
    "staff_thread_reopen",
    "thread_detail",
    "user_block",
    "user_unblock",
]

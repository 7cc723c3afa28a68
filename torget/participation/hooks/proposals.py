"""What the proposals part registers with other modules (see hooks/__init__.py): a thread
about a proposal is shown on the proposal's page, to residents and to staff (whose status
form is on the same page)."""

from __future__ import annotations

from django.urls import reverse

from torget.conversations.models import Thread
from torget.conversations.registry import register_staff_subject, register_subject


def _proposal_path(thread: Thread, anchor: str = "") -> str:
    from torget.participation.models import Proposal

    row = Proposal.objects.filter(thread_id=thread.pk).values_list("process__slug", "pk").first()
    if row is None:
        return reverse("conversations:thread-detail", args=[thread.pk])
    path = reverse("participation:proposal-detail", args=list(row))
    return f"{path}#{anchor}" if anchor else path


def _staff_proposal_path(thread: Thread) -> str:
    return _proposal_path(thread, "status")


def register() -> None:
    """Called once from ParticipationConfig.ready()."""
    from torget.participation.models import Proposal

    register_subject(Proposal, _proposal_path)
    register_staff_subject(Proposal, _staff_proposal_path)

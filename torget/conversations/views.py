"""The resident's view of one conversation, whatever its channel."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from torget.conversations import selectors


def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One thread with the messages the viewer may read."""
    thread = selectors.thread_get_for_viewer(
        municipality=request.municipality,
        pk=pk,
        viewer=request.user,  # type: ignore[attr-defined]
    )
    messages = selectors.message_list_for_thread(thread=thread, viewer=request.user)
    return render(
        request, "conversations/thread_detail.html", {"thread": thread, "thread_messages": messages}
    )

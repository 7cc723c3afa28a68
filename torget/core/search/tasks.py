"""Index one thing later: a post dated in the future enters the index when it is published."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from torget.core.search import index, registry


@task()
def index_object(kind: str, object_id: int) -> bool:
    """(Re)index one thing of a registered kind from what its `document` function says now.

    Safe to run twice or early: a thing that must not be found (gone, not yet published) is
    taken out instead. Returns True when the thing is in the index afterwards.
    """
    found = registry.kind_get(kind)
    if found.document is None:
        return False
    with transaction.atomic():
        values = found.document(object_id)
        if values is None:
            index.document_delete(kind=kind, object_id=object_id)
            return False
        index.document_upsert(**values)
    return True


def index_object_at(*, kind: str, object_id: int, when: datetime.datetime) -> None:
    """Schedule `index_object` for `when` (a publication time). Call it inside the writing
    transaction: with the database queue the task commits or rolls back with the write. A
    queue that cannot wait leaves the thing to the next `manage.py search_reindex`."""
    queued = index_object
    if when > timezone.now():
        if not queued.get_backend().supports_defer:
            return
        queued = queued.using(run_after=when)
    queued.enqueue(kind=kind, object_id=object_id)

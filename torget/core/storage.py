"""Files in the default storage that no row names any more."""

from __future__ import annotations

import datetime

from django.core.files.storage import default_storage
from django.db import models

BATCH = 500


def unnamed_files_sweep(
    *, folder: str, model: type[models.Model], before: datetime.datetime, field: str = "file"
) -> int:
    """Delete the files directly in `folder` that no `model` row names in `field` and that
    were last written before `before` (a file younger than that may belong to a write still
    under way: written first, its row flipped after). Returns how many went.

    Such files are left by a worker killed between writing a file and recording it, or by
    two runs of the same work of which one lost.
    """
    try:
        _folders, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    swept = 0
    for start in range(0, len(names), BATCH):
        paths = [f"{folder}/{name}" for name in names[start : start + BATCH]]
        lookup = {f"{field}__in": paths}
        known = set(model._default_manager.filter(**lookup).values_list(field, flat=True))
        for path in paths:
            if path in known or default_storage.get_modified_time(path) >= before:
                continue
            default_storage.delete(path)
            swept += 1
    return swept

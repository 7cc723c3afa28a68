"""Sources of figures that live in modules above `insights`.

Posts belong to `pages`, which stands above `insights` in DESIGN.md §2, so `insights` must not
import it. Instead `pages` registers, in its AppConfig.ready, one function that counts its
posts; until it does, the dashboard says that post figures are not available.

    # torget/pages/apps.py
    def ready(self) -> None:
        from torget.insights.registry import register_post_source
        from torget.pages.selectors import post_count_for_metrics

        register_post_source(post_count_for_metrics)

The function is called with keyword arguments only and returns `(posts, dialogue_posts)`:
the number of posts published in [start, end) by the units whose ids are given, and how many
of them are of the kind that invites dialogue.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Protocol

from torget.organisation.models import Municipality


class PostSource(Protocol):
    """Counts posts for the dialogue metrics: `(posts, dialogue_posts)`.

    `unit_ids` is never empty and holds only units of `municipality`; a post counts when its
    unit is one of them and its `published_at` lies in [start, end). Drafts and unpublished
    posts never count.
    """

    def __call__(
        self,
        *,
        municipality: Municipality,
        unit_ids: Sequence[int],
        start: datetime.datetime,
        end: datetime.datetime,
    ) -> tuple[int, int]: ...


_post_source: PostSource | None = None


def register_post_source(source: PostSource | None) -> None:
    """Make `source` the function that counts posts (None removes it, for tests)."""
    global _post_source
    _post_source = source


def post_source_registered() -> bool:
    return _post_source is not None


def post_counts(
    *,
    municipality: Municipality,
    unit_ids: Sequence[int],
    start: datetime.datetime,
    end: datetime.datetime,
) -> tuple[int, int] | None:
    """`(posts, dialogue_posts)` from the registered source, or None when none is registered."""
    if _post_source is None:
        return None
    if not unit_ids:
        return 0, 0
    posts, dialogue = _post_source(
        municipality=municipality, unit_ids=list(unit_ids), start=start, end=end
    )
    return int(posts), int(dialogue)

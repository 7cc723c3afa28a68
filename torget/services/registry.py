"""Links shown under an information page, from modules above `services`.

Related self-service forms live in `torget.cases`, which sits above `services`; this app never
imports it (DESIGN.md §2). Instead `cases` registers a function here that gives, for a page,
the links to show under "Forms and self-service".
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from torget.services.models import InfoPage

logger = logging.getLogger(__name__)

PageLinks = Callable[[InfoPage], list[tuple[str, str]]]
_providers: list[PageLinks] = []


def register_page_links(fn: PageLinks) -> None:
    """Add `fn(page) -> [(title, url), ...]` to the providers of related links (once)."""
    if fn not in _providers:
        _providers.append(fn)


def unregister_page_links(fn: PageLinks) -> None:
    """Remove a provider (for tests)."""
    if fn in _providers:
        _providers.remove(fn)


def page_links(page: InfoPage) -> list[tuple[str, str]]:
    """The related links of every provider, in the order they registered, without repeats.

    A provider that fails is logged and skipped: a broken link list must not take the page
    down with it.
    """
    links: list[tuple[str, str]] = []
    seen: set[str] = set()
    for provider in list(_providers):
        try:
            found = provider(page)
        except Exception:
            logger.exception("page links provider %r failed for page %s", provider, page.pk)
            continue
        for title, url in found:
            if url not in seen:
                seen.add(url)
                links.append((str(title), str(url)))
    return links

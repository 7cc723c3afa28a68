"""The URL patterns of one namespace, listed from the resolver: access tests walk them, so a
URL added later is walked too."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


def patterns_in(namespace: str) -> list[tuple[str, URLPattern]]:
    """(route, pattern) of every URL pattern inside `namespace`, the route from the root."""
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns: list[Any], prefix: str, inside: bool) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route, inside or entry.namespace == namespace)
            elif inside:
                found.append((route, entry))

    walk(get_resolver().url_patterns, "", False)
    return found

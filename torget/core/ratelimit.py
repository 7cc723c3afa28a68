"""A fixed-window counter in the cache, for limits on writing.

The cache is local memory in the embedded deployment and Redis when scaled, so a limit holds
per process or per cluster respectively; either way a flood from one account is stopped.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """Who asks, for limits on anonymous requests: the address the request came from."""
    return str(request.META.get("REMOTE_ADDR", ""))


def ratelimit_hit(key: str, *, limit: int, period: int) -> bool:
    """Count one hit on `key`; return False when `limit` hits in `period` seconds are used up."""
    window = int(time.time() // period)
    cache_key = f"torget:rl:{key}:{window}"
    if cache.add(cache_key, 1, timeout=period + 1):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period + 1)
        return True
    return count <= limit

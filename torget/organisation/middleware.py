"""Choose the municipality from the request's host name."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from torget.organisation.selectors import municipality_get_by_host

# Paths that answer whatever the host: the health check is called by load balancers by IP.
HOST_INDEPENDENT_PREFIXES = ("/healthz", "/static/")


class MunicipalityMiddleware:
    """Set `request.municipality`; answer an unknown host with a clear 404 page.

    Every later query is scoped by `request.municipality`, which is what keeps one
    municipality's content out of another's pages.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.municipality = municipality_get_by_host(request.get_host())  # type: ignore[attr-defined]
        if request.municipality is None and not request.path.startswith(  # type: ignore[attr-defined]
            HOST_INDEPENDENT_PREFIXES
        ):
            from torget.core.views import unknown_host

            return unknown_host(request)
        return self.get_response(request)

"""Absolute links to a municipality's pages, for e-mails and feeds."""

from __future__ import annotations

from django.conf import settings

from torget.organisation.models import Municipality


def absolute_url(municipality: Municipality, path: str) -> str:
    """`path` on the municipality's first host name, with the configured scheme and port."""
    host = (
        municipality.hostnames.order_by("pk").values_list("name", flat=True).first() or "localhost"
    )
    scheme = "https" if settings.HTTPS else "http"
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{scheme}://{host}{port}{path}"

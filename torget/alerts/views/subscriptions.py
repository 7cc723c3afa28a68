"""Subscriptions to alerts (placeholder: helper H5 builds these views)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def subscribe(request: HttpRequest) -> HttpResponse:
    raise Http404


def subscription_manage(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404

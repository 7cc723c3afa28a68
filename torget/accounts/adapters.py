"""Torget's hooks into django-allauth."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.http import HttpRequest
from django.utils.encoding import force_str


def _site_for(request: HttpRequest | None) -> SimpleNamespace:
    """The municipality, standing in for django.contrib.sites (one deployment hosts several
    municipalities, each on its own host names, so there is no single Site)."""
    municipality = getattr(request, "municipality", None) if request is not None else None
    name = municipality.name if municipality is not None else "Torget"
    domain = request.get_host() if request is not None else "localhost"
    return SimpleNamespace(name=name, domain=domain)


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is open to every resident; e-mails name the municipality, not the server."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def format_email_subject(self, subject: str) -> str:
        return f"[{_site_for(context.request).name}] {force_str(subject)}"

    def send_mail(self, template_prefix: str, email: str, context_data: dict[str, Any]) -> None:
        request = context.request
        ctx = {"request": request, "email": email, "current_site": _site_for(request)}
        ctx.update(context_data)
        self.render_mail(template_prefix, email, ctx).send()

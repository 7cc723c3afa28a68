"""Torget's hooks into django-allauth."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is open to every resident; e-mails are sent in the language being shown."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

"""Providers that carry alerts: SMTP for e-mail, SMPP 3.4 and an HTTP JSON API for SMS, and
a development outbox. All behind the small interface in `base.py`; which one serves a medium
is set by the environment (see `config/settings.py`)."""

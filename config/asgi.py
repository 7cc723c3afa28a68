"""ASGI entry point: `uvicorn config.asgi:application`.

Django answers behind the anonymous page cache (torget.core.asgi_cache), which serves repeated
anonymous page views from memory before Django's per-request work begins.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

# Imported once Django is set up: the cache reads the settings (the languages) on import.
from torget.core.asgi_cache import AnonymousPageCache  # noqa: E402

application = AnonymousPageCache(django_application)

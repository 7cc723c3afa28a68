"""The browser fixtures of the cross-app suite (tests/e2e/conftest.py), for this app's browser
test: the real ASGI server, Chromium, and axe on every page (its hook fails a test with serious
or critical violations)."""

from tests.e2e.conftest import (  # noqa: F401
    axe_guards,
    browser,
    e2e_static_root,
    new_page,
    pytest_runtest_call,
    server_url,
)

"""The axe check every browser test relies on: it runs under Torget's CSP and misses nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import AxeGuard

pytestmark = pytest.mark.browser

# One critical and one serious violation, and an inline script the CSP must block.
BROKEN_PAGE = """<!DOCTYPE html>
<html lang="nb"><head><title>Axe-prøve</title></head>
<body><main>
  <h1>Prøve</h1>
  <img src="/static/finnes-ikke.png">
  <a href="/"></a>
  <script>document.title = "inline script ran";</script>
</main></body></html>"""


def test_axe_reports_violations_with_the_sites_csp_in_force(
    page: Page, axe_guards: list[AxeGuard]
) -> None:
    response = page.goto("/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    def broken(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": csp},
            body=BROKEN_PAGE,
        )

    page.route("**/axe-prove/", broken)
    page.goto("/axe-prove/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prøve")
    expect(page).to_have_title("Axe-prøve")  # the CSP blocked the inline script

    (guard,) = axe_guards
    front, broken_report = guard.reports
    assert front.blocking() == []
    found = {v["id"]: v["impact"] for v in broken_report.blocking()}
    assert found == {"image-alt": "critical", "link-name": "serious"}
    problems = "\n".join(guard.problems())
    assert "image-alt (critical)" in problems
    assert "link-name (serious)" in problems
    assert 'img    <img src="/static/finnes-ikke.png">' in problems
    # The broken page has served its purpose; it must not fail this test.
    guard.reports.remove(broken_report)


def test_a_page_left_without_a_check_is_reported(page: Page, axe_guards: list[AxeGuard]) -> None:
    page.goto("/")
    page.goto("/finnes-ikke/")  # left "/" without asserting anything on it
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    (guard,) = axe_guards
    guard.finish()
    assert len(guard.errors) == 1
    assert "a page was left before axe checked it" in guard.errors[0]
    guard.errors.clear()

import pytest
from playwright.sync_api import Page

@pytest.mark.browser
def test_explore(page: Page) -> None:
    r = page.goto("/")
    print(r.status, page.evaluate("document.documentElement.lang"))
    print(page.content()[:3000])
    page.goto("/konto/login/")
    print(page.content())

import pytest
from playwright.sync_api import Page, expect
from tests.factories import UserFactory
from torget.organisation import services as org
from torget.organisation.models import Role

@pytest.fixture
def newstaff(library):
    u = UserFactory(email="ny.ansatt@example.no")
    org.membership_grant(user=u, unit=library, role=Role.COMMUNICATOR)
    return u

@pytest.mark.browser
def test_explore(page: Page, newstaff, password) -> None:
    page.goto("/konto/login/")
    page.get_by_label("E-post").fill(newstaff.email)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").last.click()
    expect(page.locator("h1")).to_have_text("Bekreft tilgang")
    page.goto("/ansatt/")
    expect(page.locator("h1")).to_be_visible()
    print("ANSATT", page.url)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Bekreft").click()
    expect(page.locator("h1")).not_to_have_text("Bekreft tilgang")
    print("ACTIVATE", page.url, page.locator("main").inner_html())

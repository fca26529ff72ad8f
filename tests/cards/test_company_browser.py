"""A staff card in a real browser: the till at 1280×800 says the level and points are the company's; /my/ on a
phone (390×844) says so too. Screenshots go to test-artifacts/ for a person to look at."""

import re

import pytest

from cards.companies import card_join_company
from cards.lifecycle import card_activate
from loyalty.models import Company
from pos.demo import build_demo
from tests.browser import ARTIFACTS, BROWSER_TEST, expect, is_page_error
from tests.mycard import support as my_support
from tests.mycard.support import pin
from tests.pos.test_browser import log_in, scan

pytestmark = BROWSER_TEST
fresh_cache = my_support.fresh_cache  # autouse: PIN counters stay in their test

ANNA, BOB = "2000000000015", "2000000000022"


@pytest.fixture
def company(live_server):
    build_demo()
    for number, name in ((ANNA, "Anna Kowalska"), (BOB, "Bob Nowak")):
        card_activate(number=number, name=name, phone=f"+4860010020{number[-2]}")
    company = Company.objects.create(name="Müller Bau GmbH", vat_id="DE123456789")
    for number in (ANNA, BOB):
        card_join_company(number=number, company_id=company.pk)
    return live_server.url


def open_page(browser, url, **device):
    context = browser.new_context(**device, base_url=url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if is_page_error(msg) else None)
    return context, page, errors


def test_the_till_and_the_phone_say_a_staff_cards_points_are_its_companys(browser, company):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, errors = open_page(browser, company, viewport={"width": 1280, "height": 800})
    log_in(page)
    scan(page, BOB)
    expect(page.locator("#card-name")).to_have_text("Bob N.")
    expect(page.locator("#card-company")).to_have_text("Company account: Müller Bau GmbH")
    expect(page.locator("#card-company")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "company-till-staff-card.png"))
    context.close()
    assert errors == []

    phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
    context, page, errors = open_page(browser, company, **phone)
    page.goto("/my/signin/")
    page.fill("#id_number", ANNA)
    page.fill("#id_pin", pin(ANNA))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/my/$"))
    expect(page.locator("#company-note")).to_contain_text("A staff card of Müller Bau GmbH")
    expect(page.locator("h1")).to_have_text("Hello, Anna K.")
    page.screenshot(path=str(ARTIFACTS / "company-my-staff-card.png"))
    context.close()
    assert errors == []

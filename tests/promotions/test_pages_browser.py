"""The promotions' pages in a real browser at their users' sizes: the manager's campaigns report on a desktop
(1440 x 900) and the customer's offers and personal coupons on a phone (390 x 844). Screenshots go to
test-artifacts/ for a person to look at."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from cards.pins import card_pin
from loyalty.models import Category, Customer
from promotions.models import Campaign
from tests.browser import ARTIFACTS, BROWSER_TEST, expect
from tests.dashboard.test_campaigns import summer  # noqa: F401  (the fixture: July's campaigns and sales)
from tests.mycard.support import ANNA, cards_in_every_state, fresh_cache  # noqa: F401  (autouse)
from tests.promotions.helpers import coupon_for, running_campaign

pytestmark = BROWSER_TEST


def context_page(browser, live_server, **device):
    context = browser.new_context(base_url=live_server.url, **device)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_the_manager_sees_each_campaigns_cost_and_revenue_on_a_desktop(browser, live_server, summer):  # noqa: F811
    context, page, errors = context_page(browser, live_server, viewport={"width": 1440, "height": 900})
    page.goto("/manager/campaigns/?from=2026-07-01&to=2026-07-31")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.fill("#id_username", "manager")
    page.fill("#id_password", "manager-demo")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Campaigns: cost, covered revenue, coupons")
    expect(page.locator("canvas[data-chart][data-drawn=true]")).to_have_count(2)
    expect(page.locator("#campaigns tbody tr").first).to_contain_text("Summer week")
    expect(page.locator(".headline")).to_contain_text("1 / 3")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "manager-campaigns.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert (errors, width <= 1440) == ([], True)


@pytest.fixture
def offers(demo):
    cards_in_every_state()
    anna = Customer.objects.get(name="Anna Kowalska")
    garden = running_campaign(name="Summer week", scope=Campaign.Scope.CATEGORIES, audience="card_holders",
                              categories=[Category.objects.get(code="produce")])  # fmt: skip
    assert garden.pk
    five = running_campaign(name="5 € off your next visit", needs_coupon=True, benefit="amount_receipt",
                            value="5.00", min_basket="20.00")  # fmt: skip
    coupon_for(five, customer=anna)
    later = date.today() + timedelta(days=10)
    soon = running_campaign(name="Autumn coffee", needs_coupon=True, starts_on=later, ends_on=later + timedelta(days=6),
                            value="15")  # fmt: skip
    coupon_for(soon, code="BCDEF23456", customer=anna)
    assert timezone.now()


def test_the_customer_sees_offers_and_personal_coupons_on_a_phone(browser, live_server, offers):
    phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
    context, page, errors = context_page(browser, live_server, **phone)
    page.goto("/my/")
    page.fill("#id_number", ANNA)
    page.fill("#id_pin", card_pin(ANNA))
    page.get_by_role("button", name="Sign in").click()
    section = page.locator("#offers")
    expect(section.locator("#campaigns li")).to_have_text(
        re.compile(r"Summer week:\s+10 % off\s+on Fruit & vegetables")
    )
    expect(section.locator("#coupons li")).to_have_count(2)
    expect(section.locator("#coupons li").first).to_contain_text("ABCDE-23456")
    expect(section.locator("#coupons li").first).to_contain_text("5.00 EUR off your purchase")
    expect(section.locator("#coupons li").nth(1)).to_contain_text("from ")
    section.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    section.screenshot(path=str(ARTIFACTS / "my-offers.png"))
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert (errors, width) == ([], 390)


def test_the_what_if_replays_a_proposed_campaign_on_a_desktop(browser, live_server):
    from tests.dashboard.shop import build_shop

    build_shop()
    context, page, errors = context_page(browser, live_server, viewport={"width": 1440, "height": 900})
    page.goto("/manager/whatif/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "manager-demo")
    page.keyboard.press("Enter")
    page.fill("#id_campaign-name", "Dairy day")
    page.fill("#id_campaign-percent", "10")
    page.fill("#id_campaign-starts", "2026-11-03")
    page.fill("#id_campaign-ends", "2026-11-03")
    page.locator("#whatif-campaign input[value=dairy]").check()
    page.locator("#whatif-campaign").screenshot(path=str(ARTIFACTS / "manager-whatif-campaign-form.png"))
    page.get_by_role("button", name="Replay").click()
    expect(page.locator("#campaign")).to_contain_text("Dairy day")
    expect(page.locator("canvas[data-chart][data-drawn=true]")).to_have_count(4)
    page.screenshot(path=str(ARTIFACTS / "manager-whatif-campaign.png"), full_page=True)
    context.close()
    assert errors == []


def test_the_manager_issues_coupons_and_reads_a_receipts_discount_sources_on_a_desktop(browser, live_server, summer):  # noqa: F811
    from pos.models import DiscountEntry

    week, five = summer
    context, page, errors = context_page(browser, live_server, viewport={"width": 1440, "height": 900})
    receipt = DiscountEntry.objects.filter(coupon__isnull=False).values_list("receipt_id", flat=True).get()
    page.goto(f"/manager/receipts/{receipt}/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "manager-demo")
    page.keyboard.press("Enter")
    sources = page.locator("td.sources div")
    expect(sources).to_have_count(2)
    expect(sources.nth(0)).to_have_text("Summer week: 10.00 % = 5.00")
    expect(sources.nth(1)).to_contain_text("(Five off): 10.00 % = 5.00")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "manager-receipt-sources.png"), full_page=True)
    wide = page.evaluate("document.documentElement.scrollWidth")
    page.goto(f"/admin/promotions/campaign/{five.pk}/issue-coupons/")
    page.fill("#id_count", "30")
    page.get_by_role("button", name="Issue the coupons").click()
    expect(page.locator(".messagelist")).to_contain_text("download its CSV or PDF here")
    expect(page.get_by_role("link", name="PDF")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "admin-coupon-batch.png"), full_page=True)
    context.close()
    assert (errors, wide <= 1440) == ([], True)

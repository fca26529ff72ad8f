"""The cashier screen with a campaign and a coupon (Chromium, 1280 x 800): a scanned coupon joins the sale,
each line says which campaign gave what, a used coupon is refused with the reason."""

from decimal import Decimal as D

from promotions.models import Campaign
from tests.browser import BROWSER_TEST, expect
from tests.mycard.support import fresh_cache  # noqa: F401  (autouse: PIN counters stay in their test)
from tests.pos.test_browser import log_in, page, scan, shot  # noqa: F401  (the page fixture)
from tests.promotions.helpers import coupon_for, running_campaign

pytestmark = BROWSER_TEST
MILK = "4006381333931"
BREAD = "4007817327098"


def test_a_scanned_coupon_joins_the_sale_and_the_line_names_its_campaign(page):  # noqa: F811
    running_campaign(name="Milk week")
    coupon_for(running_campaign(name="Flyer", needs_coupon=True, benefit=Campaign.Benefit.AMOUNT_PER_RECEIPT,
                                value=D("0.50")))  # fmt: skip
    coupon_for(running_campaign(name="Old flyer", needs_coupon=True), code="USEDCODE", uses=1)
    page.goto("/pos/")
    log_in(page)
    scan(page, MILK)
    expect(page.locator(".item-promo").first).to_have_text("Milk week −0.14")
    scan(page, "USEDCODE")
    expect(page.locator("#message")).to_contain_text("already been used")
    scan(page, "ABCDE-23456")
    expect(page.locator("#coupons")).to_contain_text("−0.15")
    expect(page.locator(".item-promo").first).to_have_text("Milk week −0.14 · Coupon: Flyer −0.15")
    expect(page.locator("#t-discount")).to_have_text("−0.29")
    shot(page, "promotions-coupon")


def test_a_coupon_says_why_it_cannot_apply_and_leaves_the_sale_when_the_basket_drops_below_it(page):  # noqa: F811
    five = running_campaign(name="Five euro", needs_coupon=True, benefit=Campaign.Benefit.AMOUNT_PER_RECEIPT,
                            value=D("5.00"), min_basket=D("10.00"), ceiling_justification="Flyer")  # fmt: skip
    coupon_for(five)
    page.goto("/pos/")
    log_in(page)
    scan(page, "ABCDE-23456")  # handed over before the goods
    expect(page.locator("#message")).to_have_text("The sale is empty: scan a product first.")
    scan(page, MILK)  # 1.49
    scan(page, "ABCDE-23456")
    expect(page.locator("#message")).to_have_text("Coupon ABCDE-23456: Five euro needs a basket of at least 10.00.")
    expect(page.locator("#coupons")).to_be_hidden()
    scan(page, "4*")
    scan(page, BREAD)  # 1.49 + 4 x 2.79 = 12.65
    scan(page, "ABCDE-23456")
    expect(page.locator("#coupons")).to_contain_text("−5.00")
    expect(page.locator("#t-total")).to_have_text("7.65")
    shot(page, "promotions-coupon-minimum")
    page.get_by_role("button", name="Remove Rye bread").click()  # back to 1.49: below the minimum
    expect(page.locator("#message")).to_have_text("Coupon ABCDE-23456: Five euro needs a basket of at least 10.00.")
    expect(page.locator("#coupons")).to_be_hidden()
    expect(page.locator("#t-total")).to_have_text("1.49")  # quoted without it, ready to complete
    shot(page, "promotions-coupon-dropped")
    scan(page, "4*")
    scan(page, BREAD)  # 12.65 again: the coupon can come back
    scan(page, "ABCDE-23456")
    expect(page.locator("#coupons")).to_contain_text("−5.00")
    page.keyboard.press("F9")
    expect(page.locator("#receipt-lines")).to_contain_text("Coupon: Five euro")
    expect(page.locator("#receipt-totals")).to_contain_text("Discount")
    shot(page, "promotions-coupon-receipt")

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

"""/partner/ in a real browser (Debian's chromium through Playwright): sign in, progress, statements, on a
desktop (1440×900) and a phone (390×844), in English and German. Screenshots go to test-artifacts/."""

import pytest

from partners.services import settle_period
from tests.browser import ARTIFACTS, BROWSER_TEST, expect
from tests.partners.shop import NOV, SETTLED_AT, receipt
from tests.partners.test_regions import customer, dealer

pytestmark = BROWSER_TEST

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize(
    "device, locale, progress, tier",
    [
        (DESKTOP, "en-US", "Sell 3,200.00 more this quarter for 4 %", "Volume tier (retroactive)300.00 reaches 2.00 %"),
        (PHONE, "de-DE", "Verkaufen Sie in diesem Quartal noch 3.200,00 für 4 %",
         "Umsatzstaffel (rückwirkend)300,00 erreicht 2,00 %"),
    ],
)  # fmt: skip
def test_a_partner_signs_in_and_reads_its_progress_and_statement(
    browser, live_server, two_partners, device, locale, progress, tier
):
    context = browser.new_context(**device, base_url=live_server.url, locale=locale)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/partner/")
    page.fill("input[name=username]", "nord")
    page.fill("input[name=password]", "pw-nord-1")
    page.click("button[type=submit]")
    expect(page.locator(".next")).to_have_text(progress)
    assert page.evaluate("document.documentElement.scrollWidth") <= device["viewport"]["width"]
    name = "desktop" if device is DESKTOP else "phone"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"partner-home-{name}.png"), full_page=True)
    page.locator("a[href$='/']", has_text="Open" if locale == "en-US" else "Öffnen").first.click()
    expect(page.locator("h1")).to_contain_text("2026-07")
    expect(page.locator("tbody tr").first).to_contain_text(tier)  # label and figure in the page's language
    page.screenshot(path=str(ARTIFACTS / f"partner-statement-{name}.png"), full_page=True)
    assert errors == []
    context.close()


@pytest.mark.parametrize(
    "device, locale, label, figure, anonymous",
    [
        (DESKTOP, "en-US", "Bypassed sales in your region",
         "1 receipt, 40.00, in the volume above: 2.00 of the commission", "Direct sale in your region"),
        (PHONE, "de-DE", "Direktkäufe im Gebiet",
         "1 Bon, 40,00, im Umsatz oben: 2,00 der Provision", "Direktkauf im Gebiet"),
    ],
)  # fmt: skip
def test_a_dealer_reads_the_bypassed_sales_in_its_region(
    browser, live_server, django_user_model, device, locale, label, figure, anonymous
):
    agreement = dealer("NORD", "80")
    agreement.partner.user = django_user_model.objects.create_user("nord", password="pw-nord-1")
    agreement.partner.save(update_fields=["user"])
    receipt(customer("80331", "Zora Direkt"), "40.00", NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    context = browser.new_context(**device, base_url=live_server.url, locale=locale)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/partner/")
    page.fill("input[name=username]", "nord")
    page.fill("input[name=password]", "pw-nord-1")
    page.click("button[type=submit]")
    page.locator("a[href$='/']", has_text="Open" if locale == "en-US" else "Öffnen").first.click()
    expect(page.locator("tbody tr", has_text=label)).to_contain_text(figure)
    expect(page.locator("tbody tr", has_text=anonymous)).to_contain_text("40")
    assert "Zora" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= device["viewport"]["width"]
    name = "desktop" if device is DESKTOP else "phone"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"partner-bypassed-{name}.png"), full_page=True)
    assert errors == []
    context.close()

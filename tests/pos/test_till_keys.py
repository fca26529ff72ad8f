"""Issue 17 at the till, in Chromium at 1280×800: a scan whatever has focus, quantities by keyboard,
void / park / a basket that survives a reload, refunds with a confirmation and a reason, a second card,
the manual line, errors heard as well as read, the PIN slip again, and the till in German."""

from tests.browser import BROWSER_TEST, expect
from tests.pos import test_browser as till
from tests.pos.test_browser import BREAD, MILK, log_in, scan, shot

# test_browser's `page` fixture (the demo, a 1280×800 context, no JavaScript errors) under a name of its own
till_page = till.page

pytestmark = BROWSER_TEST


def human_types(page, text: str) -> None:
    """A person at the keyboard: well over 50 ms between keys, never taken for a scanner."""
    page.keyboard.type(text, delay=90)


def scanner_fires(page, code: str) -> None:
    """A scanner: the whole code within milliseconds, then Enter, into whatever has focus."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_a_scan_while_a_quantity_box_has_focus_adds_the_product_and_leaves_the_quantity(till_page):
    page = till_page
    log_in(page)
    scan(page, MILK)
    qty = page.locator("#lines-body input.qty").first
    qty.click()
    qty.select_text()
    human_types(page, "2")
    scanner_fires(page, BREAD)
    expect(page.locator("#lines-body tr")).to_have_count(2)
    expect(page.locator("#lines-body input.qty").first).to_have_value("2")
    expect(page.locator("#lines-body tr").nth(1)).to_contain_text("BREAD-RYE")
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("#scan")).to_have_value("")

    page.keyboard.press("F4")  # the manual line's SKU field has focus: a scan still sells
    human_types(page, "BAG")
    scanner_fires(page, MILK)
    expect(page.locator("#lines-body input.qty").first).to_have_value("3")
    expect(page.locator("#man-sku")).to_have_value("BAG")
    expect(page.locator("#lines-body tr")).to_have_count(2)
    shot(page, "17-01-scan-from-a-quantity-box")


def test_a_multiplier_before_a_scan_and_a_key_to_the_last_line(till_page):
    page = till_page
    log_in(page)
    human_types(page, "3*")
    scanner_fires(page, MILK)  # "3*4006381333931" in the scan field
    expect(page.locator("#lines-body input.qty").first).to_have_value("3")

    human_types(page, "2*")
    page.keyboard.press("Enter")  # the multiplier waits for the next scan
    expect(page.locator("#multiplier")).to_have_text("× 2")
    shot(page, "17-02-multiplier-waiting")
    scan(page, BREAD)
    expect(page.locator("#lines-body input.qty").nth(1)).to_have_value("2")
    expect(page.locator("#multiplier")).to_be_hidden()
    expect(page.locator("#t-subtotal")).to_have_text("10.05")  # 3 × 1.49 + 2 × 2.79

    page.keyboard.press("ArrowUp")  # the scan field's ↑: the last line's quantity
    expect(page.locator("#lines-body input.qty").nth(1)).to_be_focused()
    human_types(page, "4")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#lines-body input.qty").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.press("F3")
    expect(page.locator("#lines-body input.qty").nth(1)).to_be_focused()
    expect(page.locator("#t-subtotal")).to_have_text("15.63")  # 3 × 1.49 + 4 × 2.79

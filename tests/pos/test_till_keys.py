"""Issue 17 at the till, in Chromium at 1280×800: a scan whatever has focus, quantities by keyboard,
void / park / a basket that survives a reload, refunds with a confirmation and a reason, a second card,
the manual line, errors heard as well as read, the PIN slip again, and the till in German."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from cards.lifecycle import card_activate
from cards.pins import card_pin
from loyalty import rules
from pos.actors import PosActor
from pos.models import Cashier, PinSlipReprint, Receipt, Refund, Store
from pos.services import Basket, checkout
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

    page.keyboard.press("F4")  # the manual line's name has focus: a scan still sells
    human_types(page, "Bag")
    scanner_fires(page, MILK)
    expect(page.locator("#lines-body input.qty").first).to_have_value("3")
    expect(page.locator("#man-name")).to_have_value("Bag")
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

    page.keyboard.press("F2")
    human_types(page, "5*")
    page.keyboard.press("Enter")
    human_types(page, "40")
    page.keyboard.press("Escape")  # clears what was typed and the multiplier; the sale stays
    expect(page.locator("#multiplier")).to_be_hidden()
    expect(page.locator("#scan")).to_have_value("")
    expect(page.locator("#lines-body tr")).to_have_count(2)


def test_void_asks_first_park_and_recall_and_a_reload_keeps_the_basket_and_card(till_page):
    page = till_page
    gold = till.gold_card()
    log_in(page)
    scan(page, gold)
    scan(page, MILK)
    scan(page, BREAD)
    expect(page.locator("#t-total")).not_to_have_text("0.00")

    page.reload()  # F5: the basket and the card come back
    expect(page.locator("#lines-body tr")).to_have_count(2)
    expect(page.locator("#card-name")).to_have_text("Greta G.")
    expect(page.locator("#message")).to_have_text("The sale on screen before the reload is back.")
    expect(page.locator("#t-subtotal")).to_have_text("4.28")

    page.keyboard.press("F10")  # park it
    expect(page.locator("#lines-body tr")).to_have_count(0)
    expect(page.locator("#card-info")).to_be_hidden()
    expect(page.locator("#parked-count")).to_have_text("1")
    expect(page.locator("#message")).to_contain_text("Sale parked (2 lines")
    scan(page, BREAD)  # the next customer
    page.keyboard.press("F10")
    expect(page.locator("#parked-count")).to_have_text("2")

    page.keyboard.press("F10")  # nothing on screen: the parked sales to recall
    expect(page.locator("#parked-dialog")).to_be_visible()
    expect(page.locator("#parked-list li")).to_have_count(2)
    expect(page.locator("#parked-list li").first).to_contain_text("2 lines, 4.08 EUR, card of Greta G.")
    shot(page, "17-03-parked-sales")
    page.keyboard.press("1")
    expect(page.locator("#parked-dialog")).to_be_hidden()
    expect(page.locator("#lines-body tr")).to_have_count(2)
    expect(page.locator("#card-name")).to_have_text("Greta G.")
    expect(page.locator("#parked-count")).to_have_text("1")

    page.keyboard.press("Control+Delete")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-title")).to_have_text("Void this sale?")
    shot(page, "17-04-void-confirmation")
    page.keyboard.press("Escape")  # kept
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    expect(page.locator("#lines-body tr")).to_have_count(2)
    page.keyboard.press("Escape")  # Esc clears the message first ("Parked sale recalled")
    expect(page.locator("#message")).to_be_hidden()
    page.keyboard.press("Escape")  # then, on a sale, asks the same question
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#lines-body tr")).to_have_count(0)
    expect(page.locator("#card-info")).to_be_hidden()
    expect(page.locator("#message")).to_have_text("Sale voided.")
    expect(page.locator("#scan")).to_be_focused()
    page.reload()
    expect(page.locator("#lines-body tr")).to_have_count(0)
    expect(page.locator("#parked-count")).to_have_text("1")
    assert Receipt.objects.count() == 1  # only the gold card's setup: nothing was sold

    log_in_as_the_other_cashier_of_the_store(page)
    expect(page.locator("#parked-open")).to_be_hidden()  # another cashier's parked sales are not theirs


def log_in_as_the_other_cashier_of_the_store(page):
    User.objects.create_user("cashier3", password="cashier-demo")
    Cashier.objects.create(user=User.objects.get(username="cashier3"), store=Store.objects.get(code="central"))
    page.locator("#logout").click()
    page.fill("#id_username", "cashier3")
    page.fill("#id_password", "cashier-demo")
    page.keyboard.press("Enter")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)


def riverside_sale() -> int:
    actor = PosActor(store=Store.objects.get(code="riverside"), cashier=User.objects.get(username="cashier2"))
    line = rules.Line(sku="MILK-1L", name="Milk 1 l", category="dairy", quantity=Decimal(1), unit_price=Decimal("1.49"))
    _, body, _ = checkout(actor=actor, key="riverside", basket=Basket(lines=(line,)), payload={}, at=timezone.now())
    return body["receipt_id"]


def test_a_refund_is_found_by_the_card_confirmed_with_a_reason_and_gives_a_slip(till_page):
    page = till_page
    gold = till.gold_card()  # one 750.00 television at Central
    foreign = riverside_sale()
    log_in(page)
    page.keyboard.press("F8")
    scanner_fires(page, gold)  # the customer has no receipt, only the card
    expect(page.locator("#refund-found-body tr")).to_have_count(1)
    expect(page.locator("#refund-found-count")).to_have_text("1 receipt found")
    expect(page.locator("#refund-found-body tr").first).to_contain_text("750.00")
    page.keyboard.press("Enter")  # "Open" has focus
    qty = page.locator("#refund-lines input.qty")
    expect(qty).to_be_focused()
    page.keyboard.type("1")
    page.keyboard.press("Enter")  # asks, does not refund
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-lines")).to_contain_text("1 × Television")
    expect(page.locator("#confirm-lines")).to_contain_text("Goods worth 750.00 EUR")
    page.keyboard.press("Enter")  # no reason yet: stays open
    expect(page.locator("#confirm-error")).to_have_text("Choose the reason (1–6).")
    assert Refund.objects.count() == 0
    page.keyboard.press("1")
    page.fill("#refund-note", "Dead pixels")
    shot(page, "17-05-refund-confirmation")
    page.keyboard.press("Enter")
    expect(page.locator("#refund-amount")).to_have_text("750.00")
    expect(page.locator("#refund-slip")).to_contain_text("Reason: Damaged or faulty (Dead pixels)")
    expect(page.locator("#print-refund")).to_be_focused()
    shot(page, "17-06-refund-slip")
    page.emulate_media(media="print")
    expect(page.locator("#refund-slip")).to_be_visible()
    expect(page.locator("#refund-receipt-box")).to_be_hidden()
    page.emulate_media(media="screen")
    assert Refund.objects.values_list("reason", "note", "amount_refunded").get() == (
        "damaged",
        "Dead pixels",
        Decimal("750.00"),
    )

    page.locator("#refund-receipt").fill(str(foreign))
    page.locator("#refund-receipt").press("Enter")
    expect(page.locator("#message")).to_have_text(
        f"Receipt {foreign} was sold in Riverside (riverside): it is refunded there."
    )


def test_a_second_card_asks_before_it_replaces_the_first(till_page):
    page = till_page
    gold = till.gold_card()
    card_activate(number=till.NEW_CARD, name="Anna Kowalska", phone="+48600100200")
    log_in(page)
    scan(page, gold)
    expect(page.locator("#card-name")).to_have_text("Greta G.")
    scan(page, gold)
    expect(page.locator("#message")).to_have_text("The card of Greta G. is already on this sale.")
    scan(page, till.NEW_CARD)
    expect(page.locator("#confirm-title")).to_have_text("Another card on this sale?")
    expect(page.locator("#confirm-lines")).to_contain_text(f"Scanned: card {till.NEW_CARD} of Anna K.")
    shot(page, "17-07-second-card")
    page.keyboard.press("Escape")
    expect(page.locator("#card-name")).to_have_text("Greta G.")
    page.locator("#scan").focus()
    scan(page, till.NEW_CARD)
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#card-name")).to_have_text("Anna K.")


def test_a_typed_line_needs_no_sku_and_starts_with_a_category_and_a_bad_check_digit_is_named(till_page, settings):
    page = till_page
    settings.POS_MANUAL_LINE_CATEGORY = "bakery"
    log_in(page)
    page.keyboard.press("F4")
    expect(page.locator("#man-category")).to_have_value("bakery")
    page.keyboard.type("Flowers")
    page.fill("#man-price", "4.50")
    page.locator("#man-price").press("Enter")
    expect(page.locator("#lines-body tr")).to_have_count(1)
    expect(page.locator("#lines-body tr").first).to_contain_text("MANUAL · Bakery")

    scan(page, MILK[:-1] + "2")  # MILK with a wrong last digit
    expect(page.locator("#message")).to_have_text(f"Wrong check digit – scan again ({MILK[:-1]}2).")
    expect(page.locator("body")).to_have_attribute("data-beeps", "1")  # heard, too

    page.locator("#sound-toggle").click()  # this cashier does not want it
    expect(page.locator("#sound-toggle")).to_have_text("Sound off")
    scan(page, "123")
    expect(page.locator("#message")).to_contain_text("Coupon 123 is not known")  # an error, not heard
    expect(page.locator("body")).to_have_attribute("data-beeps", "1")
    page.reload()
    expect(page.locator("#sound-toggle")).to_have_text("Sound off")


def test_the_pin_slip_is_printed_again_for_the_holder_after_a_confirmation(till_page):
    page = till_page
    gold = till.gold_card()
    log_in(page)
    page.evaluate("window.print = () => { window.printedPin = document.getElementById('pin-slip-pin').textContent; }")
    scan(page, gold)
    page.locator("#card-pin-slip").click()
    expect(page.locator("#confirm-title")).to_have_text(f"Print the PIN slip of card {gold} again?")
    shot(page, "17-08-pin-slip-confirmation")
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_text(f"PIN slip of card {gold} printed for Greta G.")
    assert page.evaluate("window.printedPin") == card_pin(gold)
    expect(page.locator("#pin-slip-pin")).to_have_text("")  # not left on the page
    assert PinSlipReprint.objects.filter(card__number=gold, cashier__username="cashier1").count() == 1


def test_the_till_in_german(browser, live_server):
    till.build_demo()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/pos/")
    expect(page.locator("h1")).to_have_text("Kassen-Anmeldung")
    page.fill("#id_username", "cashier1")
    page.fill("#id_password", "cashier-demo")
    page.keyboard.press("Enter")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    expect(page.locator("#complete")).to_contain_text("Verkauf abschließen")
    scan(page, MILK)
    scan(page, "4006381333932")
    expect(page.locator("#message")).to_have_text("Falsche Prüfziffer – erneut scannen (4006381333932).")
    page.keyboard.press("Control+Delete")
    expect(page.locator("#confirm-title")).to_have_text("Diesen Verkauf stornieren?")
    shot(page, "17-09-german")
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_text("Verkauf storniert.")
    page.locator("#language").click()  # English, please
    expect(page.locator("#complete")).to_contain_text("Complete sale")
    context.close()


def test_a_scan_on_the_receipt_starts_the_next_sale(till_page):
    page = till_page
    log_in(page)
    scan(page, MILK)
    expect(page.locator("#complete")).to_be_enabled()
    page.keyboard.press("F9")
    expect(page.locator("#receipt-view")).to_be_visible()
    scanner_fires(page, BREAD)  # the next customer's first item, with "New sale" focused
    expect(page.locator("#sale-view")).to_be_visible()
    expect(page.locator("#lines-body tr")).to_have_count(1)
    expect(page.locator("#lines-body tr").first).to_contain_text("BREAD-RYE")
    assert Receipt.objects.count() == 1

"""The cashier screen in a real browser (Debian's chromium through Playwright), at a 1280×800 till.

Screenshots of the key moments go to test-artifacts/ (gitignored) for a person to look at.
"""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cards.lifecycle import card_activate, card_block
from cards.numbers import card_number
from loyalty import rules
from pos.actors import PosActor
from pos.demo import build_demo
from pos.models import Receipt, Store
from pos.services import Basket, checkout
from tests.browser import ARTIFACTS, BROWSER_TEST, expect, is_page_error
from tests.mycard.support import fresh_cache  # noqa: F401  (autouse: PIN counters stay in their test)

pytestmark = BROWSER_TEST

# Demo batch numbers: serials 1, 2, 3… of the default prefix.
NEW_CARD = card_number("000", 1)  # 2000000000015
GOLD_CARD = card_number("000", 2)
BLOCKED_CARD = card_number("000", 3)
MILK = "4006381333931"  # MILK-1L, 1.49, dairy
BREAD = "4007817327098"  # BREAD-RYE, 2.79, bakery
CIGARETTES = "4000417025005"  # CIG-20, 8.20, tobacco: excluded, earns no points


@pytest.fixture
def page(browser, live_server):
    build_demo()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if is_page_error(msg) else None)
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"pos-{name}.png"))


def log_in(page, username="cashier1", password="cashier-demo"):
    page.goto("/pos/")
    expect(page).to_have_url(re.compile(r"/pos/login/\?next=/pos/$"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.keyboard.press("Enter")
    expect(page.locator("#store-name")).to_have_text("Central Market")
    expect(page.locator("#cashier-name")).to_have_text(username)
    expect(page.locator("body[data-ready=true]")).to_have_count(1)  # the script is running
    expect(page.locator("#scan")).to_be_focused()


def scan(page, code: str) -> None:
    """What a barcode scanner does: type digits into the focused field, then Enter."""
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def expect_totals(page, *, subtotal, discount, points, total, earn):
    expect(page.locator("#totals")).not_to_have_class(re.compile("stale"))
    expect(page.locator("#t-subtotal")).to_have_text(subtotal)
    expect(page.locator("#t-discount")).to_have_text(discount)
    expect(page.locator("#t-points")).to_have_text(points)
    expect(page.locator("#t-total")).to_have_text(total)
    expect(page.locator("#t-earn")).to_have_text(earn)


def gold_card(birthday=None) -> str:
    """A regular customer: one 750.00 purchase lifts the card to Gold (700 → 5 %) with 37.50 points."""
    card_activate(number=GOLD_CARD, name="Greta Goldberg", phone="+48600700700", birthday=birthday)
    actor = PosActor(store=Store.objects.get(code="central"), cashier=User.objects.get(username="cashier1"))
    line = rules.Line(sku="TV-55", name="Television", category="produce", quantity=Decimal(1), unit_price=Decimal(750))
    checkout(
        actor=actor, key="gold-setup", basket=Basket(lines=(line,), card_number=GOLD_CARD), payload={"gold": 1},
        at=timezone.now(),
    )  # fmt: skip
    return GOLD_CARD


def test_first_use_of_a_card_then_a_sale_then_a_partial_refund(page):
    page.goto("/pos/")
    shot(page, "01-login")
    log_in(page)
    shot(page, "02-empty-till")

    scan(page, NEW_CARD)
    expect(page.locator("#activate-form")).to_be_visible()
    expect(page.locator("#act-name")).to_be_focused()
    page.keyboard.type("Anna Kowalska")
    page.fill("#act-phone", "+48 600 100 200")
    page.fill("#act-email", "anna@example.com")
    page.check("#act-consent")
    shot(page, "03-activation-form")
    page.locator("#act-phone").press("Enter")

    expect(page.locator("#activate-form")).to_be_hidden()
    expect(page.locator("#card-name")).to_have_text("Anna K.")
    expect(page.locator("#card-level")).to_have_text("No level yet")
    expect(page.locator("#card-discount")).to_have_text("0.00 %")
    expect(page.locator("#card-points")).to_have_text("0.00")
    expect(page.locator("#card-progress")).to_have_text("Spend 300.00 EUR more for 2 % (Silver)")

    scan(page, MILK)
    expect(page.locator("#lines-body tr")).to_have_count(1)
    scan(page, MILK)
    expect(page.locator("#lines-body input.qty")).to_have_value("2")
    expect(page.locator("#lines-body tr")).to_have_count(1)
    expect_totals(page, subtotal="2.98", discount="0.00", points="0.00", total="2.98", earn="0.14")
    expect(page.locator("#points-max")).to_have_text("0.00")
    shot(page, "04-sale-new-card")

    page.keyboard.press("F9")
    expect(page.locator("#receipt-view")).to_be_visible()
    receipt = Receipt.objects.get()
    expect(page.locator("#receipt-number")).to_have_text(str(receipt.pk))
    totals = page.locator("#receipt-totals")
    expect(totals).to_contain_text("2.98 EUR")
    expect(totals).to_contain_text("Points earned0.14")
    expect(page.locator("#receipt-card")).to_contain_text(f"Card {NEW_CARD} · Anna K.")
    expect(page.locator("#receipt-card")).to_contain_text("points balance 0.14")
    expect(page.locator("#new-sale")).to_be_focused()
    shot(page, "05-receipt")
    page.emulate_media(media="print")  # what the printer gets: the receipt alone
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("#new-sale")).to_be_hidden()
    expect(page.locator("#receipt")).to_be_visible()
    shot(page, "05b-receipt-print")
    page.emulate_media(media="screen")
    assert (receipt.total_due, receipt.points_earned, receipt.card.number) == (
        Decimal("2.98"),
        Decimal("0.14"),
        NEW_CARD,
    )

    page.keyboard.press("Enter")  # New sale
    expect(page.locator("#sale-view")).to_be_visible()
    expect(page.locator("#lines-body tr")).to_have_count(0)
    expect(page.locator("#card-info")).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()

    page.keyboard.press("F8")
    expect(page.locator("#refund-receipt")).to_be_focused()
    page.keyboard.type(str(receipt.pk))
    page.keyboard.press("Enter")
    refund_qty = page.locator("#refund-lines input.qty")
    expect(refund_qty).to_be_focused()
    expect(page.locator("#refund-lines tr td").nth(4)).to_have_text("2")  # can refund
    page.keyboard.type("1")
    page.keyboard.press("Enter")  # asks first: what, and why (issue 17)
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.keyboard.press("1")  # the first reason
    page.keyboard.press("Enter")
    expect(page.locator("#refund-amount")).to_have_text("1.49")
    expect(page.locator("#slip-totals")).to_contain_text("Points taken back0.07")
    expect(page.locator("#refund-lines tr td").nth(4)).to_have_text("1")  # one milk left to refund
    shot(page, "06-refund")
    receipt.refresh_from_db()
    assert (receipt.refunded_amount, receipt.points_reversed) == (Decimal("1.49"), Decimal("0.07"))

    page.keyboard.press("Escape")  # the message first
    page.keyboard.press("Escape")  # back to the sale
    expect(page.locator("#sale-view")).to_be_visible()
    expect(page.locator("#scan")).to_be_focused()


def test_gold_customer_gets_the_discount_and_pays_with_points(page):
    gold_card()
    log_in(page)

    scan(page, GOLD_CARD)
    expect(page.locator("#card-name")).to_have_text("Greta G.")
    expect(page.locator("#card-level")).to_have_text("Gold")
    expect(page.locator("#card-discount")).to_have_text("5.00 %")
    expect(page.locator("#card-points")).to_have_text("37.50")
    expect(page.locator("#card-progress")).to_have_text("Spend 750.00 EUR more for 7 % (Platinum)")

    for code in (MILK, MILK, BREAD, CIGARETTES):
        scan(page, code)
    expect(page.locator("#lines-body tr")).to_have_count(3)

    page.keyboard.press("F4")  # a bag without a barcode, typed in
    expect(page.locator("#man-name")).to_be_focused()  # what it is first; the SKU only if it has one
    page.keyboard.type("Paper bag")
    page.fill("#man-sku", "BAG-10")
    page.select_option("#man-category", "bakery")
    page.fill("#man-qty", "3")
    page.fill("#man-price", "0,50")
    page.locator("#man-price").press("Enter")
    expect(page.locator("#lines-body tr")).to_have_count(4)
    expect(page.locator("#scan")).to_be_focused()

    # milk 2.98 −0.14, bread 2.79 −0.13, cigarettes 8.20 (excluded), bags 1.50 −0.07 (rounded down);
    # points on the earning lines only: 6.93 × 5 % = 0.34
    expect_totals(page, subtotal="15.47", discount="−0.34", points="0.00", total="15.13", earn="0.34")
    rows = page.locator("#lines-body tr")
    expect(rows.nth(0)).to_contain_text("5.00 %")
    expect(rows.nth(2)).to_contain_text("Cigarettes, pack of 20")
    expect(rows.nth(2)).to_contain_text("0.00 %")
    expect(rows.nth(2)).to_contain_text("no card discount")
    expect(page.locator("#points-max")).to_have_text("3.02")  # 20 % of 15.13, rounded down

    page.keyboard.press("F6")
    expect(page.locator("#points")).to_be_focused()
    page.keyboard.type("99")
    expect(page.locator("#points")).to_have_value("3.02")  # clamped to the maximum
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    # Points paid earn nothing: 6.93 earning × 13.13 / 15.13 × 5 % = 0.30
    expect_totals(page, subtotal="15.47", discount="−0.34", points="−2.00 (2.00 pts)", total="13.13", earn="0.30")
    page.keyboard.press("Enter")
    expect(page.locator("#scan")).to_be_focused()
    shot(page, "07-sale-gold-card")

    page.keyboard.press("Control+Enter")
    expect(page.locator("#receipt-view")).to_be_visible()
    totals = page.locator("#receipt-totals")
    expect(totals).to_contain_text("13.13 EUR")
    expect(totals).to_contain_text("2.00 pts = −2.00")
    expect(totals).to_contain_text("Points earned0.30")
    expect(page.locator("#receipt-lines")).to_contain_text("Card discount 5.00 %")
    expect(page.locator("#receipt-card")).to_contain_text("points balance 35.80")  # 37.50 − 2.00 + 0.30
    shot(page, "08-receipt-gold")
    receipt = Receipt.objects.order_by("-pk").first()
    assert (receipt.subtotal, receipt.discount_total, receipt.points_redeemed, receipt.total_due) == (
        Decimal("15.47"), Decimal("0.34"), Decimal("2.00"), Decimal("13.13"),
    )  # fmt: skip
    assert (receipt.points_earned, receipt.card_percent) == (Decimal("0.30"), Decimal("5.00"))


def test_mistyped_card_number_and_unknown_barcode_are_told_clearly(page):
    log_in(page)

    scan(page, "2000000000016")  # wrong check digit
    message = page.locator("#message")
    expect(message).to_be_visible()
    expect(message).to_have_text("Wrong check digit – scan again (2000000000016).")
    expect(message).to_have_class(re.compile("msg-error"))
    expect(page.locator("#card-info")).to_be_hidden()
    expect(page.locator("#lines-body tr")).to_have_count(0)
    shot(page, "09-wrong-check-digit")

    page.keyboard.press("Escape")
    expect(message).to_be_hidden()

    scan(page, "4001234567891")
    expect(message).to_contain_text("Unknown barcode 4001234567891")
    expect(page.locator("#scan")).to_be_focused()


def test_blocked_card_is_refused_with_the_apis_message_and_not_attached(page):
    card_activate(number=BLOCKED_CARD, name="Lost Card", phone="+48600300300")
    card_block(number=BLOCKED_CARD, reason="reported stolen")
    log_in(page)

    scan(page, MILK)
    expect_totals(page, subtotal="1.49", discount="0.00", points="0.00", total="1.49", earn="0.00")
    scan(page, BLOCKED_CARD)

    expect(page.locator("#message")).to_have_text(
        f"This card is blocked. Ask the customer for another card. (card {BLOCKED_CARD})"
    )
    expect(page.locator("#card-info")).to_be_hidden()
    expect(page.locator("#card-empty")).to_be_visible()
    shot(page, "10-blocked-card")


def test_a_lost_checkout_answer_is_retried_with_the_same_key_and_charges_once(page):
    keys = []

    def lose_the_first_answer(route):
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server commits the sale…
            route.abort("connectionreset")  # …and the till never hears back
        else:
            route.continue_()

    log_in(page)
    page.route("**/api/v1/checkout/", lose_the_first_answer)
    scan(page, MILK)
    expect_totals(page, subtotal="1.49", discount="0.00", points="0.00", total="1.49", earn="0.00")

    page.keyboard.press("F9")
    expect(page.locator("#message")).to_contain_text("Press F9 to try again: the sale will not be charged twice.")
    expect(page.locator("#sale-view")).to_be_visible()
    page.keyboard.press("F9")

    expect(page.locator("#receipt-view")).to_be_visible()
    receipt = Receipt.objects.get()  # one sale, not two
    expect(page.locator("#receipt-number")).to_have_text(str(receipt.pk))
    assert len(keys) == 2 and keys[0] == keys[1]


def test_a_customer_locked_out_of_their_web_page_is_unlocked_at_the_till(page):
    from django.contrib.admin.models import LogEntry

    from cards import signin_guard

    gold_card()
    for _ in range(signin_guard.WRONG_PIN_LIMIT):
        signin_guard.wrong_pin_record(GOLD_CARD)
    log_in(page)

    scan(page, GOLD_CARD)
    expect(page.locator("#card-name")).to_have_text("Greta G.")
    expect(page.locator("#card-web-signin")).to_be_visible()
    expect(page.locator("#card-web-signin")).to_contain_text("Web sign-in locked")
    shot(page, "07-web-signin-locked")
    page.click("#card-web-unlock")
    expect(page.locator("#message")).to_have_text(
        f"Web sign-in of card {GOLD_CARD} is unlocked: the customer can sign in with their PIN again."
    )
    expect(page.locator("#card-web-signin")).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()
    assert signin_guard.web_signin_locked(GOLD_CARD) is False
    assert LogEntry.objects.get().get_change_message() == "Unlocked web sign-in at the till in Central Market."

    scan(page, MILK)  # the sale goes on as usual
    expect(page.locator("#lines-body tr")).to_have_count(1)


def test_receipt_dates_are_on_the_stores_clock_not_the_tills(browser, live_server):
    """Central is in Tokyo, the till's browser is set to New York: 23:30 UTC on 4 December reads 5 December,
    8:30 in the morning, as the shop's wall clock shows it."""
    build_demo()
    Store.objects.filter(code="central").update(time_zone="Asia/Tokyo")
    actor = PosActor(store=Store.objects.get(code="central"), cashier=User.objects.get(username="cashier1"))
    line = rules.Line(sku="MILK-1L", name="Milk 1 l", category="dairy", quantity=Decimal(1), unit_price=Decimal("1.49"))
    _, body, _ = checkout(
        actor=actor, key="tokyo", basket=Basket(lines=(line,)), payload={"tokyo": 1},
        at=datetime(2026, 12, 4, 23, 30, tzinfo=UTC),
    )  # fmt: skip
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, base_url=live_server.url, locale="en-US",
        timezone_id="America/New_York",
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page)
        page.keyboard.press("F8")
        expect(page.locator("#refund-receipt")).to_be_focused()
        page.keyboard.type(str(body["receipt_id"]))
        page.keyboard.press("Enter")
        expect(page.locator("#refund-date")).to_have_text("12/5/2026, 8:30:00 AM")
    finally:
        context.close()


def test_the_refund_slip_in_german_says_what_was_taken_back_of_a_later_receipts_level_discount(browser, live_server):
    """Buy 1,500.00 (Platinum), then 300.00 at 7 % (21.00 off); refunding the 1,500.00 keeps the 21.00 the
    300.00 purchase never earned, and the German slip says so in German."""
    build_demo()
    card_activate(number=GOLD_CARD, name="Greta Goldberg", phone="+48600700700")
    actor = PosActor(store=Store.objects.get(code="central"), cashier=User.objects.get(username="cashier1"))
    now = timezone.now()
    ids = []
    for key, price, minutes in (("big", "1500.00", 2), ("small", "300.00", 1)):
        line = rules.Line(sku=key, name=key, category="produce", quantity=Decimal(1), unit_price=Decimal(price))
        _, body, _ = checkout(
            actor=actor, key=key, basket=Basket(lines=(line,), card_number=GOLD_CARD), payload={key: 1},
            at=now - timedelta(minutes=minutes),
        )  # fmt: skip
        ids.append(body["receipt_id"])
    big, small = ids
    assert Receipt.objects.get(pk=small).discount_total == Decimal("21.00")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page)
        page.keyboard.press("F8")
        expect(page.locator("#refund-receipt")).to_be_focused()
        page.keyboard.type(str(big))
        page.keyboard.press("Enter")
        page.locator("#refund-all").click()
        expect(page.locator("#confirm-dialog")).to_be_visible()
        page.keyboard.press("1")  # the first reason
        page.keyboard.press("Enter")
        expect(page.locator("#refund-amount")).to_have_text("1479.00")
        expect(page.locator("#slip-totals")).to_contain_text("Punkte zurückgenommen75.00")
        expect(page.locator("#slip-more .clawback")).to_have_text(
            f"Bon-Nr. {small} wurde mit Platinum berechnet, verdient war Basis: "
            "Rabatt 21.00 von der Auszahlung einbehalten"
        )
        shot(page, "06b-refund-slip-german")
    finally:
        context.close()


def test_a_new_card_replaces_a_lost_one_after_the_customer_tells_name_and_birthday(page):
    from cards.models import Card
    from pos.models import CardReplacement

    gold_card(birthday=date(1985, 3, 1))  # Greta lost this card; she is at the till with a new one
    card_activate(number=BLOCKED_CARD, name="Gustav Nowak", phone="+48600700700")  # typed her phone once
    log_in(page)

    scan(page, NEW_CARD)
    expect(page.locator("#activate-form")).to_be_visible()
    expect(page.locator("#act-replaces")).to_have_text("Replaces a lost card? F7")
    page.keyboard.press("F7")
    expect(page.locator("#replace-form")).to_be_visible()
    expect(page.locator("#activate-form")).to_be_hidden()
    expect(page.locator("#rep-phone")).to_be_focused()
    page.keyboard.type("0048 600 700 700")
    page.keyboard.press("Enter")
    expect(page.locator("#rep-names")).to_have_text(
        "On file: Greta G., Gustav N. – ask the customer for their name and birthday; go on only if the name fits."
    )
    expect(page.locator("#rep-birthday")).to_be_focused()

    page.fill("#rep-birthday", "1985-03-02")  # misheard
    page.locator("#rep-birthday").press("Enter")
    expect(page.locator("#replace-error")).to_contain_text("The birthday does not match.")
    expect(page.locator("#rep-cards")).to_be_hidden()
    expect(page.locator("#rep-confirm")).to_be_disabled()

    page.fill("#rep-birthday", "1985-03-01")
    page.locator("#rep-birthday").press("Enter")
    expect(page.locator("#rep-card-list label")).to_have_count(1)
    expect(page.locator("#rep-card-list")).to_have_text(f"Greta G. · card {GOLD_CARD} (active) · Gold · 37.50 points")
    expect(page.locator("#replace-error")).to_be_hidden()
    expect(page.locator("#rep-confirm")).to_be_focused()
    page.select_option("#rep-reason", "lost")
    shot(page, "11-replace-lost-card")
    page.click("#rep-confirm")

    expect(page.locator("#replace-form")).to_be_hidden()
    expect(page.locator("#message")).to_have_text(
        f"Card {NEW_CARD} replaces card {GOLD_CARD}: level, spend and points moved. The old card no longer works."
    )
    expect(page.locator("#card-number")).to_have_text(NEW_CARD)
    expect(page.locator("#card-name")).to_have_text("Greta G.")
    expect(page.locator("#card-level")).to_have_text("Gold")
    expect(page.locator("#card-discount")).to_have_text("5.00 %")
    expect(page.locator("#card-points")).to_have_text("37.50")
    expect(page.locator("#scan")).to_be_focused()
    shot(page, "12-replaced-card-attached")

    old, new = Card.objects.get(number=GOLD_CARD), Card.objects.get(number=NEW_CARD)
    assert (old.status, old.replaced_by_id, new.account.points_balance, new.account.spend) == (
        "replaced", new.pk, Decimal("37.50"), Decimal("750.00"),
    )  # fmt: skip
    record = CardReplacement.objects.get()
    assert (record.reason, record.store.code, record.cashier.username, record.terminal) == (
        "lost", "central", "cashier1", None,
    )  # fmt: skip

    scan(page, GOLD_CARD)  # the lost card, found again, no longer works
    expect(page.locator("#message")).to_contain_text("This card was replaced by a new one.")

"""Gift cards on the cashier screen in a real browser at a 1280×800 till: sell one, then pay a sale with it
and cash for the rest."""

from decimal import Decimal
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.utils import timezone

from giftcards.models import GiftCard, GiftCardEntry
from giftcards.services import Where, gift_card_load, gift_cards_issue
from loyalty import rules
from pos.actors import PosActor
from pos.models import Receipt, Terminal
from pos.services import Basket, checkout
from tests.browser import BROWSER_TEST, expect
from tests.pos.test_browser import BREAD, MILK, log_in, page, scan, shot  # noqa: F401  (the page fixture)

pytestmark = BROWSER_TEST


@pytest.fixture
def gift_numbers(page):  # noqa: F811
    return list(gift_cards_issue(count=2).cards.order_by("number").values_list("number", flat=True))


def test_sell_a_gift_card_then_pay_with_it_and_cash(page, gift_numbers):  # noqa: F811
    card = gift_numbers[0]
    log_in(page)
    scan(page, card)
    expect(page.locator("#gift-panel")).to_be_visible()
    expect(page.locator("#gift-state")).to_contain_text("New card, not sold yet")
    expect(page.locator("#gift-amount")).to_be_focused()
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    expect(page.locator("#gift-error")).to_contain_text("Load at least 5.00")  # the chain's rules, said inline
    page.fill("#gift-amount", "5.00")
    shot(page, "giftcard-sell")
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_contain_text(f"Gift card {card} sold: take 5.00")
    assert GiftCard.objects.get(number=card).balance == D("5.00")
    assert Receipt.objects.count() == 0  # selling one is not a purchase

    page.locator("#scan").focus()
    scan(page, MILK)
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("4.28")
    page.keyboard.press("Control+g")
    expect(page.locator("#gift-pay-number")).to_be_focused()
    page.keyboard.type(card)
    page.keyboard.press("Enter")
    expect(page.locator("#gift-pay-list")).to_contain_text("−4.28")
    expect(page.locator("#gift-pay-list")).to_contain_text("left 0.72")
    expect(page.locator("#gift-rest-amount")).to_have_text("0.00 EUR")
    page.locator("#gift-pay-list button").click()  # the customer changes their mind: half by card
    expect(page.locator("#gift-pay-list")).to_be_hidden()
    scan(page, card)
    page.fill("#gift-amount", "2.00")
    page.click("#gift-pay")
    expect(page.locator("#gift-rest-amount")).to_have_text("2.28 EUR")
    shot(page, "giftcard-pay")
    page.keyboard.press("F9")
    expect(page.locator("#receipt-totals")).to_contain_text(f"Gift card {card} (left 3.00)")
    expect(page.locator("#receipt-totals")).to_contain_text("Paid otherwise")
    shot(page, "giftcard-receipt")
    assert GiftCard.objects.get(number=card).balance == D("3.00")
    assert list(GiftCardEntry.objects.values_list("kind", "amount")) == [("load", D("5.00")), ("pay", D("-2.00"))]


def test_a_blocked_gift_card_says_so(page, gift_numbers):  # noqa: F811
    GiftCard.objects.filter(number=gift_numbers[1]).update(status="blocked")
    log_in(page)
    scan(page, gift_numbers[1])
    expect(page.locator("#gift-state")).to_contain_text("Blocked")
    expect(page.locator("#gift-sell")).to_be_disabled()
    page.keyboard.press("Escape")
    expect(page.locator("#gift-panel")).to_be_hidden()


def test_a_refund_says_what_goes_back_onto_the_gift_card_and_what_in_cash(page, gift_numbers):  # noqa: F811
    card = gift_numbers[0]
    with transaction.atomic():
        gift_card_load(number=card, amount=Decimal("20.00"), where=Where(), at=timezone.now())
    terminal = Terminal.objects.select_related("store").get(store__code="central")
    basket = Basket(
        lines=(
            rules.Line(
                sku="MILK-1L", name="Milk", category="dairy", quantity=Decimal("10"), unit_price=Decimal("3.00")
            ),
        ),
        gift_card_payments=((card, Decimal("20.00")),),
    )
    _, body, _ = checkout(actor=PosActor(store=terminal.store, terminal=terminal), key="r", basket=basket, payload={},
                          at=timezone.now())  # fmt: skip
    log_in(page)
    page.keyboard.press("F8")
    page.fill("#refund-receipt", str(body["receipt_id"]))
    page.keyboard.press("Enter")
    page.click("#refund-all")
    expect(page.locator("#confirm-dialog")).to_be_visible()  # asks first: what, and why (issue 17)
    page.keyboard.press("1")  # the first reason
    page.keyboard.press("Enter")
    expect(page.locator("#refund-result")).to_contain_text(f"Back onto gift card {card}: 20.00")
    expect(page.locator("#refund-cash")).to_have_text("10.00 EUR")
    shot(page, "giftcard-refund")
    assert GiftCard.objects.get(number=card).balance == Decimal("20.00")


def test_the_german_till_sells_a_gift_card_in_german(page, gift_numbers):  # noqa: F811
    """The panel, the script's sentences and the server's refusal, all in German on a German till."""
    card = gift_numbers[0]
    log_in(page)
    page.locator("#language").click()  # the till's English / Deutsch button
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    page.locator("#scan").focus()
    scan(page, card)
    expect(page.locator("#gift-panel h2")).to_contain_text("Geschenkkarte")
    expect(page.locator("#gift-state")).to_contain_text("Neue Karte, noch nicht verkauft")
    expect(page.locator("#gift-sell")).to_have_text("Verkaufen: Kunde hat bezahlt")
    page.fill("#gift-amount", "1.00")
    page.locator("#gift-sell").click()
    expect(page.locator("#gift-error")).to_contain_text("Mindestens 5.00 aufladen")  # the server's refusal
    shot(page, "gift-card-de")
    page.fill("#gift-amount", "5.00")
    page.locator("#gift-sell").click()
    expect(page.locator("#message")).to_contain_text(f"Geschenkkarte {card} verkauft: 5.00 EUR vom Kunden kassieren.")
    assert GiftCard.objects.get(number=card).balance == D("5.00")

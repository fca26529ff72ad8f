"""/my/gift-card/: the balance and history behind the number and PIN, with the loyalty card's guard."""

from decimal import Decimal as D

import pytest
from django.db import transaction

from cards.pins import card_pin
from giftcards.models import GiftCard
from giftcards.services import Payment, Where, gift_card_payments_record, gift_card_take
from tests.browser import BROWSER_TEST, expect
from tests.giftcards.helpers import AT, sold
from tests.mycard.support import fresh_cache, without_csrf  # noqa: F401  (autouse: sign-in counters per test)

pytestmark = pytest.mark.django_db
PAGE = "/my/gift-card/"


@pytest.fixture
def card():
    card = sold("50.00")
    with transaction.atomic():
        taken = gift_card_take(payment=Payment(card.number, D("12.30")), at=AT)
        gift_card_payments_record(taken=[taken], receipt_id=41, where=Where(store_id=1), at=AT)
    return GiftCard.objects.get(pk=card.pk)


def sign_in(client, number, pin):
    return client.post(PAGE, {"number": number, "pin": pin})


def test_the_right_pin_shows_balance_expiry_and_what_it_paid(client, card):
    assert sign_in(client, card.number, card_pin(card.number))["Location"] == PAGE
    page = client.get(PAGE).content.decode()
    assert "37.70 EUR" in page and "Pays until 1 March 2029" in page
    assert "Paid a purchase" in page and "receipt 41" in page and "-12.30" in page and "+50.00" in page
    client.post("/my/gift-card/signout/")
    assert "Show the balance" in client.get(PAGE).content.decode()


def test_every_failure_is_the_same_page_and_five_lock_the_number(client, card):
    unsold = GiftCard.objects.exclude(pk=card.pk).first()
    answers = {
        without_csrf(sign_in(client, number, pin).content)
        for number, pin in [(card.number, "00000000"), ("2900000999992", "1"), ("junk", "1"),
                            (unsold.number, card_pin(unsold.number))]
    }  # fmt: skip
    assert len(answers) == 1 and b"is not right" in answers.pop()
    for _ in range(4):
        sign_in(client, card.number, "00000000")
    locked = sign_in(client, card.number, card_pin(card.number))  # the right PIN, but locked now
    assert b"locked" in locked.content and b"15" in locked.content
    assert "37.70" not in client.get(PAGE).content.decode()


def test_the_loyalty_sign_in_page_links_here(client):
    assert PAGE in client.get("/my/signin/").content.decode()


@pytest.mark.usefixtures("card")
class TestInAPhone:
    pytestmark = BROWSER_TEST

    def test_on_a_phone(self, browser, live_server, card):
        from tests.browser import ARTIFACTS

        context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
        page = context.new_page()
        page.goto("/my/signin/")
        page.click("#gift-card-link")
        page.fill("#id_number", card.number)
        page.fill("#id_pin", card_pin(card.number))
        page.keyboard.press("Enter")
        expect(page.locator("#gift-balance")).to_have_text("37.70 EUR")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "my-gift-card.png"), full_page=True)
        context.close()

"""The customer page lists the campaigns the customer can use now, and only those."""

from datetime import date

import pytest

from cards.pins import card_pin
from loyalty.models import Customer
from promotions.models import Campaign
from tests.mycard.support import fresh_cache, sign_in  # noqa: F401  (autouse: sign-in counters stay here)
from tests.pos.helpers import CARD, activate
from tests.promotions.helpers import ended_campaign, running_campaign

pytestmark = pytest.mark.django_db


def test_the_customer_page_lists_the_campaigns_open_to_this_customer_now(till, client):
    activate(till)
    Customer.objects.update(birthday=date(1950, date.today().month, 1))
    running_campaign(name="Birthday month", audience=Campaign.Audience.BIRTHDAY_MONTH)
    running_campaign(name="Platinum only", audience=Campaign.Audience.LEVELS, levels="Platinum")
    running_campaign(name="Coupon only", needs_coupon=True)
    ended_campaign(name="Last year")
    sign_in(client, CARD, card_pin(CARD))
    response = client.get("/my/")
    page = response.content.decode()
    assert ("Birthday month" in page, "Platinum only" in page, "Coupon only" in page, "Last year" in page) == (
        True, False, False, False,
    )  # fmt: skip


def test_the_customer_page_lists_their_own_coupons_still_to_use_and_no_one_elses(till, client):
    from loyalty.models import Category
    from promotions.models import Coupon
    from tests.promotions.helpers import coupon_for

    activate(till)
    activate(till, "2000000000022", phone="+48600100300", name="Bruno Weber")
    anna, bruno = Customer.objects.get(name="Anna Kowalska"), Customer.objects.get(name="Bruno Weber")
    garden = running_campaign(
        name="Summer week", needs_coupon=True, scope=Campaign.Scope.CATEGORIES, min_basket="20.00",
        categories=[Category.objects.get(code="dairy")],
    )  # fmt: skip
    coupon_for(garden, code="ABCDE23456", customer=anna)
    coupon_for(garden, code="BCDEF23456", customer=anna, uses=1)  # used
    coupon_for(garden, code="CDEFG23456", customer=bruno)
    coupon_for(ended_campaign(name="Last year", needs_coupon=True), code="DEFGH23456", customer=anna)
    assert Coupon.objects.count() == 4
    sign_in(client, CARD, card_pin(CARD))
    page = client.get("/my/").content.decode()
    assert ("ABCDE-23456" in page, "BCDEF-23456" in page, "CDEFG-23456" in page, "DEFGH-23456" in page) == (
        True, False, False, False,
    )  # fmt: skip
    assert "10 % off" in page and "on Dairy" in page and "when you spend 20.00 EUR or more" in page


def test_the_offers_read_in_german(till, client):
    activate(till)
    running_campaign(name="Sommerwoche")
    sign_in(client, CARD, card_pin(CARD))
    page = client.get("/my/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Angebote für Sie" in page and "10 % Rabatt" in page

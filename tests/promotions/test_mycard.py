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

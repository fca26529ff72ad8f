"""Issue 17's leftovers on /my/ in German: the offers and personal coupons block."""

import re

import pytest
from django.test import Client

from cards.pins import card_pin
from tests.mycard.support import ANNA, fresh_cache  # noqa: F401  (autouse: the PIN counters stay in this test)
from tests.promotions.test_pages_browser import offers  # noqa: F401  (the fixture: a campaign and two coupons)

pytestmark = pytest.mark.django_db


def test_the_offers_on_my_in_german(offers):  # noqa: F811
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    assert client.post("/my/signin/", {"number": ANNA, "pin": card_pin(ANNA)}).status_code == 302
    html = client.get("/my/").content.decode()
    section = re.sub(r"\s+", " ", html.split('id="offers"')[1].split("</section>")[0])
    assert '<h2 id="offers-title">Angebote für Sie</h2>' in section
    assert "<strong>Summer week</strong>: 10 % Rabatt auf Fruit &amp; vegetables" in section  # names are the shop's
    assert '<h3 id="coupons-title">Ihre Gutscheine</h3>' in section
    assert "Zeigen Sie den Code an der Kasse mit Ihrer Karte vor: Jeder Gutschein gilt nur für Sie." in section
    assert "5,00 EUR Rabatt auf Ihren Einkauf wenn Sie für mindestens 20,00 EUR einkaufen" in section
    assert '<strong>Autumn coffee</strong>: 15 % Rabatt <span class="small muted">· ab ' in section
    assert " bis " in section and " off" not in section.replace("5 € off your next visit", "")

"""/manager/gift-cards/: the liability, sold and spent per store, expiring soon, breakage, as charts and CSV."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from giftcards.models import GiftCard
from pos.demo import build_demo
from pos.demo_giftcards import build_gift_cards
from tests.giftcards.helpers import assert_balances_equal_ledgers

pytestmark = pytest.mark.django_db


@pytest.fixture
def gifts():
    """The demo's gift cards: 50.00 (central, 12.40 spent at riverside), 25.00 and 20.00 (riverside), 100.00
    (central) sold this year; 30.00 sold three years ago at central and expired unspent tonight."""
    build_demo()
    build_gift_cards()
    showcase = GiftCard.objects.get(number="2900000000018")
    showcase.expires_on = timezone.localdate() + timedelta(days=40)  # so something expires soon
    showcase.save()
    today = timezone.localdate()
    return f"from={today - timedelta(days=365)}&to={today}"


def test_the_headline_is_what_the_chain_owes_and_what_moved(manager_client, gifts):
    html = manager_client.get(f"/manager/gift-cards/?{gifts}").content.decode()
    for label, figure in [
        ("Owed now: loaded, not spent", "182.60 EUR"), ("Cards holding money", "4"),
        ("Loaded in the period", "195.00 EUR"), ("Spent in the period", "12.40 EUR"),
        ("Breakage in the period", "30.00 EUR"),
    ]:  # fmt: skip
        assert f"<dt>{label}</dt><dd>{figure}</dd>" in html
    assert html.count("<canvas data-chart=") == 4
    assert_balances_equal_ledgers()


def test_per_store_csv(manager_client, gifts):
    lines = manager_client.get(f"/manager/gift-cards/?{gifts}&csv=stores").content.decode().splitlines()
    assert lines == [
        "Store,Cards loaded,Sold,Spent (net of refunds),Sold − spent",
        "Central Market,2,150.00,0.00,150.00",
        "Riverside,2,45.00,12.40,32.60",
    ]


def test_expiring_soon_and_breakage_csv(manager_client, gifts):
    expiring = manager_client.get(f"/manager/gift-cards/?{gifts}&csv=expiring").content.decode().splitlines()
    assert len(expiring) == 13
    assert sum(D(line.rsplit(",", 1)[1]) for line in expiring[1:]) == D("37.60")
    breakage = manager_client.get(f"/manager/gift-cards/?{gifts}&csv=breakage").content.decode().splitlines()
    assert breakage[0] == "Month,Expired unspent" and breakage[-1].endswith(",30.00")
    assert sum(D(line.rsplit(",", 1)[1]) for line in breakage[1:]) == D("30.00")


def test_a_store_sees_its_own_sales(manager_client, gifts):
    lines = manager_client.get(f"/manager/gift-cards/?{gifts}&store=riverside&csv=stores").content.decode()
    assert lines.splitlines()[1:] == ["Riverside,2,45.00,12.40,32.60"]

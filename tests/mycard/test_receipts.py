"""One purchase on its own page (/my/receipts/<id>/): lines, discounts, points, refunds; the signed-in
card's receipts only. And the dates of the customer pages: unambiguous, in the page's language."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from mycard.templatetags.my_format import day, day_time, quantity
from pos.models import Receipt
from tests.mycard import support as my_support
from tests.mycard.support import ANNA, BRUNO, REPLACED, SUCCESSOR, buy, cards_in_every_state, pin, refund, sign_in, text

fresh_cache = my_support.fresh_cache

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 4, 9, 30, tzinfo=ZoneInfo("UTC"))


def signed_in(number: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert sign_in(client, number, pin(number)).status_code == 302
    return client


@pytest.fixture
def purchases(demo):
    """Anna: 750.00 (to Gold, 5 %), then two chairs at 5 % paying 10 points, one chair brought back
    (47.50 of goods: 42.65 in cash and 4.85 of the points paid back, 2.14 of the 4.39 earned taken back)."""
    cards_in_every_state()
    tv = buy(ANNA, AT - timedelta(days=30), ("TV", "1", "750.00"))
    chairs = buy(ANNA, AT, ("CHAIR", "2", "50.00"), ("PEAR", "1.5", "2.00"), redeem="10.00")
    refund(chairs, AT + timedelta(days=2, hours=8, minutes=10), ("CHAIR", "1"))
    sofa = buy(BRUNO, AT, ("SOFA", "1", "1234.50"), store="riverside")
    return {"tv": tv, "chairs": chairs, "sofa": sofa}


def test_a_receipt_shows_its_lines_discounts_points_and_refunds(purchases):
    chairs = purchases["chairs"]
    page = text(signed_in(ANNA).get(f"/my/receipts/{chairs.pk}/"))
    assert (
        "Receipt 4 Dec 2026, 09:30 · Central Market "
        "CHAIR 95.00 2 × 50.00 EUR · −5 %: −5.00 · 1 returned "
        "PEAR 2.85 1.5 × 2.00 EUR · −5 %: −0.15 "
        "Subtotal 103.00 Discount −5.15 Paid with 10.00 points −10.00 Total paid 87.85 EUR "
        "Points earned +4.39 Points redeemed −10.00 "
        "Refunds 6 Dec 2026, 17:40 : 42.65 EUR back, points taken back 2.14, points given back 4.85"
    ) in page


def test_a_receipt_that_reached_a_level_says_so(purchases):
    page = text(signed_in(ANNA).get(f"/my/receipts/{purchases['tv'].pk}/"))
    assert "Points earned +37.50 New level Gold" in page
    assert "Refunds" not in page


def test_another_customers_receipt_is_not_found_like_a_missing_one(purchases):
    client = signed_in(ANNA)
    other = client.get(f"/my/receipts/{purchases['sofa'].pk}/")
    missing = client.get(f"/my/receipts/{Receipt.objects.order_by('pk').last().pk + 100}/")
    assert (other.status_code, missing.status_code) == (404, 404)
    assert text(other) == text(missing)
    assert "Receipt not found This card has no such receipt." in text(other)
    assert "1,234.50" not in text(other)


def test_without_sign_in_a_receipt_sends_to_the_sign_in_page(purchases):
    response = Client().get(f"/my/receipts/{purchases['chairs'].pk}/")
    assert (response.status_code, response["Location"]) == (302, "/my/signin/")


def test_a_replacement_card_opens_the_old_cards_receipts(demo):
    from cards.lifecycle import card_activate, card_replace

    card_activate(number=REPLACED, name="Dora Neu", phone="+49170000333")
    old = buy(REPLACED, AT, ("PLUM", "1", "30.00"))
    card_replace(number=REPLACED, new_number=SUCCESSOR)
    page = text(signed_in(SUCCESSOR).get(f"/my/receipts/{old.pk}/"))
    assert f"4 Dec 2026, 09:30 · Central Market · earlier card {REPLACED}" in page


def test_the_receipt_reads_in_a_fixed_number_of_queries_however_many_lines(demo):
    cards_in_every_state()
    client = signed_in(ANNA)
    short = buy(ANNA, AT, ("PEAR", "1", "2.00"))
    long = buy(ANNA, AT, *[(f"SKU{i}", "1", "3.00") for i in range(15)])
    refund(long, AT + timedelta(hours=1), ("SKU1", "1"))
    refund(long, AT + timedelta(hours=2), ("SKU2", "1"))
    with CaptureQueriesContext(connection) as few:
        client.get(f"/my/receipts/{short.pk}/")
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"/my/receipts/{long.pk}/").status_code == 200
    assert len(many) == len(few)


def test_the_receipt_in_german(purchases):
    page = text(signed_in(ANNA, "de").get(f"/my/receipts/{purchases['chairs'].pk}/"))
    assert "Kassenbon 4. Dez. 2026, 09:30 · Central Market" in page
    assert "2 × 50,00 EUR · −5 %: −5,00 · 1 zurückgegeben" in page
    assert "Mit 10,00 Punkten bezahlt −10,00 Bezahlt 87,85 EUR" in page
    assert "Erstattungen 6. Dez. 2026, 17:40 : 42,65 EUR zurück" in page


def test_the_list_links_back_to_its_page_and_the_receipt_back_to_it(demo):
    cards_in_every_state()
    for i in range(11):
        buy(ANNA, AT + timedelta(minutes=i), ("PEAR", "1", "2.00"))
    client = signed_in(ANNA)
    oldest = Receipt.objects.filter(card__number=ANNA).order_by("created_at").first()
    assert f'href="/my/receipts/{oldest.pk}/?page=2"' in client.get("/my/?page=2").content.decode()
    back = client.get(f"/my/receipts/{oldest.pk}/?page=2").content.decode()
    assert 'href="/my/?page=2#history"' in back
    assert 'href="/my/#history"' in client.get(f"/my/receipts/{oldest.pk}/?page=x%22").content.decode()


# --- dates (issue 17.3) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected_day", "expected_moment"),
    [
        ("en", "4 Dec 2026", "4 Dec 2026, 18:40"),
        ("de", "4. Dez. 2026", "4. Dez. 2026, 18:40"),
        ("fr", "2026-12-04", "2026-12-04 18:40"),  # a language without its own format: ISO 8601
    ],
)
def test_dates_are_unambiguous_and_follow_the_language(language, expected_day, expected_moment):
    with translation.override(language), timezone.override("Europe/Berlin"):
        moment = datetime(2026, 12, 4, 17, 40, tzinfo=ZoneInfo("UTC"))  # 18:40 in Berlin
        assert (day(date(2026, 12, 4)), day_time(moment), day(moment)) == (
            expected_day,
            expected_moment,
            expected_day,
        )


def test_german_months_keep_their_own_short_forms():
    with translation.override("de"):
        assert [day(date(2026, month, 1)) for month in (3, 5, 9)] == ["1. März 2026", "1. Mai 2026", "1. Sept. 2026"]


def test_no_date_is_an_empty_string():
    assert (day(None), day_time(None)) == ("", "")


def test_quantities_show_the_decimals_they_need_in_the_pages_language():
    values = [Decimal("2.000"), Decimal("1.500"), Decimal("0.250"), Decimal("1200.000")]
    with translation.override("en"):
        assert [quantity(v) for v in values] == ["2", "1.5", "0.25", "1,200"]
    with translation.override("de"):
        assert [quantity(v) for v in values] == ["2", "1,5", "0,25", "1.200"]

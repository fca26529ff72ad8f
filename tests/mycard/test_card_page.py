"""The customer page /my/ after sign-in: discount, level and progress, points and what burns when,
purchases with refunds, other cards, the profile; in English and German; only the customer's own."""

import ast
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format

from cards.lifecycle import card_activate, card_block, card_replace
from cards.models import Card
from loyalty.models import Account, Customer, PointsLot, Programme
from loyalty.services import customer_merge
from pos.models import Receipt, Store
from tests.mycard import support as my_support
from tests.mycard.support import (
    ANNA,
    ANNA_SECOND,
    BRUNO,
    REPLACED,
    SUCCESSOR,
    buy,
    cards_in_every_state,
    pin,
    refund,
    sign_in,
    signed_in_card_id,
    text,
)

# Fixtures shared by the customer page's tests, used here by name.
fresh_cache = my_support.fresh_cache

pytestmark = pytest.mark.django_db


def signed_in(number: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert sign_in(client, number, pin(number)).status_code == 302
    return client


@pytest.fixture
def now():
    return timezone.now()


def ago(now, days: int):
    """`days` before `now`, at 9:30 in the morning: receipts show their time of day."""
    return timezone.localtime(now - timedelta(days=days)).replace(hour=9, minute=30, second=0, microsecond=0)


@pytest.fixture
def anna(demo, now):
    """Anna's year at the shop, on the demo programme (levels 300/700/1500 → 2/5/7 %, 5 % points, 365 days):

    350 days ago  750.00, no discount yet                    +37.50 points  → Gold (5 %)
    340 days ago   10.00 − 0.50 discount =   9.50            + 0.47 points
     10 days ago  100.00 − 5.00 discount − 10.00 points = 85.00, +4.25 points (10.00 taken from the oldest lot)
      5 days ago  half of it back: 42.50 in cash, 5.00 points given back, 2.13 points taken back (oldest lot)
    Spend 750 + 9.50 + 85 − 42.50 = 802.00; points 37.50 + 0.47 − 10 + 4.25 + 5 − 2.13 = 35.09, of which
    25.37 (the first lot) burn in 15 days and 0.47 in 25 days.
    """
    cards_in_every_state()
    buy(ANNA, ago(now, 350), ("TV", "1", "750.00"))
    buy(ANNA, ago(now, 340), ("MELON", "1", "10.00"))
    big = buy(ANNA, ago(now, 10), ("CHAIR", "2", "50.00"), redeem="10.00")
    refund(big, ago(now, 5), ("CHAIR", "1"))
    buy(BRUNO, ago(now, 3), ("SOFA", "1", "1234.50"), store="riverside")
    return Receipt.objects.filter(card__number=ANNA).order_by("created_at")


def receipt_text(page, receipt: Receipt) -> str:
    """The text of the receipt's row in the purchase list."""
    html = page.content.decode()
    start = html.index(">", html.index(f'id="receipt-{receipt.pk}"')) + 1
    return text(html[start : html.index("</li>", start)].encode())


def day(moment, fmt: str) -> str:
    """`moment` on the current zone's clock, in strftime's `fmt`; %-d is the day without a leading zero."""
    return timezone.localtime(moment).strftime(fmt)


RULE = "At the checkout, points pay up to 20 % of a purchase. 1 point = 1.00 EUR."
EN_DAY = "%-d %b %Y"  # 4 Dec 2026
EN_DAY_TIME = "%-d %b %Y, %H:%M"  # 4 Dec 2026, 18:40


def test_discount_level_and_progress_to_the_next_level(anna):
    page = text(signed_in(ANNA).get("/my/"))
    assert "Hello, Anna K." in page
    assert f"Card {ANNA}" in page
    assert "Your discount 5 % Gold" in page
    assert "Spend 698.00 EUR more for 7 % (Platinum)" in page
    assert "Counted toward your level: 802.00 EUR" in page


def test_the_progress_bar_shows_the_way_from_gold_to_platinum(anna):
    html = signed_in(ANNA).get("/my/").content.decode()
    # (802.00 − 700.00) / (1500.00 − 700.00) = 12.75 %, drawn as 12 % (never full before it is reached)
    assert 'aria-valuenow="12"' in html
    assert '<progress class="bar" max="100" value="12"' in html
    assert 'style="' not in html  # the Content-Security-Policy refuses style attributes


def test_points_balance_and_what_burns_in_the_next_30_days(anna, now):
    page = text(signed_in(ANNA).get("/my/"))
    first, second = ago(now, 350) + timedelta(days=365), ago(now, 340) + timedelta(days=365)
    assert f"Points 35.09 35.09 points = 35.09 EUR off {RULE} Burning within 30 days" in page
    assert f"{day(first, EN_DAY)} 25.37 {day(second, EN_DAY)} 0.47 Points burn oldest first" in page


def test_the_points_say_what_they_are_worth_and_how_much_of_a_purchase_they_pay(anna):
    page = text(signed_in(ANNA).get("/my/"))
    assert f"Points 35.09 35.09 points = 35.09 EUR off {RULE}" in page


def test_the_worth_follows_the_programmes_point_value_and_cap_rounded_down_like_the_till(anna):
    Programme.objects.update(point_value=Decimal("0.50"), redeem_cap_percent=Decimal("12.50"))
    page = text(signed_in(ANNA).get("/my/"))
    assert "35.09 points = 17.54 EUR off" in page  # 17.545, never more than the till gives
    assert "points pay up to 12.5 % of a purchase. 1 point = 0.50 EUR." in page
    german = text(signed_in(ANNA, "de").get("/my/"))
    assert "35,09 Punkte = 17,54 EUR Rabatt" in german
    assert "An der Kasse bezahlen Punkte bis zu 12,5 % eines Einkaufs. 1 Punkt = 0,50 EUR." in german


@pytest.mark.parametrize("change", [{"point_value": Decimal("0.00")}, {"redeem_cap_percent": Decimal("0.00")}])
def test_points_that_cannot_pay_say_so_instead_of_a_worth(anna, change):
    Programme.objects.update(**change)
    page = text(signed_in(ANNA).get("/my/"))
    assert "Points 35.09 Points cannot pay at the checkout at the moment." in page
    assert "EUR off" not in page


def test_points_already_past_their_date_are_not_in_the_balance_nor_burning(anna, now):
    lot = Account.objects.get(cards__number=ANNA).lots.get(points=Decimal("0.47"))
    lot.expires_at = now - timedelta(minutes=1)  # tonight's job has not burned it yet
    lot.save()
    page = text(signed_in(ANNA).get("/my/"))
    assert f"Points 34.62 34.62 points = 34.62 EUR off {RULE} Burning within 30 days" in page
    assert "0.47" not in page.split("Burning within 30 days")[1].split("Points burn oldest first")[0]


def test_nothing_burning_says_so(demo):
    cards_in_every_state()
    page = text(signed_in(ANNA).get("/my/"))
    assert f"Points 0.00 0.00 points = 0.00 EUR off {RULE} Burning within 30 days None: no points burn" in page
    assert "Your discount 0 % No level yet" in page
    assert "Spend 300.00 EUR more for 2 % (Silver)" in page
    assert "No purchases yet." in page


def test_purchase_history_newest_first_one_row_each_opening_its_receipt(anna, now):
    first, second, big = anna
    page = signed_in(ANNA).get("/my/")
    html = page.content.decode()
    assert html.index(f"receipt-{big.pk}") < html.index(f"receipt-{second.pk}") < html.index(f"receipt-{first.pk}")
    assert receipt_text(page, big) == (
        f"{day(ago(now, 10), EN_DAY_TIME)} Central Market 85.00 EUR +4.25 / −10.00 points Refunded"
    )
    assert receipt_text(page, first) == f"{day(ago(now, 350), EN_DAY_TIME)} Central Market 750.00 EUR +37.50 points"
    assert receipt_text(page, second) == f"{day(ago(now, 340), EN_DAY_TIME)} Central Market 9.50 EUR +0.47 points"
    assert f'href="/my/receipts/{big.pk}/"' in html


def test_a_customer_sees_only_their_own_receipts(anna):
    bruno_receipt = Receipt.objects.get(card__number=BRUNO)
    annas_page = signed_in(ANNA).get("/my/")
    assert f"receipt-{bruno_receipt.pk}" not in annas_page.content.decode()
    assert "1,234.50" not in text(annas_page)
    assert "Riverside" not in text(annas_page)

    brunos_page = signed_in(BRUNO).get("/my/")
    assert [f"receipt-{r.pk}" in brunos_page.content.decode() for r in anna] == [False, False, False]
    assert "Riverside 1,234.50 EUR" in text(brunos_page)
    assert "Hello, Bruno W." in text(brunos_page)


def test_german_amounts_dates_and_words(anna, now):
    page = text(signed_in(ANNA, "de").get("/my/"))
    assert "Hallo, Anna K." in page
    assert "Ihr Rabatt 5 % Gold" in page
    assert "Noch 698,00 EUR einkaufen für 7 % (Platinum)" in page
    assert "Punkte 35,09" in page
    burn = ago(now, 350) + timedelta(days=365)
    with translation.override("de"):
        assert f"{date_format(timezone.localtime(burn), 'j. N Y')} 25,37" in page
        assert f"{date_format(timezone.localtime(ago(now, 10)), 'j. N Y')}, 09:30 Central Market 85,00 EUR" in page
    assert "+4,25 / −10,00 Punkte Erstattet" in page
    assert "Riverside 1.234,50 EUR" in text(signed_in(BRUNO, "de").get("/my/"))


def test_the_language_switcher_remembers_german(anna):
    client = signed_in(ANNA)
    response = client.post("/my/i18n/setlang/", {"language": "de", "next": "/my/"})
    assert (response.status_code, response["Location"]) == (302, "/my/")
    assert "Noch 698,00 EUR einkaufen für 7 % (Platinum)" in text(client.get("/my/"))
    client.post("/my/i18n/setlang/", {"language": "en", "next": "/my/"})
    assert "Spend 698.00 EUR more for 7 % (Platinum)" in text(client.get("/my/"))


def test_the_sign_in_page_speaks_german(demo):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    page = text(sign_in(client, ANNA, "12345678"))
    assert "Kartennummer" in page
    assert "Die Kartennummer oder die PIN stimmt nicht" in page


def test_other_cards_of_the_customer_are_listed_but_not_their_receipts(anna, now, manager):
    # A second card never joins a customer by phone at the till: a manager merges the two records.
    second = card_activate(number=ANNA_SECOND, name="Anna Kowalska", phone="+48 600 100 200")
    first = Card.objects.get(number=ANNA).account.customer_id
    customer_merge(keep_id=first, drop_id=second.account.customer_id, by=manager)
    family = buy(ANNA_SECOND, ago(now, 1), ("PEAR", "1", "20.00"))
    page = signed_in(ANNA).get("/my/")
    assert f"Your other cards {ANNA_SECOND} No level yet · 1.00 points" in text(page)
    assert f"receipt-{family.pk}" not in page.content.decode()


def test_a_replacement_card_shows_the_old_cards_purchases(demo, now):
    card_activate(number=REPLACED, name="Dora Neu", phone="+49170000333")
    old = buy(REPLACED, ago(now, 2), ("PLUM", "1", "30.00"))
    card_replace(number=REPLACED, new_number=SUCCESSOR)
    page = signed_in(SUCCESSOR).get("/my/")
    assert f"Central Market · earlier card {REPLACED} 30.00 EUR" in receipt_text(page, old)
    assert "Points 1.50" in text(page)


def test_a_card_blocked_after_sign_in_is_signed_out_at_the_next_page(anna):
    client = signed_in(ANNA)
    card_block(number=ANNA, reason="Lost")
    response = client.get("/my/")
    assert (response.status_code, response["Location"]) == (302, "/my/signin/")
    assert signed_in_card_id(client) is None


def test_the_customer_changes_e_mail_and_consent_but_not_name_or_phone(anna):
    client = signed_in(ANNA)
    response = client.post(
        "/my/profile/",
        {"email": "anna.k@example.org", "marketing_consent": "on", "name": "Mallory", "phone": "+1555000"},
    )
    assert (response.status_code, response["Location"]) == (302, "/my/")
    customer = Customer.objects.get(accounts__cards__number=ANNA)
    assert (customer.name, customer.phone, customer.email, customer.marketing_consent) == (
        "Anna Kowalska",
        "+48600100200",
        "anna.k@example.org",
        True,
    )
    page = text(client.get("/my/"))
    assert "Your details are saved." in page
    assert "Name Anna Kowalska Phone +48600100200" in page


def test_a_wrong_e_mail_is_shown_and_changes_nothing(anna):
    client = signed_in(ANNA)
    response = client.post("/my/profile/", {"email": "not-an-address", "marketing_consent": "on"})
    assert response.status_code == 200
    assert "Enter a valid email address." in text(response)
    customer = Customer.objects.get(accounts__cards__number=ANNA)
    assert (customer.email, customer.marketing_consent) == ("anna@example.com", False)


def test_the_profile_cannot_be_changed_without_sign_in(anna):
    response = Client().post("/my/profile/", {"email": "evil@example.com"})
    assert (response.status_code, response["Location"]) == (302, "/my/signin/")
    assert Customer.objects.get(accounts__cards__number=ANNA).email == "anna@example.com"


def test_the_page_reads_in_a_fixed_number_of_queries_however_long_the_history(anna, now):
    client = signed_in(ANNA)
    with CaptureQueriesContext(connection) as few:
        client.get("/my/")
    for i in range(30):
        receipt = buy(ANNA, ago(now, 4) + timedelta(minutes=i), ("GRAPE", "2", "1.00"))
        refund(receipt, ago(now, 3), ("GRAPE", "1"))
    with CaptureQueriesContext(connection) as many:
        page = client.get("/my/")
    assert len(many) == len(few)
    assert "Page 1 of 4" in text(page)
    assert page.content.decode().count('id="receipt-') == 10
    assert client.get("/my/?page=4").content.decode().count('id="receipt-') == 3  # 33 receipts, 10 a page


def test_the_year_of_the_fixture_is_the_one_its_docstring_adds_up(anna):
    states = dict(Card.objects.filter(number__in=[ANNA, BRUNO]).values_list("number", "status"))
    assert states == {ANNA: "active", BRUNO: "active"}
    account = Account.objects.get(cards__number=ANNA)
    assert (account.spend, account.points_balance, account.level.name) == (
        Decimal("802.00"),
        Decimal("35.09"),
        "Gold",
    )


def _po_entries(path: Path):
    """(msgid, msgid_plural, [msgstr…], references) of each entry of a .po file."""

    def joined(lines: list[str]) -> str:
        return "".join(ast.literal_eval(line) for line in lines)

    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, list[str]] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#"):
                fields.setdefault("refs", []).append(line)
            elif line.startswith('"'):
                fields[current].append(line)
            else:
                current, _, value = line.partition(" ")
                fields[current] = [value]
        if fields.get("msgid", ['""']) != ['""']:
            strs = [joined(v) for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            yield joined(fields["msgid"]), joined(fields.get("msgid_plural", ['""'])), strs, fields.get("refs", [])


def test_every_customer_page_string_is_translated_to_german_and_compiled():
    ours = [
        entry
        for entry in _po_entries(settings.BASE_DIR / "mycard/locale/de/LC_MESSAGES/django.po")
        if any("mycard/" in ref or "giftcards/" in ref for ref in entry[3])
    ]
    assert len(ours) > 50
    with translation.override("de"):
        for msgid, plural, strs, _ in ours:
            assert all(strs), f"no German for {msgid!r}"
            if plural:
                assert [translation.ngettext(msgid, plural, n) for n in (1, 2)] == strs
            else:
                assert translation.gettext(msgid) == strs[0], f"django.mo is older than django.po: {msgid!r}"


# --- dates in the customer's zone (issue 13.3) ---------------------------------------------------------


def test_dates_are_shown_in_the_zone_of_the_store_the_customer_last_bought_in(demo):
    """The chain runs on UTC; Riverside is in Berlin. 23:30 UTC on 4 December is 00:30 on 5 December there."""
    cards_in_every_state()
    Store.objects.filter(code="riverside").update(time_zone="Europe/Berlin")
    late = timezone.now().replace(hour=23, minute=30, second=0, microsecond=0) - timedelta(days=3)
    receipt = buy(BRUNO, late, ("SOFA", "1", "100.00"), store="riverside")
    PointsLot.objects.filter(account=receipt.account).update(expires_at=late + timedelta(days=10))
    berlin = late.astimezone(ZoneInfo("Europe/Berlin"))
    page = signed_in(BRUNO).get("/my/")
    assert receipt_text(page, receipt).startswith(f"{berlin:%-d %b %Y}, 00:30 Riverside 100.00 EUR")
    burn = berlin + timedelta(days=10)
    assert f"Burning within 30 days {burn:%-d %b %Y} 5.00 Points burn oldest first" in text(page)


def test_a_customer_who_last_bought_in_a_chain_zone_store_reads_the_chains_dates(demo):
    cards_in_every_state()
    Store.objects.filter(code="riverside").update(time_zone="Europe/Berlin")
    late = timezone.now().replace(hour=23, minute=30, second=0, microsecond=0) - timedelta(days=3)
    buy(BRUNO, late - timedelta(days=1), ("SOFA", "1", "100.00"), store="riverside")
    receipt = buy(BRUNO, late, ("SOFA", "1", "100.00"), store="central")
    assert receipt_text(signed_in(BRUNO).get("/my/"), receipt).startswith(f"{late:%-d %b %Y}, 23:30 Central Market")

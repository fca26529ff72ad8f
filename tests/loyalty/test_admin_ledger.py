"""The points ledger on the account's admin page: one table, the balance after every entry, its receipt as a
link, and when each lot it credited burns."""

import re

import pytest
from django.urls import reverse

from loyalty.models import Account
from tests.dashboard.shop import CARD_A, build_shop


@pytest.fixture
def shop(db):
    return build_shop()


def test_the_ledger_with_running_balance_receipts_and_burn_dates(manager_client, shop):
    account = Account.objects.get(cards__number=CARD_A)
    html = manager_client.get(reverse("admin:loyalty_account_change", args=[account.pk])).content.decode()
    table = re.findall(r'<fieldset class="module" id="ledger">(.*?)</fieldset>', html, re.S)[0]
    rows = [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    ]
    r = {name: receipt.pk for name, receipt in shop.items()}
    assert [row[1:5] for row in rows] == [
        ["Refund", "-0.80", "37.15", f"#{r['R5']}"],
        ["Refund", "+3.00", "37.95", f"#{r['R5']}"],
        ["Earned", "+0.80", "34.95", f"#{r['R5']}"],
        ["Redeemed", "-3.00", "34.15", f"#{r['R5']}"],
        ["Earned", "+12.25", "37.15", f"#{r['R3']}"],
        ["Earned", "+4.90", "24.90", f"#{r['R2']}"],
        ["Earned", "+20.00", "20.00", f"#{r['R1']}"],
    ]
    # R1's lot: 365 days after 2 Nov 2026; R5's 3 points and the 0.80 taken back came out of it (oldest first).
    assert rows[-1][5] == "16.20 of 20.00 burn on 2027-11-02"
    assert f'<a href="/admin/pos/receipt/{r["R1"]}/change/">#{r["R1"]}</a>' in table
    assert str(account.points_balance) == rows[0][3]
    assert "Points entry object" not in html and "PointsEntry object" not in html  # no caption on every row
    assert html.count("Points ledger") == 1


def test_a_long_ledger_shows_the_newest_with_the_right_balances(manager_client, shop, monkeypatch):
    monkeypatch.setattr("loyalty.admin.LEDGER_ROWS", 3)
    account = Account.objects.get(cards__number=CARD_A)
    response = manager_client.get(reverse("admin:loyalty_account_change", args=[account.pk]))
    assert [str(row.balance) for row in response.context["ledger"]] == ["37.15", "37.95", "34.95"]
    assert "4 older entries" in response.content.decode()

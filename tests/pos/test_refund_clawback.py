"""Issue 13, item 2: buying, then refunding, keeps a level discount that was never earned. Through the API."""

from decimal import Decimal as D

import pytest

from loyalty.models import Programme, SpendEntry
from pos.models import Clawback, Receipt
from tests.pos.helpers import account_of, activate, buy, ledger_sum, line, refund

pytestmark = pytest.mark.django_db


def state():
    account = account_of()
    return (account.points_balance, account.spend, account.level.name if account.level else None)


def test_the_issue_refunding_the_purchase_that_reached_platinum_takes_back_the_21(till):
    activate(till)
    big = buy(till, [line("TV", quantity="1", unit_price="1500.00")]).json()  # base 0 %, earns 75.00: Platinum
    small = buy(till, [line("MILK-1L", quantity="1", unit_price="300.00")]).json()
    assert (small["discount_total"], small["total_due"], small["points_earned"]) == ("21.00", "279.00", "13.95")

    response = refund(till, big["receipt_id"])

    assert response.status_code == 201, response.content
    body = response.json()
    # Without the 1,500.00 the 300.00 purchase would have been priced at base (spend before it 0.00): all 21.00
    # of its 7 % were unearned, kept from the 1,500.00 refund. That kept money pays for goods the customer
    # keeps, so it counts as spend: 279.00 + 21.00 = 300.00, Silver — exactly where never buying the
    # 1,500.00 leaves them (300.00 paid at 0 %). Points: 88.95 − the 75.00 the refunded purchase earned = 13.95
    # (at 0 % the 300.00 would have earned 15.00: the level gave fewer points, so none are taken back).
    assert {k: body[k] for k in ("amount_refunded", "points_reversed", "points_shortfall", "clawback_kept",
                                 "clawback_recorded")} == {
        "amount_refunded": "1479.00", "points_reversed": "75.00", "points_shortfall": "0.00",
        "clawback_kept": "21.00", "clawback_recorded": "0.00",
    }  # fmt: skip
    assert body["clawbacks"] == [
        {
            "receipt_id": small["receipt_id"], "level_given": "Platinum", "level_earned": None, "unearned": "21.00",
            "kept": "21.00", "recorded": "0.00",
            "lines": [{"sku": "MILK-1L", "quantity": "1", "percent_given": "7.00", "percent_earned": "0.00",
                       "unearned": "21.00"}],
        }
    ]  # fmt: skip
    assert (body["card"]["level"], body["card"]["spend_total"], body["card"]["points_balance"]) == (
        "Silver", "300.00", "13.95",
    )  # fmt: skip
    assert state() == (D("13.95"), D("300.00"), "Silver")
    assert ledger_sum(account_of().pk) == "13.95"
    # The manager sees it: the refund's row, and the take-back naming the receipt it was taken on.
    [row] = Clawback.objects.all()
    assert (row.receipt_id, row.refund_id, row.level_given, row.level_earned, row.unearned, row.kept) == (
        small["receipt_id"], body["refund_id"], "Platinum", "", D("21.00"), D("21.00"),
    )  # fmt: skip
    kinds = list(SpendEntry.objects.filter(account=account_of()).values_list("kind", "amount", "receipt_id"))
    assert kinds[-2:] == [("refund", D("-1500.00"), big["receipt_id"]), ("clawback", D("21.00"), small["receipt_id"])]
    summary = till.get(f"/api/v1/receipts/{big['receipt_id']}/").json()["refunds"][0]
    assert (summary["clawback_kept"], summary["clawback_recorded"], summary["amount_refunded"]) == (
        "21.00", "0.00", "1479.00",
    )  # fmt: skip


def test_refunding_the_later_purchase_too_pays_the_21_back_and_leaves_nothing_either_way(till):
    activate(till)
    big = buy(till, [line("TV", quantity="1", unit_price="1500.00")]).json()
    small = buy(till, [line("MILK-1L", quantity="1", unit_price="300.00")]).json()
    refund(till, big["receipt_id"])

    body = refund(till, small["receipt_id"]).json()

    # 279.00 paid at the till + the 21.00 kept before: all 300.00 back; nothing unearned is left.
    assert (body["amount_refunded"], body["clawback_kept"], body["points_reversed"]) == ("300.00", "-21.00", "13.95")
    assert state() == (D("0.00"), D("0.00"), None)
    paid = sum(D(r.total_due) for r in Receipt.objects.all())
    refunded = sum(D(r.amount_refunded) for r in Receipt.objects.get(pk=big["receipt_id"]).refunds.all())
    refunded += D(body["amount_refunded"])
    assert paid - refunded == D("0.00")
    assert ledger_sum(account_of().pk) == "0.00"


def test_when_the_cash_is_not_enough_the_rest_is_recorded(till):
    activate(till)
    gold = buy(till, [line("TV", quantity="1", unit_price="700.00")]).json()  # Gold
    buy(till, [line("SOFA", quantity="1", unit_price="20000.00")])  # 5 % = 1,000.00 off, paid 19,000.00

    body = refund(till, gold["receipt_id"]).json()

    # Without the 700.00 the sofa was priced at base: 1,000.00 unearned, 700.00 kept (all the cash), 300.00
    # recorded. Spend: 700 + 19,000 − 700 + 700 kept = 19,700.00, still Platinum.
    assert (body["amount_refunded"], body["clawback_kept"], body["clawback_recorded"]) == ("0.00", "700.00", "300.00")
    assert state() == (D("950.00"), D("19700.00"), "Platinum")


def test_a_programme_that_records_shortfalls_records_the_unearned_discount_and_refunds_in_full(till):
    Programme.objects.update(refund_shortfall=Programme.RefundShortfall.RECORD)
    activate(till)
    big = buy(till, [line("TV", quantity="1", unit_price="1500.00")]).json()
    buy(till, [line("MILK-1L", quantity="1", unit_price="300.00")])

    body = refund(till, big["receipt_id"]).json()

    assert (body["amount_refunded"], body["clawback_kept"], body["clawback_recorded"]) == ("1500.00", "0.00", "21.00")
    assert state() == (D("13.95"), D("279.00"), None)  # nothing paid for it: not spend


def test_a_refund_that_leaves_the_level_standing_takes_nothing(till):
    activate(till)
    buy(till, [line("TV", quantity="1", unit_price="2000.00")])  # Platinum
    small = buy(till, [line("MILK-1L", quantity="1", unit_price="100.00")]).json()  # 7 %, paid 93.00
    buy(till, [line("MILK-1L", quantity="1", unit_price="300.00")])
    body = refund(till, small["receipt_id"]).json()
    assert (body["amount_refunded"], body["clawback_kept"], body["clawbacks"]) == ("93.00", "0.00", [])
    assert Clawback.objects.count() == 0


def test_a_retried_refund_replays_and_takes_nothing_twice(till):
    activate(till)
    big = buy(till, [line("TV", quantity="1", unit_price="1500.00")]).json()
    buy(till, [line("MILK-1L", quantity="1", unit_price="300.00")])
    first = refund(till, big["receipt_id"], key="same")
    again = refund(till, big["receipt_id"], key="same")
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert (Clawback.objects.count(), state()) == (1, (D("13.95"), D("300.00"), "Silver"))


def test_the_later_receipt_the_till_and_the_manager_see_what_was_taken_back(till, manager_client):
    activate(till)
    big = buy(till, [line("TV", quantity="1", unit_price="1500.00")]).json()
    small = buy(till, [line("MILK-1L", quantity="1", unit_price="300.00")]).json()
    refund_id = refund(till, big["receipt_id"]).json()["refund_id"]

    taken = till.get(f"/api/v1/receipts/{small['receipt_id']}/").json()["clawbacks_taken"]
    assert [{k: v for k, v in c.items() if k != "created_at"} for c in taken] == [
        {"receipt_id": small["receipt_id"], "refund_id": refund_id, "refunded_receipt_id": big["receipt_id"],
         "level_given": "Platinum", "level_earned": None, "unearned": "21.00", "kept": "21.00", "recorded": "0.00"},
    ]  # fmt: skip
    page = manager_client.get(f"/manager/receipts/{small['receipt_id']}/").content.decode()
    assert page.count("Level discount taken back on this receipt") == 1  # once, under the title
    assert f'<a href="/manager/receipts/{big["receipt_id"]}/">#{big["receipt_id"]}</a>' in page
    page = manager_client.get(f"/manager/receipts/{big['receipt_id']}/").content.decode()
    assert f'on receipt <a href="/manager/receipts/{small["receipt_id"]}/">#{small["receipt_id"]}</a>' in page
    assert manager_client.get("/admin/pos/clawback/").status_code == 200

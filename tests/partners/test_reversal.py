"""A reversed statement takes its payout back: the points still on the company's account, the coupon if unused;
what the company had already spent is taken back by the agreement's next statement, once. A statement never
paid out is reversed with nothing to pay, and can no longer be approved or paid."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from cards.models import Card
from loyalty.models import Account, Company, PointsEntry
from loyalty.services.ledger import points_adjust
from partners.models import Statement
from partners.selectors import programme_costs
from partners.services import StatementRefused, settle_period, statement_approve, statement_pay_out, statement_reverse
from promotions.models import Coupon
from tests.partners.shop import NOV, SETTLED_AT, company, receipt, retro_bonus, staff_card
from tests.pos.helpers import CARD, activate, line

pytestmark = pytest.mark.django_db

REVERSED_AT = SETTLED_AT + timedelta(days=3)


def paid(firm: Company, payout: str, amount="12000.00") -> Statement:
    """The worked example without paint: plan 3 % + paid on time 3 % of 12,000.00 = 720.00, approved and paid."""
    retro_bonus(firm)
    receipt(Card.objects.filter(account__company=firm).first(), amount, NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    statement = Statement.objects.get(agreement__company=firm)
    statement_approve(statement_id=statement.pk, by=None, at=SETTLED_AT)
    return statement_pay_out(statement_id=statement.pk, by=None, at=SETTLED_AT, payout=payout)


def balance(card) -> D:
    return Account.objects.get(pk=card.account_id).points_balance


def settle_november_again() -> Statement:
    settle_period(month="2026-11", at=REVERSED_AT + timedelta(hours=1))
    return Statement.objects.get(kind="settlement", reversed_flag=False)


def test_a_credit_still_on_the_account_is_taken_back_whole(django_user_model):
    manager = django_user_model.objects.create_user("chef")
    firm = company()
    card = staff_card(firm)
    original = paid(firm, "credit")
    assert balance(card) == D("720.00")
    reversal = statement_reverse(statement_id=original.pk, by=manager, at=REVERSED_AT, reason="wrong plan")
    entry = PointsEntry.objects.get(pk=reversal.payout_entry_id)
    assert (entry.account_id, entry.kind, entry.points, entry.created_by) == (
        card.account_id,
        "adjust",
        D("-720.00"),
        manager,
    )
    assert entry.reason == f"Statement {reversal.pk} reverses statement {original.pk}: bonus taken back"
    assert balance(card) == D("0.00")
    assert (reversal.status, reversal.payout, reversal.payout_points, reversal.kept, reversal.net_bonus) == (
        "paid", "credit", D("-720.00"), D("0.00"), D("-720.00"),
    )  # fmt: skip
    assert reversal.events.get(action="taken back").note == "credit: 720.00 of 720.00 points taken back"
    again = settle_november_again()
    assert (again.bonus, again.adjustment, again.net_bonus) == (D("720.00"), D("0.00"), D("720.00"))
    assert not again.lines.filter(kind="reversal_kept").exists()


def test_points_already_spent_are_taken_back_by_the_next_statement_once():
    firm = company()
    card = staff_card(firm)
    original = paid(firm, "credit")
    points_adjust(account_id=card.account_id, points=D("-600.00"), reason="spent at the till", by=None, at=SETTLED_AT)
    reversal = statement_reverse(statement_id=original.pk, by=None, at=REVERSED_AT, reason="wrong plan")
    assert balance(card) == D("0.00")
    # 600 of 720 points spent: 600/720 of the 720.00 bonus stays with the company
    assert (reversal.payout_points, reversal.kept, reversal.net_bonus) == (D("-120.00"), D("600.00"), D("-120.00"))
    assert reversal.events.get(action="taken back").note == (
        "credit: 120.00 of 720.00 points taken back; 600.00 already spent, 600.00 for the next statement to take back"
    )
    again = settle_november_again()
    kept = again.lines.get(kind="reversal_kept")
    assert (kept.amount, kept.figure, kept.label) == (
        D("-600.00"), f"statement {original.pk} reversed: 600.00 of its payout already spent",
        "Reversed payout already spent",
    )  # fmt: skip
    assert (again.bonus, again.adjustment, again.net_bonus) == (D("720.00"), D("-600.00"), D("120.00"))
    reversal.refresh_from_db()
    assert reversal.kept_taken_by_id == again.pk
    # December's statement does not take it back a second time
    settle_period(month="2026-12", at=SETTLED_AT + timedelta(days=31))
    december = Statement.objects.get(period_start=date(2026, 12, 1))
    assert (december.adjustment, december.lines.filter(kind="reversal_kept").count()) == (D("0.00"), 0)
    # what the programme cost: 720.00 paid, 120.00 taken back, 600.00 kept, 120.00 paid again = 720.00
    (cost,) = programme_costs(since=date(2026, 11, 1), until=date(2026, 12, 1))
    assert cost["cost"] == D("720.00")


def test_an_unused_coupon_is_cancelled_and_the_till_refuses_it(till, settings):
    settings.PARTNERS_DISCOUNT_DAYS = 30
    activate(till)
    card = Card.objects.get(number=CARD)
    firm = company()
    Account.objects.filter(pk=card.account_id).update(company=firm)
    original = paid(firm, "discount", amount="1000.00")  # paid on time 3 % of 1,000.00 = 30.00
    coupon = original.payout_coupon
    reversal = statement_reverse(statement_id=original.pk, by=None, at=REVERSED_AT, reason="wrong terms")
    coupon.refresh_from_db()
    assert (coupon.max_uses, coupon.uses) == (0, 0)
    assert (reversal.status, reversal.payout, reversal.kept, reversal.net_bonus) == (
        "paid", "discount", D("0.00"), D("-30.00"),
    )  # fmt: skip
    assert reversal.events.get(action="taken back").note == f"discount: coupon {coupon} cancelled unused"
    campaign = coupon.campaign
    campaign.starts_on, campaign.ends_on = timezone.localdate(), timezone.localdate() + timedelta(days=29)
    campaign.save()
    body = {"card_number": CARD, "redeem_points": "0.00", "coupons": [coupon.code],
            "lines": [line("BREAD", "bakery", "1", "100.00", "Bread")]}  # fmt: skip
    sale = till.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="bonus-after-reversal")
    assert sale.status_code == 409, sale.content
    assert sale.json()["error"]["code"] == "coupon_invalid"
    assert sale.json()["error"]["message"] == f"Coupon {coupon.code} has been withdrawn."
    assert Coupon.objects.get(pk=coupon.pk).uses == 0


def test_a_used_coupon_is_kept_and_taken_back_by_the_next_statement():
    from promotions.models import CouponUse

    firm = company()
    card = staff_card(firm)
    original = paid(firm, "discount")
    coupon = original.payout_coupon
    Coupon.objects.filter(pk=coupon.pk).update(uses=1)
    CouponUse.objects.create(coupon=coupon, card=card, receipt_id=1, discount=D("720.00"), created_at=SETTLED_AT)
    reversal = statement_reverse(statement_id=original.pk, by=None, at=REVERSED_AT, reason="wrong terms")
    assert Coupon.objects.get(pk=coupon.pk).max_uses == 1
    assert (reversal.kept, reversal.net_bonus) == (D("720.00"), D("0.00"))
    assert reversal.events.get(action="taken back").note == (
        f"discount: coupon {coupon} already used; 720.00 for the next statement to take back"
    )
    again = settle_november_again()
    assert (again.adjustment, again.net_bonus) == (D("-720.00"), D("0.00"))


def test_a_statement_never_paid_is_reversed_with_nothing_to_pay_and_cannot_be_paid_after():
    firm = company()
    card = staff_card(firm)
    retro_bonus(firm)
    receipt(card, "12000.00", NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    original = Statement.objects.get()
    statement_approve(statement_id=original.pk, by=None, at=SETTLED_AT)
    reversal = statement_reverse(statement_id=original.pk, by=None, at=REVERSED_AT, reason="wrong plan")
    assert (reversal.status, reversal.payout, reversal.kept) == ("closed", "", D("0.00"))
    assert reversal.events.get(action="closed").note == "nothing was paid out"
    for step in ("approve", "credit", "export"):
        with pytest.raises(StatementRefused, match=f"Statement {original.pk} has been reversed"):
            if step == "approve":
                statement_approve(statement_id=original.pk, by=None, at=REVERSED_AT)
            else:
                statement_pay_out(statement_id=original.pk, by=None, at=REVERSED_AT, payout=step)
    original.refresh_from_db()
    assert (original.status, original.payout, balance(card)) == ("approved", "", D("0.00"))
    assert PointsEntry.objects.filter(kind="adjust").count() == 0


def test_an_exported_payout_is_reversed_for_accounting_to_approve_and_export():
    firm = company()
    staff_card(firm)
    original = paid(firm, "export")
    reversal = statement_reverse(statement_id=original.pk, by=None, at=REVERSED_AT, reason="wrong plan")
    assert (reversal.status, reversal.kept, reversal.net_bonus) == ("draft", D("0.00"), D("-720.00"))
    statement_approve(statement_id=reversal.pk, by=None, at=REVERSED_AT)
    with pytest.raises(StatementRefused):
        statement_pay_out(statement_id=reversal.pk, by=None, at=REVERSED_AT, payout="credit")
    exported = statement_pay_out(statement_id=reversal.pk, by=None, at=REVERSED_AT, payout="export")
    assert (exported.status, exported.payout) == ("paid", "export")

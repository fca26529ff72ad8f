"""An approved statement paid out as points on the company's account or as a personal coupon, and both used
at the till; a statement pays out once."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from cards.models import Card
from loyalty.models import Company, PointsEntry, Programme
from partners.models import Statement
from partners.services import StatementRefused, settle_period, statement_approve, statement_pay_out
from promotions.models import Coupon
from tests.partners.shop import NOV, SETTLED_AT, company, partner, receipt, retro_bonus, staff_card
from tests.pos.helpers import CARD, activate, buy, line

pytestmark = pytest.mark.django_db


def approved(firm: Company, amount="12000.00") -> Statement:
    """The worked example without paint: plan 3 % + paid on time 3 % of 12,000.00 = 720.00."""
    retro_bonus(firm)
    receipt(Card.objects.filter(account__company=firm).first(), amount, NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    statement = Statement.objects.get(agreement__company=firm)
    return statement_approve(statement_id=statement.pk, by=None, at=SETTLED_AT)


def test_a_credit_is_points_at_the_point_value_on_the_oldest_staff_account_once(django_user_model):
    manager = django_user_model.objects.create_user("chef")
    firm = company()
    first, second = staff_card(firm, "Max Muster"), staff_card(firm, "Eva Muster")
    Programme.objects.update(point_value=D("0.50"))
    statement = approved(firm)
    paid = statement_pay_out(statement_id=statement.pk, by=manager, at=SETTLED_AT, payout="credit")
    entry = PointsEntry.objects.get(reason__startswith=f"Statement {statement.pk}:")
    assert (entry.account_id, entry.kind, entry.points, entry.created_by) == (
        first.account_id,
        "adjust",
        D("1440.00"),
        manager,
    )
    assert entry.reason == f"Statement {statement.pk}: Retro-bonus Bau GmbH 2026-11, bonus paid out"
    first.account.refresh_from_db()
    second.account.refresh_from_db()
    assert (first.account.points_balance, second.account.points_balance) == (D("1440.00"), D("0.00"))
    assert (paid.status, paid.payout, paid.payout_points, paid.payout_entry_id) == (
        "paid",
        "credit",
        D("1440.00"),
        entry.pk,
    )
    assert statement.events.get(action="paid").note == "credit: 1440.00 points"
    with pytest.raises(StatementRefused):
        statement_pay_out(statement_id=statement.pk, by=manager, at=SETTLED_AT, payout="credit")
    assert PointsEntry.objects.filter(reason__startswith="Statement").count() == 1


def test_a_credit_goes_to_the_companys_shared_account_once_its_cards_joined_it():
    """After a card joined the company (cards.companies), its own account is emptied history: the older pk must
    not win; the bonus lands on the one balance every staff card redeems from."""
    from cards.companies import card_join_company

    firm = company()
    first, second = staff_card(firm, "Max Muster"), staff_card(firm, "Eva Muster")
    statement = approved(firm)
    card_join_company(number=first.number, company_id=firm.pk)
    card_join_company(number=second.number, company_id=firm.pk)
    firm.refresh_from_db()
    statement_pay_out(statement_id=statement.pk, by=None, at=SETTLED_AT, payout="credit")
    entry = PointsEntry.objects.get(reason__startswith=f"Statement {statement.pk}:")
    assert (entry.account_id, entry.points) == (firm.account_id, D("720.00"))
    assert {c.account_id for c in Card.objects.filter(pk__in=[first.pk, second.pk])} == {firm.account_id}


def test_points_round_down_to_the_cent():
    from partners.payouts import points_for

    assert points_for(D("100.00"), D("3.00")) == D("33.33")
    assert points_for(D("720.00"), D("1.00")) == D("720.00")


def test_a_partners_commission_or_a_company_without_staff_cards_cannot_be_credited_and_nothing_changes():
    firm = company()
    retro_bonus(firm)  # no staff card: nothing bought, nothing owed
    agent = partner()
    from partners.models import Agreement

    Agreement.objects.create(name="Commission", partner=agent, valid_from=date(2026, 1, 1))
    settle_period(month="2026-11", at=SETTLED_AT)
    for statement in Statement.objects.all():
        statement_approve(statement_id=statement.pk, by=None, at=SETTLED_AT)
        for payout in ("credit", "discount"):
            with pytest.raises(StatementRefused):
                statement_pay_out(statement_id=statement.pk, by=None, at=SETTLED_AT, payout=payout)
    assert list(Statement.objects.values_list("status", "payout")) == [("approved", "")] * 2
    assert (PointsEntry.objects.filter(kind="adjust").count(), Coupon.objects.count()) == (0, 0)


def test_the_credit_is_redeemed_at_the_till_like_any_points(till):
    activate(till)
    card = Card.objects.get(number=CARD)
    firm = company()
    card.account.company = firm
    card.account.save(update_fields=["company"])
    statement = approved(firm, amount="1000.00")  # below plan: paid on time 3 % of 1,000.00 = 30.00
    statement_pay_out(statement_id=statement.pk, by=None, at=SETTLED_AT, payout="credit")
    before = Card.objects.get(number=CARD).account.points_balance
    sale = buy(till, [line("BREAD", "bakery", "1", "50.00", "Bread")], redeem="10.00")
    assert sale.status_code == 201, sale.content
    assert (sale.json()["points_redeemed"], sale.json()["total_due"]) == ("10.00", "40.00")
    assert Card.objects.get(number=CARD).account.points_balance == before - D("10.00") + D(sale.json()["points_earned"])


def test_a_discount_is_a_personal_single_use_coupon_for_the_bonus_used_at_the_till(till, settings):
    settings.PARTNERS_DISCOUNT_DAYS = 30
    activate(till)
    card = Card.objects.get(number=CARD)
    firm = company()
    card.account.company = firm
    card.account.save(update_fields=["company"])
    statement = approved(firm, amount="1000.00")
    paid = statement_pay_out(statement_id=statement.pk, by=None, at=SETTLED_AT, payout="discount")
    coupon = paid.payout_coupon
    campaign = coupon.campaign
    assert (coupon.customer_id, coupon.max_uses, coupon.uses) == (card.account.customer_id, 1, 0)
    assert (campaign.benefit, campaign.value, campaign.min_basket, campaign.needs_coupon) == (
        "amount_receipt", D("30.00"), D("30.00"), True,
    )  # fmt: skip
    assert (campaign.starts_on, campaign.ends_on) == (date(2027, 1, 2), date(2027, 1, 2) + timedelta(days=29))
    assert statement.events.get(action="paid").note == f"discount: coupon {coupon}"
    from django.utils import timezone

    campaign.starts_on = timezone.localdate()  # the till sells today
    campaign.ends_on = campaign.starts_on + timedelta(days=29)
    campaign.save()
    body = {"card_number": CARD, "redeem_points": "0.00", "coupons": [coupon.code],
            "lines": [line("BREAD", "bakery", "1", "100.00", "Bread")]}  # fmt: skip
    sale = till.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="bonus-1")
    assert sale.status_code == 201, sale.content
    assert (sale.json()["coupons"], sale.json()["total_due"]) == ([{"code": coupon.code, "discount": "30.00"}], "70.00")
    coupon.refresh_from_db()
    assert coupon.uses == 1

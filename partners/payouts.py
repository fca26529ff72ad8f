"""A statement's bonus paid out to a company, inside the statement's locked transaction (services.py):

- credit: points on the company's loyalty account, worth the bonus at the programme's point value, redeemed
  at the till like any points (one adjustment row naming the statement, who and when);
- discount: a personal coupon of the company's account holder, the bonus off one receipt of at least that
  much, valid PARTNERS_DISCOUNT_DAYS days.

A reversal takes a credit or a coupon back the same way (take_back); what was spent already is `kept`.

A statement is paid out once: the caller holds its row lock and refuses one already paid, so neither runs
twice for it."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings

from core.errors import DomainError
from core.local_time import local_date
from core.money import CENT, ZERO, round_money
from loyalty.locks import account_lock_current
from loyalty.models import Account, Company
from loyalty.services.ledger import account_bonus_credit, account_bonus_take_back
from promotions.models import Campaign, Coupon, CouponUse
from promotions.rules import new_code


class StatementRefused(DomainError):
    """A statement step that does not fit its state (approve, pay out, reverse): services.py raises it too."""

    code = "statement_refused"


@dataclass(frozen=True)
class Paid:
    points: Decimal | None = None
    entry_id: int | None = None
    coupon: Coupon | None = None


def company_account_id(company: Company) -> int:
    """Where a company's bonus goes: the company's shared account (its staff cards' one balance); before any card
    joined it, the account of its oldest staff card still in use (a replaced card's successor carries on)."""
    if company.account_id is not None:
        return company.account_id
    found = (
        Account.objects.filter(company=company, replaced_by__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    account_id = found.first()
    if account_id is None:
        raise StatementRefused(f"{company.name} has no staff card to credit: issue one, or export the payout.")
    return account_id


def points_for(amount: Decimal, point_value: Decimal) -> Decimal:
    """Money as points at the programme's value of one point, rounded down to the cent: never more than owed."""
    if point_value <= ZERO:
        raise StatementRefused("The programme's points are worth nothing: pay the bonus out another way.")
    return (amount / point_value).quantize(CENT, rounding=ROUND_DOWN)


def credit(statement, *, by, at: datetime) -> Paid:
    company = _company_owed(statement)
    account = account_lock_current(company_account_id(company), at=at)
    points = points_for(statement.net_bonus, account.programme.point_value)
    if points <= ZERO:
        raise StatementRefused(f"Statement {statement.pk}: {statement.net_bonus} buys no whole cent of points.")
    reason = f"Statement {statement.pk}: {statement.agreement.name} {statement.period_start:%Y-%m}, bonus paid out"
    entry = account_bonus_credit(account=account, points=points, reason=reason, by=by, at=at)
    return Paid(points=points, entry_id=entry.pk)


def discount(statement, *, by, at: datetime) -> Paid:
    company = _company_owed(statement)
    holder = Account.objects.filter(pk=company_account_id(company)).values_list("customer_id", flat=True).get()
    today = local_date(at)
    bonus = statement.net_bonus
    campaign = Campaign.objects.create(
        name=f"Bonus {company.name} {statement.period_start:%Y-%m}"[:100],
        starts_on=today, ends_on=today + timedelta(days=settings.PARTNERS_DISCOUNT_DAYS - 1),
        benefit=Campaign.Benefit.AMOUNT_PER_RECEIPT, value=bonus, min_basket=bonus, needs_coupon=True,
        # An agreed bonus paid back, not a price cut: the programme's ceiling does not bind it (excluded
        # categories stay excluded); the receipt must be worth the bonus, so none of it is lost.
        ceiling_justification=f"Statement {statement.pk}: the agreed bonus, paid out as a discount.",
    )  # fmt: skip
    code = new_code()
    while Coupon.objects.filter(code=code).exists():
        code = new_code()
    coupon = Coupon.objects.create(code=code, campaign=campaign, max_uses=1, customer_id=holder)
    return Paid(coupon=coupon)


def _company_owed(statement) -> Company:
    company = statement.agreement.company
    if company is None:
        raise StatementRefused(f"Statement {statement.pk} is a partner's commission: export it to accounting.")
    if statement.net_bonus <= ZERO:
        raise StatementRefused(f"Statement {statement.pk} owes nothing ({statement.net_bonus}): export it instead.")
    return company


@dataclass(frozen=True)
class TakenBack:
    note: str
    kept: Decimal = ZERO
    points: Decimal | None = None
    entry_id: int | None = None


def take_back(original, reversal, *, by, at: datetime) -> TakenBack:
    """The payout of a reversed statement taken back, inside the reversal's transaction (the original's row
    locked): the points still on the company's account, or the coupon if it is still unused. `kept` is the
    money of what was already spent, in proportion of the bonus."""
    if original.payout == original.Payout.CREDIT:
        return _points_back(original, reversal, by=by, at=at)
    return _coupon_back(original)


def _points_back(original, reversal, *, by, at: datetime) -> TakenBack:
    company = original.agreement.company
    account = account_lock_current(company_account_id(company), at=at)
    paid = original.payout_points
    reason = f"Statement {reversal.pk} reverses statement {original.pk}: bonus taken back"
    entry = account_bonus_take_back(account=account, points=paid, reason=reason, by=by, at=at)
    taken = -entry.points if entry is not None else ZERO
    spent = paid - taken
    kept = round_money(original.net_bonus * spent / paid) if spent > ZERO else ZERO
    note = f"credit: {taken} of {paid} points taken back"
    if kept > ZERO:
        note += f"; {spent} already spent, {kept} for the next statement to take back"
    return TakenBack(note=note, kept=kept, points=-taken, entry_id=entry.pk if entry is not None else None)


def _coupon_back(original) -> TakenBack:
    coupon = original.payout_coupon
    # One conditional UPDATE: a till paying with the coupon holds its row, so this waits for that sale and
    # then sees it used; a sale that comes after finds no use left.
    if Coupon.objects.filter(pk=coupon.pk, uses=0).update(max_uses=0):
        return TakenBack(note=f"discount: coupon {coupon} cancelled unused")
    given = sum(CouponUse.objects.filter(coupon=coupon).values_list("discount", flat=True), ZERO)
    kept = min(given, original.net_bonus)
    return TakenBack(
        note=f"discount: coupon {coupon} already used; {kept} for the next statement to take back", kept=kept
    )

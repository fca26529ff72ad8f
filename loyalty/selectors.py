"""Reads of the loyalty core: a programme as pure rules, accounts as rule state."""

from datetime import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Sum

from loyalty import rules
from loyalty.models import Account, Category, Programme, SpendEntry


def programme_rules(programme: Programme) -> rules.ProgrammeRules:
    return rules.ProgrammeRules(
        kind=programme.kind,
        base_percent=programme.base_percent,
        levels=tuple(rules.LevelRule(lv.name, lv.threshold, lv.percent) for lv in programme.levels.all()),
        ceiling_percent=programme.ceiling_percent,
        earn_percent=programme.earn_percent,
        point_value=programme.point_value,
        redeem_cap_percent=programme.redeem_cap_percent,
        points_lifetime_days=programme.points_lifetime_days,
        inactivity_action=programme.inactivity_action,
        windows=tuple(
            rules.TimeWindowRule(
                weekdays=frozenset(int(d) for d in w.weekdays),
                start=w.start_time,
                end=w.end_time,
                extra_percent=w.extra_percent,
                points_multiplier=w.points_multiplier,
            )
            for w in programme.windows.all()
        ),
    )


def category_rules() -> dict[str, rules.CategoryRule]:
    return {
        c.code: rules.CategoryRule(c.code, c.discount_policy, c.max_discount_percent, c.earns_points)
        for c in Category.objects.all()
    }


def qualifying_spend(account: Account, at: datetime) -> Decimal:
    """Spend that counts toward levels: lifetime, or the programme's rolling window."""
    programme = account.programme
    if programme.spend_basis != Programme.SpendBasis.ROLLING:
        return account.spend
    since = at - relativedelta(months=programme.spend_window_months)
    total = SpendEntry.objects.filter(account=account, created_at__gt=since).aggregate(s=Sum("amount"))["s"]
    return max(Decimal("0.00"), total or Decimal("0.00"))


def live_balance(account: Account, at: datetime) -> Decimal:
    """The balance less points whose burn date has passed but that tonight's job has not burned yet."""
    burned = account.lots.filter(remaining__gt=0, expires_at__lte=at).aggregate(s=Sum("remaining"))["s"]
    return account.points_balance - (burned or Decimal("0.00"))


def card_state(account: Account, at: datetime) -> rules.CardState:
    return rules.CardState(
        level=account.level.name if account.level_id else None,
        spend=qualifying_spend(account, at),
        points_balance=live_balance(account, at),
    )


def lots_of(account: Account) -> list[rules.Lot]:
    return [
        rules.Lot(lot_id, remaining, expires_at)
        for lot_id, remaining, expires_at in account.lots.filter(remaining__gt=0).values_list(
            "id", "remaining", "expires_at"
        )
    ]

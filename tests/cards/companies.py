"""Staff cards of a business customer in tests: the cards' numbers and what to read of an account. The
fixtures `company` and `staff` are in tests/cards/conftest.py."""

from decimal import Decimal as D

from django.db.models import Sum

from loyalty.models import Account, PointsEntry

ANNA, BOB, CAROL, FRESH = "2000000000015", "2000000000022", "2000000000039", "2000000000046"


def ledger(account_id) -> D:
    return PointsEntry.objects.filter(account_id=account_id).aggregate(s=Sum("points"))["s"] or D("0.00")


def state(account_id) -> tuple:
    a = Account.objects.select_related("level").get(pk=account_id)
    return a.spend, a.level.name if a.level_id else None, a.points_balance

"""loyalty_demo brings the worked example: the business customer's last full month settles at 3 + 3 + 2 = 8 %."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.money import round_money
from partners.demo import last_full_month
from partners.models import Statement

pytestmark = pytest.mark.django_db


def test_the_demo_business_customer_settles_at_8_percent_of_its_last_full_month(settings):
    settings.DEBUG = True
    call_command("loyalty_demo", stdout=StringIO())
    month = f"{last_full_month(timezone.now()):%Y-%m}"
    dry = StringIO()
    call_command("settle_period", "--period", month, "--dry-run", stdout=dry)
    assert Statement.objects.count() == 0
    call_command("settle_period", "--period", month, stdout=StringIO())
    statement = Statement.objects.get(agreement__company__vat_id="DE811234567")
    assert [(ln.kind, ln.met, ln.percent) for ln in statement.lines.all()] == [
        ("plan", True, 3), ("on_time", True, 3), ("product_line", True, 2),
    ]  # fmt: skip
    assert (statement.receipts, statement.bonus) == (4, round_money(statement.volume * 8 / 100))
    total = sum(s.net_bonus for s in Statement.objects.all())
    count = Statement.objects.count()
    noun = "statement" if count == 1 else "statements"
    assert dry.getvalue().strip() == f"{count} {noun} would be made for {month}, total {total}"

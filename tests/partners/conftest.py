"""The partners tests' shared shop: two partners, each with a customer and a settled quarter."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from partners.models import Agreement, Tier
from partners.services import settle_period
from tests.partners.shop import assign, company, partner, receipt, staff_card

AUG = datetime(2026, 8, 10, 12, 0, tzinfo=UTC)  # a closed quarter, before the one the partner sells in now


@pytest.fixture
def two_partners(django_user_model):
    mine = partner(
        code="AGENT-7", name="Agentur Nord", user=django_user_model.objects.create_user("nord", password="pw-nord-1")
    )
    theirs = partner(
        code="AGENT-9", name="Agentur Süd", user=django_user_model.objects.create_user("sued", password="pw-sued-1")
    )
    for p in (mine, theirs):
        agreement = Agreement.objects.create(
            name=f"Commission {p.code}", partner=p, period="quarter", valid_from=date(2026, 1, 1)
        )
        Tier.objects.create(agreement=agreement, threshold=D("0"), percent=D("2"))
        Tier.objects.create(agreement=agreement, threshold=D("10000.00"), percent=D("4"))
    anna = staff_card(company(name="A", vat="V1"), "Anna Kowalska")
    bert = staff_card(company(name="B", vat="V2"), "Bert Brecht")
    assign(mine, anna)
    assign(theirs, bert)
    receipt(anna, "6800.00", timezone.now())
    receipt(anna, "300.00", AUG)
    receipt(bert, "900.00", AUG)
    settle_period(month="2026-09", at=datetime(2026, 10, 2, tzinfo=UTC))
    return mine, theirs

"""Coupons under hostile timing, for real, on PostgreSQL: parallel checkouts with one code."""

from decimal import Decimal as D

import pytest

from pos.demo import build_demo
from pos.models import Receipt
from promotions.models import Coupon, CouponUse
from tests.pos.helpers import line
from tests.pos.test_api_races import in_parallel
from tests.promotions.helpers import coupon_for, running_campaign
from tests.tills import CENTRAL, terminal_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def walk_in_with(code: str):
    def checkout(i):
        body = {"lines": [line()], "coupons": [code]}
        response = terminal_client(CENTRAL).post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"c{i}")
        body = response.json()
        return response.status_code, body.get("error", {}).get("details", {}).get("reason")

    return checkout


def test_a_single_use_coupon_in_20_parallel_checkouts_is_used_exactly_once():
    build_demo()
    coupon_for(running_campaign(needs_coupon=True, value=D("5.00")))
    results = in_parallel(20, walk_in_with("ABCDE-23456"))
    assert sorted(results) == [(201, None)] + [(409, "used")] * 19
    assert (Coupon.objects.get().uses, CouponUse.objects.count(), Receipt.objects.count()) == (1, 1, 1)


def test_a_shared_code_with_a_total_limit_of_5_is_used_exactly_5_times_in_20_parallel_checkouts():
    build_demo()
    coupon_for(running_campaign(needs_coupon=True, value=D("5.00")), code="SUMMER", max_uses=5)
    results = in_parallel(20, walk_in_with("SUMMER"))
    assert sorted(results) == [(201, None)] * 5 + [(409, "limit_reached")] * 15
    assert (Coupon.objects.get().uses, CouponUse.objects.count(), Receipt.objects.count()) == (5, 5, 5)

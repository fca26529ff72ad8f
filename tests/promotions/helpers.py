from datetime import date, timedelta
from decimal import Decimal as D

from django.utils import timezone

from promotions.models import Campaign, Coupon


def running_campaign(**kw) -> Campaign:
    """A campaign running today and tomorrow on every store's clock (a day's margin either side)."""
    today = timezone.now().date()
    values = {"name": "Summer week", "starts_on": today - timedelta(days=1), "ends_on": today + timedelta(days=1),
              "benefit": Campaign.Benefit.PERCENT, "value": D("10.00")}  # fmt: skip
    categories = kw.pop("categories", ())
    campaign = Campaign.objects.create(**(values | kw))
    if categories:
        campaign.categories.set(categories)
    return campaign


def coupon_for(campaign: Campaign, code="ABCDE23456", **kw) -> Coupon:
    return Coupon.objects.create(code=code, campaign=campaign, **kw)


def ended_campaign(**kw) -> Campaign:
    return running_campaign(starts_on=date(2020, 1, 1), ends_on=date(2020, 1, 7), **kw)

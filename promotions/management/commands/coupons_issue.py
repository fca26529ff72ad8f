from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.local_time import local_date
from promotions.models import Campaign
from promotions.services import MAX_BATCH, campaign_with_coupons_issue, coupon_batch_issue


def _amount(text: str, name: str, *, most: Decimal | None = None) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommandError(f"--{name} must be a number such as 5 or 4.50, not {text!r}.") from None
    if (
        not value.is_finite()
        or value <= 0
        or (most is not None and value > most)
        or value != value.quantize(Decimal("0.01"))
    ):
        limit = f" and at most {most}" if most is not None else ""
        raise CommandError(f"--{name} must be above 0{limit}, with at most two decimals.")
    return value


class Command(BaseCommand):
    help = (
        "N single-use coupon codes: for a campaign set up in the admin (--campaign ID), or with a new campaign "
        "from today for D days, on every category not excluded (--percent or --amount)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        benefit = parser.add_mutually_exclusive_group(required=True)
        benefit.add_argument("--campaign", type=int, help="the id of a campaign that needs a coupon")
        benefit.add_argument("--percent", help="percent off each covered line")
        benefit.add_argument("--amount", help="money off the receipt")
        parser.add_argument("--min-basket", default="0", help="the smallest basket it applies to")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--name", default="")

    def handle(self, *args, count, campaign, percent, amount, min_basket, days, name, **options):
        if not 1 <= count <= MAX_BATCH:
            raise CommandError(f"--count must be between 1 and {MAX_BATCH:,}.")
        if campaign is not None:
            self.stdout.write(str(_for_campaign(campaign, count, name).pk))
            return
        if not 1 <= days <= 3660:
            raise CommandError("--days must be between 1 and 3660.")
        basket = Decimal(0) if min_basket in ("0", "") else _amount(min_basket, "min-basket")
        batch = campaign_with_coupons_issue(
            count=count,
            percent=_amount(percent, "percent", most=Decimal(100)) if percent is not None else None,
            amount=_amount(amount, "amount", most=Decimal("1000000")) if amount is not None else None,
            min_basket=basket, days=days, name=name[:100], today=local_date(timezone.now()),
        )  # fmt: skip
        self.stdout.write(str(batch.pk))


def _for_campaign(campaign_id: int, count: int, name: str):
    found = Campaign.objects.filter(pk=campaign_id).first()
    if found is None:
        raise CommandError(f"There is no campaign {campaign_id}.")
    if not found.needs_coupon:
        # Its codes would unlock what everyone already gets, and stack it a second time.
        raise CommandError(
            f"Campaign {campaign_id} ({found.name}) applies without a coupon: tick 'needs coupon' first."
        )
    return coupon_batch_issue(campaign=found, count=count, name=name[:100] or found.name)

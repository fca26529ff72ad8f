"""Campaigns (dated, scoped discounts for an audience) and the coupon codes that unlock them.

Dates and hours are the store's wall clock, stored as plain dates and times: "1-7 July" starts at 00:00 on
1 July in every store, whatever its time zone. Store codes are kept as text because stores belong to `pos`,
an app above this one (architecture.md: imports run one way). Use is counted on the coupon row, changed only
under its row lock (promotions/services.py).
"""

from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from loyalty.models import MONEY
from loyalty.rules import TimeWindowRule
from promotions import rules

NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


def split_codes(text: str) -> frozenset[str]:
    """'central, riverside' or one per line → {'central', 'riverside'}."""
    return frozenset(part.strip() for part in text.replace("\n", ",").split(",") if part.strip())


class Campaign(models.Model):
    class Scope(models.TextChoices):
        EVERYTHING = rules.Scope.EVERYTHING, "Everything (excluded categories stay excluded)"
        CATEGORIES = rules.Scope.CATEGORIES, "Some categories"
        SKUS = rules.Scope.SKUS, "Some products (SKUs)"

    class Benefit(models.TextChoices):
        PERCENT = rules.Benefit.PERCENT, "Percent off each line"
        AMOUNT_PER_LINE = rules.Benefit.AMOUNT_PER_LINE, "Amount off each line"
        AMOUNT_PER_RECEIPT = rules.Benefit.AMOUNT_PER_RECEIPT, "Amount off the receipt"
        FIXED_PRICE = rules.Benefit.FIXED_PRICE, "Fixed unit price"

    class Audience(models.TextChoices):
        EVERYONE = rules.Audience.EVERYONE, "Everyone"
        CARD_HOLDERS = rules.Audience.CARD_HOLDERS, "Card holders"
        LEVELS = rules.Audience.LEVELS, "Card holders at some levels"
        BIRTHDAY_MONTH = rules.Audience.BIRTHDAY_MONTH, "Card holders in their birthday month"
        MIN_AGE = rules.Audience.MIN_AGE, "Card holders of at least an age"

    class Combine(models.TextChoices):
        STACK = rules.Combine.STACK, "On top of the card discount"
        BEST = rules.Combine.BEST, "The better of the two"

    name = models.CharField(max_length=100)
    starts_on = models.DateField()
    starts_time = models.TimeField(default=time(0, 0), help_text="On each store's clock.")
    ends_on = models.DateField()
    ends_time = models.TimeField(default=time(23, 59), help_text="The last minute it runs, on each store's clock.")
    weekdays = models.CharField(
        max_length=7, blank=True, help_text="Digits, 0 = Monday … 6 = Sunday. Empty: every day, all day."
    )
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(
        null=True, blank=True, help_text="Exclusive; an end before the start runs past midnight (Friday night)."
    )
    stores = models.TextField(blank=True, help_text="Store codes, comma-separated. Empty: every store.")
    scope = models.CharField(max_length=12, choices=Scope.choices, default=Scope.EVERYTHING)
    categories = models.ManyToManyField("loyalty.Category", blank=True, related_name="+")
    skus = models.TextField(blank=True, help_text="SKUs, comma-separated, when it covers some products.")
    benefit = models.CharField(max_length=16, choices=Benefit.choices, default=Benefit.PERCENT)
    value = models.DecimalField(max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    min_basket = models.DecimalField(**MONEY, default=Decimal("0.00"), validators=NON_NEGATIVE)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.EVERYONE)
    levels = models.TextField(blank=True, help_text="Level names, comma-separated, for 'some levels'.")
    min_age = models.PositiveSmallIntegerField(default=0)
    needs_coupon = models.BooleanField(default=False)
    combine = models.CharField(max_length=8, choices=Combine.choices, default=Combine.STACK)
    ceiling_justification = models.TextField(
        blank=True,
        help_text="Only for a campaign that may go beyond the programme's ceiling: the written reason "
        "(a price far below the regular one can draw the tax authority's question).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")) | Q(ends_on=F("starts_on"), ends_time__gte=F("starts_time")),
                name="campaign_ends_after_it_starts",
            ),
            models.CheckConstraint(condition=Q(weekdays__regex=r"^[0-6]{0,7}$"), name="campaign_weekdays_digits"),
            models.CheckConstraint(
                condition=~Q(benefit="percent") | Q(value__lte=100), name="campaign_percent_at_most_100"
            ),
        ]

    def __str__(self):
        return self.name

    def as_rule(self, categories: frozenset[str]) -> rules.CampaignRule:
        """The pure rule; `categories` are the covered category codes (read with the campaign)."""
        windows = ()
        if self.window_start is not None and self.window_end is not None:
            windows = (
                TimeWindowRule(
                    frozenset(int(d) for d in self.weekdays or "0123456"), self.window_start, self.window_end
                ),
            )
        elif self.weekdays:
            windows = (TimeWindowRule(frozenset(int(d) for d in self.weekdays), time(0, 0), time(0, 0)),)
        return rules.CampaignRule(
            id=self.pk, name=self.name,
            starts=datetime.combine(self.starts_on, self.starts_time),
            ends=datetime.combine(self.ends_on, self.ends_time),
            benefit=self.benefit, value=self.value, scope=self.scope, categories=categories,
            skus=split_codes(self.skus), stores=split_codes(self.stores), windows=windows,
            min_basket=self.min_basket, audience=self.audience, levels=split_codes(self.levels),
            min_age=self.min_age, needs_coupon=self.needs_coupon, combine=self.combine,
            beyond_ceiling=bool(self.ceiling_justification.strip()),
        )  # fmt: skip


class CouponBatch(models.Model):
    """Single-use codes printed together for one campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="batches")
    name = models.CharField(max_length=100, blank=True)
    count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "coupon batches"

    def __str__(self):
        return f"Coupon batch #{self.pk} {self.name} ({self.count} codes)".replace("  ", " ")


class Coupon(models.Model):
    """A code that unlocks its campaign: single-use (printed, max_uses 1) or shared (one code, limits)."""

    code = models.CharField(
        max_length=40, unique=True, blank=True,
        help_text="Stored without dashes, upper case. Left empty in the admin: a random printed-style code.",
    )  # fmt: skip
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="coupons")
    batch = models.ForeignKey(CouponBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="coupons")
    max_uses = models.PositiveIntegerField(null=True, blank=True, default=1, help_text="Empty: no total limit.")
    max_uses_per_card = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit per card.")
    customer = models.ForeignKey(
        "loyalty.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="A personal coupon: only this customer's cards can use it, and /my/ shows it to them.",
    )  # fmt: skip
    uses = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=F("max_uses")), name="coupon_uses_within_limit"
            )
        ]

    def __str__(self):
        return rules.printed(self.code)

    @property
    def single_use(self) -> bool:
        return self.max_uses == 1


class CouponUse(models.Model):
    """One receipt's use of a coupon. The receipt is named by id: receipts live in `pos`, above this app."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="used")
    card = models.ForeignKey("cards.Card", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    receipt_id = models.BigIntegerField(db_index=True)
    discount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"{self.coupon} on receipt {self.receipt_id}"

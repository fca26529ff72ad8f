"""Agreements with business customers and partners, and the statements their period settlements make.

The parties (`loyalty.Company`, `loyalty.Partner`) and who belongs to a partner live in `loyalty`, where
the till reads them; this app holds what is agreed and what was settled, and reads the rest.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import money
from loyalty.models import PERCENT, Company, Customer, Partner
from partners import rules, texts

MONEY = money.AMOUNT
TOTAL = money.TOTAL


class Agreement(models.Model):
    """What a company or a partner earns per period: conditions, volume tiers, per-unit amounts, a cap."""

    class Period(models.TextChoices):
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"
        YEAR = "year", "Year (from its first month)"

    class TierMode(models.TextChoices):
        RETROACTIVE = rules.RETROACTIVE, "Retroactive (the tier reached applies to the whole volume)"
        MARGINAL = rules.MARGINAL, "Marginal (each slice at its own tier)"

    name = models.CharField(max_length=120)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.PROTECT, related_name="agreements")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="agreements")
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTH)
    year_starts_in = models.PositiveSmallIntegerField(
        "first month of the year", default=1, db_default=1, validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="1 = January (calendar year). 4: the year runs April–March and its quarters end in June, "
        "September, December and March.",
    )  # fmt: skip
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Empty: until ended.")
    tier_mode = models.CharField(max_length=12, choices=TierMode.choices, default=TierMode.RETROACTIVE)
    cap = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(0)], help_text="Most one period can earn."
    )
    # Channel protection: a small order of a customer nobody registered, in the partner's region, is the
    # dealer's sale even when bought directly (partners/selectors.py, BYPASSED_RECEIPTS).
    region_order_limit = models.DecimalField(
        "regional order limit", **MONEY, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text="Partner agreements: receipts below this of unregistered customers in the partner's regions "
        "count for it as bypassed sales. Empty: none.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=True) ^ Q(partner__isnull=True), name="agreement_has_one_party"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="agreement_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(year_starts_in__range=(1, 12)), name="agreement_year_starts_in_a_month"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if (self.company_id is None) == (self.partner_id is None):
            raise ValidationError("An agreement is with one company or one partner.")
        if self.company_id is not None and self.region_order_limit is not None:
            raise ValidationError(
                {"region_order_limit": "A regional order limit is a dealer's: set it on a partner's agreement."}
            )

    @property
    def party(self) -> Company | Partner:
        return self.company or self.partner


class ChosenLine(models.Model):
    """The product line an agreement rewards buying: a category, or one SKU."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="chosen_lines")
    category = models.ForeignKey("loyalty.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=True) ^ Q(sku=""), name="chosen_line_is_category_or_sku"
            ),
        ]

    def __str__(self):
        return self.sku or str(self.category)


class Condition(models.Model):
    class Kind(models.TextChoices):
        PLAN = rules.PLAN, "Plan volume met"
        ON_TIME = rules.ON_TIME, "Paid on time"
        PRODUCT_LINE = rules.PRODUCT_LINE, "Chosen product line bought"
        GROWTH = rules.GROWTH, "Growth against the same period last year"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="conditions")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    percent = models.DecimalField(help_text="Of the period's volume, when met.", **PERCENT)
    plan = models.DecimalField(**MONEY, default=Decimal("0.00"), help_text="Plan: the volume to reach.")
    minimum = models.DecimalField(**MONEY, default=Decimal("0.00"), help_text="Product line: bought for at least.")
    growth_percent = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["agreement", "id"]
        constraints = [models.UniqueConstraint(fields=["agreement", "kind"], name="one_condition_of_a_kind")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.percent} %"

    def as_rule(self) -> rules.Condition:
        return rules.Condition(self.kind, self.percent, self.plan, self.minimum, self.growth_percent)


class Tier(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="tiers")
    threshold = models.DecimalField("from period volume", **MONEY, validators=[MinValueValidator(0)])
    percent = models.DecimalField(**PERCENT)

    class Meta:
        ordering = ["agreement", "threshold"]
        constraints = [models.UniqueConstraint(fields=["agreement", "threshold"], name="tier_threshold_unique")]

    def __str__(self):
        return f"{self.percent} % from {self.threshold}"


class UnitRate(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="unit_rates")
    sku = models.CharField(max_length=40)
    amount = models.DecimalField("per unit", **MONEY, validators=[MinValueValidator(0)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agreement", "sku"], name="unit_rate_sku_unique")]

    def __str__(self):
        return f"{self.amount} per {self.sku}"


class KeyAccount(models.Model):
    """A customer named explicitly: excluded from a partner's commission, or paid at its own percent."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="key_accounts")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    percent = models.DecimalField(null=True, blank=True, help_text="Empty: excluded from the commission.", **PERCENT)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "customer"], name="key_account_once")]

    def __str__(self):
        return f"Key account {self.customer.name}"


def normal_postcode(value: str) -> str:
    """'80 331' and '80331' are one postcode: spaces out, letters in capitals (UK, NL postcodes have them)."""
    return "".join(value.split()).upper()


POSTCODE = RegexValidator(r"^[0-9A-Za-z ]{1,12}$", "Letters and digits only.")


class RegionCover(models.Model):
    """A postcode area a dealer covers: every postcode starting with `prefix`. A prefix belongs to one dealer
    (the admin refuses a second); of nested prefixes ("80" and "803") the longest wins."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="regions")
    prefix = models.CharField("postcode prefix", max_length=12, unique=True, validators=[POSTCODE])
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["prefix"]
        constraints = [models.CheckConstraint(condition=~Q(prefix=""), name="region_prefix_not_empty")]

    def __str__(self):
        return f"{self.prefix}… → {self.partner.code}"

    def save(self, *args, **kwargs):
        self.prefix = normal_postcode(self.prefix)
        super().save(*args, **kwargs)

    def clean(self):
        self.prefix = normal_postcode(self.prefix)


class CustomerRegion(models.Model):
    """Where a customer is: its postcode, which names the dealer of its region."""

    customer = models.OneToOneField(Customer, on_delete=models.PROTECT, related_name="region")
    postcode = models.CharField(max_length=12, validators=[POSTCODE])

    class Meta:
        ordering = ["postcode"]

    def __str__(self):
        return f"{self.customer.name}: {self.postcode}"

    def save(self, *args, **kwargs):
        self.postcode = normal_postcode(self.postcode)
        super().save(*args, **kwargs)

    def clean(self):
        self.postcode = normal_postcode(self.postcode)


class Statement(models.Model):
    """One agreement's settlement of one period. A rerun finds it and changes nothing; a correction is a
    reversing statement (all amounts negated) after which the period can be settled again."""

    class Kind(models.TextChoices):
        SETTLEMENT = "settlement", _("Settlement")
        REVERSAL = "reversal", _("Reversal")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid out")
        # A reversal of a statement never paid out: there is nothing to pay or to take back.
        CLOSED = "closed", _("Nothing to pay")

    class Payout(models.TextChoices):
        CREDIT = "credit", "Credit on the company's account"
        DISCOUNT = "discount", "Discount on the next purchases"
        EXPORT = "export", "Exported to accounting (CSV)"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="statements")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SETTLEMENT)
    period_start = models.DateField()
    period_end = models.DateField(help_text="Inclusive.")
    # The instants counted: the period in the chain's time zone, cut to the agreement's term.
    counted_from = models.DateTimeField()
    counted_until = models.DateTimeField(help_text="Exclusive.")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    volume = models.DecimalField(**TOTAL)
    last_year_volume = models.DecimalField(
        **TOTAL, default=Decimal("0.00"), help_text="The same window a year before: what the volume is compared with."
    )
    adjustment = models.DecimalField(
        **TOTAL,
        default=Decimal("0.00"),
        help_text="Taken back here: refunds after an earlier period closed, reversed payouts already spent.",
    )
    bonus = models.DecimalField(**TOTAL)
    receipts = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    payout = models.CharField(max_length=10, choices=Payout.choices, blank=True)
    created_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    # What the payout gave: points on the company's account (the ledger row's id: loyalty's ledger is
    # append-only) or a personal coupon.
    payout_points = models.DecimalField(**MONEY, null=True, blank=True)
    payout_entry_id = models.BigIntegerField(null=True, blank=True, help_text="The points ledger row credited.")
    payout_coupon = models.OneToOneField(
        "promotions.Coupon", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversed_flag = models.BooleanField(default=False, editable=False, help_text="A reversal cancelled this one.")
    # A reversal of a statement paid out as points or a coupon takes them back at once; what the company had
    # already spent is `kept`, and the agreement's next statement takes it back (`kept_taken_by`).
    kept = models.DecimalField(
        **TOTAL, default=Decimal("0.00"), db_default=Decimal("0.00"),
        help_text="Of the reversed payout, already spent: the next statement takes it back.",
    )  # fmt: skip
    kept_taken_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="takes_back"
    )

    class Meta:
        ordering = ["-period_start", "agreement", "id"]
        permissions = [("approve_statement", "Can approve and pay out statements")]
        constraints = [
            # Once per period per agreement: a rerun (under the agreements' locks) finds this and writes nothing;
            # a reversed one no longer counts, so a correction can settle the period again.
            models.UniqueConstraint(
                fields=["agreement", "period_start"],
                condition=Q(kind="settlement", reversed_flag=False),
                name="one_live_settlement_per_period",
            ),
            models.CheckConstraint(
                condition=Q(kind="settlement", reverses__isnull=True) | Q(kind="reversal", reverses__isnull=False),
                name="reversal_names_what_it_reverses",
            ),
        ]

    def __str__(self):
        return f"{self.agreement} {self.period_start:%Y-%m} ({self.get_kind_display()})"

    @property
    def net_bonus(self) -> Decimal:
        """What the statement pays (a reversal: takes back), after the adjustments; a reversal counts back in what
        the company had spent already, which the next statement takes back instead."""
        return self.bonus + self.adjustment + self.kept


class StatementLine(models.Model):
    """A condition, tier, per-unit amount, cap or adjustment on a statement, with its figure."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=14)
    label = models.CharField(max_length=120, help_text="English, as made: older lines have only this.")
    figure = models.CharField(max_length=200, help_text="English, as made: older lines have only this.")
    # What the figure says, as a code and its values: a page says it in the reader's language (partners/texts.py).
    figure_code = models.CharField(max_length=30, blank=True)
    args = models.JSONField(default=dict, blank=True)
    met = models.BooleanField()
    percent = models.DecimalField(max_digits=6, decimal_places=2)
    amount = models.DecimalField(**TOTAL)

    class Meta:
        ordering = ["statement", "position"]
        constraints = [models.UniqueConstraint(fields=["statement", "position"], name="statement_line_position")]

    def __str__(self):
        return f"{self.label}: {self.amount}"

    @property
    def label_text(self) -> str:
        return texts.label(self.kind, self.label, self.args)

    @property
    def figure_text(self) -> str:
        return texts.figure(self.figure_code, self.figure, self.args)


class StatementItem(models.Model):
    """A receipt counted on a statement (net of the period's refunds), or a later refund taken back."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="items")
    receipt = models.ForeignKey("pos.Receipt", on_delete=models.PROTECT, related_name="+")
    refund = models.ForeignKey("pos.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(help_text="When the receipt or the refund was made.")
    amount = models.DecimalField(**MONEY, help_text="Counted volume; negative for a later refund.")
    bonus = models.DecimalField(**MONEY, default=Decimal("0.00"), help_text="For a later refund: bonus taken back.")
    bypassed = models.BooleanField(
        default=False, db_default=False, help_text="A direct sale in the partner's region, counted as its own."
    )

    class Meta:
        ordering = ["statement", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "receipt"], condition=Q(refund__isnull=True), name="receipt_once_per_statement"
            ),
            # A refund after its period closed is taken back once, by one later statement of the agreement.
            models.UniqueConstraint(fields=["statement", "refund"], name="refund_once_per_statement"),
        ]

    def __str__(self):
        return f"Receipt {self.receipt_id}: {self.amount}"


class StatementEvent(models.Model):
    """The audit of a statement: made, approved, paid out, reversed — who, when, what."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"


class ReceiptOnAccount(models.Model):
    """A receipt a company pays later, with the payment terms of the day it was made: so whether it was
    paid on time is a fact the settlement reads, not a judgement."""

    receipt = models.OneToOneField("pos.Receipt", on_delete=models.PROTECT, related_name="on_account")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="receipts_on_account")
    amount = models.DecimalField(**MONEY)
    due_on = models.DateField()
    days_to_pay = models.PositiveSmallIntegerField()
    prepayment_discount_percent = models.DecimalField(**PERCENT)
    deferral_surcharge_percent = models.DecimalField(**PERCENT)
    paid = models.DecimalField(**MONEY, default=Decimal("0.00"), help_text="Cache of its payments, under the row lock.")
    refunded = models.DecimalField(
        **MONEY,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        help_text="Cache of the receipt's refunds: money the company no longer owes.",
    )
    paid_in_full_on = models.DateField(null=True, blank=True, help_text="Paid, or paid and refunded, in full.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(paid__lte=models.F("amount")), name="paid_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(refunded__gte=0) & Q(refunded__lte=models.F("amount")), name="refunded_within_amount"
            ),
        ]

    def __str__(self):
        return f"Receipt {self.receipt_id} due {self.due_on}"

    @property
    def owed(self) -> Decimal:
        """What is still to pay: a refund lowers it, and money paid beyond it is the refund's to give back."""
        return max(self.amount - self.refunded - self.paid, Decimal("0.00"))


class Payment(models.Model):
    """Money a company paid for a receipt on account: recorded by a manager or imported from accounting."""

    class Source(models.TextChoices):
        MANAGER = "manager", "Recorded by a manager"
        IMPORT = "import", "Imported from accounting (CSV)"

    charge = models.ForeignKey(ReceiptOnAccount, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    paid_on = models.DateField()
    reference = models.CharField(max_length=60, help_text="The bank's or accounting's reference.")
    source = models.CharField(max_length=10, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            # An import run twice records each payment once.
            models.UniqueConstraint(fields=["charge", "reference"], name="payment_reference_once"),
        ]

    def __str__(self):
        return f"{self.amount} paid on {self.paid_on}"

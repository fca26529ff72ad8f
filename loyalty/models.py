"""The loyalty core: programmes and their levels, categories, customers, and
each card's account with its append-only points ledger and spend ledger.

Accounts are per card (a customer may hold several cards), except a business customer's: its staff cards share
the company's one account. `cards.Card` points at its account, so this app never imports `cards` or `pos`.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import money
from core.calendar import off_birthdays

# One amount (numeric(12,2)) and a running total over a chain's lifetime (numeric(16,2)): core/money.py.
MONEY = money.AMOUNT
TOTAL = money.TOTAL
PERCENT = {"max_digits": 5, "decimal_places": 2, "validators": [MinValueValidator(0), MaxValueValidator(100)]}
USUAL_CEILING = Decimal("20.00")


def birthday_on_calendar(day) -> None:
    """1900 to today: a birthday in year 9999 is a typo, and the birthday-month audience would carry it."""
    if problem := off_birthdays(day, timezone.localdate()):
        raise ValidationError(problem)


def new_terms_stamp() -> str:
    return secrets.token_hex(8)


class Programme(models.Model):
    class Kind(models.TextChoices):
        FIXED = "fixed", "Fixed discount"
        CUMULATIVE = "cumulative", "Cumulative (grows with spend)"
        MIXED = "mixed", "Mixed (fixed base raised by levels)"

    class SpendBasis(models.TextChoices):
        LIFETIME = "lifetime", "Lifetime spend"
        ROLLING = "rolling", "Rolling window of N months"

    class InactivityAction(models.TextChoices):
        STEP_DOWN = "step_down", "Step down one level"
        RESET = "reset", "Fall back to the base percent"

    class RefundShortfall(models.TextChoices):
        REDUCE_CASH = "reduce_cash", "Reduce the cash refund by the missing points"
        RECORD = "record", "Record the shortfall, refund the cash in full"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False, help_text="Cards issued without a programme join this one.")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CUMULATIVE)
    base_percent = models.DecimalField(default=Decimal("0.00"), **PERCENT)
    spend_basis = models.CharField(max_length=10, choices=SpendBasis.choices, default=SpendBasis.LIFETIME)
    spend_window_months = models.PositiveSmallIntegerField(null=True, blank=True)
    ceiling_percent = models.DecimalField(
        default=USUAL_CEILING, help_text="No line is discounted beyond this.", **PERCENT
    )
    ceiling_justification = models.TextField(
        blank=True, help_text="Required for a ceiling above 20 %: a deeper cut can draw the tax authority's question."
    )
    earn_percent = models.DecimalField("points earned, % of amount paid", default=Decimal("0.00"), **PERCENT)
    point_value = models.DecimalField(
        "value of one point", max_digits=8, decimal_places=2, default=Decimal("1.00"), validators=[MinValueValidator(0)]
    )
    redeem_cap_percent = models.DecimalField("redeem cap, % of amount due", default=Decimal("20.00"), **PERCENT)
    points_lifetime_days = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: points never burn.")
    welcome_bonus = models.DecimalField(**MONEY, default=Decimal("0.00"), validators=[MinValueValidator(0)])
    inactivity_days = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no inactivity rule.")
    inactivity_action = models.CharField(
        max_length=10, choices=InactivityAction.choices, default=InactivityAction.STEP_DOWN
    )
    refund_shortfall = models.CharField(
        max_length=12, choices=RefundShortfall.choices, default=RefundShortfall.REDUCE_CASH
    )
    # Renewed whenever a level, a time window or a category changes (loyalty/signals.py), so each
    # process can keep those terms between requests and know when to read them again.
    terms_stamp = models.CharField(max_length=32, default=new_terms_stamp, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_programme"),
            models.CheckConstraint(
                condition=Q(ceiling_percent__lte=USUAL_CEILING) | ~Q(ceiling_justification=""),
                name="ceiling_above_20_needs_justification",
            ),
            models.CheckConstraint(
                condition=~Q(spend_basis="rolling") | Q(spend_window_months__gte=1),
                name="rolling_spend_needs_window",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        too_deep = self.ceiling_percent is not None and self.ceiling_percent > USUAL_CEILING
        if too_deep and not self.ceiling_justification.strip():
            raise ValidationError({"ceiling_justification": "A ceiling above 20 % needs a written justification."})
        if self.spend_basis == self.SpendBasis.ROLLING and not self.spend_window_months:
            raise ValidationError({"spend_window_months": "A rolling spend basis needs the window in months."})


class Level(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="levels")
    name = models.CharField(max_length=40)
    threshold = models.DecimalField("from spend", **TOTAL, validators=[MinValueValidator(0)])
    percent = models.DecimalField(**PERCENT)
    perks = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["programme", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "threshold"], name="level_threshold_unique"),
            models.UniqueConstraint(fields=["programme", "name"], name="level_name_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.percent} % from {self.threshold})"


class TimeWindow(models.Model):
    """A programme rule that applies only on some weekdays and hours (e.g. seniors before noon)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="windows")
    name = models.CharField(max_length=60)
    weekdays = models.CharField(max_length=7, default="0123456", help_text="Digits, 0 = Monday … 6 = Sunday.")
    start_time = models.TimeField()
    end_time = models.TimeField(
        help_text="Exclusive. An end before the start runs past midnight (Fri 22:00–02:00 is Friday night, "
        "until Saturday 02:00); 00:00 means until midnight. On the store's clock."
    )
    extra_percent = models.DecimalField(default=Decimal("0.00"), **PERCENT)
    points_multiplier = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("1.00"))

    class Meta:
        constraints = [
            # An end before the start is a window past midnight; an equal one would be no window at all.
            models.CheckConstraint(
                condition=~Q(start_time=F("end_time")),
                name="window_start_differs_from_end",
                violation_error_message="A window cannot end when it starts.",
            ),  # fmt: skip
            models.CheckConstraint(condition=Q(weekdays__regex=r"^[0-6]{1,7}$"), name="window_weekdays_digits"),
        ]

    def __str__(self):
        return self.name


class Category(models.Model):
    class Policy(models.TextChoices):
        NORMAL = "normal", "Normal card discount"
        EXCLUDED = "excluded", "Excluded: no card discount"
        CAPPED = "capped", "Capped at a lower percent"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    discount_policy = models.CharField(max_length=10, choices=Policy.choices, default=Policy.NORMAL)
    max_discount_percent = models.DecimalField(null=True, blank=True, **PERCENT)
    earns_points = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(discount_policy="capped") | Q(max_discount_percent__isnull=False),
                name="capped_category_has_cap",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.discount_policy == self.Policy.CAPPED and self.max_discount_percent is None:
            raise ValidationError({"max_discount_percent": "A capped category needs its maximum percent."})


class Customer(models.Model):
    name = models.CharField(max_length=120)
    # Not unique: a phone proves nothing at the till (activation never links by it), so two records may
    # share one until a manager merges them (loyalty.services.customers). Indexed for the searches.
    phone = models.CharField(max_length=20, db_index=True, help_text="Stored normalised: + and digits only.")
    email = models.EmailField(blank=True)
    birthday = models.DateField(null=True, blank=True, validators=[birthday_on_calendar])
    marketing_consent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.phone})"

    @property
    def display_name(self) -> str:
        """'Anna Kowalska' -> 'Anna K.': enough for a cashier, not a full name on a screen."""
        parts = self.name.split()
        if len(parts) < 2:
            return self.name
        return f"{parts[0]} {parts[-1][0]}."


class Account(models.Model):
    """One card's loyalty state: level, level-qualifying spend, points.

    `points_balance` and `spend` are caches of their ledgers, moved only by
    services in the same transaction as the ledger row, under a row lock.
    """

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="accounts")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="accounts")
    # `level` and `last_purchase_at` have no index on purpose: every checkout and the nightly job
    # rewrite them, and with no indexed column changing PostgreSQL updates the row in place (HOT,
    # with the free space the table's fillfactor keeps). Nothing looks accounts up by either.
    level = models.ForeignKey(Level, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    spend = models.DecimalField(**TOTAL, default=Decimal("0.00"))
    points_balance = models.DecimalField(**TOTAL, default=Decimal("0.00"))
    last_purchase_at = models.DateTimeField(null=True, blank=True)
    # The inactivity clock restarts at a step-down: a card steps down once per idle period, and a
    # rerun of the same night finds nothing left to do.
    stepped_down_at = models.DateTimeField(null=True, blank=True)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    # A staff card of a business customer: its purchases count for the company (partners/ settles them).
    company = models.ForeignKey("Company", null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("adjust_points", "Can adjust points by hand")]
        constraints = [
            models.CheckConstraint(condition=Q(points_balance__gte=0), name="account_points_not_negative"),
            models.CheckConstraint(condition=Q(spend__gte=0), name="account_spend_not_negative"),
        ]

    def __str__(self):
        card = next(iter(self.cards.all()), None)  # a company's account: its first staff card
        return f"Account of {card or 'no card'} ({self.customer.name})"


class PointsEntry(models.Model):
    """One movement of points. Append-only: a mistake is corrected by a reversing entry."""

    class Kind(models.TextChoices):
        EARN = "earn", "Earned"
        WELCOME = "welcome", "Welcome bonus"
        REDEEM = "redeem", "Redeemed"
        EXPIRE = "expire", "Expired"
        REFUND = "refund", "Refund"
        ADJUST = "adjust", "Manual adjustment"
        TRANSFER = "transfer", "Transfer (card replaced)"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="points_entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    points = models.DecimalField(**MONEY, help_text="Signed: + credits, − debits.")
    created_at = models.DateTimeField()
    # Causes: what made this entry. Receipts live in `pos`; kept as plain ids so
    # this app does not import `pos`.
    receipt_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    refund_id = models.BigIntegerField(null=True, blank=True)
    job_run = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    reason = models.CharField(max_length=200, blank=True)
    # An expire entry names the lot it burned. Unique: a lot burns once, whoever burns it
    # (the nightly job or a debit that finds it past its date), however often a job is rerun.
    burned_lot = models.OneToOneField(
        "PointsLot", null=True, blank=True, on_delete=models.PROTECT, related_name="burn_entry"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "points entries"
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind__in=["earn", "welcome"]) | Q(points__gt=0), name="earn_is_a_credit"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["redeem", "expire"]) | Q(points__lt=0), name="spend_is_a_debit"
            ),
            models.CheckConstraint(condition=~Q(kind="adjust") | ~Q(reason=""), name="adjustment_has_reason"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points}"


class PointsLot(models.Model):
    """Points that arrived together and burn together; debits take the oldest first."""

    # No index of its own: `lot_account_expiry` (account, expires_at) serves lookups by account, and
    # every index is one more write when a checkout or the nightly burn touches a lot.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots", db_index=False)
    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="lots")
    points = models.DecimalField(**MONEY)
    remaining = models.DecimalField(**MONEY)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(remaining__gt=0), name="live_lot_expiry"),
            models.Index(fields=["account", "expires_at"], name="lot_account_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="lot_points_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")), name="lot_remaining_in_range"
            ),
        ]

    def __str__(self):
        return f"{self.remaining} of {self.points} points, burn {self.expires_at or 'never'}"


class LotConsumption(models.Model):
    """Which lot a debit took its points from: proves no lot is spent twice."""

    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="consumptions")
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="consumptions")
    points = models.DecimalField(**MONEY)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="consumption_positive")]

    def __str__(self):
        return f"{self.points} from lot {self.lot_id}"


class SpendEntry(models.Model):
    """A movement of level-qualifying spend: purchase, refund, inactivity step, transfer, discount taken back."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        REFUND = "refund", "Refund"
        INACTIVITY = "inactivity", "Inactivity step"
        TRANSFER = "transfer", "Transfer (card replaced)"
        # Level discount a refund showed was never earned, kept from the refund's cash: money paid for a
        # purchase the customer keeps (receipt_id names it), so it counts as spend.
        CLAWBACK = "clawback", "Unearned level discount taken back"

    # Indexed by `spend_account_time` (account, created_at), which also serves lookups by account.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="spend_entries", db_index=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField()
    receipt_id = models.BigIntegerField(null=True, blank=True)
    job_run = models.CharField(max_length=40, blank=True)
    level_before = models.CharField(max_length=40, blank=True)
    level_after = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "spend entries"
        indexes = [models.Index(fields=["account", "created_at"], name="spend_account_time")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class JobRun(models.Model):
    """One run of a scheduled job: as of when, what it changed. Ledger rows name it in `job_run`."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    job = models.CharField(max_length=40)
    as_of = models.DateTimeField(help_text="The moment the job judged inactivity and burn dates against.")
    trigger = models.CharField(max_length=40, help_text="schedule, command, …")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    cards_stepped_down = models.PositiveIntegerField(default=0)
    lots_burned = models.PositiveIntegerField(default=0)
    points_burned = models.DecimalField(**TOTAL, default=Decimal("0.00"))
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.job} as of {self.as_of:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def label(self) -> str:
        """What ledger rows carry in their `job_run` column."""
        return f"{self.job}-{self.pk}"


class Company(models.Model):
    """A business customer: its staff's cards count for it (one spend, one level, one points balance or none).

    The payment terms are copied onto each receipt it pays on account, so a later change of terms never
    rewrites what a past receipt owed or when.
    """

    name = models.CharField(max_length=120)
    vat_id = models.CharField("VAT id", max_length=20, unique=True)
    address = models.TextField(blank=True)
    days_to_pay = models.PositiveSmallIntegerField(default=14, validators=[MaxValueValidator(365)])
    prepayment_discount_percent = models.DecimalField(default=Decimal("0.00"), **PERCENT)
    deferral_surcharge_percent = models.DecimalField(default=Decimal("0.00"), **PERCENT)
    earns_points = models.BooleanField(
        default=True, help_text="Off: the company gets contract terms and period bonuses instead of points."
    )
    pays_on_account = models.BooleanField(
        default=False, help_text="Its staff's receipts are invoiced: each is booked on account with the terms above."
    )
    # The one account its staff cards share (spend, level, points), opened when the first card joins.
    account = models.OneToOneField(
        Account, null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="company_of"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self):
        return f"{self.name} ({self.vat_id})"


class Partner(models.Model):
    """An agent, affiliate or reseller: customers who name its code at activation belong to it.

    Lives here, not in `partners/`, because the till checks the code when it activates a card.
    """

    class Kind(models.TextChoices):
        AGENT = "agent", "Agent"
        AFFILIATE = "affiliate", "Affiliate"
        RESELLER = "reseller", "Reseller"

    code = models.CharField(max_length=20, unique=True, help_text="Stored in capitals; the till accepts any case.")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.AGENT)
    # The partner's own login for /partner/: it sees its customers and statements, nothing else.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="partner"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(code__regex=r"^[A-Z0-9-]{2,20}$"), name="partner_code_shape")]

    def __str__(self):
        return f"{self.name} ({self.code})"


class PartnerAssignment(models.Model):
    """A customer belongs to one partner: from the code given at activation, or by a manager."""

    class Source(models.TextChoices):
        ACTIVATION = "activation", _("Code given at activation")
        MANAGER = "manager", _("Assigned by a manager")

    customer = models.OneToOneField(Customer, on_delete=models.PROTECT, related_name="partner_assignment")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="assignments")
    source = models.CharField(max_length=10, choices=Source.choices)
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-assigned_at", "-id"]

    def __str__(self):
        return f"{self.customer.display_name} → {self.partner.code}"


class ContractDiscount(models.Model):
    """A business customer's contract price: a percent off a category or one SKU, from–to, for its staff cards.
    At the till it replaces the card's percent on the lines it names when it is more; the programme's ceiling
    binds it unless the contract says in writing why not (as a programme must)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contract_discounts")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=40, blank=True)
    percent = models.DecimalField(**PERCENT)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Inclusive; empty: until ended.")
    justification = models.TextField(
        blank=True, help_text="Required for a percent above the programme's ceiling: why this customer gets more."
    )

    class Meta:
        ordering = ["company", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(category__isnull=True) ^ Q(sku=""), name="contract_category_or_sku"),
            models.CheckConstraint(
                condition=Q(percent__lte=USUAL_CEILING) | ~Q(justification=""),
                name="contract_above_20_needs_justification",
            ),
        ]

    def __str__(self):
        return f"{self.percent} % on {self.sku or self.category} for {self.company.name}"

    def clean(self):
        if self.percent is not None and self.percent > USUAL_CEILING and not self.justification.strip():
            raise ValidationError({"justification": "A contract price above 20 % needs a written justification."})

"""Stores, terminals, cashiers, the catalogue, receipts, refunds, and the
discount register every report is built on."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from cards.models import Card
from core.local_time import chain_zone_name, local_time, validate_zone_name
from loyalty.models import MONEY, PERCENT, Account, Category

QUANTITY = {"max_digits": 12, "decimal_places": 3}


class Store(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, default="EUR")
    time_zone = models.CharField(
        max_length=64, default=chain_zone_name, validators=[validate_zone_name],
        help_text="IANA name, e.g. Europe/Berlin. Time windows, receipts' dates and the store's report days "
        "follow it. New stores get the chain's (DJANGO_TIME_ZONE).",
    )  # fmt: skip

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def local(self, at):
        """The instant `at` on this store's wall clock: what its time windows and its people go by."""
        return local_time(at, self.time_zone)


class Terminal(models.Model):
    """A till or an external POS. Its token is shown once and stored only as a SHA-256:
    tokens are 256-bit random, so a fast hash is enough and lookups stay one indexed query."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="terminals")
    name = models.CharField(max_length=60)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=8, editable=False, help_text="First characters, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="terminal_name_per_store")]

    def __str__(self):
        return f"{self.store.code}/{self.name}"


class Cashier(models.Model):
    """Ties a user of the cashier group to the store where they work."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cashier")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="cashiers")

    def __str__(self):
        return f"{self.user.get_username()} @ {self.store.code}"


class CardActivation(models.Model):
    """Who linked a card to its customer at the till: the store, and the terminal or the cashier.

    Written in the same transaction as the activation (pos.services.card_activate_at_till). Cards
    activated elsewhere (the admin, a command, before this record existed) have none."""

    card = models.OneToOneField(Card, on_delete=models.PROTECT, related_name="activation")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    terminal = models.ForeignKey(Terminal, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.card_id} at {self.store_id}"


class CardReplacement(models.Model):
    """Who moved a customer to a new card at the till (a lost, worn or stolen card), and why: the store,
    and the terminal or the cashier. Written in the replacement's transaction (pos.services)."""

    class Reason(models.TextChoices):
        LOST = "lost", "Lost"
        WORN = "worn", "Worn"
        STOLEN = "stolen", "Stolen"
        OTHER = "other", "Other"

    old_card = models.OneToOneField(Card, on_delete=models.PROTECT, related_name="replacement")
    new_card = models.OneToOneField(Card, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    terminal = models.ForeignKey(Terminal, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.old_card_id} -> {self.new_card_id} at {self.store_id}"


class Product(models.Model):
    sku = models.CharField(max_length=40, unique=True)
    barcode = models.CharField(max_length=14, unique=True, null=True, blank=True)
    name = models.CharField(max_length=120)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    price = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative")]

    def __str__(self):
        return f"{self.name} ({self.sku})"


class Receipt(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="receipts")
    terminal = models.ForeignKey(Terminal, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts"
    )
    card = models.ForeignKey(Card, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts")
    created_at = models.DateTimeField(db_index=True)
    subtotal = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    points_redeemed = models.DecimalField(**MONEY)
    points_redeemed_amount = models.DecimalField(**MONEY)
    total_due = models.DecimalField(**MONEY)
    points_earned = models.DecimalField(**MONEY)
    max_redeemable_points = models.DecimalField(**MONEY, default=Decimal("0.00"))
    card_percent = models.DecimalField(**PERCENT, default=Decimal("0.00"))
    level_before = models.CharField(max_length=40, blank=True)
    level_after = models.CharField(max_length=40, blank=True)
    # Running refund totals (moved under the receipt's row lock).
    refunded_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    points_returned = models.DecimalField(**MONEY, default=Decimal("0.00"))
    points_reversed = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        indexes = [models.Index(fields=["store", "created_at"], name="receipt_store_time")]
        constraints = [
            models.CheckConstraint(condition=Q(total_due__gte=0), name="receipt_total_not_negative"),
            models.CheckConstraint(
                # Rounded: SQLite does this arithmetic in floats (13.96 - 0.28 = 13.680000000000001).
                condition=Q(total_due=Round(F("subtotal") - F("discount_total") - F("points_redeemed_amount"), 2)),
                name="receipt_total_adds_up",
            ),
            models.CheckConstraint(condition=Q(refunded_amount__lte=F("total_due")), name="refund_within_receipt"),
        ]

    def __str__(self):
        return f"Receipt {self.pk}"


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=120, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(**MONEY)
    subtotal = models.DecimalField(**MONEY)
    discount_percent = models.DecimalField(**PERCENT)
    discount_amount = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    earns_points = models.BooleanField(default=True)
    refunded_quantity = models.DecimalField(**QUANTITY, default=Decimal("0.000"))
    refunded_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["receipt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["receipt", "position"], name="receipt_line_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(refunded_quantity__gte=0) & Q(refunded_quantity__lte=F("quantity")),
                name="line_refund_within_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.sku}"


class DiscountEntry(models.Model):
    """The discount register: one row per discounted line. Every report starts here.

    `amount` is the line's whole discount: the campaign's and the (first) coupon's shares are named beside
    it, further coupons' in `CouponShare`, the rest is the card's. Each share keeps the percent the checkout
    answered, so the stored receipt repeats the line's `discounts` as the till showed them. A walk-in's line
    discounted by a campaign has no card."""

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="discounts")
    line = models.OneToOneField(ReceiptLine, on_delete=models.PROTECT, related_name="discount")
    card = models.ForeignKey(Card, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    terminal = models.ForeignKey(Terminal, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=40, blank=True)
    percent = models.DecimalField(**PERCENT)
    amount = models.DecimalField(**MONEY)
    campaign = models.ForeignKey(
        "promotions.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="register"
    )
    # db_default too: the bench and reports insert register rows by hand, without these columns
    campaign_amount = models.DecimalField(**MONEY, default=Decimal("0.00"), db_default=Decimal("0.00"))
    coupon = models.ForeignKey("promotions.Coupon", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    coupon_amount = models.DecimalField(**MONEY, default=Decimal("0.00"), db_default=Decimal("0.00"))
    card_percent = models.DecimalField(**PERCENT, default=Decimal("0.00"), db_default=Decimal("0.00"))
    campaign_percent = models.DecimalField(**PERCENT, default=Decimal("0.00"), db_default=Decimal("0.00"))
    coupon_percent = models.DecimalField(**PERCENT, default=Decimal("0.00"), db_default=Decimal("0.00"))
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "discount register"
        indexes = [models.Index(fields=["created_at", "store"], name="discount_time_store")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="discount_amount_positive")]

    def __str__(self):
        return f"{self.percent} % = {self.amount} on receipt {self.receipt_id}"


class CouponShare(models.Model):
    """A further coupon's share of one discounted line. The register row names the line's first coupon with
    its share; a line that took two or more coupons keeps each one after the first here, in the order the
    checkout answered them, so the stored receipt repeats the line's `discounts` part for part. The card's
    share is what the campaign and all the coupons leave of the line's discount."""

    entry = models.ForeignKey(DiscountEntry, on_delete=models.PROTECT, related_name="coupon_shares")
    coupon = models.ForeignKey("promotions.Coupon", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    percent = models.DecimalField(**PERCENT)

    class Meta:
        ordering = ["entry", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="coupon_share_amount_positive")]

    def __str__(self):
        return f"{self.amount} of register row {self.entry_id}"


class Refund(models.Model):
    class Reason(models.TextChoices):
        """Why the goods came back, as the cashier picks it on the till (the API may leave it blank)."""

        DAMAGED = "damaged", _("Damaged or faulty")
        WRONG_ITEM = "wrong_item", _("Wrong item or size")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        CHANGED_MIND = "changed_mind", _("Customer changed their mind")
        PRICE_ERROR = "price_error", _("Charged wrongly")
        OTHER = "other", _("Other")

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="refunds")
    created_at = models.DateTimeField()
    terminal = models.ForeignKey(Terminal, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    goods_amount = models.DecimalField(**MONEY, help_text="Value of the goods returned, after discount.")
    amount_refunded = models.DecimalField(**MONEY, help_text="Cash paid back.")
    points_returned = models.DecimalField(**MONEY)
    points_reversed = models.DecimalField(**MONEY)
    points_shortfall = models.DecimalField(
        **MONEY, default=Decimal("0.00"), help_text="Earned points already spent, so not taken back."
    )
    # db_default too: rows written by hand (bench/reports_bench.py) name only the older columns.
    clawback_kept = models.DecimalField(
        **MONEY, default=Decimal("0.00"), db_default=Decimal("0.00"),
        help_text="Unearned level discount on later receipts kept from the cash (negative: paid back).",
    )  # fmt: skip
    clawback_recorded = models.DecimalField(
        **MONEY,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        help_text="Unearned level discount recorded, not kept from the cash.",
    )

    # db_default too: rows written by hand (bench/reports_bench.py) name only the older columns.
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True, default="", db_default="")
    note = models.CharField(max_length=200, blank=True, default="", db_default="", help_text="The cashier's words.")

    def __str__(self):
        return f"Refund {self.pk} of receipt {self.receipt_id}"


class Clawback(models.Model):
    """Level discount a refund showed was never earned: a receipt sold after the refunded one was priced at a
    level the refunded spend had reached (loyalty/rules/clawback.py). One row per refund and receipt, signed:
    a later refund of that receipt itself clears or pays back what it no longer owes. Σ kept + recorded over
    a receipt's rows is what is taken back on it so far."""

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="clawbacks")
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="clawbacks")
    created_at = models.DateTimeField()
    level_given = models.CharField(max_length=40, blank=True, help_text="The level the receipt was priced at.")
    level_earned = models.CharField(
        max_length=40, blank=True, help_text="The level it would have been priced at without the refunded spend."
    )
    unearned = models.DecimalField(**MONEY, help_text="Unearned discount on the receipt in all, after this refund.")
    kept = models.DecimalField(**MONEY, help_text="Kept from the refund's cash (negative: paid back).")
    recorded = models.DecimalField(**MONEY, help_text="Recorded, not kept (negative: an earlier record cleared).")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "unearned discount taken back"
        verbose_name_plural = "unearned discounts taken back"

    def __str__(self):
        return f"{self.kept + self.recorded} on receipt {self.receipt_id} (refund {self.refund_id})"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="lines")
    line = models.ForeignKey(ReceiptLine, on_delete=models.PROTECT, related_name="refund_lines")
    quantity = models.DecimalField(**QUANTITY)
    amount = models.DecimalField(**MONEY)

    def __str__(self):
        return f"{self.quantity} x {self.line.sku}"


class IdempotencyRecord(models.Model):
    """A POST that must happen once. The unique (scope, key) makes a concurrent
    retry wait for the first attempt, then replay its stored answer."""

    scope = models.CharField(max_length=40, help_text="terminal:<id> or cashier:<id>")
    key = models.CharField(max_length=64)
    endpoint = models.CharField(max_length=60)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    # Text, not jsonb: PostgreSQL's jsonb reorders keys, and a replay must be byte-identical.
    response = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)  # the nightly purge finds old ones by it

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_once_per_scope")]

    def __str__(self):
        return f"{self.scope} {self.key}"


class PinSlipReprint(models.Model):
    """A card's PIN slip printed again at the till for its holder (who lost the first one): who, where, when.

    The PIN is derived, never stored (cards/pins.py): this row is the only trace that it was handed out again.
    """

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "PIN slip printed again"
        verbose_name_plural = "PIN slips printed again"

    def __str__(self):
        return f"PIN slip of card {self.card_id} again, {self.created_at:%Y-%m-%d %H:%M}"

"""Gift cards: batches with the chain's rules, the cards, and each card's append-only money ledger.

A gift card holds money, not points. Its balance is a cache of its ledger (`GiftCardEntry`), written
under the card's row lock (or by one conditional UPDATE) in the same transaction as the entry, and a
check constraint keeps it >= 0. Receipts, refunds, stores, terminals and cashiers live in `pos`, above
this app: entries name them by id.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.money import AMOUNT, TOTAL


class GiftCardBatch(models.Model):
    """Gift cards printed together, with the rules they are sold under."""

    name = models.CharField(max_length=100, blank=True)
    first_serial = models.BigIntegerField()
    count = models.PositiveIntegerField()
    first_number = models.CharField(max_length=13)
    last_number = models.CharField(max_length=13)
    min_load = models.DecimalField(**AMOUNT, help_text="The least a sale or top-up may load.")
    max_balance = models.DecimalField(**AMOUNT, help_text="The most a card may hold (law or policy).")
    top_ups_allowed = models.BooleanField(default=True, help_text="Off: a card is loaded once, when sold.")
    validity_years = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Years from the sale the balance may be spent; empty: no expiry."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "gift card batches"
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=1), name="gift_card_batch_count_positive"),
            models.CheckConstraint(
                condition=Q(min_load__gt=0, max_balance__gte=models.F("min_load")),
                name="gift_card_batch_limits_ordered",
            ),
        ]

    def __str__(self):
        label = f" {self.name}" if self.name else ""
        return f"Gift batch #{self.pk}{label} ({self.count} cards, {self.first_number}–{self.last_number})"


class GiftCard(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"  # printed, not sold yet
        ACTIVE = "active", "Active"
        BLOCKED = "blocked", "Blocked"
        EXPIRED = "expired", "Expired"

    number = models.CharField(max_length=13, unique=True)
    batch = models.ForeignKey(GiftCardBatch, on_delete=models.PROTECT, related_name="cards")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    balance = models.DecimalField(**TOTAL, default=0)
    sold_at = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True, help_text="Last day it pays; empty: never expires.")
    blocked_at = models.DateTimeField(null=True, blank=True)
    blocked_reason = models.CharField(max_length=200, blank=True)
    moved_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="moved_from",
        help_text="Blocked card whose balance moved to this one.",
    )  # fmt: skip

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(number__regex=r"^29[0-9]{11}$"), name="gift_card_number_in_range"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="gift_card_balance_not_negative"),
        ]
        indexes = [models.Index(fields=["status", "expires_on"], name="gift_card_expiry")]

    def __str__(self):
        return self.number


class GiftCardEntry(models.Model):
    """One movement of a gift card's money; never edited or deleted (a mistake is an `adjust`)."""

    class Kind(models.TextChoices):
        LOAD = "load", "Load (sale or top-up)"
        PAY = "pay", "Payment"
        REFUND = "refund", "Refund"
        EXPIRE = "expire", "Expired"
        ADJUST = "adjust", "Adjustment"

    gift_card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(**AMOUNT, help_text="Signed: + onto the card, − off it.")
    balance_after = models.DecimalField(**TOTAL)
    created_at = models.DateTimeField()
    store_id = models.BigIntegerField(null=True, blank=True, help_text="pos.Store where it happened.")
    terminal_id = models.BigIntegerField(null=True, blank=True)
    cashier_id = models.BigIntegerField(null=True, blank=True)
    receipt_id = models.BigIntegerField(null=True, blank=True, help_text="pos.Receipt paid or refunded.")
    refund_id = models.BigIntegerField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "gift card entries"
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="gift_card_entry_balance_not_negative"),
            models.CheckConstraint(condition=~Q(amount=0), name="gift_card_entry_moves_money"),
        ]
        indexes = [
            models.Index(fields=["receipt_id"], name="gift_card_entry_receipt"),
            models.Index(fields=["kind", "created_at"], name="gift_card_entry_kind_time"),
        ]

    def __str__(self):
        return f"{self.kind} {self.amount} on {self.gift_card_id}"

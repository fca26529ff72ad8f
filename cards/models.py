from django.conf import settings
from django.db import models
from django.db.models import Q


class CardSeries(models.Model):
    """The next free serial of one number prefix.

    Issuing a batch locks this row and moves `next_serial` on, so two batches
    issued at the same moment get disjoint ranges; the unique constraint on
    Card.number is the backstop.
    """

    prefix = models.CharField(max_length=3, unique=True)
    next_serial = models.BigIntegerField(default=1)

    class Meta:
        verbose_name_plural = "card series"
        constraints = [models.CheckConstraint(condition=Q(next_serial__gte=1), name="card_series_serial_positive")]

    def __str__(self):
        return f"2{self.prefix}…"


class CardBatch(models.Model):
    """N pre-numbered cards printed together, before any customer exists."""

    name = models.CharField(
        max_length=100, blank=True, help_text="A label for the print job, e.g. 'Spring 2027 flyers'."
    )
    prefix = models.CharField(max_length=3, help_text="Three digits after the leading 2 of every number.")
    first_serial = models.BigIntegerField()
    count = models.PositiveIntegerField()
    first_number = models.CharField(max_length=13)
    last_number = models.CharField(max_length=13)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    programme = models.ForeignKey(
        "loyalty.Programme", null=True, blank=True, on_delete=models.PROTECT, related_name="batches",
        help_text="Empty: the cards join the chain's default programme at activation.",
    )  # fmt: skip

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "card batches"
        constraints = [models.CheckConstraint(condition=Q(count__gte=1), name="card_batch_count_positive")]

    def __str__(self):
        label = f" {self.name}" if self.name else ""
        return f"Batch #{self.pk}{label} ({self.count} cards, {self.first_number}–{self.last_number})"


class Card(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        ACTIVE = "active", "Active"
        BLOCKED = "blocked", "Blocked"
        REPLACED = "replaced", "Replaced"

    number = models.CharField(max_length=13, unique=True)
    batch = models.ForeignKey(CardBatch, on_delete=models.PROTECT, related_name="cards")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED, db_index=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    blocked_at = models.DateTimeField(null=True, blank=True)
    blocked_reason = models.CharField(max_length=200, blank=True)
    # The card's loyalty state; set at first use (activation). Its own, unless the card is a staff card of a
    # business customer: then the company's one account, which all its staff cards share (cards/companies.py).
    account = models.ForeignKey(
        "loyalty.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="cards"
    )
    shares_account = models.BooleanField(
        default=False, editable=False, help_text="A staff card: its account is its company's, shared with colleagues."
    )
    # Who holds a staff card: its account's customer is the company, so the person is kept here (their name at
    # the till, their details and reminders on /my/). Empty on every other card: its account's customer holds it.
    holder = models.ForeignKey(
        "loyalty.Customer", null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="held_cards"
    )
    replaced_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces")

    class Meta:
        ordering = ["number"]
        # The staff cards, by their company's account: few among millions (the company page, the reports).
        indexes = [models.Index(fields=["account"], condition=Q(shares_account=True), name="card_staff_by_account")]
        constraints = [
            models.CheckConstraint(condition=Q(number__regex=r"^2[0-9]{12}$"), name="card_number_is_ean13_in_store"),
            models.CheckConstraint(
                condition=Q(status="issued", account__isnull=True) | Q(~Q(status="issued"), account__isnull=False),
                name="card_has_account_once_used",
            ),
            # One card per account, except the staff cards sharing their company's (set only by card_join_company).
            models.UniqueConstraint(
                fields=["account"], condition=Q(shares_account=False), name="card_account_own_unless_shared"
            ),
            models.CheckConstraint(
                condition=Q(shares_account=False, holder__isnull=True)
                | Q(shares_account=True, account__isnull=False, holder__isnull=False),
                name="shared_card_has_account_and_holder",
            ),
            # Numbers 29… are gift cards (giftcards/numbers.py): a scan is one or the other, never both.
            models.CheckConstraint(condition=~Q(number__startswith="29"), name="card_number_not_gift_card"),
        ]

    def __str__(self):
        return self.number

    @property
    def customer(self):
        """The person holding the card: a staff card's own holder, else its account's customer (None unused)."""
        if self.shares_account:
            return self.holder
        return self.account.customer if self.account_id else None


class CompanyJoin(models.Model):
    """A card that joined a business customer: its own account's live points and spend moved by ledger rows into
    the company's account, which the card uses from then on. The own account stays, emptied, as history, until
    the card leaves the company (`left_at`, who and why): then it is the card's account again, and nothing moves
    back. A card that left may join again: a new row, from the same own account."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="company_joins")
    company = models.ForeignKey("loyalty.Company", on_delete=models.PROTECT, related_name="card_joins")
    from_account = models.ForeignKey("loyalty.Account", on_delete=models.PROTECT, related_name="+")
    into_account = models.ForeignKey("loyalty.Account", on_delete=models.PROTECT, related_name="+")
    points_moved = models.DecimalField(max_digits=16, decimal_places=2)
    points_kept = models.DecimalField(
        max_digits=16, decimal_places=2, help_text="Left on the card's own account: the company earns no points."
    )
    spend_moved = models.DecimalField(max_digits=16, decimal_places=2)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The card (this one, or the card that replaced it) left the company: set once, by card_leave_company.
    left_at = models.DateTimeField(null=True, blank=True)
    left_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    left_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # An own account is in one company at a time: joined again only after it left.
            models.UniqueConstraint(
                fields=["from_account"], condition=Q(left_at__isnull=True), name="company_join_one_open_per_account"
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True, left_reason="") | Q(left_at__isnull=False) & ~Q(left_reason=""),
                name="company_join_left_with_reason",
            ),
        ]

    def __str__(self):
        return f"Card {self.card_id} joined company {self.company_id}"

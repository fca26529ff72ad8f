"""The manager's back office for the loyalty core.

Balances, spend and levels are caches of their ledgers: the admin shows them
and never edits them. Points move only through `loyalty.services`, called
from the "Adjust points" page of an account.
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, Sum
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from core.errors import DomainError
from core.money import MAX_SALE
from core.phones import PhoneSearchMixin
from loyalty.models import (
    Account,
    Category,
    Company,
    ContractDiscount,
    Customer,
    JobRun,
    Level,
    Partner,
    PartnerAssignment,
    PointsEntry,
    Programme,
    SpendEntry,
    TimeWindow,
)  # fmt: skip
from loyalty.selectors import NIGHTLY_LATE, last_nightly_runs
from loyalty.services import customer_merge, customer_partner_assign, normalise_phone, points_adjust

# The reverse ForeignKey from cards.Card.account: a lookup by name, no import of `cards`. Several cards share
# one account only when it is a business customer's (cards/companies.py). Read with prefetch_related("cards").
CARD_NUMBER = "cards__number"


def card_number_of(account: Account) -> str:
    cards = list(account.cards.all())
    if not cards:
        return "-"
    return cards[0].number if len(cards) == 1 else f"{cards[0].number} +{len(cards) - 1} staff cards"


def card_link(account: Account):
    cards = list(account.cards.all())
    if not cards:
        return "-"
    if len(cards) == 1:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:cards_card_change", args=[cards[0].pk]), cards[0].number
        )
    url = reverse("admin:cards_card_changelist") + f"?account__id__exact={account.pk}"
    return format_html('<a href="{}">{} staff cards of the company</a>', url, len(cards))


# --- programmes --------------------------------------------------------------------------------


class LevelInline(admin.TabularInline):
    model = Level
    fields = ["name", "threshold", "percent", "perks"]
    extra = 0


class TimeWindowInline(admin.TabularInline):
    model = TimeWindow
    fields = ["name", "weekdays", "start_time", "end_time", "extra_percent", "points_multiplier"]
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "is_default", "base_percent", "ceiling_percent", "earn_percent"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [LevelInline, TimeWindowInline]
    # Programme.clean() puts a too-deep ceiling on `ceiling_justification`,
    # so the form shows it next to that field.
    fieldsets = [
        (None, {"fields": ["code", "name", "is_default"]}),
        ("Discount", {"fields": ["kind", "base_percent", "spend_basis", "spend_window_months"]}),
        ("Ceiling", {"fields": ["ceiling_percent", "ceiling_justification"]}),
        (
            "Points",
            {
                "fields": [
                    "earn_percent",
                    "point_value",
                    "redeem_cap_percent",
                    "points_lifetime_days",
                    "welcome_bonus",
                    "refund_shortfall",
                ]
            },
        ),
        ("Inactivity", {"fields": ["inactivity_days", "inactivity_action"]}),
    ]


# --- categories ----------------------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "discount_policy", "max_discount_percent", "earns_points"]
    list_editable = ["discount_policy", "earns_points"]
    list_filter = ["discount_policy", "earns_points"]
    search_fields = ["code", "name"]
    actions = ["exclude_from_card_discounts"]

    @admin.action(description="Exclude from card discounts", permissions=["change"])
    def exclude_from_card_discounts(self, request, queryset: QuerySet[Category]):
        changed = queryset.exclude(discount_policy=Category.Policy.EXCLUDED).update(
            discount_policy=Category.Policy.EXCLUDED
        )
        self.message_user(request, f"{changed} categories now get no card discount.", messages.SUCCESS)


# --- customers -----------------------------------------------------------------------------------


class CustomerMergeForm(forms.Form):
    keep = forms.TypedChoiceField(
        coerce=int, widget=forms.RadioSelect, label="Keep",
        help_text="The other record's cards (with their points, spend and history) move to this one; "
        "the other record is deleted, its details kept in both records' history.",
    )  # fmt: skip

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [
            (c.pk, f"#{c.pk} {c.name}, {c.phone}, e-mail {c.email or '-'}, birthday {c.birthday or '-'}, "
                   f"since {c.created_at:%Y-%m-%d}")
            for c in customers
        ]  # fmt: skip


class CustomerForm(forms.ModelForm):
    # Longer than the stored column: spaces, dashes and brackets are typed, then normalised away.
    phone = forms.CharField(max_length=40, help_text="Any way it is typed; stored as + and digits.")

    class Meta:
        model = Customer
        fields = ["name", "phone", "email", "birthday", "marketing_consent"]

    def clean_phone(self) -> str:
        # Normalised, so one phone typed two ways is one stored string (and the merge finds them).
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AccountInline(ReadOnlyInline):
    model = Account
    fields = ["card_number", "programme", "level", "spend", "points_balance", "last_purchase_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name = "card account"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("programme", "level").prefetch_related("cards")

    @admin.display(description="Card")
    def card_number(self, obj):
        return card_number_of(obj)


@admin.register(Customer)
class CustomerAdmin(PhoneSearchMixin, admin.ModelAdmin):
    form = CustomerForm
    list_display = ["name", "phone", "email", "marketing_consent", "created_at"]
    list_filter = ["marketing_consent"]
    search_fields = ["name", "phone", f"accounts__{CARD_NUMBER}"]
    readonly_fields = ["created_at"]
    inlines = [AccountInline]
    actions = ["merge_customers"]

    def has_delete_permission(self, request, obj=None):
        return False  # accounts and their ledgers hang off the customer

    @admin.action(description="Merge two records of one customer (same phone)", permissions=["change"])
    def merge_customers(self, request, queryset: QuerySet[Customer]):
        customers = list(queryset.order_by("pk"))
        if len(customers) != 2 or customers[0].phone != customers[1].phone:
            self.message_user(request, "Select exactly two customers with the same phone.", messages.ERROR)
            return None
        form = CustomerMergeForm(request.POST if "keep" in request.POST else None, customers=customers)
        if form.is_valid():
            keep = form.cleaned_data["keep"]
            drop = next(c.pk for c in customers if c.pk != keep)
            try:
                kept = customer_merge(keep_id=keep, drop_id=drop, by=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return None
            self.message_user(
                request, f"Merged into {kept}: its cards now include the other record's.", messages.SUCCESS
            )
            return redirect("admin:loyalty_customer_change", kept.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Merge two customer records",
            "customers": customers,
            "form": form,
            "action": "merge_customers",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/loyalty/customer/merge.html", context)


# --- accounts and the points ledger --------------------------------------------------------------


LEDGER_ROWS = 200  # the newest entries shown on the account's page; the rest are one link away


@dataclass(frozen=True)
class LedgerRow:
    entry: PointsEntry
    balance: Decimal  # the account's balance right after this entry
    receipt_url: str
    burns: list[tuple[Decimal, Decimal, object]]  # per lot this entry credited: (points, still left, burn date)


def ledger(account: Account) -> tuple[list[LedgerRow], int]:
    """The newest entries with the balance after each (the sum of the ledger up to it), their receipts and
    the burn date of each lot they credited; and how many older entries are not shown."""
    entries = (
        account.points_entries.select_related("created_by").prefetch_related("lots").order_by("-created_at", "-id")
    )
    shown = list(entries[:LEDGER_ROWS])
    older = entries.count() - len(shown)
    balance = sum((e.points for e in shown), Decimal("0.00"))
    if older:  # the whole ledger (SQLite sums decimals as floats: back to cents)
        balance = (account.points_entries.aggregate(s=Sum("points"))["s"] or Decimal(0)).quantize(Decimal("0.01"))
    rows = []
    for entry in shown:  # newest first: the balance after it, then step back over it
        url = reverse("admin:pos_receipt_change", args=[entry.receipt_id]) if entry.receipt_id else ""
        burns = [(lot.points, lot.remaining, lot.expires_at) for lot in entry.lots.all()]
        rows.append(LedgerRow(entry, balance, url, burns))
        balance -= entry.points
    return rows, older


class AdjustPointsForm(forms.Form):
    points = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=-MAX_SALE, max_value=MAX_SALE,
        help_text="Signed: 10.00 credits ten points, -10.00 takes ten away.",
    )  # fmt: skip
    reason = forms.CharField(max_length=200, help_text="Kept in the ledger with your name.")

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError("An adjustment of zero points changes nothing.")
        return points


@admin.register(Account)
class AccountAdmin(PhoneSearchMixin, admin.ModelAdmin):
    """View-only: every field is a cache or a link moved by services (activate, replace, adjust)."""

    phone_lookup = "customer__phone"
    list_display = ["card_number", "customer", "programme", "level", "spend", "points_balance"]
    list_filter = ["programme", "level"]
    list_select_related = ["customer", "programme", "level"]
    search_fields = [CARD_NUMBER, "customer__phone", "customer__name"]
    fields = [
        "card_page", "customer_link", "programme", "level", "spend", "points_balance", "last_purchase_at",
        "stepped_down_at", "replaces", "created_at", "ledger_link",
    ]  # fmt: skip
    readonly_fields = fields
    show_full_result_count = False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        account = self.get_object(request, object_id)
        if account is not None:
            rows, older = ledger(account)
            extra_context = (extra_context or {}) | {"ledger": rows, "ledger_older": older, "now": timezone.now()}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False  # an account opens when its card is activated

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("cards")

    @admin.display(description="Card")
    def card_number(self, obj):
        return card_number_of(obj)

    @admin.display(description="Card")
    def card_page(self, obj):
        return card_link(obj)

    @admin.display(description="Customer")
    def customer_link(self, obj):
        url = reverse("admin:loyalty_customer_change", args=[obj.customer_id])
        return format_html('<a href="{}">{}</a>', url, obj.customer)

    @admin.display(description="Ledger")
    def ledger_link(self, obj):
        url = reverse("admin:loyalty_pointsentry_changelist") + f"?account__id__exact={obj.pk}"
        return format_html('<a href="{}">All points entries of this account</a>', url)

    def get_urls(self):
        adjust = self.admin_site.admin_view(self.adjust_view)
        return [path("<int:pk>/adjust/", adjust, name="loyalty_account_adjust")] + super().get_urls()

    def adjust_view(self, request, pk):
        # Not wrapped in a transaction: points_adjust is its own durable one.
        if not request.user.has_perm("loyalty.adjust_points"):
            raise PermissionDenied
        account = get_object_or_404(Account.objects.select_related("customer").prefetch_related("cards"), pk=pk)
        form = AdjustPointsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = points_adjust(
                    account_id=account.pk, points=form.cleaned_data["points"], reason=form.cleaned_data["reason"],
                    by=request.user, at=timezone.now(),
                )  # fmt: skip
            except DomainError as error:
                # A refusal about one field (the balance it would overflow) is shown at that field.
                form.add_error("points" if "points" in error.details else None, error.message)
            else:
                self.message_user(request, f"Adjusted by {entry.points} points: {entry.reason}", messages.SUCCESS)
                return redirect("admin:loyalty_account_change", account.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": account,
            "form": form,
            "title": f"Adjust points of {card_number_of(account)}",
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/loyalty/account/adjust.html", context)


@admin.register(PointsEntry)
class PointsEntryAdmin(admin.ModelAdmin):
    """The ledger, read-only: a mistake is corrected by a reversing adjustment, never an edit."""

    list_display = ["created_at", "card_number", "kind", "points", "receipt_id", "job_run", "created_by", "reason"]
    list_filter = ["kind"]
    list_select_related = ["account", "created_by"]
    search_fields = [f"account__{CARD_NUMBER}"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("account__cards")

    @admin.display(description="Card")
    def card_number(self, obj):
        return card_number_of(obj.account)


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Every run of the nightly job and what it changed; its ledger rows carry the run's label."""

    list_display = ["label", "as_of", "trigger", "status", "cards_stepped_down", "lots_burned", "points_burned",
                    "started_at", "finished_at"]  # fmt: skip
    list_filter = ["status", "trigger"]
    readonly_fields = [f.name for f in JobRun._meta.fields] + ["step_downs", "burns"]

    def has_add_permission(self, request):
        return False  # runs come from the schedule or `expire_inactive`

    def changelist_view(self, request, extra_context=None):
        # A Celery beat that stopped leaves no error anywhere: the age of the last finished run shows it.
        latest, finished = last_nightly_runs()
        if finished is None:
            messages.warning(request, "The nightly job has never finished a run.")
        else:
            age = timesince(finished.finished_at)
            level = messages.INFO if timezone.now() - finished.finished_at < NIGHTLY_LATE else messages.WARNING
            messages.add_message(request, level, f"Last nightly run finished {age} ago.")
        if latest is not None and latest.status == JobRun.Status.FAILED:
            messages.error(request, f"The latest nightly run failed: {latest.error[:200]}")
        return super().changelist_view(request, extra_context)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Step-downs (spend entries)")
    def step_downs(self, obj):
        return SpendEntry.objects.filter(job_run=obj.label).count()

    @admin.display(description="Burns (points entries)")
    def burns(self, obj):
        return PointsEntry.objects.filter(job_run=obj.label).count()


# --- Business customers and partners: the parties (their agreements and statements are in partners/admin.py)


class ContractDiscountInline(admin.TabularInline):
    model = ContractDiscount
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    inlines = [ContractDiscountInline]
    list_display = ["name", "vat_id", "pays_on_account", "days_to_pay", "prepayment_discount_percent",
                    "deferral_surcharge_percent", "earns_points"]  # fmt: skip
    search_fields = ["name", "vat_id"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "user"]
    search_fields = ["code", "name"]
    raw_id_fields = ["user"]


@admin.register(PartnerAssignment)
class PartnerAssignmentAdmin(admin.ModelAdmin):
    """A manager assigns a customer to a partner (who did it and when is recorded); activation assigns by code."""

    list_display = ["customer", "partner", "source", "assigned_at", "assigned_by"]
    list_filter = ["source", "partner"]
    raw_id_fields = ["customer"]
    search_fields = ["customer__name", "customer__phone", "partner__code"]

    def get_fields(self, request, obj=None):
        return (
            ["customer", "partner"] if obj is None else ["customer", "partner", "source", "assigned_at", "assigned_by"]
        )

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["customer", "partner", "source", "assigned_at", "assigned_by"]

    def save_model(self, request, obj, form, change):
        if change:
            return
        # The form already refused a customer who has a partner (one assignment per customer).
        assigned = customer_partner_assign(
            customer=obj.customer, partner=obj.partner, source=PartnerAssignment.Source.MANAGER,
            by=request.user, at=timezone.now(),
        )  # fmt: skip
        obj.pk = assigned.pk

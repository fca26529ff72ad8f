from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.formats import date_format
from django.utils.timezone import localtime

from core.errors import DomainError
from pos.actors import terminal_create, terminal_revoke
from pos.catalogue import products_import
from pos.models import (
    CardActivation,
    CardReplacement,
    Cashier,
    Clawback,
    CouponShare,
    DiscountEntry,
    PinSlipReprint,
    Product,
    Receipt,
    ReceiptLine,
    Refund,
    Store,
    Terminal,
)
from pos.throttling import throttled_today


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money history: visible to managers, written only by the till's services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "currency", "time_zone"]
    search_fields = ["code", "name"]


class TerminalAddForm(forms.ModelForm):
    class Meta:
        model = Terminal
        fields = ["store", "name"]


class ThrottledColumns:
    """The API throttle's counts (pos/throttling.py, kept in the cache) as two columns and a filter of a
    change list whose rows call the API under `throttle_scope(obj)`: a manager spots a scraping token."""

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        rows = list(changelist.result_list)
        counts = throttled_today([self.throttle_scope(obj) for obj in rows])  # one cache round trip a page
        for obj in rows:
            obj.throttled_today, obj.last_throttled = counts[self.throttle_scope(obj)]
        return changelist

    @admin.display(description="Throttled today")
    def throttled_today_count(self, obj):
        return getattr(obj, "throttled_today", 0)

    @admin.display(description="Last throttled")
    def last_throttled_at(self, obj):
        last = getattr(obj, "last_throttled", None)
        return date_format(localtime(last), "DATETIME_FORMAT") if last else "-"


class ThrottledTodayFilter(admin.SimpleListFilter):
    title = "API throttle"
    parameter_name = "throttled"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.throttle_scope = model_admin.throttle_scope

    def lookups(self, request, model_admin):
        return [("today", "Throttled today")]

    def queryset(self, request, queryset):
        if self.value() != "today":
            return queryset
        # A chain has tens of tills, not thousands: ask the cache about each, in one round trip.
        scopes = {obj.pk: self.throttle_scope(obj) for obj in queryset}
        counts = throttled_today(list(scopes.values()))
        return queryset.filter(pk__in=[pk for pk, scope in scopes.items() if counts[scope][0]])


@admin.register(Terminal)
class TerminalAdmin(ThrottledColumns, admin.ModelAdmin):
    list_display = ["name", "store", "token_hint", "created_at", "revoked_at", "throttled_today_count",
                    "last_throttled_at"]  # fmt: skip
    list_filter = ["store", "revoked_at", ThrottledTodayFilter]

    def throttle_scope(self, obj):
        return f"terminal:{obj.pk}"

    readonly_fields = ["token_hint", "created_at", "revoked_at"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TerminalAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["store", "name"] if obj is None else ["store", "name", "token_hint", "created_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        terminal, token = terminal_create(store=form.cleaned_data["store"], name=form.cleaned_data["name"])
        obj.pk, obj.token_hash, obj.token_hint = terminal.pk, terminal.token_hash, terminal.token_hint
        obj._state.adding = False
        # Shown once: only its hash is stored.
        messages.warning(request, f"Token for {terminal}: {token} — copy it now, it cannot be shown again.")

    @admin.action(description="Revoke the selected terminals' tokens")
    def revoke(self, request, queryset):
        for terminal in queryset:
            terminal_revoke(terminal)
        messages.success(request, f"Revoked {queryset.count()} terminal(s).")

    def has_delete_permission(self, request, obj=None):
        return False  # receipts point at terminals; revoke instead


@admin.register(Cashier)
class CashierAdmin(ThrottledColumns, admin.ModelAdmin):
    list_display = ["user", "store", "throttled_today_count", "last_throttled_at"]
    list_filter = ["store", ThrottledTodayFilter]
    autocomplete_fields = ["user"]

    def throttle_scope(self, obj):
        return f"cashier:{obj.user_id}"  # the cashier screen's calls (pos.actors.PosActor.scope)


class ProductImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with the columns sku, barcode, name, category, price (UTF-8).")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "barcode", "name", "category", "price"]
    list_filter = ["category"]
    search_fields = ["sku", "barcode", "name"]
    change_list_template = "admin/pos/product/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="pos_product_import")] + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:pos_product_changelist")
        form = ProductImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read().decode("utf-8-sig")
                created, updated = products_import(text=text)
            except UnicodeDecodeError:
                form.add_error("file", "The file is not UTF-8 text.")
            except DomainError as error:
                form.add_error("file", error.message)
            else:
                messages.success(request, f"Imported: {created} new, {updated} updated.")
                return redirect("admin:pos_product_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import products from CSV",
                   "opts": self.model._meta}  # fmt: skip
        return render(request, "admin/pos/product/import.html", context)


class ReceiptLineInline(admin.TabularInline):
    model = ReceiptLine
    extra = 0
    can_delete = False
    fields = ["position", "sku", "name", "category", "quantity", "unit_price", "discount_percent",
              "discount_amount", "total", "refunded_quantity"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "store", "terminal", "cashier", "card", "total_due", "discount_total",
                    "points_redeemed", "points_earned", "refunded_amount"]  # fmt: skip
    list_filter = ["store", "created_at"]
    search_fields = ["=id", "=card__number"]
    list_select_related = ["store", "terminal", "cashier", "card"]
    inlines = [ReceiptLineInline]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "receipt", "created_at", "reason", "goods_amount", "amount_refunded", "points_returned",
                    "points_reversed", "points_shortfall", "clawback_kept", "clawback_recorded"]  # fmt: skip
    list_filter = ["reason"]  # why goods come back: the till asks (issue 17)
    search_fields = ["=receipt__id", "note"]


@admin.register(Clawback)
class ClawbackAdmin(ReadOnlyAdmin):
    """Level discount refunds showed was never earned, per later receipt: what was kept from the refund's cash
    and what was recorded (loyalty/rules/clawback.py)."""

    list_display = ["created_at", "refund", "receipt", "level_given", "level_earned", "unearned", "kept",
                    "recorded"]  # fmt: skip
    list_filter = ["level_given"]
    search_fields = ["=receipt__id", "=refund__receipt__id", "=receipt__card__number"]
    list_select_related = ["refund", "receipt"]
    date_hierarchy = "created_at"


class CouponShareInline(admin.TabularInline):
    """A line's second and later coupons (the register row names the first)."""

    model = CouponShare
    fields = ["coupon", "percent", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DiscountEntry)
class DiscountEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "receipt", "card", "store", "terminal", "cashier", "category", "level",
                    "percent", "amount"]  # fmt: skip
    inlines = [CouponShareInline]
    list_filter = ["store", "category", "level"]
    search_fields = ["=card__number", "=receipt__id"]
    list_select_related = ["receipt", "card", "store", "terminal", "cashier", "category"]
    show_full_result_count = False


@admin.register(CardActivation)
class CardActivationAdmin(ReadOnlyAdmin):
    """Who registered each card's customer at the till (store, terminal or cashier, when)."""

    list_display = ["card", "created_at", "store", "terminal", "cashier"]
    list_filter = ["store"]
    list_select_related = ["card", "store", "terminal__store", "cashier"]
    search_fields = ["=card__number", "cashier__username"]
    date_hierarchy = "created_at"


@admin.register(CardReplacement)
class CardReplacementAdmin(ReadOnlyAdmin):
    """Cards replaced at the till (lost, worn, stolen): old and new card, why, store, terminal or cashier."""

    list_display = ["old_card", "new_card", "reason", "created_at", "store", "terminal", "cashier"]
    list_filter = ["store", "reason"]
    list_select_related = ["old_card", "new_card", "store", "terminal__store", "cashier"]
    search_fields = ["=old_card__number", "=new_card__number", "cashier__username"]
    date_hierarchy = "created_at"


@admin.register(PinSlipReprint)
class PinSlipReprintAdmin(ReadOnlyAdmin):
    """PIN slips printed again at the till for a card's holder: which card, where, by whom, when."""

    list_display = ["card", "created_at", "store", "cashier"]
    list_filter = ["store"]
    list_select_related = ["card", "store", "cashier"]
    search_fields = ["=card__number", "cashier__username"]
    date_hierarchy = "created_at"

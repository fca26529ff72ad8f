from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path

from core.errors import DomainError
from pos.actors import terminal_create, terminal_revoke
from pos.catalogue import products_import
from pos.models import (
    CardActivation,
    Cashier,
    Clawback,
    DiscountEntry,
    Product,
    Receipt,
    ReceiptLine,
    Refund,
    Store,
    Terminal,
)


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
    list_display = ["code", "name", "currency"]
    search_fields = ["code", "name"]


class TerminalAddForm(forms.ModelForm):
    class Meta:
        model = Terminal
        fields = ["store", "name"]


@admin.register(Terminal)
class TerminalAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "token_hint", "created_at", "revoked_at"]
    list_filter = ["store", "revoked_at"]
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
class CashierAdmin(admin.ModelAdmin):
    list_display = ["user", "store"]
    list_filter = ["store"]
    autocomplete_fields = ["user"]


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
    list_display = ["id", "receipt", "created_at", "goods_amount", "amount_refunded", "points_returned",
                    "points_reversed", "points_shortfall", "clawback_kept", "clawback_recorded"]  # fmt: skip
    search_fields = ["=receipt__id"]


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


@admin.register(DiscountEntry)
class DiscountEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "receipt", "card", "store", "terminal", "cashier", "category", "level",
                    "percent", "amount"]  # fmt: skip
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

"""The manager's back office for agreements and statements: approve, pay out, export, reverse, payments.

Every action calls one service (partners/services.py, partners/payments.py); each writes its audit row."""

import csv
import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from core.errors import DomainError
from partners import payments, services
from partners.models import (
    Agreement,
    ChosenLine,
    Condition,
    CustomerRegion,
    KeyAccount,
    Payment,
    ReceiptOnAccount,
    RegionCover,
    Statement,
    StatementEvent,
    StatementLine,
    Tier,
    UnitRate,
)  # fmt: skip


class ConditionInline(admin.TabularInline):
    model = Condition
    extra = 0


class TierInline(admin.TabularInline):
    model = Tier
    extra = 0


class UnitRateInline(admin.TabularInline):
    model = UnitRate
    extra = 0


class ChosenLineInline(admin.TabularInline):
    model = ChosenLine
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "company",
        "partner",
        "period",
        "year_starts_in",
        "valid_from",
        "valid_to",
        "tier_mode",
        "cap",
        "region_order_limit",
    ]
    list_filter = ["period", "tier_mode"]
    search_fields = ["name", "company__name", "company__vat_id", "partner__code", "partner__name"]
    inlines = [ConditionInline, TierInline, UnitRateInline, ChosenLineInline]


@admin.register(RegionCover)
class RegionCoverAdmin(admin.ModelAdmin):
    """The postcode areas a dealer covers (channel protection): a prefix taken by another dealer is refused."""

    list_display = ["prefix", "partner", "note"]
    list_filter = ["partner"]
    search_fields = ["prefix", "partner__code", "partner__name"]


@admin.register(CustomerRegion)
class CustomerRegionAdmin(admin.ModelAdmin):
    list_display = ["customer", "postcode"]
    search_fields = ["postcode", "customer__name"]
    raw_id_fields = ["customer"]


@admin.register(KeyAccount)
class KeyAccountAdmin(admin.ModelAdmin):
    list_display = ["customer", "partner", "percent", "note"]
    raw_id_fields = ["customer"]


class LineInline(admin.TabularInline):
    model = StatementLine
    fields = ["label_text", "figure_text", "met", "percent", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = StatementEvent
    fields = ["action", "at", "by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Kept in the statement's history.")


def _payout_action(payout: str, description: str):
    @admin.action(description=description, permissions=["approve"])
    def act(modeladmin, request, queryset):
        modeladmin.each_service(request, queryset, services.statement_pay_out, payout=payout)

    act.__name__ = f"pay_out_{payout}"
    return act


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "period_start", "volume", "bonus", "adjustment", "status", "payout"]
    list_filter = ["status", "kind", "period_start", "agreement__period"]
    search_fields = ["agreement__name", "agreement__company__name", "agreement__partner__code"]
    date_hierarchy = "period_start"
    inlines = [LineInline, EventInline]
    actions = ["approve", _payout_action("credit", "Pay out as credit on the company's account"),
               _payout_action("discount", "Pay out as a discount on the next purchases"), "export_csv"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Statement._meta.fields]

    def has_add_permission(self, request):
        return False  # statements are made by the settlement, never by hand

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm("partners.approve_statement")

    def each_service(self, request, queryset, service, **kwargs) -> int:
        done = 0
        for statement in queryset.order_by("pk"):
            try:
                service(statement_id=statement.pk, by=request.user, at=timezone.now(), **kwargs)
                done += 1
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
        if done:
            self.message_user(request, f"{done} statements done.", messages.SUCCESS)
        return done

    @admin.action(description="Approve the selected statements", permissions=["approve"])
    def approve(self, request, queryset):
        self.each_service(request, queryset, services.statement_approve)

    @admin.action(description="Export to accounting (CSV) and mark paid", permissions=["approve"])
    def export_csv(self, request, queryset):
        paid = []
        for statement in queryset.filter(status=Statement.Status.APPROVED).order_by("pk"):
            try:
                paid.append(services.statement_pay_out(statement_id=statement.pk, by=request.user, at=timezone.now(),
                                                       payout=Statement.Payout.EXPORT))  # fmt: skip
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
        return payout_csv_response(paid)

    def get_urls(self):
        reverse = self.admin_site.admin_view(self.reverse_view)
        return [path("<int:pk>/reverse/", reverse, name="partners_statement_reverse")] + super().get_urls()

    def reverse_view(self, request, pk):
        statement = get_object_or_404(Statement, pk=pk)
        if not self.has_approve_permission(request):
            raise PermissionDenied
        form = ReverseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reversal = services.statement_reverse(
                    statement_id=pk, by=request.user, at=timezone.now(), reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                done = reversal.events.exclude(action="made").values_list("note", flat=True).first()
                said = f"Statement {pk} is reversed by statement {reversal.pk}" + (f" ({done})." if done else ".")
                self.message_user(request, said, messages.SUCCESS)
                return redirect("admin:partners_statement_change", reversal.pk)
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": statement, "form": form,
            "title": f"Reverse {statement}", "button": "Reverse the statement", "media": self.media + form.media,
        }  # fmt: skip
        return TemplateResponse(request, "admin/object_action.html", context)


PAYOUT_COLUMNS = ["statement", "period", "party", "vat_id_or_code", "volume", "bonus", "adjustment", "payable"]


def payout_csv_response(statements: list[Statement]) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PAYOUT_COLUMNS)
    for s in statements:
        party = s.agreement.party
        writer.writerow([s.pk, f"{s.period_start:%Y-%m}", party.name, getattr(party, "vat_id", None) or party.code,
                         s.volume, s.bonus, s.adjustment, s.net_bonus])  # fmt: skip
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="payouts.csv"'
    return response


class PaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0.01)
    paid_on = forms.DateField(help_text="YYYY-MM-DD")
    reference = forms.CharField(max_length=60)


class PaymentsImportForm(forms.Form):
    file = forms.FileField(help_text="CSV from accounting: receipt,amount,paid_on,reference")


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = ["amount", "paid_on", "reference", "source", "recorded_by", "recorded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReceiptOnAccount)
class ReceiptOnAccountAdmin(admin.ModelAdmin):
    list_display = ["receipt", "company", "amount", "refunded", "paid", "owed", "due_on", "paid_in_full_on"]
    list_filter = ["company"]
    inlines = [PaymentInline]
    change_list_template = "admin/partners/receiptonaccount/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ReceiptOnAccount._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        pay = self.admin_site.admin_view(self.payment_view)
        upload = self.admin_site.admin_view(self.import_view)
        return [
            path("<int:pk>/payment/", pay, name="partners_receiptonaccount_payment"),
            path("import/", upload, name="partners_receiptonaccount_import"),
        ] + super().get_urls()

    def payment_view(self, request, pk):
        charge = get_object_or_404(ReceiptOnAccount, pk=pk)
        if not self.has_view_permission(request, charge) or not request.user.has_perm("partners.add_payment"):
            raise PermissionDenied
        form = PaymentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                payments.payment_record(receipt_id=charge.receipt_id, source=Payment.Source.MANAGER, by=request.user,
                                        at=timezone.now(), **form.cleaned_data)  # fmt: skip
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, "The payment is recorded.", messages.SUCCESS)
                return redirect("admin:partners_receiptonaccount_change", pk)
        return self._page(request, charge, form, f"Record a payment of {charge}", "Record the payment")

    def import_view(self, request):
        if not request.user.has_perm("partners.add_payment"):
            raise PermissionDenied
        form = PaymentsImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read().decode("utf-8-sig")
                count = payments.payments_import(text=text, by=request.user, at=timezone.now())
            except UnicodeDecodeError:
                form.add_error("file", "The file is not UTF-8 text.")
            except DomainError as error:
                form.add_error("file", error.message)
            else:
                self.message_user(request, f"{count} payments imported.", messages.SUCCESS)
                return redirect("admin:partners_receiptonaccount_changelist")
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form,
            "title": "Import payments from accounting", "media": self.media + form.media,
        }  # fmt: skip
        return TemplateResponse(request, "admin/partners/receiptonaccount/import.html", context)

    def _page(self, request, original, form, title, button):
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": original, "form": form,
            "title": title, "button": button, "media": self.media + form.media,
        }  # fmt: skip
        return TemplateResponse(request, "admin/object_action.html", context)

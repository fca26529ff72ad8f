"""The manager's back office for campaigns and coupons: set up, issue a batch, see uses."""

import tempfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from promotions import exports
from promotions.models import Campaign, Coupon, CouponBatch, CouponUse
from promotions.rules import new_code, normalise
from promotions.services import MAX_BATCH, coupon_batch_issue

ADMIN_BATCH = 50_000  # a batch issued from the admin's form, within one request; larger ones with coupons_issue


class IssueCouponsForm(forms.Form):
    count = forms.IntegerField(
        min_value=1, max_value=ADMIN_BATCH, initial=100,
        help_text=f"Up to {ADMIN_BATCH:,} here; up to {MAX_BATCH:,} with `manage.py coupons_issue --campaign`.",
    )  # fmt: skip
    name = forms.CharField(max_length=100, required=False, help_text="For the print shop; the campaign's if empty.")


class CampaignForm(forms.ModelForm):
    """What the database cannot check alone: a scope or an audience that names nothing would quietly cover
    nothing or no one, and half an hour window would be ignored."""

    class Meta:
        model = Campaign
        fields = [
            "name", "starts_on", "starts_time", "ends_on", "ends_time", "weekdays", "window_start", "window_end",
            "stores", "scope", "categories", "skus", "benefit", "value", "min_basket", "combine",
            "ceiling_justification", "audience", "levels", "min_age", "needs_coupon",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        scope, audience = data.get("scope"), data.get("audience")
        if scope == Campaign.Scope.CATEGORIES and not data.get("categories"):
            self.add_error("categories", "Choose the categories it covers (or cover everything).")
        if scope == Campaign.Scope.SKUS and not data.get("skus", "").strip():
            self.add_error("skus", "Name the SKUs it covers (or cover everything).")
        if audience == Campaign.Audience.LEVELS and not data.get("levels", "").strip():
            self.add_error("levels", "Name the levels it is for.")
        if audience == Campaign.Audience.MIN_AGE and not data.get("min_age"):
            self.add_error("min_age", "Give the least age, in whole years.")
        if (data.get("window_start") is None) != (data.get("window_end") is None):
            self.add_error("window_end", "Give both hours of the window, or neither.")
        if data.get("benefit") != Campaign.Benefit.FIXED_PRICE and data.get("value") == 0:
            self.add_error("value", "A benefit of 0 gives nothing.")
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = [
        "name", "starts_on", "ends_on", "benefit", "value", "audience", "needs_coupon", "combine", "coupons",
        "figures",
    ]  # fmt: skip
    list_filter = ["needs_coupon", "benefit", "audience"]
    search_fields = ["name"]
    filter_horizontal = ["categories"]
    fieldsets = [
        (None, {"fields": ["name"]}),
        ("When (each store's clock)", {"fields": [("starts_on", "starts_time"), ("ends_on", "ends_time"),
                                                  "weekdays", ("window_start", "window_end"), "stores"]}),
        ("What it covers", {"fields": ["scope", "categories", "skus"]}),
        ("The benefit", {"fields": ["benefit", "value", "min_basket", "combine", "ceiling_justification"]}),
        ("For whom", {"fields": ["audience", "levels", "min_age", "needs_coupon"]}),
    ]  # fmt: skip
    actions = ["issue_100_coupons"]

    @admin.display(description="Coupons")
    def coupons(self, campaign):
        url = reverse("admin:promotions_campaign_issue", args=[campaign.pk])
        return format_html('<a href="{}">Issue single-use coupons…</a>', url)

    def get_urls(self):
        issue = self.admin_site.admin_view(self.issue_view)
        return [path("<int:pk>/issue-coupons/", issue, name="promotions_campaign_issue")] + super().get_urls()

    def issue_view(self, request, pk):
        """A batch of printed codes for one campaign, as many as the manager asks: then the batch's page
        offers its CSV and PDF."""
        campaign = get_object_or_404(Campaign, pk=pk)
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        form = IssueCouponsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if not campaign.needs_coupon:  # a printed code unlocks it: it no longer applies by itself
                campaign.needs_coupon = True
                campaign.save(update_fields=["needs_coupon"])
            batch = coupon_batch_issue(
                campaign=campaign, count=form.cleaned_data["count"], name=form.cleaned_data["name"] or campaign.name,
                by=request.user,
            )  # fmt: skip
            self.message_user(
                request, f"{batch} issued for {campaign}: download its CSV or PDF here.", messages.SUCCESS
            )
            return redirect("admin:promotions_couponbatch_change", batch.pk)
        note = "" if campaign.needs_coupon else " It applies by itself today: from now on only with a coupon."
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": campaign, "form": form,
            "title": f"Issue single-use coupons for {campaign}{note}", "button": "Issue the coupons",
            "media": self.media + form.media,
        }  # fmt: skip
        return TemplateResponse(request, "admin/object_action.html", context)

    @admin.display(description="Figures")
    def figures(self, campaign):
        """Its receipts, cost and covered revenue on the manager's dashboard, over its own days."""
        url = f"{reverse('manager:campaigns')}?from={campaign.starts_on:%Y-%m-%d}&to={campaign.ends_on:%Y-%m-%d}"
        return format_html('<a href="{}">Dashboard →</a>', url)

    @admin.action(description="Issue 100 single-use coupons (then export them with coupons_export)")
    def issue_100_coupons(self, request, queryset):
        for campaign in queryset:
            if not campaign.needs_coupon:
                campaign.needs_coupon = True
                campaign.save(update_fields=["needs_coupon"])
            batch = coupon_batch_issue(campaign=campaign, count=100, name=campaign.name, by=request.user)
            self.message_user(request, f"{batch} issued for {campaign}.", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CouponBatch)
class CouponBatchAdmin(ReadOnlyAdmin):
    """Printed batches, each with its print files (what coupons_export writes)."""

    list_display = ["id", "name", "campaign", "count", "created_at", "files"]
    readonly_fields = ["name", "campaign", "count", "created_at", "created_by", "files"]

    @admin.display(description="Print files")
    def files(self, batch):
        return format_html(
            " ".join(f'<a class="button" href="{{}}">{fmt.upper()}</a>' for fmt in exports.FORMATS),
            *[reverse("admin:promotions_couponbatch_export", args=[batch.pk, fmt]) for fmt in exports.FORMATS],
        )

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("<int:pk>/export/<str:fmt>/", export, name="promotions_couponbatch_export")] + super().get_urls()

    def export_view(self, request, pk, fmt):
        if fmt not in exports.FORMATS or not self.has_view_permission(request):
            raise Http404
        batch = get_object_or_404(CouponBatch.objects.select_related("campaign"), pk=pk)
        # Spooled to disk past 8 MB: the response streams from the file.
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
        exports.export_batch(batch, fmt, spool)
        spool.seek(0)
        content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/pdf"
        return FileResponse(
            spool, as_attachment=True, filename=f"coupons-batch-{batch.pk}.{fmt}", content_type=content_type
        )


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    """Shared codes and personal coupons (one customer's; shown on their /my/ page) are added here; printed
    batches come from the campaign's action."""

    list_display = ["__str__", "campaign", "batch", "customer", "uses", "max_uses", "max_uses_per_card"]
    list_filter = ["campaign"]
    search_fields = ["code"]
    readonly_fields = ["uses"]
    raw_id_fields = ["customer"]
    fields = ["code", "campaign", "customer", "max_uses", "max_uses_per_card", "uses"]

    def save_model(self, request, obj, form, change):
        obj.code = normalise(obj.code) or new_code()  # as the till looks it up
        super().save_model(request, obj, form, change)


@admin.register(CouponUse)
class CouponUseAdmin(ReadOnlyAdmin):
    list_display = ["coupon", "receipt_id", "card", "discount", "created_at"]

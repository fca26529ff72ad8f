"""The manager's back office for campaigns and coupons: set up, issue a batch, see uses."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from promotions.models import Campaign, Coupon, CouponBatch, CouponUse
from promotions.rules import new_code, normalise
from promotions.services import coupon_batch_issue


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
        "name", "starts_on", "ends_on", "benefit", "value", "audience", "needs_coupon", "combine", "figures",
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
    list_display = ["id", "name", "campaign", "count", "created_at"]


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

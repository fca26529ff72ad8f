"""The manager's gift cards: batches issued under the chain's rules with their print files, each card with
its ledger, and Block (with the balance moved to a new card) — all through giftcards.services."""

import tempfile

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.errors import DomainError

from . import exports
from .models import GiftCard, GiftCardBatch, GiftCardEntry
from .services import batch_rules_checked, gift_card_block, gift_cards_issue


class GiftCardBatchAddForm(forms.ModelForm):
    count = forms.IntegerField(
        min_value=1, max_value=settings.CARDS_MAX_BATCH_ADMIN,
        help_text=f"Up to {settings.CARDS_MAX_BATCH_ADMIN:,} here; larger batches with `manage.py giftcards_issue`.",
    )  # fmt: skip

    class Meta:
        model = GiftCardBatch
        fields = ["name", "count", "min_load", "max_balance", "top_ups_allowed", "validity_years"]

    def clean(self):
        data = super().clean()
        if {"count", "min_load", "max_balance", "validity_years"} <= data.keys():
            try:
                batch_rules_checked(
                    count=data["count"], min_load=data["min_load"], max_balance=data["max_balance"],
                    validity_years=data["validity_years"], max_count=settings.CARDS_MAX_BATCH_ADMIN,
                )  # fmt: skip
            except DomainError as error:
                raise forms.ValidationError(error.message) from None
        return data


@admin.register(GiftCardBatch)
class GiftCardBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "count", "first_number", "last_number", "min_load", "max_balance", "downloads"]
    readonly_fields = [
        "name", "count", "first_number", "last_number", "min_load", "max_balance", "top_ups_allowed",
        "validity_years", "created_at", "created_by", "cards_link", "downloads",
    ]  # fmt: skip

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = GiftCardBatchAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else GiftCardBatchAddForm.Meta.fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # printed numbers are never reused

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None:  # gift_cards_issue is its own (durable) transaction
            return self._changeform_view(request, object_id, form_url, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        batch = gift_cards_issue(
            count=data["count"], name=data.get("name", ""), min_load=data["min_load"], max_balance=data["max_balance"],
            top_ups_allowed=data["top_ups_allowed"], validity_years=data["validity_years"], created_by=request.user,
            max_count=settings.CARDS_MAX_BATCH_ADMIN,
        )  # fmt: skip
        obj.__dict__.update({k: v for k, v in batch.__dict__.items() if not k.startswith("_")})
        obj._state.adding = False

    @admin.display(description="Cards")
    def cards_link(self, obj):
        url = reverse("admin:giftcards_giftcard_changelist") + f"?batch__id__exact={obj.pk}"
        return format_html('<a href="{}">See the {} gift cards of this batch</a>', url, obj.count)

    @admin.display(description="Print files")
    def downloads(self, obj):
        if not obj.pk:
            return "-"
        return format_html(
            " ".join(f'<a class="button" href="{{}}">{fmt.upper()}</a>' for fmt in exports.FORMATS),
            *[reverse("admin:giftcards_giftcardbatch_export", args=[obj.pk, fmt]) for fmt in exports.FORMATS],
        )

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("<int:pk>/export/<str:fmt>/", export, name="giftcards_giftcardbatch_export")] + super().get_urls()

    def export_view(self, request, pk, fmt):
        if fmt not in exports.FORMATS or not self.has_view_permission(request):
            raise Http404
        batch = get_object_or_404(GiftCardBatch, pk=pk)
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
        exports.export_batch(batch, fmt, spool)
        spool.seek(0)
        return FileResponse(
            spool, as_attachment=True, filename=exports.export_filename(batch, fmt),
            content_type=exports.CONTENT_TYPES[fmt],
        )  # fmt: skip


class GiftCardEntryInline(admin.TabularInline):
    model = GiftCardEntry
    fields = readonly_fields = [
        "created_at",
        "kind",
        "amount",
        "balance_after",
        "store_id",
        "receipt_id",
        "by",
        "reason",
    ]
    ordering = ["-id"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # append-only: only the services write the ledger


class GiftCardBlockForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Lost, stolen… kept on the card and in its history.")
    move_to = forms.CharField(
        label="Move the balance to", max_length=20, required=False,
        help_text="An unsold gift card (scan or type its 13 digits); empty: the balance stays on the blocked card.",
    )  # fmt: skip


@admin.register(GiftCard)
class GiftCardAdmin(admin.ModelAdmin):
    list_display = ["number", "status", "balance", "expires_on", "batch"]
    list_filter = ["status", "batch"]
    search_fields = ["=number"]
    list_select_related = ["batch"]
    fields = readonly_fields = [
        "number", "batch", "status", "balance", "sold_at", "expires_on", "blocked_at", "blocked_reason", "moved_to",
    ]  # fmt: skip
    inlines = [GiftCardEntryInline]
    show_full_result_count = False
    change_form_template = "admin/giftcards/giftcard/change_form.html"

    def has_add_permission(self, request):
        return False  # gift cards come from batches

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        block = self.admin_site.admin_view(self.block_view)
        return [path("<int:pk>/block/", block, name="giftcards_giftcard_block")] + super().get_urls()

    def block_view(self, request, pk):
        """Block a stolen or lost card, and move what it holds to a new card (two ledger rows, logged)."""
        card = get_object_or_404(GiftCard, pk=pk)
        if not self.has_change_permission(request, card):
            raise PermissionDenied
        form = GiftCardBlockForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                gift_card_block(
                    number=card.number, reason=data["reason"], by=request.user, at=timezone.now(),
                    move_to=data["move_to"].strip(),
                )  # fmt: skip
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                moved = f"; {card.balance} moved to {data['move_to'].strip()}" if data["move_to"].strip() else ""
                self.message_user(request, f"Gift card {card.number} is blocked{moved}.", messages.SUCCESS)
                return redirect("admin:giftcards_giftcard_change", card.pk)
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": card, "form": form,
            "title": f"Block gift card {card.number}", "button": "Block the gift card",
            "media": self.media + form.media,
        }  # fmt: skip
        return TemplateResponse(request, "admin/giftcards/giftcard/action_form.html", context)

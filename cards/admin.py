import tempfile
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timeuntil

from cards import signin_guard  # the customer page's PIN lockout, lifted here (see web_signin_unlock_view)
from core.errors import DomainError
from core.phones import PhoneSearchMixin
from loyalty.admin import CompanyAdmin
from loyalty.models import Company

from . import exports
from .companies import card_join_company, card_leave_company, open_join, staff_cards
from .lifecycle import card_block, card_replace
from .models import Card, CardBatch, CompanyJoin
from .numbers import DEFAULT_PREFIX
from .services import batch_issue, validate_batch_request


class CardBatchAddForm(forms.ModelForm):
    count = forms.IntegerField(
        min_value=1,
        max_value=settings.CARDS_MAX_BATCH_ADMIN,
        help_text=f"Up to {settings.CARDS_MAX_BATCH_ADMIN:,} here; larger batches with `manage.py cards_issue`.",
    )
    prefix = forms.CharField(
        initial=DEFAULT_PREFIX, max_length=3, help_text="Three digits after the leading 2, e.g. 001 for one chain."
    )

    class Meta:
        model = CardBatch
        fields = ["name", "count", "prefix"]

    def clean(self):
        data = super().clean()
        if "count" in data and "prefix" in data:
            try:
                validate_batch_request(
                    count=data["count"], prefix=data["prefix"], max_count=settings.CARDS_MAX_BATCH_ADMIN
                )
            except DomainError as error:
                raise forms.ValidationError(error.message) from None
        return data


@admin.register(CardBatch)
class CardBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "count", "first_number", "last_number", "created_at", "downloads"]
    search_fields = ["name", "first_number", "last_number"]
    readonly_fields = [
        "name", "prefix", "count", "first_number", "last_number", "created_at", "created_by", "cards_link", "downloads",
    ]  # fmt: skip
    change_form_template = "admin/cards/cardbatch/change_form.html"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = CardBatchAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "count", "prefix"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # printed numbers are never reused

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None:
            # Adding runs batch_issue, which is its own (durable) transaction:
            # skip the admin's wrapping atomic block for it.
            return self._changeform_view(request, object_id, form_url, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            batch = batch_issue(
                count=form.cleaned_data["count"],
                prefix=form.cleaned_data["prefix"],
                name=form.cleaned_data.get("name", ""),
                created_by=request.user,
                max_count=settings.CARDS_MAX_BATCH_ADMIN,
            )
        except DomainError as error:  # e.g. the prefix ran out of numbers meanwhile
            messages.error(request, error.message)
            raise
        obj.__dict__.update({k: v for k, v in batch.__dict__.items() if not k.startswith("_")})
        obj._state.adding = False

    @admin.display(description="Cards")
    def cards_link(self, obj):
        url = reverse("admin:cards_card_changelist") + f"?batch__id__exact={obj.pk}"
        return format_html('<a href="{}">See the {} cards of this batch</a>', url, obj.count)

    @admin.display(description="Print files")
    def downloads(self, obj):
        if not obj.pk:
            return "-"
        return format_html(
            " ".join(f'<a class="button" href="{{}}">{fmt.upper()}</a>' for fmt in exports.FORMATS)
            + ' <a class="button" href="{}?back=1">PDF with back (PIN, sign-in, terms)</a>',
            *[reverse("admin:cards_cardbatch_export", args=[obj.pk, fmt]) for fmt in exports.FORMATS],
            reverse("admin:cards_cardbatch_export", args=[obj.pk, "pdf"]),
        )

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("<int:pk>/export/<str:fmt>/", export, name="cards_cardbatch_export")] + super().get_urls()

    def export_view(self, request, pk, fmt):
        if fmt not in exports.FORMATS or not self.has_view_permission(request):
            raise Http404
        batch = get_object_or_404(CardBatch, pk=pk)
        # Spooled to disk past 8 MB: the response streams from the file.
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
        exports.export_batch(batch, fmt, spool, back=fmt == "pdf" and request.GET.get("back") == "1")
        spool.seek(0)
        return FileResponse(
            spool, as_attachment=True, filename=exports.export_filename(batch, fmt),
            content_type=exports.CONTENT_TYPES[fmt],
        )  # fmt: skip


class CardBlockForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Lost, stolen, damaged… kept on the card.")


class CardReplaceForm(forms.Form):
    new_number = forms.CharField(
        label="New card number", max_length=20, help_text="An unused card from a batch: scan it or type its 13 digits."
    )


@admin.register(Card)
class CardAdmin(PhoneSearchMixin, admin.ModelAdmin):
    list_display = ["number", "status", "batch", "activated_at"]
    list_filter = ["status", "batch"]
    # The number exactly, or the holder: their name, or their phone typed any way (PhoneSearchMixin).
    search_fields = ["=number", "account__customer__name", "holder__name"]
    phone_lookup = "account__customer__phone"
    list_select_related = ["batch"]
    # Every field read-only: a card's account and replacement move only through
    # the lifecycle services (the Block / Replace pages), never a plain save.
    fields = readonly_fields = [
        "number", "batch", "status", "activated_at", "blocked_at", "blocked_reason", "customer", "level",
        "points_balance", "replaced_by_link", "replaces_link", "web_signin",
    ]  # fmt: skip
    show_full_result_count = False  # COUNT(*) over millions of cards on every page is slow
    change_form_template = "admin/cards/card/change_form.html"

    def has_add_permission(self, request):
        return False  # cards come from batches

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("account__customer", "account__level", "replaced_by", "holder")
        )

    @admin.display(description="Customer")
    def customer(self, obj):
        if obj.account is None:
            return "-"
        url = reverse("admin:loyalty_customer_change", args=[obj.customer.pk])
        if obj.shares_account:
            company = reverse("admin:loyalty_company_change", args=[obj.account.company_id])
            return format_html(
                '<a href="{}">{}</a>, staff card of <a href="{}">{}</a> (level and points are the company\'s)',
                url, obj.customer, company, obj.account.customer.name,
            )  # fmt: skip
        return format_html('<a href="{}">{}</a>', url, obj.customer)

    @admin.display(description="Level")
    def level(self, obj):
        if obj.account is None:
            return "-"
        return obj.account.level.name if obj.account.level_id else "Base"

    @admin.display(description="Points balance")
    def points_balance(self, obj):
        if obj.account is None:
            return "-"
        url = reverse("admin:loyalty_account_change", args=[obj.account_id])
        return format_html('<a href="{}">{}</a>', url, obj.account.points_balance)

    @admin.display(description="Web sign-in")
    def web_signin(self, obj):
        locked_for = signin_guard.web_signin_locked_for(obj.number)
        if not locked_for:
            return "Open"
        url = reverse("admin:cards_card_unlock_web_signin", args=[obj.pk])
        now = timezone.now()
        return format_html(
            'Locked after {} wrong PINs, {} more <a class="button" href="{}">Unlock web sign-in</a>',
            signin_guard.WRONG_PIN_LIMIT, timeuntil(now + timedelta(seconds=locked_for), now), url,
        )  # fmt: skip

    @admin.display(description="Replaced by")
    def replaced_by_link(self, obj):
        return _card_link(obj.replaced_by)

    @admin.display(description="Replaces")
    def replaces_link(self, obj):
        return _card_link(getattr(obj, "replaces", None))

    def get_urls(self):
        block = self.admin_site.admin_view(self.block_view)
        replace = self.admin_site.admin_view(self.replace_view)
        unlock = self.admin_site.admin_view(self.web_signin_unlock_view)
        return [
            path("<int:pk>/block/", block, name="cards_card_block"),
            path("<int:pk>/replace/", replace, name="cards_card_replace"),
            path("<int:pk>/unlock-web-signin/", unlock, name="cards_card_unlock_web_signin"),
        ] + super().get_urls()

    # The lifecycle services are durable transactions of their own: these
    # views are deliberately not wrapped in the admin's atomic block.

    def block_view(self, request, pk):
        card = self._card_to_change(request, pk)
        form = CardBlockForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                card_block(number=card.number, reason=form.cleaned_data["reason"])
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, f"Card {card.number} is blocked.", messages.SUCCESS)
                return redirect("admin:cards_card_change", card.pk)
        return self._action_page(request, card, form, title=f"Block card {card.number}", button="Block the card")

    def replace_view(self, request, pk):
        card = self._card_to_change(request, pk)
        form = CardReplaceForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                new = card_replace(number=card.number, new_number=form.cleaned_data["new_number"], by=request.user)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                moved = f"Card {card.number} is replaced by {new.number}; points and spend moved."
                self.message_user(request, moved, messages.SUCCESS)
                return redirect("admin:cards_card_change", new.pk)
        return self._action_page(request, card, form, title=f"Replace card {card.number}", button="Replace the card")

    def web_signin_unlock_view(self, request, pk):
        """Lift the customer page's lock after too many wrong PINs (the customer is at the desk)."""
        card = self._card_to_change(request, pk)
        form = forms.Form(request.POST if request.method == "POST" else None)  # nothing to fill in: a confirmation
        if form.is_valid():
            if signin_guard.web_signin_unlock_logged(card, by=request.user, context="after too many wrong PINs"):
                self.message_user(request, f"Web sign-in for card {card.number} is unlocked.", messages.SUCCESS)
            else:
                self.message_user(request, f"Web sign-in for card {card.number} was not locked.", messages.INFO)
            return redirect("admin:cards_card_change", card.pk)
        title = f"Unlock web sign-in of card {card.number}"
        return self._action_page(request, card, form, title=title, button="Unlock web sign-in")

    def _card_to_change(self, request, pk) -> Card:
        card = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, card):
            raise PermissionDenied
        return card

    def _action_page(self, request, card, form, *, title, button):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": card,
            "form": form,
            "title": title,
            "button": button,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/cards/card/action_form.html", context)


def _minute(at) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


def _card_link(card: Card | None):
    if card is None:
        return "-"
    return format_html('<a href="{}">{}</a>', reverse("admin:cards_card_change", args=[card.pk]), card.number)


class CompanyCardForm(forms.Form):
    number = forms.CharField(
        label="Card number", max_length=20, help_text="An active card of a member of staff: scan it or type its digits."
    )


class CompanyCardLeaveForm(forms.Form):
    reason = forms.CharField(
        max_length=200, help_text="Why the card leaves: left the firm and keeps the card, taken off the account… kept."
    )


admin.site.unregister(Company)


@admin.register(Company)
class CompanyWithCardsAdmin(CompanyAdmin):
    """The company page with its staff cards: a card attached here shares the company's one account."""

    change_form_template = "admin/loyalty/company/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "company_account", "staff_cards", "cards_that_left"]

    @admin.display(description="Company account")
    def company_account(self, obj):
        account = obj.account
        if account is None:
            return "None yet: it opens when the first card is attached."
        url = reverse("admin:loyalty_account_change", args=[account.pk])
        level = account.level.name if account.level_id else "base"
        return format_html(
            '<a href="{}">Spend {}, level {}, {} points</a>', url, account.spend, level, account.points_balance
        )

    @admin.display(description="Staff cards")
    def staff_cards(self, obj):
        cards = staff_cards(obj)
        if not cards:
            return "-"
        return format_html_join(", ", "{}", ((self._staff_card(obj, c),) for c in cards))

    @staticmethod
    def _staff_card(company, card):
        """A staff card, and for an active one the way out (a blocked or replaced card cannot leave)."""
        shown = format_html(
            '<a href="{}">{}</a> ({}, {})',
            reverse("admin:cards_card_change", args=[card.pk]), card.number, card.holder.name, card.status,
        )  # fmt: skip
        if card.status != Card.Status.ACTIVE:
            return shown
        leave = reverse("admin:loyalty_company_card_leave", args=[company.pk, card.pk])
        return format_html('{} <a href="{}">Leave the company</a>', shown, leave)

    @admin.display(description="Cards that left")
    def cards_that_left(self, obj):
        left = CompanyJoin.objects.filter(company=obj, left_at__isnull=False).select_related("card", "left_by")
        rows = [
            (reverse("admin:cards_card_change", args=[j.card_id]), j.card.number, _minute(j.created_at),
             _minute(j.left_at), j.left_by or "-", j.left_reason)
            for j in left.order_by("-left_at", "-id")
        ]  # fmt: skip
        if not rows:
            return "-"
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>: joined {}, left {} ({}): {}', rows)

    def get_urls(self):
        attach = self.admin_site.admin_view(self.attach_card_view)
        leave = self.admin_site.admin_view(self.card_leave_view)
        return [
            path("<int:pk>/attach-card/", attach, name="loyalty_company_attach_card"),
            path("<int:pk>/cards/<int:card_pk>/leave/", leave, name="loyalty_company_card_leave"),
        ] + super().get_urls()

    # card_leave_company is a durable transaction of its own: not wrapped in the admin's atomic block.
    def card_leave_view(self, request, pk, card_pk):
        company = get_object_or_404(Company.objects.select_related("account__level"), pk=pk)
        if not self.has_change_permission(request, company):
            raise PermissionDenied
        card = get_object_or_404(Card.objects.select_related("holder", "account"), pk=card_pk)
        form = CompanyCardLeaveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                left = card_leave_company(
                    number=card.number, company_id=company.pk, reason=form.cleaned_data["reason"], by=request.user
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    f"Card {card.number} left {company.name}: it uses its holder's own account again; what it "
                    "earned on the company's account stays with the company.",
                    messages.SUCCESS,
                )
                return redirect("admin:loyalty_company_change", left.company_id)
        own = open_join(card) if card.shares_account else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": company, "account": company.account, "card": card, "form": form,
            "own": own.from_account if own else None,
            "title": f"Card {card.number} leaves {company.name}", "button": "Leave the company",
            "media": self.media + form.media,
        }  # fmt: skip
        return TemplateResponse(request, "admin/loyalty/company/leave_card.html", context)

    # card_join_company is a durable transaction of its own: not wrapped in the admin's atomic block.
    def attach_card_view(self, request, pk):
        company = get_object_or_404(Company.objects.select_related("account__level"), pk=pk)
        if not self.has_change_permission(request, company):
            raise PermissionDenied
        form = CompanyCardForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                joined = card_join_company(number=form.cleaned_data["number"], company_id=company.pk, by=request.user)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                kept = f"; {joined.points_kept} points stay on its own account" if joined.points_kept else ""
                self.message_user(
                    request,
                    f"Card {joined.card.number} now counts for {company.name}: {joined.points_moved} points and "
                    f"{joined.spend_moved} spend moved into the company's account{kept}.",
                    messages.SUCCESS,
                )
                return redirect("admin:loyalty_company_change", company.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": company, "account": company.account, "form": form,
            "title": f"Attach a card to {company.name}", "button": "Attach the card", "media": self.media + form.media,
        }  # fmt: skip
        return TemplateResponse(request, "admin/loyalty/company/attach_card.html", context)

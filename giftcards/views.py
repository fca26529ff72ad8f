"""The customer's gift card page, /my/gift-card/: the number and PIN from the card, then the balance, until
when it pays, and what it was loaded with and spent on. Guarded as the loyalty card's sign-in is
(cards/signin_guard.py): 10 tries a minute per address, a lock ladder per number, one answer for every
failure. The session holds the gift card's id only, beside (not instead of) a signed-in loyalty card."""

import math
from datetime import UTC, datetime, timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from cards import signin_guard

from .models import GiftCard
from .selectors import gift_card_body, gift_card_history

SESSION_GIFT_CARD = "my_gift_card_id"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class GiftCardSignInForm(forms.Form):
    # No format checks: a malformed number fails exactly like an unknown one.
    number = forms.CharField(
        label=_("Gift card number"), max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}),
    )  # fmt: skip
    pin = forms.CharField(
        label=_("PIN"), max_length=16,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )  # fmt: skip


def _sold_card(number: str) -> GiftCard | None:
    """A card that was ever sold: one query, for unknown numbers too. An unsold card has nothing to show."""
    return GiftCard.objects.filter(number=number, sold_at__isnull=False).first()


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=signin_guard.SIGNIN_RATE, method="POST", block=False)
def gift_card_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.limited:
            response = render(request, "mycard/throttled.html", status=429)
            response["Retry-After"] = "60"
            return response
        return _signin(request)
    card_id = request.session.get(SESSION_GIFT_CARD)
    card = GiftCard.objects.filter(pk=card_id).first() if card_id else None
    if card is None:
        return _signin_page(request, GiftCardSignInForm())
    at = timezone.now()
    context = {"card": card, "body": gift_card_body(card, at), "entries": gift_card_history(card)}
    return render(request, "giftcards/my_gift_card.html", context)


def _signin(request: HttpRequest) -> HttpResponse:
    form = GiftCardSignInForm(request.POST)
    if not form.is_valid():
        return _signin_page(request, form)
    card, retry_in = signin_guard.pin_attempt(form.cleaned_data["number"], form.cleaned_data["pin"], find=_sold_card)
    if card is None:
        return _signin_page(request, GiftCardSignInForm(), failed=True, retry_in=retry_in)
    request.session.cycle_key()
    request.session[SESSION_GIFT_CARD] = card.pk
    return redirect("my:gift-card")


def _signin_page(request: HttpRequest, form, *, failed: bool = False, retry_in: int = 0) -> HttpResponse:
    context = {
        "form": form, "failed": failed, "locked": bool(retry_in), "lock_limit": signin_guard.WRONG_PIN_LIMIT,
        "retry_after": timeuntil(_EPOCH + timedelta(minutes=math.ceil(retry_in / 60)), _EPOCH),
    }  # fmt: skip
    return render(request, "giftcards/my_gift_card_signin.html", context)


@require_POST
def gift_card_signout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_GIFT_CARD, None)  # a signed-in loyalty card stays signed in
    return redirect("my:gift-card")

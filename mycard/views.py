"""The customer page /my/: sign in with card number + PIN, see discount, level, points and purchases.

Customers are not Django users: the session holds the signed-in card's id, nothing else.
"""

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from cards import signin_guard
from cards.models import Card
from mycard import selectors
from mycard.forms import ProfileForm, SignInForm

SESSION_CARD = "my_card_id"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # any fixed moment: timeuntil() words a length, in the page's language


def _signed_in_card(request: HttpRequest) -> Card | None:
    card_id = request.session.get(SESSION_CARD)
    card = selectors.signed_in_card(card_id) if card_id else None
    if card_id and card is None:
        # Blocked or replaced since sign-in: the customer uses the new card from now on.
        request.session.flush()
    return card


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=signin_guard.SIGNIN_RATE, method="POST", block=False)
def signin(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.limited:
        response = render(request, "mycard/throttled.html", status=429)
        response["Retry-After"] = "60"
        return response
    if request.method == "GET":
        if _signed_in_card(request) is not None:
            return redirect("my:card")
        return _signin_page(request, SignInForm())
    form = SignInForm(request.POST)
    if not form.is_valid():
        return _signin_page(request, form)
    number = form.cleaned_data["number"]
    device = signin_guard.trusted_device_for(number, request.COOKIES)
    attempt = signin_guard.signin_attempt(number, form.cleaned_data["pin"], device=device)
    if attempt.card is None:
        # A fresh form: echoing the number back would make the answers for two numbers differ.
        return _signin_page(request, SignInForm(), failed=True, retry_in=attempt.retry_in)
    request.session.cycle_key()  # a new session id at sign-in: no session fixation
    rotate_token(request)
    request.session[SESSION_CARD] = attempt.card.pk
    response = redirect("my:card")
    _trust_this_device(request, response, attempt.card, device)
    return response


def _trust_this_device(request: HttpRequest, response: HttpResponse, card: Card, device: str | None) -> None:
    """Remember (again, for another SIGNIN_TRUSTED_DEVICE_DAYS) that this browser signed in to `card`: it
    keeps signing in while strangers' wrong PINs lock the card (cards.signin_guard)."""
    response.set_cookie(
        signin_guard.trusted_device_cookie_name(card.number),
        signin_guard.trusted_device_cookie(card, device),
        max_age=settings.SIGNIN_TRUSTED_DEVICE_DAYS * 24 * 60 * 60,
        path=reverse("my:signin"),
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,  # the latter behind a TLS-ending proxy
        httponly=True,
        samesite="Lax",
    )


def _signin_page(request: HttpRequest, form: SignInForm, *, failed: bool = False, retry_in: int = 0):
    context = {
        "form": form,
        "failed": failed,
        "locked": bool(retry_in),
        "lock_limit": signin_guard.WRONG_PIN_LIMIT,
        # Whole minutes, rounded up: the page never invites a try that would still be refused.
        "retry_after": timeuntil(_EPOCH + timedelta(minutes=math.ceil(retry_in / 60)), _EPOCH),
    }
    return render(request, "mycard/signin.html", context)


@never_cache
@require_http_methods(["GET"])
def card_page(request: HttpRequest) -> HttpResponse:
    card = _signed_in_card(request)
    if card is None:
        return redirect("my:signin")
    return _card_page(request, card, ProfileForm(instance=card.account.customer))


def _card_page(request: HttpRequest, card: Card, profile_form: ProfileForm) -> HttpResponse:
    at = timezone.now()
    account = card.account
    zone_name = selectors.customer_zone(account)
    context = {
        "card": card,
        "customer": account.customer,
        "progress": selectors.level_progress(account, at),
        "points": selectors.points_balance(account, at),
        "burning": selectors.burning_soon(account, at, zone_name=zone_name),
        "burn_days": selectors.BURN_SOON_DAYS,
        "receipts": selectors.history_page(account, request.GET.get("page")),
        "other_cards": selectors.other_cards(card, at),
        "currency": selectors.chain_currency(),
        "profile_form": profile_form,
        "offers": selectors.offers_now(account, at, zone_name),
    }
    # Every date and time on the page (purchases, refunds) in the customer's zone; render() renders now.
    with timezone.override(zone_name):
        return render(request, "mycard/card.html", context)


@never_cache
@require_POST
def profile(request: HttpRequest) -> HttpResponse:
    card = _signed_in_card(request)
    if card is None:
        return redirect("my:signin")
    form = ProfileForm(request.POST, instance=card.account.customer)
    if not form.is_valid():
        return _card_page(request, card, form)
    form.save()
    messages.success(request, _("Your details are saved."))
    return redirect("my:card")


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    messages.info(request, _("You are signed out."))
    return redirect("my:signin")

"""The customer page /my/: sign in with card number + PIN, see discount, level, points and purchases.

Customers are not Django users: the session holds the signed-in card's id, nothing else.
"""

import hashlib
import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from cards import signin_guard
from cards.models import Card
from mycard import reminders, selectors
from mycard.barcode import card_barcode_svg
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
    return _card_page(request, card, ProfileForm(instance=card.customer))


def _card_page(request: HttpRequest, card: Card, profile_form: ProfileForm) -> HttpResponse:
    at = timezone.now()
    account = card.account
    zone_name = selectors.customer_zone(account)
    points = selectors.points_balance(account, at)
    context = {
        "card": card,
        "barcode": card_barcode_svg(card.number, _("Barcode of card %(number)s") % {"number": card.number}),
        "customer": card.customer,  # a staff card's holder: its account's customer is the company
        "company": card.account.company if card.shares_account else None,
        "progress": selectors.level_progress(account, at),
        "points": points,
        "worth": selectors.points_worth(account, points),
        "burning": selectors.burning_soon(account, at, zone_name=zone_name),
        "burn_days": selectors.BURN_SOON_DAYS,
        "receipts": selectors.history_page(card, request.GET.get("page")),
        "other_cards": selectors.other_cards(card, at),
        "currency": selectors.chain_currency(),
        "profile_form": profile_form,
        "offers": selectors.offers_now(account, at, zone_name),
        "reminders_on": reminders.reminders_on(card.customer),
        "reminder_days": settings.REMINDER_BURN_DAYS,
    }
    # Every date and time on the page (purchases, refunds) in the customer's zone; render() renders now.
    with timezone.override(zone_name):
        return render(request, "mycard/card.html", context)


@never_cache
@require_http_methods(["GET"])
def receipt_page(request: HttpRequest, receipt_id: int) -> HttpResponse:
    """One purchase as on the paper receipt: lines, discounts, points, refunds. The signed-in card's only."""
    card = _signed_in_card(request)
    if card is None:
        return redirect("my:signin")
    receipt = selectors.receipt_of(card, receipt_id)
    if receipt is None:  # another card's receipt answers exactly like a missing one
        return render(request, "mycard/receipt_not_found.html", status=404)
    page = request.GET.get("page", "")
    context = {"card": card, "receipt": receipt, "back_page": page if page.isdigit() else ""}
    with timezone.override(selectors.customer_zone(card.account)):
        return render(request, "mycard/receipt.html", context)


@never_cache
@require_POST
def profile(request: HttpRequest) -> HttpResponse:
    card = _signed_in_card(request)
    if card is None:
        return redirect("my:signin")
    form = ProfileForm(request.POST, instance=card.customer)
    if not form.is_valid():
        return _card_page(request, card, form)
    form.save()
    messages.success(request, _("Your details are saved."))
    return redirect("my:card")


@never_cache
@require_POST
def reminders_toggle(request: HttpRequest) -> HttpResponse:
    """The customer turns reminder e-mails on or off (a button on /my/ that says which)."""
    card = _signed_in_card(request)
    if card is None:
        return redirect("my:signin")
    customer = card.customer
    enabled = request.POST.get("enabled") == "on"
    if enabled and not customer.email:
        messages.error(request, _("Please add your e-mail address first: the reminders need somewhere to go."))
    else:
        reminders.reminders_set(customer=customer, enabled=enabled, language=get_language(), at=timezone.now())
        if enabled:
            messages.success(request, _("Reminders are on. We write to %(email)s.") % {"email": customer.email})
        else:
            messages.success(request, _("Reminders are off."))
    return redirect(reverse("my:card") + "#reminders")


@never_cache
@csrf_exempt  # the token is the credential; mail clients' one-click unsubscribe POSTs without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every reminder e-mail: no sign-in. GET asks (link checkers and previews follow links),
    POST turns the reminders off (the button, or the mail client's List-Unsubscribe-Post)."""
    customer = reminders.unsubscribe_customer(token)
    if customer is None:
        return render(request, "mycard/unsubscribe.html", {"invalid": True}, status=404)
    done = request.method == "POST"
    if done and reminders.reminders_on(customer):
        reminders.reminders_set(customer=customer, enabled=False, language=get_language(), at=timezone.now())
    return render(request, "mycard/unsubscribe.html", {"done": done, "token": token})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    messages.info(request, _("You are signed out."))
    return redirect("my:signin")


# --- installable, and the card offline -------------------------------------------------------------------
# A web app manifest makes /my/ installable on the home screen; the service worker keeps the last card page
# shown, so the barcode opens at the till without network. (Apple/Google Wallet passes would need the
# issuers' signing certificates: not done.)


@require_http_methods(["GET"])
def manifest(request: HttpRequest) -> HttpResponse:
    card_page_url = reverse("my:card")
    icons = [
        {"src": static(f"mycard/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    body = {
        "name": _("Loyalty card"),
        "short_name": _("My card"),
        "description": _("Your loyalty card: barcode, discount, points and purchases."),
        "lang": get_language(),
        "id": card_page_url,
        "start_url": card_page_url,
        "scope": card_page_url,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f2f4f7",
        "theme_color": "#13293d",
        "icons": [*icons, {**icons[-1], "purpose": "maskable"}],
    }
    response = JsonResponse(body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


OFFLINE_FILES = ["mycard/my.css", "mycard/my.js", "mycard/icon-192.png"]  # what the kept card page needs


@require_http_methods(["GET"])
def service_worker(request: HttpRequest) -> HttpResponse:
    # Served under /my/ (not /static/): a worker controls only the pages under the folder it comes from.
    files = [static(name) for name in OFFLINE_FILES]
    # A release with new files (their names carry a content hash in production) gets a new cache, and the
    # new worker deletes the old one.
    version = hashlib.sha256("\n".join(files).encode()).hexdigest()[:12]
    context = {"files": files, "cache": f"my-card-{version}"}
    response = render(request, "mycard/sw.js", context, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"  # a new release's worker is found at the next visit
    return response

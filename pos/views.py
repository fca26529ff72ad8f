"""The cashier screen: HTML pages, and two small JSON endpoints of its own.

Everything a sale does goes through the REST API. The exceptions concern the customer page's PIN: lifting
its lockout, and printing the PIN slip again for a card's holder, need a cashier with the customer in front
of them, so they are screen endpoints (session and CSRF, cashiers only), not something an external terminal
may do.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from cards import signin_guard
from cards.lifecycle import card_number_checked
from cards.models import Card
from cards.pins import card_pin
from config.api_errors import domain_error_response, error_body
from core.errors import DomainError
from pos.demo import MANAGER_GROUP
from pos.models import Cashier, PinSlipReprint, Refund
from pos.till_strings import till_catalogue


class CashierLoginForm(AuthenticationForm):
    """Only cashiers may log in here: anyone else would just meet a 403 on the next page."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not Cashier.objects.filter(user=user).exists():
            raise ValidationError(
                _("This account is not a cashier of any store. Ask a manager to set you up as a cashier."),
                code="not_a_cashier",
            )


cashier_login = auth_views.LoginView.as_view(
    template_name="pos/login.html", authentication_form=CashierLoginForm, next_page=reverse_lazy("pos:screen")
)
cashier_logout = auth_views.LogoutView.as_view(next_page=reverse_lazy("pos:login"))


# The page sets the CSRF cookie itself: the script sends it back as X-CSRFToken on every API POST.
@ensure_csrf_cookie
@login_required(login_url=reverse_lazy("pos:login"))
def cashier_screen(request):
    cashier = Cashier.objects.select_related("store").filter(user=request.user).first()
    if cashier is None:
        return not_a_cashier(request)
    store = cashier.store
    config = {
        "apiRoot": reverse("api-categories").removesuffix("categories/"),
        "currency": store.currency,
        "storeCode": store.code,
        "storeName": store.name,
        "timeZone": store.time_zone,
        "cashier": request.user.get_full_name() or request.user.get_username(),
        "cashierKey": str(request.user.pk),  # whose basket and parked sales the browser keeps
        "webSigninUrl": reverse("pos:web-signin", args=["NUMBER"]),
        "manualCategory": settings.POS_MANUAL_LINE_CATEGORY,
        "pinSlipUrl": reverse("pos:pin-slip", args=["NUMBER"]),
        "refundReasons": [[value, str(label)] for value, label in Refund.Reason.choices],
    }
    context = {
        "store": store,
        "pos_config": config,
        "pos_strings": till_catalogue(),
        "signin_address": settings.CARD_SIGNIN_ADDRESS,  # the customer page, as the card's back prints it
    }
    return render(request, "pos/cashier.html", context)


def not_a_cashier(request):
    """A manager or an admin who opens the till: what they can do instead, not a bare "ask a manager"."""
    user = request.user
    context = {
        "is_manager": user.is_superuser or user.groups.filter(name=MANAGER_GROUP).exists(),
        "is_staff": user.is_staff,
        "can_add_cashiers": user.has_perm("pos.add_cashier"),
    }
    return render(request, "pos/not_a_cashier.html", context, status=403)


@login_required(login_url=reverse_lazy("pos:login"))
@require_http_methods(["GET", "POST"])
def card_web_signin(request, number):
    """GET: is this card's web sign-in locked after too many wrong PINs? POST: unlock it (logged)."""
    cashier = Cashier.objects.select_related("store").filter(user=request.user).first()
    if cashier is None:
        return JsonResponse(error_body("permission_denied", "Only a cashier of a store can do this."), status=403)
    try:
        card = Card.objects.filter(number=card_number_checked(number)).first()
    except DomainError as error:
        return domain_error_response(error)
    if card is None:
        return JsonResponse(error_body("card_not_found", "This card is not known here."), status=404)
    if request.method == "POST":
        signin_guard.web_signin_unlock_logged(card, by=request.user, context=f"at the till in {cashier.store.name}")
    return JsonResponse({"number": card.number, "locked": signin_guard.web_signin_locked(card.number)})


@login_required(login_url=reverse_lazy("pos:login"))
@require_http_methods(["POST"])
def card_pin_slip(request, number):
    """The PIN slip again, for the holder of an active card standing at the till with it (their first slip is
    lost): the PIN is derived from the number (cards/pins.py), so nothing is reset; each print is recorded."""
    cashier = Cashier.objects.select_related("store").filter(user=request.user).first()
    if cashier is None:
        return JsonResponse(error_body("permission_denied", "Only a cashier of a store can do this."), status=403)
    try:
        card = (
            Card.objects.select_related("account__customer", "holder")
            .filter(number=card_number_checked(number))
            .first()
        )
    except DomainError as error:
        return domain_error_response(error)
    if card is None:
        return JsonResponse(error_body("card_not_found", "This card is not known here."), status=404)
    if card.status != Card.Status.ACTIVE or card.account is None:
        return JsonResponse(
            error_body("card_not_active", "Only an active card has a holder to print the PIN slip for."), status=409
        )
    printed = PinSlipReprint.objects.create(
        card=card, store=cashier.store, cashier=request.user, created_at=timezone.now()
    )
    return JsonResponse(
        {
            "number": card.number,
            "pin": card_pin(card.number),
            "holder": card.customer.display_name,
            "printed_at": printed.created_at.isoformat(),
        }
    )

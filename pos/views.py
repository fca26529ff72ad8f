"""The cashier screen: HTML pages only. Everything the till does goes through the REST API."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.views.decorators.csrf import ensure_csrf_cookie

from pos.models import Cashier


class CashierLoginForm(AuthenticationForm):
    """Only cashiers may log in here: anyone else would just meet a 403 on the next page."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not Cashier.objects.filter(user=user).exists():
            raise ValidationError(
                "This account is not a cashier of any store. Ask a manager to set you up as a cashier.",
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
        return render(request, "pos/not_a_cashier.html", status=403)
    store = cashier.store
    config = {
        "apiRoot": reverse("api-categories").removesuffix("categories/"),
        "currency": store.currency,
        "storeCode": store.code,
        "storeName": store.name,
        "cashier": request.user.get_full_name() or request.user.get_username(),
    }
    return render(request, "pos/cashier.html", {"store": store, "pos_config": config})

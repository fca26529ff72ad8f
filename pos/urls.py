"""The cashier's pages under /pos/ (the till's API lives in pos.urls_api)."""

from django.urls import path
from django.views.i18n import set_language

from pos import views

app_name = "pos"

urlpatterns = [
    path("", views.cashier_screen, name="screen"),
    path("login/", views.cashier_login, name="login"),
    path("logout/", views.cashier_logout, name="logout"),
    path("cards/<str:number>/web-signin/", views.card_web_signin, name="web-signin"),
    path("cards/<str:number>/pin-slip/", views.card_pin_slip, name="pin-slip"),
    path("language/", set_language, name="language"),  # the till's English / Deutsch buttons
]

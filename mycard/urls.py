"""The customer's pages under /my/ (sign in with card number + PIN)."""

from django.urls import include, path

from mycard import views

app_name = "my"

urlpatterns = [
    path("", views.card_page, name="card"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("profile/", views.profile, name="profile"),
    path("receipts/<int:receipt_id>/", views.receipt_page, name="receipt"),
    path("reminders/", views.reminders_toggle, name="reminders"),
    path("reminders/off/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("", include("giftcards.urls")),  # /my/gift-card/: a gift card's balance and history
    # Django's set_language view (POST language + next): the language switcher on every page.
    path("i18n/", include("django.conf.urls.i18n")),
]

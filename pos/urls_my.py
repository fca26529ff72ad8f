"""The customer's pages under /my/ (sign in with card number + PIN)."""

from django.urls import include, path

from pos import my_views

app_name = "my"

urlpatterns = [
    path("", my_views.card_page, name="card"),
    path("signin/", my_views.signin, name="signin"),
    path("signout/", my_views.signout, name="signout"),
    path("profile/", my_views.profile, name="profile"),
    # Django's set_language view (POST language + next): the language switcher on every page.
    path("i18n/", include("django.conf.urls.i18n")),
]

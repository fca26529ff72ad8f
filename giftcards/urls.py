"""The customer's gift card page, included under /my/ (mycard/urls.py)."""

from django.urls import path

from giftcards import views

urlpatterns = [
    path("gift-card/", views.gift_card_page, name="gift-card"),
    path("gift-card/signout/", views.gift_card_signout, name="gift-card-signout"),
]

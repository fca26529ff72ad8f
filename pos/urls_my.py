"""The customer's pages under /my/ (sign in with card number + PIN)."""

from django.urls import path  # noqa: F401

app_name = "my"

urlpatterns: list = []

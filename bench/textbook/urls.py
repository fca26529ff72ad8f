"""The product's URLs plus the textbook checkout (bench/textbook/settings.py only; never in the product)."""

from django.urls import path

from bench.textbook.views import TextbookCheckout
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401  (same error pages)
from config.urls import urlpatterns as product

urlpatterns = [
    *product,
    path("textbook/checkout/", TextbookCheckout.as_view()),
]

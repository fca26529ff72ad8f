from django.apps import AppConfig


class MyCardConfig(AppConfig):
    """The customer's page (/my/): no models of its own; it reads cards, accounts and receipts."""

    name = "mycard"

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The manager's pages (/manager/): no models of their own; reports read the till's and the ledger's rows."""

    name = "dashboard"

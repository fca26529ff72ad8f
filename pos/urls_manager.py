"""The manager's dashboard and reports under /manager/."""

from django.urls import path  # noqa: F401

app_name = "manager"

urlpatterns: list = []

"""Who may see the dashboard: managers (the demo's "managers" group) and superusers."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pos.demo import MANAGER_GROUP


def is_manager(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=MANAGER_GROUP).exists()


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous -> the login page; logged in but not a manager (a cashier) -> 403 with a page saying why."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_manager(request.user):
            return render(request, "dashboard/not_a_manager.html", status=403)
        return view(request, *args, **kwargs)

    return guarded

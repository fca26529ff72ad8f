"""The partner's own pages under /partner/: tier and progress, its customers, its statements (page, CSV, PDF).

A partner signs in with its own login and sees only its own customers and statements; another partner's
statement is a 404, as if it did not exist."""

from collections.abc import Callable
from datetime import date
from functools import wraps

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone

from core.local_time import local_date
from partners import exports, pages, selectors
from pos.demo import MANAGER_GROUP


def partner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse_lazy('partners:login')}?next={request.path}")
        if getattr(request.user, "partner", None) is None:
            return render(request, "partners/not_a_partner.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


class SignIn(auth_views.LoginView):
    template_name = "partners/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("partners:home")


sign_in = SignIn.as_view()
sign_out = auth_views.LogoutView.as_view(next_page=reverse_lazy("partners:login"))


@partner_required
def home(request: HttpRequest) -> HttpResponse:
    partner = request.user.partner
    context = {
        "partner": partner,
        "progress": pages.progress(partner, timezone.now()),
        "customers": pages.customers(partner),
        "statements": pages.statements(partner),
    }
    return render(request, "partners/home.html", context)


def _statement(request: HttpRequest, pk: int):
    if not request.user.is_authenticated:
        return None
    statement = pages.statement_for(request.user, pk)
    if statement is None:
        raise Http404
    return statement


def statement_page(request: HttpRequest, pk: int) -> HttpResponse:
    """For the partner, and for a manager: a company's statement is read here (it has no login of its own)."""
    statement = _statement(request, pk)
    if statement is None:
        return redirect(f"{reverse_lazy('partners:login')}?next={request.path}")
    items = pages.statement_items(statement)
    return render(request, "partners/statement.html", {"statement": statement, "items": items})


def statement_csv(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement(request, pk)
    if statement is None:
        return redirect(f"{reverse_lazy('partners:login')}?next={request.path}")
    response = HttpResponse(exports.statement_csv(statement, pages.statement_items(statement)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="statement-{statement.pk}.csv"'
    return response


def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """For the partner, and for a manager (the company's statement is sent as this PDF)."""
    statement = _statement(request, pk)
    if statement is None:
        return redirect(f"{reverse_lazy('partners:login')}?next={request.path}")
    pdf = exports.statement_pdf(statement, pages.statement_items(statement))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{statement.pk}.pdf"'
    return response


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The dashboard's rule (managers and superusers), kept here: partners does not import the dashboard."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_superuser or request.user.groups.filter(name=MANAGER_GROUP).exists()):
            return render(request, "partners/not_a_manager.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


class CostFilter(forms.Form):
    start = forms.DateField(required=False, label="Periods from")
    end = forms.DateField(required=False, label="to")


@manager_required
def manager_costs(request: HttpRequest) -> HttpResponse:
    """What partner programmes and retro-bonuses cost against the extra volume they brought."""
    today = local_date(timezone.now())
    form = CostFilter(request.GET or None)
    since, until = date(today.year - 1, today.month, 1), today
    if form.is_valid():
        since = form.cleaned_data["start"] or since
        until = form.cleaned_data["end"] or until
    context = {
        "form": form, "since": since, "until": until,
        "agreements": selectors.programme_costs(since=since, until=until),
        "tiers": selectors.tier_costs(since=since, until=until),
    }  # fmt: skip
    return render(request, "partners/manager_costs.html", context)

"""The manager's dashboard under /manager/: report pages with filters, charts, tables and CSV downloads,
and the receipts behind the figures. The scale designer and the what-if live in dashboard.design."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.api_errors import error_body, status_for
from core.refusals import spoken
from dashboard import pages, scale_answer
from dashboard.access import manager_required
from dashboard.forms import PER, FilterForm
from dashboard.reports import discounts, receipts, suspicious
from dashboard.reports.common import ReportFilter, presets, report_session, table_csv
from loyalty import rules
from pos.models import Store

NAV = [
    ("summary", _("Summary")),
    ("discounts", _("Discounts")),
    ("points", _("Points")),
    ("levels", _("Levels")),
    ("cards", _("Cards")),
    ("holders", _("Card holders")),
    ("gift-cards", _("Gift cards")),
    ("suspicious", _("Suspicious")),
    ("campaigns", _("Campaigns")),
    ("stores", _("Stores")),
    ("receipts", _("Receipts")),
    ("scale", _("Scale designer")),
    ("whatif", _("What-if")),
]


def report_filter(request: HttpRequest) -> tuple[FilterForm, ReportFilter]:
    form = FilterForm(request.GET, today=timezone.localdate())
    return form, form.report_filter()


def chrome(request: HttpRequest, active: str, f: ReportFilter | None = None) -> dict:
    """What every dashboard page shows around its content: navigation (keeping the filter) and the filter bar."""
    f = f or report_filter(request)[1]
    query = urlencode(f.query())
    today = timezone.localdate()
    return {
        "nav": [(title, f"{reverse('manager:' + key)}?{query}", key == active) for key, title in NAV],
        "filter": f,
        "stores": Store.objects.all(),
        "currency": settings.CURRENCY,
        "per_choices": PER,
        "presets": [
            (label, f"?{urlencode(ReportFilter(start, end, f.store).query())}") for label, start, end in presets(today)
        ],
    }


def _page_query(query: QueryDict) -> str:
    kept = query.copy()
    kept.pop("csv", None)
    return kept.urlencode()


def _csv(table, name: str, f: ReportFilter) -> HttpResponse:
    response = HttpResponse(table_csv(table).encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{table.slug}-{f.start}-{f.end}.csv"'
    return response


def _report(request, active: str, title: str, build: Callable, tabs: list | None = None) -> HttpResponse:
    form, f = report_filter(request)
    # The period's days, Trunc*'s buckets and every time shown: on the chosen store's clock, else the chain's.
    with timezone.override(f.zone_name):
        with report_session():
            content: pages.Content = build(request.GET, f)
        wanted = request.GET.get("csv")
        if wanted:
            table = next((t for t in content.tables if t.slug == wanted), None)
            if table is None:
                raise Http404("No such table on this page.")
            return _csv(table, active, f)
        context = chrome(request, active, f) | {
            "title": content.title or title,
            "form": form,
            "content": content,
            "tabs": tabs or [],
            "page_query": _page_query(request.GET),
            "previous_label": _previous_label(f),
        }
        return render(request, "dashboard/report.html", context)


def _previous_label(f: ReportFilter) -> str:
    before = pages.previous_period(f)
    return f"{date_format(before.start, 'd M')} – {date_format(before.end, 'd M Y')}"


def _tabs(request, name: str, choices: dict[str, str], active: str) -> list[tuple[str, str, bool]]:
    query = _page_query(request.GET)
    return [(label, f"{reverse(name, args=[key])}?{query}", key == active) for key, label in choices.items()]


@manager_required
def summary(request: HttpRequest) -> HttpResponse:
    return _report(request, "summary", _("What the programme costs and brings back"), pages.summary)


@manager_required
def discounts_report(request: HttpRequest, by: str = "period") -> HttpResponse:
    if by not in discounts.BREAKDOWNS:
        raise Http404("No such breakdown.")
    tabs = _tabs(request, "manager:discounts-by", discounts.BREAKDOWNS, by)
    return _report(request, "discounts", _("Discounts granted"), pages.discounts_page(by), tabs)


@manager_required
def points_report(request: HttpRequest) -> HttpResponse:
    return _report(request, "points", _("Points: earned, redeemed, burned, outstanding"), pages.points_page)


@manager_required
def campaigns_report(request: HttpRequest) -> HttpResponse:
    return _report(request, "campaigns", _("Campaigns: cost, covered revenue, coupons"), pages.campaigns_page)


@manager_required
def levels_report(request: HttpRequest) -> HttpResponse:
    return _report(request, "levels", _("Customers per level"), pages.levels_page)


@manager_required
def cards_report(request: HttpRequest) -> HttpResponse:
    return _report(request, "cards", _("Cards: active, inactive, per batch"), pages.cards_page)


@manager_required
def gift_cards_report(request: HttpRequest) -> HttpResponse:
    return _report(
        request, "gift-cards", _("Gift cards: what the chain owes, sold, spent, expiring"), pages.gift_cards_page
    )


@manager_required
def holders_report(request: HttpRequest) -> HttpResponse:
    return _report(request, "holders", _("Card holders and receipts without a card"), pages.card_holders)


@manager_required
def stores_report(request: HttpRequest) -> HttpResponse:
    return _report(request, "stores", _("Stores side by side"), pages.stores_page)


@manager_required
def suspicious_report(request: HttpRequest, pattern: str = "two-stores") -> HttpResponse:
    if pattern not in suspicious.PATTERNS:
        raise Http404("No such pattern.")
    choices = {key: label for key, (label, _) in suspicious.PATTERNS.items()}
    tabs = _tabs(request, "manager:suspicious-by", choices, pattern)
    return _report(request, "suspicious", _("Suspicious patterns"), pages.suspicious_page(pattern), tabs)


# --- the receipts behind the figures ------------------------------------------------------------


MAX_ROW_ID = 2**63 - 1  # a bigint: a larger number is no row's, and SQLite cannot even be asked for it


def row_id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ROW_ID else None


def narrowing(query: QueryDict) -> receipts.Narrowing:
    ids = tuple(i for i in map(row_id, query.get("ids", "").split(",")) if i is not None)
    cashier = query.get("cashier", "").strip()
    return receipts.Narrowing(
        card=query.get("card", "").strip(),
        cashier=cashier if cashier == "none" or row_id(cashier) is not None else "",
        discounted=query.get("discounted") == "1",
        ids=ids,
        search=query.get("q", "").strip()[:100],
    )


def _page_number(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1


def _pager(query: QueryDict, page: int, total: int) -> list[tuple[str, str]]:
    pages = max(1, -(-total // receipts.PAGE))
    links = []
    for label, number in ((gettext("← Newer"), page - 1), (gettext("Older →"), page + 1)):
        if 1 <= number <= pages:
            kept = query.copy()
            kept["page"] = str(number)
            kept.pop("csv", None)
            links.append((label, kept.urlencode()))
    return links


def _receipts_title(n: receipts.Narrowing) -> str:
    if not n.on:
        return gettext("Receipts")
    parts = []
    if n.search:
        parts.append(gettext("matching “%s”") % n.search)
    if n.card:
        parts.append(gettext("of card %s") % n.card)
    if n.cashier == "none":
        parts.append(gettext("from an external till"))
    elif n.cashier:
        parts.append(gettext("of cashier %s") % _cashier_name(n.cashier))
    if n.discounted:
        parts.append(gettext("with a discount"))
    if n.ids:
        parts.append(gettext("%d chosen by a report") % len(n.ids))
    return gettext("Receipts %(filters)s (filtered)") % {"filters": ", ".join(parts)}


def _cashier_name(user_id: str) -> str:
    return get_user_model().objects.filter(pk=int(user_id)).values_list("username", flat=True).first() or user_id


@manager_required
def receipts_list(request: HttpRequest) -> HttpResponse:
    def build(query: QueryDict, f: ReportFilter) -> pages.Content:
        n = narrowing(query)
        params = [
            (k, label, v) for k, label, v in (("card", _("Card"), n.card), ("cashier", _("Cashier"), n.cashier)) if v
        ]
        if n.discounted:
            params.append(("discounted", _("Discounted only"), "1"))
        page = _page_number(query.get("page", ""))
        table, total = receipts.receipts_table(f, n, page)
        content = pages.Content([table], [], params, title=_receipts_title(n), search=n.search)
        content.pager = _pager(query, page, total)
        return content

    return _report(request, "receipts", _("Receipts"), build)


@manager_required
def receipt_detail(request: HttpRequest, receipt_id: int) -> HttpResponse:
    receipt = receipts.receipt_detail(receipt_id)
    if receipt is None:
        raise Http404("No such receipt.")
    lines = [(line, receipts.discount_sources(line)) for line in receipt.lines.all()]
    context = chrome(request, "receipts") | {
        "title": gettext("Receipt #%(number)s") % {"number": receipt.pk},
        "receipt": receipt,
        "lines": lines,
    }
    with timezone.override(receipt.store.time_zone):  # its times as the store's clock showed them
        return render(request, "dashboard/receipt.html", context)


# --- the scale designer's answer as CSV (api.md) ------------------------------------------------


@manager_required
def scale_answer_csv(request: HttpRequest) -> HttpResponse:
    values, problems = scale_answer.read(request.GET)
    if problems:
        body = error_body("invalid_input", "Some parameters are missing or out of range.", problems)
        return JsonResponse(body, status=400)
    try:
        step = scale_answer.answer(values)
    except rules.RuleError as error:
        return JsonResponse(error_body(error.code, spoken(error), error.details), status=status_for(error))
    response = HttpResponse(scale_answer.as_csv(step).encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="scale-answer.csv"'
    return response

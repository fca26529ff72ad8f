"""The discount-scale designer (domain.md, "Designing a discount scale"): answering one customer, drawing a
scale, previewing what saving it would do to the cards, and saving it as a programme's levels.

The designer works in what customers *pay per month*; a programme's levels count what customers pay over
their lifetime or a rolling window. Saving converts: a monthly figure times the window's months (rolling),
or times the months a customer should take to reach the level (lifetime, chosen by the manager)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cards.models import CompanyJoin
from core.errors import DomainError
from core.refusals import spoken
from dashboard.access import manager_required
from dashboard.forms import DEMO_STEPS, CustomerAskForm, SaveScaleForm, ScaleForm, StepFormSet
from dashboard.reports.common import Chart, Column, Series, Table
from dashboard.views import chrome
from loyalty import rules
from loyalty.models import Account, Level, Programme, SpendEntry
from loyalty.services import PlannedLevel, programme_levels_replace

STEP_COLUMNS = [
    Column("name", _("Level")),
    Column("percent", _("Discount %"), "number"),
    Column("wanted", _("Extra margin wanted"), "money"),
    Column("volume", _("List volume"), "money"),
    Column("revenue", _("They pay"), "money"),
    Column("cost", _("Purchase cost"), "money"),
    Column("margin", _("Margin"), "money"),
    Column("growth", _("Growth of pay %"), "number"),
    Column("published", _("Publish from"), "money"),
]


def _step_row(name: str, step: rules.ScaleStep) -> dict:
    return {
        "name": name,
        "percent": step.discount_percent,
        "wanted": step.wanted_margin_increase,
        "volume": step.list_volume_required,
        "revenue": step.revenue_required,
        "cost": step.purchase_cost,
        "margin": step.margin,
        "growth": step.growth_percent,
        "published": step.published_volume,
    }


def _today_row(now: rules.Volume) -> dict:
    return {
        "name": gettext("Today"),
        "percent": now.discount_percent,
        "wanted": None,
        "volume": now.list_volume,
        "revenue": now.customer_pays,
        "cost": now.purchase_cost,
        "margin": now.margin,
        "growth": None,
        "published": None,
    }


def designed_scale(form: ScaleForm, steps: StepFormSet) -> tuple[Table | None, list[str]]:
    """Each level against what the customer pays today; a level whose discount eats the whole margin is an error."""
    rows, errors = [], []
    start = form.cleaned_data
    for data in (s.cleaned_data for s in steps.forms if s.cleaned_data and not s.cleaned_data.get("DELETE")):
        try:
            step = rules.required_volume(
                form.markup(), start["volume"], data["percent"], data["wanted"], start["current"]
            )
        except rules.RuleError as error:
            errors.append(f"{data['name']}: {spoken(error)}")
            continue
        rows.append(_step_row(data["name"], step))
    if not rows:
        return None, errors
    rows.sort(key=lambda r: r["percent"])
    chart = Chart(
        "bar",
        [f"{r['name']} {r['percent']} %" for r in rows],
        [
            Series(_("They pay"), [r["revenue"] for r in rows]),
            Series(_("Publish from"), [r["published"] for r in rows]),
        ],
        y_title=_("paid per month"),
    )
    note = _(
        "Each level against what the customer (or segment) pays now at today's discount ('Today'): the volume at "
        "which its discount still leaves today's margin plus the extra margin wanted; growth is of what they pay. "
        "'Publish from' is what they pay, rounded up to a round number: a level's spend counts what customers pay."
    )
    today = rules.today(form.markup(), start["volume"], start["current"])
    return Table("scale", _("The scale, per month"), STEP_COLUMNS, [_today_row(today), *rows], chart, note), errors


# --- saving: the programme's basis, and what it would do to the cards ----------------------------


@dataclass(frozen=True)
class Preview:
    programme: Programme
    months: int
    basis: str  # a sentence: how the monthly figures became thresholds
    levels: list[PlannedLevel]
    table: Table
    up: int  # cards whose spend already reaches a higher rank than they hold: they move up at their next purchase
    kept: int  # cards holding a rank whose new threshold is above their spend: they keep it


def _live(programme: Programme):
    """Accounts customers hold today: not those of replaced cards, nor a staff card's own account emptied when
    the card joined its company, while the card is in it (the company's shared account counts, once: levels
    belong to accounts)."""
    return Account.objects.filter(programme=programme, replaced_by__isnull=True).exclude(
        pk__in=CompanyJoin.objects.filter(left_at__isnull=True).values("from_account")
    )


def _spends(programme: Programme) -> dict[int, Decimal]:
    """Each live account's spend as its programme counts it (lifetime, or the rolling window), in one query."""
    accounts = _live(programme)
    if programme.spend_basis != Programme.SpendBasis.ROLLING:
        return dict(accounts.values_list("pk", "spend"))
    since = timezone.now() - relativedelta(months=programme.spend_window_months)
    spends = dict.fromkeys(accounts.values_list("pk", flat=True), Decimal(0))
    rows = (
        SpendEntry.objects.filter(account__in=accounts, created_at__gt=since)
        .values("account")
        .annotate(s=Sum("amount"))
    )
    spends.update({r["account"]: max(Decimal(0), r["s"]) for r in rows})
    return spends


def _level_text(name: str, threshold: Decimal, percent: Decimal) -> str:
    """'Gold from 700.00 at 5.00 %', in the page's language."""
    return gettext("%(name)s from %(spend)s at %(percent)s %%") % {
        "name": name,
        "spend": number_format(threshold),
        "percent": number_format(percent),
    }


def preview(table: Table, programme: Programme, months: int) -> Preview:
    if programme.spend_basis == Programme.SpendBasis.ROLLING:
        months = programme.spend_window_months
        basis = gettext(
            "%(programme)s counts what a customer paid in the last %(months)s months: each monthly figure × %(months)s."
        ) % {"programme": programme.name, "months": months}
    else:
        basis = gettext(
            "%(programme)s counts lifetime spend: each monthly figure × %(months)s, the months a customer buying "
            "that much should take to reach the level."
        ) % {"programme": programme.name, "months": months}
    designed = [r for r in table.rows if r["published"] is not None]
    levels = [
        PlannedLevel(r["name"], rules.round_up_to_round_number(r["revenue"] * months), r["percent"]) for r in designed
    ]
    levels.sort(key=lambda lv: lv.threshold)
    existing = list(Level.objects.filter(programme=programme).order_by("threshold", "id"))
    rank_of = {lv.pk: i for i, lv in enumerate(existing)}
    holding = dict(
        Account.objects.filter(programme=programme, replaced_by__isnull=True, level__isnull=False)
        .values_list("level")
        .annotate(n=Count("pk"))
    )
    held = dict(_live(programme).values_list("pk", "level"))
    reaching = [0] * len(levels)
    up = kept = 0
    for pk, spend in _spends(programme).items():
        new_rank = max((i for i, lv in enumerate(levels) if lv.threshold <= spend), default=-1)
        if new_rank >= 0:
            reaching[new_rank] += 1
        rank = rank_of.get(held.get(pk), -1)
        up += new_rank > rank
        kept += new_rank < rank
    rows = []
    for i, plan in enumerate(levels):
        old = existing[i] if i < len(existing) else None
        rows.append(
            {
                "rank": i + 1,
                "today": _level_text(old.name, old.threshold, old.percent) if old else "—",
                "holding": holding.get(old.pk, 0) if old else 0,
                "new": _level_text(plan.name, plan.threshold, plan.percent),
                "reaching": reaching[i],
            }
        )
    columns = [
        Column("rank", _("Rank"), "int"),
        Column("today", _("Level today")),
        Column("holding", _("Cards holding it"), "int"),
        Column("new", _("Level saved")),
        Column("reaching", _("Cards whose spend reaches it"), "int"),
    ]
    note = _(
        "Levels are written by rank: every card keeps its rank with the new name, threshold and percent. A card "
        "whose spend reaches a higher rank moves up at its next purchase; a level is never lowered (except by the "
        "inactivity rule or a refund), so a card below its rank's new threshold keeps it."
    )
    return Preview(
        programme,
        months,
        basis,
        levels,
        Table("preview", _("What saving would do"), columns, rows, None, note),
        up,
        kept,
    )


# --- the page ------------------------------------------------------------------------------------


def _scale_forms(data) -> tuple[ScaleForm, StepFormSet]:
    if data is None:
        return ScaleForm(prefix="scale"), StepFormSet(prefix="step", initial=DEMO_STEPS)
    return ScaleForm(data, prefix="scale"), StepFormSet(data, prefix="step")


def _save_form(data) -> SaveScaleForm:
    """As chosen; until then the default programme and a year (for a lifetime programme)."""
    default = Programme.objects.filter(is_default=True).first() or Programme.objects.first()
    return SaveScaleForm(
        {"programme": data.get("programme", default.pk if default else ""), "months": data.get("months", "12")}
    )


@manager_required
def scale_page(request: HttpRequest) -> HttpResponse:
    mode = request.GET.get("mode") if request.method == "GET" else "scale"
    data = request.POST if request.method == "POST" else request.GET
    ask = CustomerAskForm(data if mode == "ask" else None, prefix="ask")
    form, steps = _scale_forms(data if mode == "scale" else None)
    save = _save_form(data)
    answer, table, errors, plan = None, None, [], None
    if mode == "ask" and ask.is_valid():
        try:
            answer = ask.step()
        except rules.RuleError as error:
            errors.append(spoken(error))
    if mode == "scale" and form.is_valid() and steps.is_valid():
        table, errors = designed_scale(form, steps)
    if table is not None and not errors and save.is_valid():
        plan = preview(table, save.cleaned_data["programme"], save.cleaned_data["months"])
    if request.method == "POST" and plan is not None and _save(request, plan):
        return redirect(_designer_url(request.POST))
    context = chrome(request, "scale") | {
        "title": _("Designing a discount scale"),
        "ask": ask,
        "answer": answer,
        "today": rules.today(ask.markup(), ask.cleaned_data["volume"], ask.cleaned_data["current"]) if answer else None,
        "form": form,
        "steps": steps,
        "table": table,
        "errors": errors,
        "save": save,
        "plan": plan,
        "scale_query": _scale_query(data),
    }
    return render(request, "dashboard/scale.html", context)


def _scale_query(data) -> list[tuple[str, str]]:
    """The scale's own fields, carried by the preview and save forms."""
    return [(k, v) for k, v in data.items() if k.startswith(("scale-", "step-"))]


def _designer_url(posted) -> str:
    """Back to the designer showing the scale just saved (a GET, so a reload does not save it again)."""
    query = posted.copy()
    query.pop("csrfmiddlewaretoken", None)
    query["mode"] = "scale"
    return f"{reverse('manager:scale')}?{query.urlencode()}"


def _save(request: HttpRequest, plan: Preview) -> bool:
    try:
        programme_levels_replace(programme_id=plan.programme.pk, levels=plan.levels, by=request.user)
    except DomainError as error:
        messages.error(request, spoken(error))
        return False
    saved = {"count": len(plan.levels), "programme": plan.programme.name}
    messages.success(request, gettext("Saved %(count)s levels as the levels of %(programme)s.") % saved)
    return True

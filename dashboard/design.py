"""Designing the next programme: the what-if replay of past receipts under a proposed programme (a Celery task
with progress). The scale designer is dashboard.scale."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from dashboard import tasks, whatif, whatif_campaign
from dashboard.access import manager_required
from dashboard.forms import (
    KINDS,
    WhatIfForm,
    whatif_initial,
    whatif_initial_from,
    whatif_initial_json,
)
from dashboard.reports.common import Chart, Column, Series, Table, table_csv
from dashboard.views import chrome
from loyalty import rules
from loyalty.models import Category, Programme

log = logging.getLogger(__name__)


# --- the what-if --------------------------------------------------------------------------------


def _proposal(form: WhatIfForm, campaign_form: whatif_campaign.ProposedCampaignForm) -> whatif.Proposal:
    d = form.cleaned_data
    proposed = rules.ProgrammeRules(
        kind=d["kind"],
        base_percent=d["base_percent"],
        levels=tuple(d["levels"]),
        ceiling_percent=d["ceiling_percent"],
        earn_percent=d["earn_percent"],
        point_value=d["point_value"],
    )
    excluded = frozenset(c.code for c in d["excluded"])
    # Through JSON and back, exactly as the task will read it, so the page and the task agree.
    campaign = campaign_form.proposed()
    data = whatif.Proposal(d["programme"].pk, d["months"], proposed, excluded, campaign).to_json()
    return whatif.Proposal.from_json(data)


def _starting_point(request: HttpRequest) -> dict:
    """The form's first values: a replayed proposal to change (?from=run), else a programme's settings."""
    run = whatif.status(request.GET.get("from", "")) if request.GET.get("from", "").isalnum() else None
    if run is not None:
        return whatif_initial_from(run["proposal"])
    wanted = request.GET.get("programme", "")
    programme = Programme.objects.filter(pk=int(wanted)).first() if wanted.isascii() and wanted.isdigit() else None
    programme = programme or Programme.objects.filter(is_default=True).first() or Programme.objects.first()
    return whatif_initial(programme) if programme else {}


@manager_required
def whatif_form(request: HttpRequest) -> HttpResponse:
    form = WhatIfForm(request.POST or None, initial=_starting_point(request))
    campaign_form = whatif_campaign.ProposedCampaignForm(request.POST or None, prefix="campaign")
    if request.method == "POST" and form.is_valid() and campaign_form.is_valid():
        proposal, run_id = _proposal(form, campaign_form), uuid.uuid4().hex
        whatif.queue(run_id, proposal)
        try:
            # With a broker this only enqueues; without one (development) it runs here and now.
            tasks.whatif_replay.delay(run_id, proposal.to_json())
        except Exception:  # already recorded as failed in the cache; the run page says so
            log.exception("what-if run %s failed", run_id)
        return redirect("manager:whatif-run", run_id=run_id)
    context = chrome(request, "whatif") | {
        "title": _("What if: replay past receipts under a proposal"), "form": form, "campaign_form": campaign_form,
    }  # fmt: skip
    return render(request, "dashboard/whatif.html", context)


@manager_required
def whatif_progress(request: HttpRequest, run_id: str) -> JsonResponse:
    status = whatif.status(run_id)
    if status is None:
        return JsonResponse({"state": "unknown"}, status=404)
    return JsonResponse({key: status.get(key) for key in ("state", "done", "total", "error")})


@manager_required
def whatif_run(request: HttpRequest, run_id: str) -> HttpResponse:
    status = whatif.status(run_id)
    if status is None:
        raise Http404("This what-if run is unknown or has expired (results are kept for a day).")
    result = status.get("result")
    tables = comparison_tables(result) if result else []
    wanted = request.GET.get("csv")
    if wanted:
        table = next((t for t in tables if t.slug == wanted), None)
        if table is None:
            raise Http404("No such table in this result (it may still be running).")
        response = HttpResponse(table_csv(table).encode(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="whatif-{run_id}-{table.slug}.csv"'
        return response
    context = chrome(request, "whatif") | {
        "title": _("What if: the result"),
        "status": status,
        "run_id": run_id,
        "proposal": status["proposal"],
        "terms": proposal_terms(status["proposal"]),
        "tables": tables,
        "percent_done": int(100 * status["done"] / status["total"]) if status.get("total") else 0,
    }
    return render(request, "dashboard/whatif_run.html", context)


def proposal_terms(proposal: dict) -> list[tuple[str, str, str, bool]]:
    """(term, the programme today, the proposal, changed?): what exactly was replayed, beside what is."""
    programme = Programme.objects.filter(pk=proposal["programme_id"]).first()
    now = whatif.Proposal.from_json(whatif_initial_json(programme)) if programme else None
    replayed = whatif.Proposal.from_json(proposal) if programme else None
    if now is None or replayed is None:
        return []
    names = dict(Category.objects.values_list("code", "name"))

    def levels(p: whatif.Proposal) -> str:
        levels = sorted(p.rules.levels, key=lambda lv: lv.threshold)
        return "; ".join(
            gettext("%(name)s from %(spend)s at %(percent)s %%")
            % {"name": lv.name, "spend": number_format(lv.threshold, 2), "percent": number_format(lv.percent, 2)}
            for lv in levels
        ) or gettext("none")

    def terms(p: whatif.Proposal) -> list[tuple[str, str]]:
        r = p.rules
        return [
            (gettext("Kind"), str(dict(KINDS).get(r.kind, r.kind))),
            (gettext("Base %"), number_format(Decimal(r.base_percent), 2)),
            (gettext("Levels"), levels(p)),
            (gettext("Ceiling %"), number_format(Decimal(r.ceiling_percent), 2)),
            (
                gettext("Excluded categories"),
                ", ".join(names.get(code, code) for code in sorted(p.excluded)) or gettext("none"),
            ),
            (gettext("Points earned %"), number_format(Decimal(r.earn_percent), 2)),
            (gettext("Value of a point"), number_format(Decimal(r.point_value), 2)),
        ]

    return [(name, a, b, a != b) for (name, a), (_, b) in zip(terms(now), terms(replayed), strict=True)]


# --- the result, side by side -------------------------------------------------------------------

FIGURES = [
    ("discount", _("Discounts")),
    ("points", pgettext_lazy("manager", "Points earned")),
    ("points_cost", _("Points (money)")),
    ("cost", _("Total cost")),
]


def _grouped(n: int) -> dict:
    return {"n": number_format(n, force_grouping=True)}  # "1,204", as the rest of the notes


def comparison_tables(result: dict) -> list[Table]:
    campaign = whatif_campaign.campaign_table(result)
    return [_cost_table(result), *([campaign] if campaign else []), _levels_table(result), _stores_table(result)]


def _cost_table(result: dict) -> Table:
    rows = []
    for key, label in FIGURES:
        current, proposed = Decimal(result["current"][key]), Decimal(result["proposed"][key])
        rows.append(
            {
                "key": key,
                "figure": str(label),
                "recorded": Decimal(result["recorded"][key]),
                "current": current,
                "proposed": proposed,
                "difference": proposed - current,
            }
        )
    columns = [
        Column("figure", _("Figure")),
        Column("recorded", _("Recorded"), "money"),
        Column("current", _("Current programme, replayed"), "money"),
        Column("proposed", _("Proposed"), "money"),
        Column("difference", _("Proposed − current"), "money"),
    ]
    chart = Chart(
        "bar",
        [r["figure"] for r in rows if r["key"] != "points"],
        [
            Series(_("Current"), [r["current"] for r in rows if r["key"] != "points"]),
            Series(_("Proposed"), [r["proposed"] for r in rows if r["key"] != "points"]),
        ],
    )
    note = gettext(
        "%(receipts)s of %(cards)s of %(programme)s, %(since)s to %(until)s. 'Recorded' is what the till really "
        "granted; the replay leaves out refunds, inactivity steps and points paid (and counts a rolling spend basis "
        "as lifetime), so it can differ slightly from it."
    ) % {
        "receipts": ngettext("%(n)s receipt", "%(n)s receipts", result["receipts"]) % _grouped(result["receipts"]),
        "cards": ngettext("%(n)s card", "%(n)s cards", result["cards"]) % _grouped(result["cards"]),
        "programme": result["programme"],
        "since": result["since"][:10],
        "until": result["until"][:10],
    }
    return Table("cost", _("Cost, side by side"), columns, rows, chart, note)


def _levels_table(result: dict) -> Table:
    current, proposed = result["current"]["levels"], result["proposed"]["levels"]
    rows = []
    for i in range(max(len(current), len(proposed))):
        now = current[i] if i < len(current) else ["", None]
        new = proposed[i] if i < len(proposed) else ["", None]
        rows.append(
            {
                "rank": i,
                "current_level": now[0],
                "current_cards": now[1],
                "proposed_level": new[0],
                "proposed_cards": new[1],
            }
        )
    columns = [
        Column("rank", _("Rank"), "int"),
        Column("current_level", _("Current level")),
        Column("current_cards", _("Cards"), "int"),
        Column("proposed_level", _("Proposed level")),
        Column("proposed_cards", _("Cards"), "int"),
    ]
    chart = Chart(
        "bar",
        [gettext("rank %(rank)s") % {"rank": r["rank"]} for r in rows],
        [
            Series(_("Current"), [r["current_cards"] for r in rows]),
            Series(_("Proposed"), [r["proposed_cards"] for r in rows]),
        ],
        y_title=_("cards"),
    )
    return Table(
        "levels",
        _("Customers over levels at the end of the window"),
        columns,
        rows,
        chart,
        gettext("Cards that bought in the window, by the level they would hold at its end; rank 0 is no level."),
    )


def _stores_table(result: dict) -> Table:
    names = sorted(set(result["current"]["stores"]) | set(result["proposed"]["stores"]))
    rows = []
    for name in names:
        now = [Decimal(x) for x in result["current"]["stores"].get(name, ["0", "0"])]
        new = [Decimal(x) for x in result["proposed"]["stores"].get(name, ["0", "0"])]
        rows.append(
            {
                "store": name,
                "current_discount": now[0],
                "current_cost": now[1],
                "proposed_discount": new[0],
                "proposed_cost": new[1],
                "difference": new[1] - now[1],
            }
        )
    columns = [
        Column("store", _("Store")),
        Column("current_discount", _("Current: discounts"), "money"),
        Column("current_cost", _("Current: total cost"), "money"),
        Column("proposed_discount", _("Proposed: discounts"), "money"),
        Column("proposed_cost", _("Proposed: total cost"), "money"),
        Column("difference", _("Difference in cost"), "money"),
    ]
    chart = Chart(
        "bar",
        names,
        [
            Series(_("Current"), [r["current_cost"] for r in rows]),
            Series(_("Proposed"), [r["proposed_cost"] for r in rows]),
        ],
        y_title=_("cost"),
    )
    note = gettext("Total cost = discounts + points (money).")
    return Table("stores", _("Cost per store"), columns, rows, chart, note)

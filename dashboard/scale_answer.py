"""The scale designer's answer to one customer as CSV (api.md, /manager/scale/answer.csv): the parameters read
strictly (a wrong one is named, never guessed), the figures of loyalty.rules.required_volume, one row."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation

from loyalty import rules

COLUMNS = ["list_volume", "customer_pays", "growth_percent", "purchase_cost", "margin"]
MONEY_MAX = Decimal("9999999999.99")
# name -> (required, lowest, highest); percents as the page takes them (25 is 25 %).
PARAMS = {
    "pays": (True, Decimal("0.01"), MONEY_MAX),
    "discount": (False, Decimal(0), Decimal("99.99")),
    "markup": (True, Decimal(0), Decimal(10000)),
    "new_discount": (True, Decimal(0), Decimal(100)),
    "extra_margin": (False, Decimal(0), MONEY_MAX),
}


def read(query) -> tuple[dict[str, Decimal], dict[str, str]]:
    """The parameters, and what is wrong with each one that is wrong (empty when all are fine)."""
    values, problems = {}, {}
    for name, (required, low, high) in PARAMS.items():
        text = query.get(name, "").strip()
        if not text:
            if required:
                problems[name] = "required"
            values[name] = Decimal(0)
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            problems[name] = "not a number"
            continue
        if not (value.is_finite() and low <= value <= high):
            problems[name] = f"must be from {low} to {high}"
            continue
        values[name] = value
    return values, problems


def answer(values: dict[str, Decimal]) -> rules.ScaleStep:
    """Raises RuleError when the new discount leaves no margin."""
    return rules.required_volume(
        values["markup"] / 100, values["pays"], values["new_discount"], values["extra_margin"], values["discount"]
    )


def as_csv(step: rules.ScaleStep) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(
        [step.list_volume_required, step.revenue_required, step.growth_percent, step.purchase_cost, step.margin]
    )
    return out.getvalue()

"""A statement line said in the reader's language: labels by the line's kind, figures by their code, the
values formatted as the page formats numbers. Lines made before codes were stored keep their English.

The msgids are the English of partners/rules.py (FIGURES, LABELS); tests/partners/test_texts.py keeps
the two alike. A figure that counts (rules.FIGURES_ONE) is an ngettext by its counted argument, so a line
stored with "receipts": 1 reads "1 receipt" whenever it was made."""

import re
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy, ngettext_lazy

FIGURES = {
    "plan": gettext_lazy("%(volume)s of %(plan)s"),
    "all_on_time": gettext_lazy("all paid on time"),
    "paid_late": gettext_lazy("%(late)s paid late"),
    "line_bought": gettext_lazy("%(bought)s bought"),
    "no_last_year": gettext_lazy("no purchases in the same period last year"),
    "growth": gettext_lazy("%(grown)s %% against %(last_year)s"),
    "tier_reached": gettext_lazy("%(volume)s reaches %(percent)s %%"),
    "below_first_tier": gettext_lazy("%(volume)s: below the first tier"),
    "units": gettext_lazy("%(quantity)s × %(rate)s"),
    "capped": gettext_lazy("%(bonus)s capped at %(cap)s"),
    "own_rate": gettext_lazy("%(volume)s at its own rate"),
    "reversal_kept": gettext_lazy("statement %(statement)s reversed: %(kept)s of its payout already spent"),
    "late_refund": gettext_lazy("receipt %(receipt)s: %(goods)s refunded after its period closed"),
    "bypassed": ngettext_lazy(
        "%(receipts)s receipt, %(volume)s, in the volume above: %(earned)s of the commission",
        "%(receipts)s receipts, %(volume)s, in the volume above: %(earned)s of the commission",
        "receipts",
    ),
}
PENDING = gettext_lazy("%(figure)s; %(pending)s not due yet")

# By the line's kind: those that need no value read the same on old lines.
LABELS = {
    "plan": gettext_lazy("Plan volume met"),
    "on_time": gettext_lazy("Paid on time"),
    "product_line": gettext_lazy("Chosen line bought"),
    "growth": gettext_lazy("Growth"),
    "cap": gettext_lazy("Cap"),
    "reversal_kept": gettext_lazy("Reversed payout already spent"),
    "late_refund": gettext_lazy("Refund after close"),
    "bypassed": gettext_lazy("Bypassed sales in your region"),
}
LABELS_WITH_VALUES = {
    "tier": (gettext_lazy("Volume tier (%(mode)s)"), "mode"),
    "unit": (gettext_lazy("%(sku)s per unit"), "sku"),
    "key_account": (gettext_lazy("Key account %(name)s"), "name"),
}
MODES = {"retroactive": gettext_lazy("retroactive"), "marginal": gettext_lazy("marginal")}

AMOUNT = re.compile(r"^-?\d+\.(\d+)$")


def label(kind: str, english: str, args: dict) -> str:
    if kind in LABELS:
        return str(LABELS[kind])
    if kind in LABELS_WITH_VALUES and LABELS_WITH_VALUES[kind][1] in args:
        text, key = LABELS_WITH_VALUES[kind]
        value = args[key]
        return str(text) % {key: str(MODES[value]) if key == "mode" and value in MODES else value}
    return english


def figure(code: str, english: str, args: dict) -> str:
    if code not in FIGURES:
        return english  # a line from before codes were stored
    values = {k: _number(v) for k, v in args.items()}
    said = FIGURES[code] % values  # not str() first: a counted figure picks its form from the values
    return str(PENDING) % {"figure": said, "pending": values["pending"]} if "pending" in args else said


def _number(value):
    """'12000.00' as the page writes money (12,000.00 or 12.000,00); counts and ids as they are."""
    if isinstance(value, str) and (found := AMOUNT.match(value)):
        return number_format(Decimal(value), decimal_pos=len(found.group(1)), use_l10n=True, force_grouping=True)
    return value

"""The dashboard's forms: the report filter, the scale designer, the what-if proposal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from core import money
from core.calendar import FIRST_DAY, LAST_DAY, off_calendar
from dashboard.reports.common import ReportFilter, default_period
from loyalty import rules
from loyalty.models import Category, Programme
from pos.models import Store

PER = [("", _("as fits the period")), ("day", _("day")), ("week", _("week")), ("month", _("month"))]
# Programme.Kind in the page's language (the model's labels are the admin's English).
KINDS = [
    (Programme.Kind.FIXED, _("Fixed discount")),
    (Programme.Kind.CUMULATIVE, _("Cumulative (grows with spend)")),
    (Programme.Kind.MIXED, _("Mixed (fixed base raised by levels)")),
]
MAX_DAYS = 2 * 366  # two years: beyond that a report is an export job, not a page
# The calendar a report may ask about (core/calendar.py): the reports step past its ends (the day after the
# period, the period before it), which at year 9999 overflowed.
EARLIEST, LATEST = FIRST_DAY, LAST_DAY
PERCENT = {"max_digits": 5, "decimal_places": 2, "min_value": Decimal(0), "max_value": Decimal(100)}
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal(0)}


def on_calendar(day: date) -> None:
    if off_calendar(day):  # core.calendar's refusal, in the page's language
        raise forms.ValidationError(
            _("Choose a day from %(first)s to %(last)s.") % {"first": FIRST_DAY, "last": LAST_DAY}
        )


class FilterForm(forms.Form):
    """Period (from/to, inclusive) and store, read from GET so links and CSV downloads carry them."""

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today
        date_input = forms.DateInput(attrs={"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()})
        self.fields["from"] = forms.DateField(
            required=False, label=_("From"), widget=date_input, validators=[on_calendar]
        )
        self.fields["to"] = forms.DateField(required=False, label=_("To"), widget=date_input, validators=[on_calendar])
        self.fields["store"] = forms.ModelChoiceField(
            Store.objects.all(), to_field_name="code", required=False, empty_label=_("All stores"), label=_("Store")
        )
        self.fields["per"] = forms.ChoiceField(choices=PER, required=False, label=_("Per"))

    def clean(self):
        data = super().clean()
        start, end = default_period(self.today)
        data["from"], data["to"] = data.get("from") or start, data.get("to") or end
        if data["from"] > data["to"]:
            raise forms.ValidationError(_("The period must start before it ends."))
        if (data["to"] - data["from"]).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most two years."))
        return data

    def report_filter(self) -> ReportFilter:
        """The valid filter, or the last 30 days when the input is not valid (the errors are shown)."""
        if self.is_valid():
            data = self.cleaned_data
            return ReportFilter(data["from"], data["to"], data["store"], data.get("per") or "")
        return ReportFilter(*default_period(self.today))


# --- the scale designer -------------------------------------------------------------------------


class MarginInput(forms.Form):
    """A category's markup on cost, or its margin on price: a buyer knows one or the other."""

    basis = forms.ChoiceField(
        choices=[("markup", _("Markup on cost")), ("margin", _("Margin on price"))], initial="markup"
    )
    rate = forms.DecimalField(label=_("%"), initial=Decimal("25"), max_digits=6, decimal_places=2, min_value=Decimal(0))

    def clean(self):
        data = super().clean()
        if data.get("basis") == "margin" and data.get("rate") is not None and data["rate"] >= 100:
            raise forms.ValidationError(_("A margin on price must be below 100 %."))
        return data

    def markup(self) -> Decimal:
        """As a fraction (25 % -> 0.25): a margin g on price is a markup g / (1 - g) on cost."""
        rate = self.cleaned_data["rate"] / 100
        return rate / (1 - rate) if self.cleaned_data["basis"] == "margin" else rate


class CustomerAskForm(MarginInput):
    """One customer asks for a bigger discount: what must they buy for it?"""

    volume = forms.DecimalField(label=_("Pays now per month (after their discount)"), initial=Decimal("10000"), **MONEY)
    current = forms.DecimalField(label=_("Discount now %"), initial=Decimal("0"), max_digits=5, decimal_places=2,
                                 min_value=Decimal(0), max_value=Decimal("99.99"))  # fmt: skip
    asked = forms.DecimalField(label=_("Discount asked %"), initial=Decimal("10"), **PERCENT)
    wanted = forms.DecimalField(label=_("Extra margin wanted per month"), initial=Decimal("0"), **MONEY)

    def step(self) -> rules.ScaleStep:
        d = self.cleaned_data
        return rules.required_volume(self.markup(), d["volume"], d["asked"], d["wanted"], d["current"])


class ScaleForm(MarginInput):
    volume = forms.DecimalField(label=_("Pays now per month (after their discount)"), initial=Decimal("300"), **MONEY)
    current = forms.DecimalField(label=_("Discount now %"), initial=Decimal("0"), max_digits=5, decimal_places=2,
                                 min_value=Decimal(0), max_value=Decimal("99.99"))  # fmt: skip


class StepForm(forms.Form):
    name = forms.CharField(max_length=40)
    percent = forms.DecimalField(label=_("Discount %"), **PERCENT)
    wanted = forms.DecimalField(label=_("Extra margin wanted"), **MONEY)


StepFormSet = forms.formset_factory(StepForm, extra=2, min_num=1, max_num=10, validate_min=True, validate_max=True)
DEMO_STEPS = [
    {"name": "Silver", "percent": Decimal("2"), "wanted": Decimal("0")},
    {"name": "Gold", "percent": Decimal("5"), "wanted": Decimal("20")},
    {"name": "Platinum", "percent": Decimal("7"), "wanted": Decimal("50")},
]


class SaveScaleForm(forms.Form):
    """Where the scale goes, and for a programme counting lifetime spend, how many months of the monthly
    figures make a level's threshold (a rolling programme's window decides that by itself)."""

    programme = forms.ModelChoiceField(Programme.objects.all(), empty_label=None)
    months = forms.IntegerField(
        label=_("Months to reach a level (lifetime spend)"),
        initial=12,
        required=False,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )

    def clean(self):
        data = super().clean()
        programme = data.get("programme")
        if programme is not None and programme.spend_basis == Programme.SpendBasis.ROLLING:
            data["months"] = programme.spend_window_months
        elif programme is not None and not data.get("months"):
            self.add_error("months", "Say in how many months a customer buying that much should reach a level.")
        return data


# --- the what-if --------------------------------------------------------------------------------


class WhatIfForm(forms.Form):
    """A proposed programme: the current one's settings are the starting point."""

    programme = forms.ModelChoiceField(Programme.objects.all(), empty_label=None, label=_("Compare with programme"))
    months = forms.IntegerField(label=_("Months"), initial=12, validators=[MinValueValidator(1), MaxValueValidator(24)])
    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS)
    base_percent = forms.DecimalField(label=_("Base %"), **PERCENT)
    levels = forms.CharField(
        label=_("Levels"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("One level a line: name; from spend; percent — e.g. Gold; 700; 5"),
    )
    ceiling_percent = forms.DecimalField(label=_("Ceiling %"), **PERCENT)
    excluded = forms.ModelMultipleChoiceField(
        Category.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Excluded categories"),
    )
    earn_percent = forms.DecimalField(label=_("Points earned %"), **PERCENT)
    point_value = forms.DecimalField(label=_("Value of a point"), max_digits=8, decimal_places=2, min_value=Decimal(0))

    def clean_levels(self) -> list[rules.LevelRule]:
        levels = []
        for number, text in enumerate(self.cleaned_data["levels"].splitlines(), start=1):
            if not text.strip():
                continue
            parts = [p.strip() for p in text.split(";")]
            try:
                name, threshold, percent = parts
                levels.append(rules.LevelRule(name, Decimal(threshold), Decimal(percent)))
            except (ValueError, ArithmeticError):
                problem = _("Line %(number)s: write name; from spend; percent.") % {"number": number}
                raise forms.ValidationError(problem) from None
            level = levels[-1]
            # The limits of a saved level (loyalty.models.Level): what the replay could not price is said here.
            if not (level.name and len(level.name) <= 40 and level.name.isprintable()):
                raise forms.ValidationError(
                    _("Line %(number)s: a level's name is 1 to 40 printable characters.") % {"number": number}
                )
            if not (level.threshold.is_finite() and 0 <= level.threshold <= money.TOTAL_MAX):
                raise forms.ValidationError(
                    _("Line %(number)s: the spend must be from 0 to %(most)s.")
                    % {"number": number, "most": number_format(money.TOTAL_MAX, force_grouping=True)}
                )
            if not (level.percent.is_finite() and 0 <= level.percent <= 100):
                problem = _("Line %(number)s: the percent must be from 0 to 100.") % {"number": number}
                raise forms.ValidationError(problem)
        if len({lv.threshold for lv in levels}) != len(levels):
            raise forms.ValidationError(_("Two levels start at the same spend."))
        return levels


def whatif_initial_json(programme: Programme) -> dict:
    """The programme's own settings as a proposal (whatif.Proposal's JSON), to compare a proposal with."""
    d = whatif_initial(programme)
    return {
        "programme_id": programme.pk,
        "months": 12,
        "kind": d["kind"],
        "base_percent": str(d["base_percent"]),
        "ceiling_percent": str(d["ceiling_percent"]),
        "earn_percent": str(d["earn_percent"]),
        "point_value": str(d["point_value"]),
        "levels": [[lv.name, str(lv.threshold), str(lv.percent)] for lv in programme.levels.order_by("threshold")],
        "excluded": sorted(c.code for c in d["excluded"]),
    }


def whatif_initial_from(proposal: dict) -> dict:
    """A replayed proposal (whatif.Proposal's JSON) back into the form, to change it."""
    return {
        "programme": Programme.objects.filter(pk=proposal["programme_id"]).first(),
        "months": proposal["months"],
        "kind": proposal["kind"],
        "base_percent": Decimal(proposal["base_percent"]),
        "levels": "\n".join(f"{n}; {t}; {p}" for n, t, p in proposal["levels"]),
        "ceiling_percent": Decimal(proposal["ceiling_percent"]),
        "excluded": Category.objects.filter(code__in=proposal["excluded"]),
        "earn_percent": Decimal(proposal["earn_percent"]),
        "point_value": Decimal(proposal["point_value"]),
    }


def whatif_initial(programme: Programme) -> dict:
    levels = "\n".join(f"{lv.name}; {lv.threshold}; {lv.percent}" for lv in programme.levels.order_by("threshold"))
    return {
        "programme": programme,
        "months": 12,
        "kind": programme.kind,
        "base_percent": programme.base_percent,
        "levels": levels,
        "ceiling_percent": programme.ceiling_percent,
        "excluded": Category.objects.filter(discount_policy=Category.Policy.EXCLUDED),
        "earn_percent": programme.earn_percent,
        "point_value": programme.point_value,
    }

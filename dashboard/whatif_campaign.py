"""What-if with a proposed campaign: "what would a summer week, 10 % on garden for card holders, have cost
last year?" The proposed programme's replay (dashboard.whatif) gives the campaign's percent on the lines it
covers, on its days, stacked on the card's discount and within the proposed programme's ceiling (a capped
category's lower cap too), rounded down to the cent as at the till. Excluded categories stay excluded.

Only card holders' receipts are replayed (the what-if follows cards), so a campaign for everyone is counted
on card holders' purchases only: the page says so. The campaign's days are the replayed months' days, on the
clock of the store that sold (the replay then streams each receipt's time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dashboard.reports.common import Chart, Column, Series, Table
from loyalty import rules
from loyalty.models import Category

EVERYONE, CARD_HOLDERS, LEVELS = "everyone", "card_holders", "levels"


@dataclass(frozen=True)
class ProposedCampaign:
    name: str
    percent: Decimal
    starts: date
    ends: date  # inclusive
    categories: frozenset[str] = frozenset()  # empty: everything not excluded
    audience: str = CARD_HOLDERS
    levels: frozenset[str] = frozenset()

    def to_json(self) -> dict:
        return {
            "name": self.name, "percent": str(self.percent), "starts": self.starts.isoformat(),
            "ends": self.ends.isoformat(), "categories": sorted(self.categories), "audience": self.audience,
            "levels": sorted(self.levels),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict | None) -> ProposedCampaign | None:
        if not data:
            return None
        return cls(
            data["name"], Decimal(data["percent"]), date.fromisoformat(data["starts"]),
            date.fromisoformat(data["ends"]), frozenset(data["categories"]), data["audience"],
            frozenset(data["levels"]),
        )  # fmt: skip


@dataclass
class CampaignReplay:
    """The campaign on one side of the replay, in whole cents like the rest of it."""

    campaign: ProposedCampaign
    programme: rules.ProgrammeRules
    categories: dict[str, rules.CategoryRule]
    discount: int = 0
    receipts: int = 0
    _limits: dict[str, int | None] = field(default_factory=dict)  # category -> ceiling in hundredths; None: not covered

    def _limit(self, category: str) -> int | None:
        if category not in self._limits:
            rule = self.categories[category]
            wanted = not self.campaign.categories or category in self.campaign.categories
            if not wanted or rule.policy == rules.Policy.EXCLUDED:
                self._limits[category] = None
            else:
                pct = self.programme.ceiling_percent
                if rule.policy == rules.Policy.CAPPED and rule.max_percent is not None:
                    pct = min(pct, rule.max_percent)
                self._limits[category] = int(max(pct, rules.ZERO) * 100)
        return self._limits[category]

    def applies(self, level: str | None, at: datetime | None) -> bool:
        c = self.campaign
        if at is None or not c.starts <= at.date() <= c.ends:
            return False
        return c.audience != LEVELS or level in c.levels  # every replayed receipt is a card holder's

    def line_cents(self, category: str, subtotal: int, off: int) -> int:
        """The campaign's cents on a line that has `off` cents of card discount already."""
        limit = self._limit(category)
        if limit is None:
            return 0
        wanted = subtotal * int(self.campaign.percent * 100) // 10_000
        return max(0, min(wanted, subtotal * limit // 10_000 - off))

    def summary(self) -> dict:
        return {"name": self.campaign.name, "discount": str(rules.ZERO + Decimal(self.discount).scaleb(-2)),
                "receipts": self.receipts}  # fmt: skip


# --- the form part ------------------------------------------------------------------------------


class ProposedCampaignForm(forms.Form):
    """The what-if page's optional campaign (prefix "campaign"); no percent, no campaign."""

    name = forms.CharField(label=_("Name"), max_length=100, required=False, initial="Summer week")
    percent = forms.DecimalField(
        label=_("Campaign %"), required=False, max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
        help_text=_("Empty: no campaign."),
    )  # fmt: skip
    starts = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends = forms.DateField(label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    categories = forms.ModelMultipleChoiceField(
        Category.objects.exclude(discount_policy=Category.Policy.EXCLUDED), to_field_name="code", required=False,
        widget=forms.CheckboxSelectMultiple, label=_("On categories"),
        help_text=_("None ticked: everything not excluded."),
    )  # fmt: skip
    audience = forms.ChoiceField(
        choices=[(CARD_HOLDERS, _("Card holders")), (EVERYONE, _("Everyone (card holders' receipts counted)")),
                 (LEVELS, _("Card holders at some levels"))],
        initial=CARD_HOLDERS, required=False, label=_("Audience"),
    )  # fmt: skip
    levels = forms.CharField(
        label=_("Levels"), required=False, help_text=_("Level names, comma-separated, for 'some levels'.")
    )

    def clean(self):
        data = super().clean()
        if data.get("percent") is None:
            return data
        if not data.get("starts") or not data.get("ends"):
            raise forms.ValidationError(_("A campaign needs its first and last day."))
        if data["ends"] < data["starts"]:
            raise forms.ValidationError(_("The campaign's last day is before its first."))
        if data.get("audience") == LEVELS and not _names(data.get("levels", "")):
            raise forms.ValidationError(_("Name the levels the campaign is for."))
        return data

    def proposed(self) -> ProposedCampaign | None:
        d = self.cleaned_data
        if d.get("percent") is None:
            return None
        return ProposedCampaign(
            d["name"] or gettext("Proposed campaign"), d["percent"], d["starts"], d["ends"],
            frozenset(c.code for c in d["categories"]), d["audience"] or CARD_HOLDERS, _names(d.get("levels", "")),
        )  # fmt: skip


def _names(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


# --- the result ---------------------------------------------------------------------------------


def campaign_table(result: dict) -> Table | None:
    """The proposed campaign's share of the proposed side's cost, when there was one."""
    campaign = result["proposed"].get("campaign")
    if not campaign:
        return None
    cost = Decimal(campaign["discount"])
    total = Decimal(result["proposed"]["cost"])
    rows = [{"campaign": campaign["name"], "receipts": campaign["receipts"], "discount": cost,
             "rest": total - cost, "total": total}]  # fmt: skip
    columns = [
        Column("campaign", _("Campaign")),
        Column("receipts", _("Receipts it discounts"), "int"),
        Column("discount", _("Its discount"), "money"),
        Column("rest", _("The programme's cost besides"), "money"),
        Column("total", _("Proposed total cost"), "money"),
    ]
    chart = Chart(
        "bar", [campaign["name"]],
        [Series(_("Programme"), [total - cost], stack="c"), Series(_("Campaign"), [cost], stack="c")], stacked=True,
        horizontal=True,
    )  # fmt: skip
    note = gettext(
        "Stacked on the proposed card discount, within its ceiling; card holders' receipts only. Its discount is "
        "included in the proposed side's discounts and cost above."
    )
    return Table("campaign", gettext("The proposed campaign"), columns, rows, chart, note)

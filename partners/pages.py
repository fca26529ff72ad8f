"""What the partner's pages show, read once per request: progress to the next tier, customers, statements."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.local_time import local_date
from loyalty.models import Partner, PartnerAssignment
from partners import rules, selectors
from partners.models import Agreement, Statement
from partners.periods import Period, containing


@dataclass(frozen=True)
class Progress:
    agreement: Agreement
    period: Period
    volume: Decimal
    tier: rules.Tier | None
    next_tier: rules.Tier | None
    missing: Decimal | None


def progress(partner: Partner, at: datetime) -> list[Progress]:
    today = local_date(at)
    found = []
    agreements = partner.agreements.filter(valid_from__lte=today).prefetch_related("tiers").order_by("valid_from")
    for agreement in agreements:
        if agreement.valid_to and agreement.valid_to < today:
            continue
        period = containing(agreement.period, today, agreement.year_starts_in)
        volume = selectors.partner_volume_so_far(
            partner_id=partner.pk, since=period.since(), until=period.until(),
            region_order_limit=agreement.region_order_limit,
        )  # fmt: skip
        tiers = tuple(rules.Tier(t.threshold, t.percent) for t in agreement.tiers.all())
        ahead = rules.next_tier(tiers, volume)
        found.append(Progress(agreement, period, volume, rules.tier_reached(tiers, volume), *(ahead or (None, None))))
    return found


def customers(partner: Partner):
    """Only what the partner brought: the short name, since when, how. No phone, e-mail or birthday."""
    return PartnerAssignment.objects.filter(partner=partner).select_related("customer").order_by("-assigned_at")


def statements(partner: Partner):
    return Statement.objects.filter(agreement__partner=partner).select_related("agreement")


def statement_for(user, pk: int) -> Statement | None:
    """A partner's own statement, or any statement for a manager; None otherwise (the page answers 404)."""
    found = Statement.objects.select_related("agreement__company", "agreement__partner").filter(pk=pk).first()
    if found is None:
        return None
    if user.is_staff and user.has_perm("partners.view_statement"):
        return found
    partner = getattr(user, "partner", None)
    return found if partner is not None and found.agreement.partner_id == partner.pk else None


def statement_items(statement: Statement):
    return statement.items.select_related("receipt__account__customer").order_by("created_at", "id")

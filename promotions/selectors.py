"""Reads for pricing a sale: the campaigns in force, kept per process, and coupons by code."""

from datetime import date, timedelta

from django.db import connection

from promotions import rules
from promotions.models import Campaign, Coupon, CouponUse

# Asked on every sale, changed a few times a month: each process keeps the campaigns that have not ended,
# under the stamp of the programme row read fresh with the card (loyalty's terms stamp, which every campaign
# change renews: promotions/signals.py). A campaign that ends while kept is closed by the rules' clock.
_in_force: dict[str, tuple[rules.CampaignRule, ...]] = {}
_MAX_KEPT = 64


def campaigns_in_force(stamp: str | None, today: date) -> tuple[rules.CampaignRule, ...]:
    """The campaigns not ended by `today` (a day's margin for the stores' zones). With a stamp, kept per
    process until the stamp changes; without one (a walk-in: no programme row read), read now."""
    if stamp is not None and stamp in _in_force:
        return _in_force[stamp]
    found = _read_campaigns(today - timedelta(days=1))
    if stamp is not None:
        if len(_in_force) >= _MAX_KEPT:
            _in_force.clear()
        _in_force[stamp] = found
    return found


def _read_campaigns(since: date, ids: list[int] | None = None) -> tuple[rules.CampaignRule, ...]:
    query = Campaign.objects.filter(pk__in=ids) if ids is not None else Campaign.objects.filter(ends_on__gte=since)
    campaigns = list(query.order_by("id"))
    scoped = [c.pk for c in campaigns if c.scope == Campaign.Scope.CATEGORIES]
    codes: dict[int, set[str]] = {pk: set() for pk in scoped}
    if scoped:  # a second statement only when a campaign covers categories
        through = Campaign.categories.through.objects.filter(campaign_id__in=scoped)
        for campaign_id, code in through.values_list("campaign_id", "category__code"):
            codes[campaign_id].add(code)
    return tuple(c.as_rule(frozenset(codes.get(c.pk, ()))) for c in campaigns)


def campaign_rule(campaign_id: int, kept: tuple[rules.CampaignRule, ...]) -> rules.CampaignRule:
    """A coupon's campaign: from the ones kept, or read (an ended campaign's coupon still says 'expired')."""
    for rule in kept:
        if rule.id == campaign_id:
            return rule
    return _read_campaigns(date.min, [campaign_id])[0]


def coupons_by_code(codes: list[str]) -> dict[str, Coupon]:
    """One statement, no lock: the quote's read, and the reason a checkout could not take a code."""
    return {coupon.code: coupon for coupon in Coupon.objects.filter(code__in=codes).order_by("id")}


def coupons_take(codes: list[str]) -> dict[str, Coupon]:
    """The checkout's one statement per sale: each code that still has a use left gets it counted, its row
    locked until the sale commits, and comes back (the count after this use). A second checkout with the
    same code waits on the row, then re-checks the condition against the first one's count (PostgreSQL's
    READ COMMITTED re-evaluates the WHERE on the newest row), so a spent code comes back from neither.
    If the sale then fails, the transaction rolls the count back. Codes missing from the answer are unknown
    or used up: `coupons_by_code` tells which."""
    marks = ", ".join(["%s"] * len(codes))
    # The rows locked in id order (the inner SELECT), as every checkout does: two sales with the same two
    # shared codes never wait on each other crosswise. SQLite locks the whole file and has no FOR UPDATE.
    lock = " ORDER BY id FOR UPDATE" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE promotions_coupon SET uses = uses + 1 "
        f"WHERE id IN (SELECT id FROM promotions_coupon WHERE code IN ({marks}){lock}) "
        "AND (max_uses IS NULL OR uses < max_uses) RETURNING *"
    )
    return {coupon.code: coupon for coupon in Coupon.objects.raw(sql, codes)}


def uses_by_card(coupon: Coupon, card_id: int) -> int:
    return CouponUse.objects.filter(coupon=coupon, card_id=card_id).count()


def campaigns_for_customer(stamp: str, who: rules.Shopper, local) -> list[rules.CampaignRule]:
    """The campaigns a card holder can use now without a coupon, soonest ending first (the customer page)."""
    kept = campaigns_in_force(stamp, local.date())
    return sorted((c for c in kept if rules.open_to_customer(c, who, local)), key=lambda c: (c.ends, c.name))


def personal_coupons(customer_id: int, local) -> list[tuple[str, rules.CampaignRule]]:
    """The customer's own coupons still to use, as (printed code, campaign), usable soonest first: not used
    up, their campaign not ended on the clock `local` (one statement, two when a campaign covers categories)."""
    today = local.date()
    coupons = [
        c
        for c in Coupon.objects.filter(customer_id=customer_id, campaign__ends_on__gte=today).order_by("id")
        if c.max_uses is None or c.uses < c.max_uses
    ]
    found = {r.id: r for r in _read_campaigns(today, list({c.campaign_id for c in coupons}))} if coupons else {}
    offers = [(rules.printed(c.code), found[c.campaign_id]) for c in coupons]
    offers = [(code, rule) for code, rule in offers if local.replace(tzinfo=None) <= rule.ends]
    return sorted(offers, key=lambda o: (o[1].starts, o[1].ends, o[0]))

"""Promotions as pure functions: a campaign's openness (dates on the store's clock, windows, stores,
audience), its benefit on priced lines within the programme's ceiling, and coupon codes. No Django, no
clock: the moment and the randomness are parameters."""

from promotions.rules.campaigns import (
    Audience,
    Benefit,
    CampaignRule,
    Closed,
    Combine,
    Scope,
    Shopper,
    age_on,
    closed_at,
    covers,
    in_audience,
    open_to_customer,
)
from promotions.rules.codes import check_character, is_well_formed, new_code, normalise, printed
from promotions.rules.pricing import CouponOffer, Part, Promoted, promote

__all__ = [
    "Audience", "Benefit", "CampaignRule", "Closed", "Combine", "Scope", "Shopper", "age_on", "closed_at",
    "covers", "in_audience", "open_to_customer", "check_character", "is_well_formed", "new_code", "normalise",
    "printed",
    "CouponOffer", "Part", "Promoted", "promote",
]  # fmt: skip

"""The loyalty rules as pure functions, by sub-domain: the programme's terms, levels, pricing a receipt,
point lots, discount-scale maths, the unearned level discount a refund takes back.

Pure on purpose: the standard library and `core` (plain Python) only; no Django, no clock, no settings.
The moment of a purchase (`at`) is always a parameter, so every rule is tested with plain values and the
services around it (checkout, refund, the nightly job) stay thin. `at` is read as given: `at.weekday()`
and `at.time()` decide time windows, so the caller passes the store's wall-clock time
(`Store.local(at)`, `core.local_time`); instants compared with it (burn dates) compare as instants.

Money and points are `Decimal`; rounding is `core.money`'s (half-up for what is paid, down for what is
given). Callers use the names below (`rules.quote`, `rules.LevelRule`, …), not the modules.
"""

from core.money import CENT, HUNDRED, TENTH, ZERO, round_down, round_money
from loyalty.rules.clawback import (
    CLAWBACK,
    PURCHASE,
    REFUND,
    LineUnearned,
    ReceiptUnearned,
    SoldLine,
    SoldReceipt,
    SpendMove,
    Taking,
    line_unearned,
    spend_around,
    take_back,
    unearned_discounts,
)
from loyalty.rules.errors import (
    DiscountExceedsMargin,
    InsufficientPoints,
    InvalidInput,
    NegativeRedeem,
    RedeemLimitExceeded,
    RuleError,
    UnknownCategory,
)
from loyalty.rules.levels import (
    card_percent,
    inactivity_step,
    level_after_purchase,
    level_after_refund,
    level_by_name,
    level_for_spend,
    next_level,
)
from loyalty.rules.lots import Lot, burning_within, consume_oldest_first, expired_lots
from loyalty.rules.pricing import (
    ContractTerms,
    Line,
    Quote,
    QuotedLine,
    apply_contract,
    line_percent,
    max_redeemable,
    points_multiplier,
    price_lines,
    quote,
    quote_priced,
)
from loyalty.rules.scale import (
    ScaleStep,
    Volume,
    cost_share,
    design_scale,
    required_volume,
    round_up_to_round_number,
    today,
)
from loyalty.rules.terms import CardState, CategoryRule, Kind, LevelRule, Policy, ProgrammeRules, TimeWindowRule

__all__ = [
    "CLAWBACK", "PURCHASE", "REFUND", "LineUnearned", "ReceiptUnearned", "SoldLine", "SoldReceipt", "SpendMove",
    "Taking", "line_unearned", "spend_around", "take_back", "unearned_discounts",
    "CENT", "HUNDRED", "TENTH", "ZERO", "round_down", "round_money",
    "DiscountExceedsMargin", "InsufficientPoints", "InvalidInput", "NegativeRedeem", "RedeemLimitExceeded",
    "RuleError", "UnknownCategory",
    "card_percent", "inactivity_step", "level_after_purchase", "level_after_refund", "level_by_name",
    "level_for_spend", "next_level",
    "Lot", "burning_within", "consume_oldest_first", "expired_lots",
    "Line", "Quote", "QuotedLine", "line_percent", "max_redeemable", "points_multiplier",
    "price_lines", "quote", "quote_priced", "ContractTerms", "apply_contract",
    "ScaleStep", "Volume", "cost_share", "design_scale", "required_volume", "round_up_to_round_number", "today",
    "CardState", "CategoryRule", "Kind", "LevelRule", "Policy", "ProgrammeRules", "TimeWindowRule",
]  # fmt: skip

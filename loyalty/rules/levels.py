"""Levels: which one a spend reaches, what a purchase or a refund does to it, the inactivity step.

A purchase never lowers a level and a refund never raises it (domain.md); a level the programme no
longer knows ranks as base."""

from decimal import Decimal

from core.money import ZERO, round_money
from loyalty.rules.terms import Kind, LevelRule, ProgrammeRules


def _sorted_levels(p: ProgrammeRules) -> list[LevelRule]:
    return sorted(p.levels, key=lambda lv: lv.threshold)


def _has_levels(p: ProgrammeRules) -> bool:
    # A fixed programme ignores any levels configured on it.
    return p.kind != Kind.FIXED and bool(p.levels)


def level_for_spend(p: ProgrammeRules, spend: Decimal) -> LevelRule | None:
    """Highest level whose threshold is reached; thresholds are inclusive (300.00 reaches 300)."""
    reached = [lv for lv in _sorted_levels(p) if lv.threshold <= spend]
    return reached[-1] if reached else None


def level_by_name(p: ProgrammeRules, name: str | None) -> LevelRule | None:
    return next((lv for lv in p.levels if lv.name == name), None) if name is not None else None


def _rank(p: ProgrammeRules, name: str | None) -> int:
    """Position of a level by threshold; base (and a name the programme no longer knows) is -1."""
    level = level_by_name(p, name)
    return _sorted_levels(p).index(level) if level else -1


def _higher(p: ProgrammeRules, a: str | None, b: str | None) -> str | None:
    return a if _rank(p, a) >= _rank(p, b) else b  # ties keep `a`, the stored level


def _lower(p: ProgrammeRules, a: str | None, b: str | None) -> str | None:
    return a if _rank(p, a) <= _rank(p, b) else b


def card_percent(p: ProgrammeRules, level_name: str | None) -> Decimal:
    """The card's own percent: fixed -> base; cumulative -> level (or base); mixed -> the larger."""
    level = level_by_name(p, level_name) if _has_levels(p) else None
    if p.kind == Kind.FIXED or level is None:
        return p.base_percent
    if p.kind == Kind.MIXED:
        return max(p.base_percent, level.percent)
    return level.percent


def next_level(p: ProgrammeRules, level_name: str | None, spend: Decimal) -> tuple[LevelRule, Decimal] | None:
    """The level above the stored one and the spend still needed to reach it (never negative)."""
    if not _has_levels(p):
        return None
    above = _sorted_levels(p)[_rank(p, level_name) + 1 :]
    if not above:
        return None
    target = above[0]
    return target, max(ZERO, round_money(target.threshold - spend))


def level_after_purchase(p: ProgrammeRules, level_name: str | None, spend_after: Decimal) -> str | None:
    """A purchase can only raise the level (domain: a level is never lowered by buying)."""
    if not _has_levels(p):
        return level_name
    reached = level_for_spend(p, spend_after)
    return _higher(p, level_name, reached.name if reached else None)


def level_after_refund(p: ProgrammeRules, level_name: str | None, spend_after: Decimal) -> str | None:
    """A refund can only lower the level: the lower of the stored one and what the spend still reaches."""
    if not _has_levels(p):
        return level_name
    reached = level_for_spend(p, spend_after)
    return _lower(p, level_name, reached.name if reached else None)


def inactivity_step(p: ProgrammeRules, level_name: str | None) -> tuple[str | None, Decimal]:
    """The published inactivity rule: new level and new qualifying spend.

    step_down: one level lower, spend set to that level's threshold, so the next purchase climbs
    from there; reset: back to base with no spend. Base stays base.
    """
    rank = _rank(p, level_name) if _has_levels(p) else -1
    if p.inactivity_action == "reset" or rank <= 0:
        return None, ZERO
    lower = _sorted_levels(p)[rank - 1]
    return lower.name, round_money(lower.threshold)

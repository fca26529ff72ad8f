"""The refusals of the pure rules: members of the one family of `core.errors`, with the codes of api.md."""

from core import errors as core_errors
from core.errors import DomainError


class RuleError(DomainError):
    """A request the rules refuse: one of the family of `core.errors`, with the stable code of api.md."""

    code = "rule_error"


class InvalidInput(RuleError, core_errors.InvalidInput):
    code = "invalid_input"


class NegativeRedeem(InvalidInput):
    code = "invalid_input"


class InsufficientPoints(RuleError):
    code = "insufficient_points"


class RedeemLimitExceeded(RuleError):
    code = "redeem_limit_exceeded"


class UnknownCategory(InvalidInput):
    code = "unknown_category"


class DiscountExceedsMargin(RuleError):
    code = "discount_exceeds_margin"

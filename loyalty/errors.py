"""Domain errors: services raise these; the API maps them to HTTP in one place."""

from loyalty import rules


class DomainError(Exception):
    """A request that conflicts with the rules or the current state.

    `code` is the stable machine code of api.md; `status` the HTTP status the
    API answers with; `message` a sentence a cashier can read out.
    """

    status = 409
    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, details=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class InsufficientPoints(DomainError):
    code = "insufficient_points"


# The pure rules raise their own small errors; this is the HTTP status of each code.
_RULE_STATUS = {
    "invalid_input": 400,
    "unknown_category": 400,
    "insufficient_points": 409,
    "redeem_limit_exceeded": 409,
    "discount_exceeds_margin": 422,
}


def from_rule_error(error: rules.RuleError) -> DomainError:
    return DomainError(error.message, code=error.code, status=_RULE_STATUS.get(error.code, 409))

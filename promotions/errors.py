from core.errors import DomainError


class CouponInvalid(DomainError):
    """A coupon that cannot apply to this sale; `details.reason` says why (api.md's list)."""

    code = "coupon_invalid"

    def __init__(self, code: str, reason: str, message: str):
        super().__init__(message, details={"coupon": code, "reason": reason})

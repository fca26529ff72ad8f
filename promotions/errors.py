from core.errors import DomainError


class CouponInvalid(DomainError):
    """A coupon that cannot apply to this sale; `details.reason` says why (api.md's list)."""

    code = "coupon_invalid"

    def __init__(self, code: str, reason: str, message: str, **params):
        """`message` is the English sentence with {slots} (`params`, {code} is the coupon's): see core.errors."""
        super().__init__(message, details={"coupon": code, "reason": reason}, params={"code": code, **params})

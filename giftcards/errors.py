"""The gift card refusals, by code (statuses in config/api_errors.py)."""

from core.errors import DomainError, InvalidInput, NotFound


def not_found() -> NotFound:
    return NotFound("This gift card is not known here.", code="gift_card_not_found")


def blocked() -> DomainError:
    return DomainError("This gift card is blocked. It cannot be loaded or pay.", code="gift_card_blocked")


def expired() -> DomainError:
    return DomainError("This gift card has expired.", code="gift_card_expired")


def not_active() -> DomainError:
    return DomainError("This gift card was never sold: sell (load) it first.", code="gift_card_not_active")


def insufficient(number: str, balance) -> DomainError:
    return DomainError(
        "Gift card {number} holds {balance}: not enough for this payment.",
        code="insufficient_gift_card_balance",
        params={"number": number, "balance": balance},
        details={"number": number, "balance": str(balance)},
    )


def invalid_amount(message: str, **params) -> InvalidInput:
    """The message says it all (the limits, what is due): no field details for the till to repeat."""
    return InvalidInput(message, code="invalid_amount", params=params)

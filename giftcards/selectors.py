"""Reads of gift cards: the till's body of a card, a receipt's gift card payments and refunds, the
customer's history."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings

from core.local_time import local_date
from core.money import ZERO, money_text

from .models import GiftCard, GiftCardEntry
from .services import is_expired

money = money_text


def gift_card_body(card: GiftCard, at: datetime) -> dict:
    """As api.md fixes it. A card past its date is `expired` before the nightly job has taken its balance."""
    status = GiftCard.Status.EXPIRED if is_expired(card, local_date(at)) else card.status
    return {
        "number": card.number,
        "status": status,
        "balance": money(card.balance),
        "currency": settings.GIFT_CARD_CURRENCY,
        "expires_on": card.expires_on.isoformat() if card.expires_on else None,
    }


def receipt_gift_cards(receipt_id: int) -> tuple[list[dict], dict[int, list[dict]]]:
    """A receipt's gift card payments, and what each of its refunds gave back to which card: one query."""
    paid, back = [], {}
    for entry in (
        GiftCardEntry.objects.filter(receipt_id=receipt_id, kind__in=["pay", "refund"])
        .select_related("gift_card")
        .order_by("id")
    ):
        if entry.kind == "pay":
            paid.append(
                {"number": entry.gift_card.number, "amount": money(-entry.amount),
                 "balance_after": money(entry.balance_after)}
            )  # fmt: skip
        else:
            back.setdefault(entry.refund_id, []).append(
                {"number": entry.gift_card.number, "amount": money(entry.amount)}
            )
    return paid, back


def gift_card_history(card: GiftCard, limit: int = 100) -> list[GiftCardEntry]:
    return list(card.entries.order_by("-id")[:limit])


def paid_total(payments: list[dict]) -> Decimal:
    return sum((Decimal(p["amount"]) for p in payments), ZERO)

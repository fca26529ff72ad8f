"""A card's life after printing: first use, block, replace.

issued --activate--> active --block--> blocked
                     active/blocked --replace--> replaced (its account moves to a new card; a staff
                     card's company account is shared by the new card instead, cards/companies.py)
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cards.locks import card_lock
from cards.models import Card
from cards.numbers import NumberFormatError, normalise
from core.errors import DomainError, InvalidInput
from loyalty.locks import account_lock
from loyalty.models import Programme
from loyalty.services import account_open, account_replace, customer_create

Status = Card.Status


def card_number_checked(raw: str) -> str:
    try:
        return normalise(raw)
    except NumberFormatError as error:
        raise InvalidInput(str(error), code="invalid_card_number") from None


def refuse_unusable(card: Card) -> None:
    """The cashier's 409s: a blocked or replaced card earns and spends nothing."""
    if card.status == Status.BLOCKED:
        raise DomainError("This card is blocked. Ask the customer for another card.", code="card_blocked")
    if card.status == Status.REPLACED:
        raise DomainError("This card was replaced by a new one. Ask for the new card.", code="card_replaced")


def programme_for(card: Card) -> Programme:
    programme = card.batch.programme or Programme.objects.filter(is_default=True).first()
    if programme is None:
        raise DomainError("No loyalty programme is set up: a manager must create one.", code="no_programme")
    return programme


def activate(card: Card, *, name, phone, email="", birthday=None, marketing_consent=False, at: datetime) -> Card:
    """Link a locked, issued card to a new customer with the name sent. A phone already on file links
    nobody: whoever types it must not reach that customer's page or points (api.md)."""
    refuse_unusable(card)
    if card.status == Status.ACTIVE:
        raise DomainError("This card is already active.", code="card_already_active")
    customer = customer_create(
        name=name, phone=phone, email=email, birthday=birthday, marketing_consent=marketing_consent
    )
    card.account = account_open(customer=customer, programme=programme_for(card), at=at)
    card.status = Status.ACTIVE
    card.activated_at = at
    card.save(update_fields=["account", "status", "activated_at"])
    return card


def card_activate(*, number: str, at: datetime | None = None, **customer) -> Card:
    with transaction.atomic(durable=True):
        return activate(card_lock(card_number_checked(number)), at=at or timezone.now(), **customer)


def card_block(*, number: str, reason: str, at: datetime | None = None) -> Card:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the card is blocked.", details={"reason": ["This field is required."]})
    with transaction.atomic(durable=True):
        card = card_lock(card_number_checked(number))
        if card.status in (Status.BLOCKED, Status.REPLACED):
            raise DomainError(
                "This card is already {status}.", code=f"card_{card.status}", params={"status": card.status}
            )
        if card.status == Status.ISSUED:
            raise DomainError("An unused card cannot be blocked; it has nothing to protect.", code="card_not_active")
        card.status, card.blocked_at, card.blocked_reason = Status.BLOCKED, at or timezone.now(), reason
        card.save(update_fields=["status", "blocked_at", "blocked_reason"])
        return card


def card_replace(*, number: str, new_number: str, by=None, at: datetime | None = None, reason: str = "") -> Card:
    """Move customer, spend, level and points to an issued card; the old one is kept as history."""
    with transaction.atomic(durable=True):
        _, new = replace(number, new_number, by=by, at=at or timezone.now(), reason=reason)
        return new


def replace(number: str, new_number: str, *, by, at: datetime, reason: str = "") -> tuple[Card, Card]:
    """The replacement inside the caller's transaction: (old, new), both locked and saved."""
    # Lock both cards in number order, so two replacements (or a replacement and a checkout, which
    # locks one card) never deadlock; the old card's account after both cards (cards/locks.py).
    number, new_number = card_number_checked(number), card_number_checked(new_number)
    if number == new_number:
        raise InvalidInput("The new card must be a different card.", code="same_card")
    locked = {n: card_lock(n) for n in sorted([number, new_number])}
    old, new = locked[number], locked[new_number]
    if old.status == Status.REPLACED:
        raise DomainError("This card was already replaced by a new one.", code="card_replaced")
    if old.status not in (Status.ACTIVE, Status.BLOCKED):
        raise DomainError(
            "Only an active or blocked card can be replaced; this one is {status}.",
            code="card_not_active",
            params={"status": old.status},
        )
    if new.status != Status.ISSUED:
        raise DomainError("The new card must be a fresh, unused card.", code="card_not_issued")
    if old.shares_account:
        # A staff card: the company's account is not the card's to move; the new card shares it in its place.
        new.account, new.shares_account, new.holder_id = old.account, True, old.holder_id
    else:
        why = f"Card {old.number} replaced" + (f" ({reason})" if reason else "")
        new.account = account_replace(account=account_lock(old.account_id, at=at), at=at, by=by, reason=why)
    new.status, new.activated_at = Status.ACTIVE, at
    new.save(update_fields=["account", "shares_account", "holder", "status", "activated_at"])
    old.status, old.replaced_by = Status.REPLACED, new
    if not old.blocked_at:
        old.blocked_at, old.blocked_reason = at, f"Replaced ({reason})" if reason else "Replaced"
    old.save(update_fields=["status", "replaced_by", "blocked_at", "blocked_reason"])
    return old, new

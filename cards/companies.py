"""Staff cards of a business customer: a card joins its company and from then on uses the company's one
account, which all its staff cards share (one spend, one level, one points balance; or no points on contract
terms). What the card had on its own account moves over by ledger rows; its own account stays as history.

Locks, in the checkout's order (cards/locks.py): the card, then the company row (two first cards of one company
open one account), then both accounts by primary key. A checkout of a colleague's card waits on the company
account row and sees the moved points after this commits.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cards.lifecycle import Status, card_number_checked, refuse_unusable
from cards.locks import card_lock
from cards.models import Card, CompanyJoin
from core.errors import DomainError, NotFound
from loyalty.locks import account_lock
from loyalty.models import Account, Company
from loyalty.services import account_join, company_account_open


def card_join_company(*, number: str, company_id: int, by=None, at: datetime | None = None) -> CompanyJoin:
    at = at or timezone.now()
    with transaction.atomic(durable=True):
        card = card_lock(card_number_checked(number))
        refuse_unusable(card)
        if card.status == Status.ISSUED:
            raise DomainError(
                "Activate the card for its holder first; then it can join the company.", code="card_not_active"
            )
        if card.shares_account:
            raise DomainError("This card is already a staff card of a company.", code="card_in_company")
        company = Company.objects.select_for_update().filter(pk=company_id).first()
        if company is None:
            raise NotFound("No such company.", code="company_not_found")
        own_id = card.account_id
        programme = Account.objects.filter(pk=own_id).values_list("programme", flat=True).get()
        if company.account_id is None:
            company.account = company_account_open(company=company, programme=card.account.programme)
        locked = {pk: account_lock(pk, at=at) for pk in sorted([own_id, company.account_id])}
        own, shared = locked[own_id], locked[company.account_id]
        if programme != shared.programme_id:
            raise DomainError(
                f"The card is in the programme {own.programme}, the company's cards in {shared.programme}: "
                "points and levels of two programmes do not add up.",
                code="programme_differs",
            )
        reason = f"Card {card.number} joined {company.name}"
        joined = account_join(account=own, into=shared, at=at, by=by, reason=reason, points=company.earns_points)
        card.holder_id, card.account, card.shares_account = own.customer_id, shared, True
        card.save(update_fields=["holder", "account", "shares_account"])
        return CompanyJoin.objects.create(
            card=card, company=company, from_account=own, into_account=shared, points_moved=joined.points_moved,
            points_kept=joined.points_kept, spend_moved=joined.spend_moved, created_at=at, created_by=by,
        )  # fmt: skip


def staff_cards(company: Company) -> list[Card]:
    """The cards sharing the company's account, by number."""
    if company.account_id is None:
        return []
    return list(Card.objects.filter(account_id=company.account_id, shares_account=True).select_related("holder"))

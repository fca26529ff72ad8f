"""Staff cards of a business customer: a card joins its company and from then on uses the company's one
account, which all its staff cards share (one spend, one level, one points balance; or no points on contract
terms). What the card had on its own account moves over by ledger rows; its own account stays as history.
A staff card leaves its company again (card_leave_company): it goes back to that own account, and nothing moves.

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
from core.errors import DomainError, InvalidInput, NotFound
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


def card_leave_company(
    *, number: str, reason: str, by=None, at: datetime | None = None, company_id: int | None = None
) -> CompanyJoin:
    """A staff card leaves its company (its holder left the firm and keeps the card, or the firm wants it off its
    account): the card uses its holder's own account again, the `from_account` of its join, and is no staff card.

    Nothing moves back. What the card's purchases earned while it was a staff card (points, spend, the level
    they reached) was earned on the company's account and stays with the company; a later refund of such a
    receipt acts on the company's account, where it was made. The own account starts again from what it had
    left: normally nothing (all moved when the card joined), or the points it kept when the company is on
    contract terms; its level follows its own spend from the next purchase on. The join records who, when and
    why (`left_at`, `left_by`, `left_reason`); the card may join a company again later.

    `company_id`, when given, is the company the caller means (the company's admin page): a card of another
    company is refused. Locks as card_join_company: the card, the company row, both accounts by primary key.
    Refused, with nothing changed: an unknown or malformed number, a blocked or replaced card, a card that is
    no staff card (or not of `company_id`), an empty reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the card leaves the company.", details={"reason": ["This field is required."]})
    at = at or timezone.now()
    with transaction.atomic(durable=True):
        card = card_lock(card_number_checked(number))
        refuse_unusable(card)
        join = open_join(card) if card.shares_account else None
        if join is None or (company_id is not None and join.company_id != company_id):
            raise DomainError("This card is not a staff card of the company.", code="card_not_in_company")
        Company.objects.select_for_update().filter(pk=join.company_id).values_list("pk").get()
        for pk in sorted([join.from_account_id, card.account_id]):
            account_lock(pk, at=at)
        card.account_id, card.shares_account, card.holder_id = join.from_account_id, False, None
        card.save(update_fields=["account", "shares_account", "holder"])
        join.left_at, join.left_by, join.left_reason = at, by, reason[:200]
        join.save(update_fields=["left_at", "left_by", "left_reason"])
        return join


def open_join(card: Card) -> CompanyJoin | None:
    """The join a staff card uses: its own, or that of the card it replaced (a replacement keeps the join)."""
    chain, previous = [card.pk], card.pk
    while (previous := Card.objects.filter(replaced_by_id=previous).values_list("pk", flat=True).first()) is not None:
        if previous in chain:
            break
        chain.append(previous)
    joins = CompanyJoin.objects.filter(card_id__in=chain, into_account_id=card.account_id, left_at__isnull=True)
    return joins.order_by("-created_at", "-id").first()


def staff_cards(company: Company) -> list[Card]:
    """The cards sharing the company's account, by number."""
    if company.account_id is None:
        return []
    return list(Card.objects.filter(account_id=company.account_id, shares_account=True).select_related("holder"))

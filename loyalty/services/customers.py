"""Two customer records of one person become one: a manager's step in the admin, never the till's.

Activation never links a card by phone (a phone proves nothing), so the same person can end up as two
records sharing a phone. Accounts belong to cards (one account per card; a customer may hold several), so
merging moves the dropped record's accounts, whole, to the kept one: each account keeps its own ledger
rows, balance, spend and level, and balance == Σ ledger holds for every account before and after. Two
accounts in the same programme under one customer are what a customer with two cards has anyway; nothing
is summed, nothing is rewritten, every receipt stays with the card it was made on.
"""

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.db import transaction

from core.errors import DomainError, InvalidInput, NotFound
from loyalty.models import Account, Customer


def customer_merge(*, keep_id: int, drop_id: int, by) -> Customer:
    """Move every account (and so every card) of `drop_id` to `keep_id`, fill the kept record's blank
    e-mail and birthday from the dropped one, note it in both records' admin history, delete `drop_id`."""
    if keep_id == drop_id:
        raise InvalidInput("Choose two different customers.", code="same_customer")
    with transaction.atomic(durable=True):
        locked = {
            c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[keep_id, drop_id]).order_by("pk")
        }
        if len(locked) != 2:
            raise NotFound("One of the customers no longer exists.", code="customer_not_found")
        keep, drop = locked[keep_id], locked[drop_id]
        if keep.phone != drop.phone:
            raise DomainError("Only records with the same phone are merged.", code="phones_differ")
        # The dropped record's accounts, locked (a checkout waits; its sale lands on the same account). Then
        # moved in a statement of their own, which also sees an account a card replacement opened meanwhile.
        list(Account.objects.select_for_update().filter(customer_id=drop.pk).values_list("pk"))
        cards = list(
            Account.objects.filter(customer_id=drop.pk)
            .order_by("cards__number")
            .values_list("cards__number", flat=True)
        )
        Account.objects.filter(customer_id=drop.pk).update(customer_id=keep.pk)
        drop.held_cards.update(holder=keep)  # the staff cards they hold (their accounts are their companies')
        filled = [field for field in ("email", "birthday") if not getattr(keep, field) and getattr(drop, field)]
        for field in filled:
            setattr(keep, field, getattr(drop, field))
        if filled:
            keep.save(update_fields=filled)
        moved = ", ".join(str(number) for number in cards) or "none"
        was = f"#{drop.pk} {drop.name} ({drop.phone}, e-mail {drop.email or '-'}, birthday {drop.birthday or '-'})"
        LogEntry.objects.log_actions(
            by.pk, [keep], CHANGE,
            f"Merged customer {was} into this record; cards moved: {moved}."
            + (f" Taken over: {', '.join(filled)}." if filled else ""),
            single_object=True,
        )  # fmt: skip
        LogEntry.objects.log_actions(
            by.pk, [drop], DELETION, f"Merged into customer #{keep.pk} {keep.name}; cards moved: {moved}.",
            single_object=True,
        )  # fmt: skip
        drop.delete()
        return keep

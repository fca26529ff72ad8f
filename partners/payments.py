"""Receipts a company pays on account, and the payments that settle them: the facts 'paid on time' is
judged from. Payments come from a manager (admin) or accounting's CSV export; an import run twice records
each payment once (unique reference per receipt)."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction

from core.errors import DomainError, InvalidInput
from core.local_time import local_date
from core.money import ZERO
from loyalty.models import Company
from partners.models import Payment, ReceiptOnAccount
from pos.models import Receipt


class PaymentRefused(DomainError):
    code = "payment_refused"


def receipt_on_account(*, receipt_id: int, at: datetime) -> ReceiptOnAccount:
    """Book a company's receipt on account with today's terms of its company (copied, never looked up later)."""
    with transaction.atomic(durable=True):
        receipt = Receipt.objects.select_related("account__company").get(pk=receipt_id)
        company = receipt.account.company if receipt.account else None
        if company is None:
            raise PaymentRefused(f"Receipt {receipt_id} was not bought on a company's card.")
        found = ReceiptOnAccount.objects.filter(receipt=receipt).first()
        if found:
            return found
        return ReceiptOnAccount.objects.create(
            receipt=receipt, company=company, amount=receipt.total_due,
            due_on=local_date(receipt.created_at) + timedelta(days=company.days_to_pay),
            days_to_pay=company.days_to_pay, prepayment_discount_percent=company.prepayment_discount_percent,
            deferral_surcharge_percent=company.deferral_surcharge_percent, created_at=at,
        )  # fmt: skip


def payment_record(
    *, receipt_id: int, amount: Decimal, paid_on: date, reference: str, source: str, by, at: datetime
) -> Payment:
    with transaction.atomic(durable=True):
        return _record(receipt_id, amount, paid_on, reference, source, by, at)


def _record(receipt_id, amount, paid_on, reference, source, by, at) -> Payment:
    # The charge locked first: two payments of one receipt never both fit into what is still owed.
    charge = ReceiptOnAccount.objects.select_for_update().filter(receipt_id=receipt_id).first()
    if charge is None:
        raise PaymentRefused(f"Receipt {receipt_id} is not on account.")
    if done := charge.payments.filter(reference=reference).first():
        return done  # the same payment imported again
    if amount <= ZERO or amount > charge.amount - charge.paid:
        raise PaymentRefused(f"Receipt {receipt_id}: {amount} is more than the {charge.amount - charge.paid} owed.")
    payment = Payment.objects.create(
        charge=charge, amount=amount, paid_on=paid_on, reference=reference, source=source, recorded_by=by,
        recorded_at=at,
    )  # fmt: skip
    charge.paid += amount
    if charge.paid == charge.amount:
        charge.paid_in_full_on = max(p.paid_on for p in charge.payments.all())
    charge.save(update_fields=["paid", "paid_in_full_on"])
    return payment


BOOKING_BATCH = 1000


def book_receipts_on_account(*, at: datetime) -> int:
    """Every receipt of a company that pays on account, not booked yet, booked with its company's terms of now
    (the daily job runs this; the settlement runs it first, so no receipt of the period escapes its terms).
    Inside the caller's transaction; the receipt's unique booking makes a second run book nothing."""
    companies = {c.pk: c for c in Company.objects.filter(pays_on_account=True)}
    if not companies:
        return 0
    # The companies first, then their staff's receipts through the account index: a join from a million receipts
    # to a handful of companies is the wrong way round.
    waiting = list(
        Receipt.objects.filter(
            account__company__in=list(companies), on_account__isnull=True, total_due__gt=0
        ).values_list("pk", "created_at", "total_due", "account__company_id")
    )
    booked = [
        ReceiptOnAccount(
            receipt_id=pk, company_id=company, amount=amount,
            due_on=local_date(made) + timedelta(days=companies[company].days_to_pay),
            days_to_pay=companies[company].days_to_pay,
            prepayment_discount_percent=companies[company].prepayment_discount_percent,
            deferral_surcharge_percent=companies[company].deferral_surcharge_percent, created_at=at,
        )
        for pk, made, amount, company in waiting
    ]  # fmt: skip
    ReceiptOnAccount.objects.bulk_create(booked, batch_size=BOOKING_BATCH, ignore_conflicts=True)
    return len(booked)


@dataclass(frozen=True)
class PaymentRow:
    receipt_id: int
    amount: Decimal
    paid_on: date
    reference: str


def parse_payments_csv(text: str) -> list[PaymentRow]:
    """Columns receipt,amount,paid_on,reference. Every row is read before anything is written: one bad row
    refuses the file, naming its line."""
    reader = csv.DictReader(io.StringIO(text))
    if set(reader.fieldnames or []) < {"receipt", "amount", "paid_on", "reference"}:
        raise InvalidInput("The file needs the columns receipt,amount,paid_on,reference.")
    rows = []
    for number, row in enumerate(reader, start=2):
        try:
            rows.append(
                PaymentRow(int(row["receipt"]), Decimal(row["amount"]).quantize(Decimal("0.01")),
                           date.fromisoformat(row["paid_on"]), row["reference"].strip()[:60])
            )  # fmt: skip
        except (ValueError, InvalidOperation, TypeError):
            raise InvalidInput(
                f"Line {number}: not a receipt id, an amount, a date YYYY-MM-DD and a reference."
            ) from None
        if not rows[-1].reference:
            raise InvalidInput(f"Line {number}: the reference is empty.")
    return rows


def payments_import(*, text: str, by, at: datetime) -> int:
    """All rows or none: a refusal on any row rolls the whole file back. Returns the payments in the file."""
    rows = parse_payments_csv(text)
    with transaction.atomic(durable=True):
        for row in rows:
            _record(row.receipt_id, row.amount, row.paid_on, row.reference, Payment.Source.IMPORT, by, at)
    return len(rows)

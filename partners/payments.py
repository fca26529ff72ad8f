"""Receipts a company pays on account, and the payments that settle them: the facts 'paid on time' is
judged from. Payments come from a manager (admin) or accounting's CSV export; an import run twice records
each payment once (unique reference per receipt). A refund of a booked receipt lowers what it owes: the
booking's `refunded` follows the receipt's refunds (under its row lock, before a payment is weighed, and in
the nightly booking), and a receipt whose payments and refunds cover it is settled on the later of the two."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import DateTimeField, F, Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate

from core.errors import DomainError, InvalidInput
from core.local_time import local_date, zone
from core.money import ZERO
from loyalty.models import Company
from partners.models import Payment, ReceiptOnAccount
from pos.models import Receipt, Refund


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
    _follow_refunds(charge, *_refunds_of([charge.receipt_id]).get(charge.receipt_id, (ZERO, None)))
    if amount <= ZERO or amount > charge.owed:
        raise PaymentRefused(f"Receipt {receipt_id}: {amount} is more than the {charge.owed} owed.")
    payment = Payment.objects.create(
        charge=charge, amount=amount, paid_on=paid_on, reference=reference, source=source, recorded_by=by,
        recorded_at=at,
    )  # fmt: skip
    charge.paid += amount
    _mark_settled(charge, refunded_on=None)
    charge.save(update_fields=["paid", "refunded", "paid_in_full_on"])
    return payment


def _refunds_of(receipt_ids) -> dict[int, tuple[Decimal, date]]:
    """Per receipt: the money its refunds gave back, and the day of the last one."""
    rows = (
        Refund.objects.filter(receipt_id__in=receipt_ids)
        .values("receipt_id")
        .annotate(total=Sum("amount_refunded"), last=Max("created_at"))
        .values_list("receipt_id", "total", "last")
    )
    return {receipt: (total, local_date(last)) for receipt, total, last in rows}


def _follow_refunds(charge: ReceiptOnAccount, refunded: Decimal, refunded_on: date | None) -> None:
    """On a locked booking: its refunds as they are now (never more than the receipt's amount)."""
    charge.refunded = min(refunded, charge.amount)
    _mark_settled(charge, refunded_on=refunded_on)


def _mark_settled(charge: ReceiptOnAccount, *, refunded_on: date | None) -> None:
    """Settled on the day the last of what covered it came: a payment, or the refund that took the rest away."""
    if charge.paid_in_full_on is not None or charge.paid + charge.refunded < charge.amount:
        return
    days = [p.paid_on for p in charge.payments.all()] + ([refunded_on] if refunded_on and charge.refunded else [])
    charge.paid_in_full_on = max(days)


def follow_refunds() -> int:
    """Inside the caller's transaction (the nightly booking, every settlement): every booking whose receipt was
    refunded since gets its refunds, and is settled if they cover the rest. Set-based (a constant number of
    statements however many receipts): the stale bookings are found, locked in key order, then updated with
    their refunds read by the UPDATE itself, so a refund committed meanwhile is counted too. Returns how many."""
    refunds = Refund.objects.filter(receipt_id=OuterRef("receipt_id")).order_by().values("receipt_id")
    refunded = Least(
        F("amount"), Coalesce(Subquery(refunds.annotate(s=Sum("amount_refunded")).values("s")), Value(ZERO))
    )
    refunded_at = Subquery(refunds.annotate(m=Max("created_at")).values("m"), output_field=DateTimeField())
    refunded_on = TruncDate(refunded_at, tzinfo=zone())
    paid_on = Subquery(
        Payment.objects.filter(charge=OuterRef("pk")).order_by().values("charge").annotate(m=Max("paid_on")).values("m")
    )
    stale = (
        ReceiptOnAccount.objects.filter(receipt_id__in=Refund.objects.values("receipt_id"))
        .annotate(now=refunded)
        .exclude(refunded=F("now"))
        .values_list("pk", flat=True)
    )
    ids = list(
        ReceiptOnAccount.objects.select_for_update()
        .filter(pk__in=list(stale))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    ReceiptOnAccount.objects.filter(pk__in=ids).update(refunded=refunded)
    ReceiptOnAccount.objects.filter(
        pk__in=ids, paid_in_full_on__isnull=True, amount__lte=F("paid") + F("refunded")
    ).update(paid_in_full_on=Greatest(refunded_on, Coalesce(paid_on, refunded_on)))
    return len(ids)


BOOKING_BATCH = 1000


def book_receipts_on_account(*, at: datetime) -> int:
    """Every receipt of a company that pays on account, not booked yet, booked with its company's terms of now
    (the daily job runs this; the settlement runs it first, so no receipt of the period escapes its terms).
    Inside the caller's transaction; the receipt's unique booking makes a second run book nothing."""
    companies = {c.pk: c for c in Company.objects.filter(pays_on_account=True)}
    if not companies:
        follow_refunds()
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
    follow_refunds()
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
        # Every booking of the file locked at once in key order, as the settlement's refund follow-up locks them:
        # two runs never wait on each other in a circle.
        list(
            ReceiptOnAccount.objects.select_for_update()
            .filter(receipt_id__in={r.receipt_id for r in rows})
            .order_by("pk")
        )
        for row in rows:
            _record(row.receipt_id, row.amount, row.paid_on, row.reference, Payment.Source.IMPORT, by, at)
    return len(rows)

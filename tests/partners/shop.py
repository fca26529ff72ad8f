"""Builders for the partners tests: companies with staff cards, partners, receipts and refunds written
directly (the settlement reads them; how the till makes them is tested in tests/pos)."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

from loyalty.models import Category, Company, Partner, PartnerAssignment
from partners.models import Agreement, ChosenLine, Condition
from pos.models import Receipt, ReceiptLine, Refund, RefundLine, Store
from tests.factories import active_card

NOV = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
DEC = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
SETTLED_AT = datetime(2027, 1, 2, 5, 0, tzinfo=UTC)


def company(name="Bau GmbH", vat="DE123456789", **terms) -> Company:
    return Company.objects.create(name=name, vat_id=vat, address="Hauptstr. 1, Berlin", **terms)


def staff_card(firm: Company, name="Max Muster"):
    card = active_card(name=name)
    card.account.company = firm
    card.account.save(update_fields=["company"])
    return card


def receipt(card, amount: str, at: datetime, *, sku="TOOL-1", category="hardware", quantity="1") -> Receipt:
    store, _ = Store.objects.get_or_create(code="central", defaults={"name": "Central"})
    cat, _ = Category.objects.get_or_create(code=category, defaults={"name": category.title()})
    total = D(amount)
    r = Receipt.objects.create(
        store=store, card=card, account=card.account if card else None, created_at=at, subtotal=total,
        discount_total=D("0"), points_redeemed=D("0"), points_redeemed_amount=D("0"), total_due=total,
        points_earned=D("0"),
    )  # fmt: skip
    ReceiptLine.objects.create(
        receipt=r, position=1, sku=sku, category=cat, quantity=D(quantity), unit_price=total / D(quantity),
        subtotal=total, discount_percent=D("0"), discount_amount=D("0"), total=total,
    )  # fmt: skip
    return r


def refund(r: Receipt, amount: str, at: datetime, quantity="1") -> Refund:
    f = Refund.objects.create(
        receipt=r, created_at=at, goods_amount=D(amount), amount_refunded=D(amount),
        points_returned=D("0"), points_reversed=D("0"),
    )  # fmt: skip
    RefundLine.objects.create(refund=f, line=r.lines.get(), quantity=D(quantity), amount=D(amount))
    return f


def retro_bonus(firm: Company, *, plan="10000.00", line_category="paint", **fields) -> Agreement:
    """The worked example: plan met 3 %, paid on time 3 %, the chosen line bought 2 %."""
    agreement = Agreement.objects.create(
        name=f"Retro-bonus {firm.name}", company=firm, valid_from=date(2026, 1, 1), **fields
    )
    Condition.objects.create(agreement=agreement, kind="plan", percent=D("3"), plan=D(plan))
    Condition.objects.create(agreement=agreement, kind="on_time", percent=D("3"))
    Condition.objects.create(agreement=agreement, kind="product_line", percent=D("2"))
    cat, _ = Category.objects.get_or_create(code=line_category, defaults={"name": line_category.title()})
    ChosenLine.objects.create(agreement=agreement, category=cat)
    return agreement


def partner(code="AGENT-7", name="Agentur Nord", user=None) -> Partner:
    return Partner.objects.create(code=code, name=name, user=user)


def assign(p: Partner, card, at: datetime = datetime(2026, 1, 5, tzinfo=UTC)) -> PartnerAssignment:
    return PartnerAssignment.objects.create(customer=card.account.customer, partner=p, source="manager", assigned_at=at)

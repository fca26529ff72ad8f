"""The demo's business customer and partner, through the real services (`loyalty_demo` runs this).

Müller Bau GmbH is the worked example in the shop's last full month: it met its plan, paid every receipt on
account on time and bought the chosen line (dairy), so `settle_period --period <last month> --dry-run`
shows 3 + 3 + 2 = 8 % of the month's purchases. Agentur Nord has a customer and a login for /partner/.
Runs once: the company's VAT id marks it done.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from cards.companies import card_join_company
from cards.lifecycle import card_activate
from cards.models import Card
from cards.services import batch_issue
from core.local_time import day_start, local_date
from loyalty import rules as loyalty_rules
from loyalty.models import Category, Company, ContractDiscount, Partner, PartnerAssignment
from partners import payments
from partners.models import Agreement, ChosenLine, Condition, Tier
from pos.actors import PosActor
from pos.models import Terminal
from pos.services import Basket, checkout

VAT_ID = "DE811234567"
PARTNER_LOGIN = ("partner", "partner-demo")
STAFF = [("Max Müller", "+4915100000101"), ("Lena Müller", "+4915100000102")]
# (day of the month, till, [(sku, category, quantity, price)]): well above the plan, dairy included.
BUYS = [
    (3, 0, [("BREAD-RYE", "bakery", 400, "2.79"), ("APPLE-KG", "produce", 200, "2.49")]),
    (9, 1, [("MILK-1L", "dairy", 300, "1.49"), ("BREAD-RYE", "bakery", 250, "2.79")]),
    (16, 0, [("APPLE-KG", "produce", 400, "2.49")]),
    (23, 1, [("BREAD-RYE", "bakery", 300, "2.79"), ("YOG-500", "dairy", 200, "0.99")]),
]


def last_full_month(now: datetime) -> date:
    return local_date(now).replace(day=1) - timedelta(days=1)


def build_partners_demo(now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    month_end = last_full_month(now)
    if not Company.objects.filter(vat_id=VAT_ID).exists():
        _company(month_end.replace(day=1), now)
        _partner(now)
    return [
        f"Business customer: Müller Bau GmbH (VAT {VAT_ID}); try settle_period --period {month_end:%Y-%m} --dry-run",
        f"Partner page (/partner/): {PARTNER_LOGIN[0]} / {PARTNER_LOGIN[1]} (code NORD-1)",
    ]


def _company(first: date, now: datetime) -> None:
    company = Company.objects.create(
        name="Müller Bau GmbH", vat_id=VAT_ID, address="Industriestraße 5, 10115 Berlin", days_to_pay=14,
        pays_on_account=True,
        prepayment_discount_percent=Decimal("2.00"), deferral_surcharge_percent=Decimal("1.50"),
    )  # fmt: skip
    # Contract prices from today on: bread at 8 % for the staff cards (the month's receipts were before it).
    ContractDiscount.objects.create(
        company=company, sku="BREAD-RYE", percent=Decimal("8.00"), valid_from=local_date(now)
    )
    agreement = Agreement.objects.create(name="Retro-bonus Müller Bau", company=company, valid_from=first)
    Condition.objects.create(agreement=agreement, kind="plan", percent=Decimal("3"), plan=Decimal("2500.00"))
    Condition.objects.create(agreement=agreement, kind="on_time", percent=Decimal("3"))
    Condition.objects.create(agreement=agreement, kind="product_line", percent=Decimal("2"))
    ChosenLine.objects.create(agreement=agreement, category=Category.objects.get(code="dairy"))
    batch = batch_issue(count=len(STAFF), name="Demo business cards")
    cards = list(Card.objects.filter(batch=batch).order_by("number"))
    opened = day_start(first) - timedelta(days=1)
    for card, (name, phone) in zip(cards, STAFF, strict=True):
        card_activate(number=card.number, name=name, phone=phone, at=opened)
        card_join_company(number=card.number, company_id=company.pk, at=opened)  # one account, the company's
    tills = [PosActor(store=t.store, terminal=t) for t in Terminal.objects.select_related("store").order_by("pk")]
    for n, (day, till, lines) in enumerate(BUYS):
        at = day_start(first + timedelta(days=day - 1)) + timedelta(hours=10)
        receipt_id = _buy(tills[till], cards[n % len(cards)], lines, at, key=f"partners-demo-{n}")
        charge = payments.receipt_on_account(receipt_id=receipt_id, at=at)
        payments.payment_record(
            receipt_id=receipt_id, amount=charge.amount, paid_on=min(charge.due_on, local_date(now)),
            reference=f"BANK-{receipt_id}", source="manager", by=None, at=now,
        )  # fmt: skip


def _buy(till: PosActor, card: Card, lines, at: datetime, key: str) -> int:
    basket = Basket(
        lines=tuple(
            loyalty_rules.Line(sku=sku, name=sku, category=category, quantity=Decimal(qty), unit_price=Decimal(price))
            for sku, category, qty, price in lines
        ),
        card_number=card.number,
    )
    _, body, _ = checkout(actor=till, key=key, basket=basket, payload={"demo": key}, at=at)
    return body["receipt_id"]


def _partner(now: datetime) -> None:
    user, created = User.objects.get_or_create(username=PARTNER_LOGIN[0])
    if created:
        user.set_password(PARTNER_LOGIN[1])
        user.save()
    partner = Partner.objects.create(code="NORD-1", name="Agentur Nord", kind="agent", user=user)
    agreement = Agreement.objects.create(
        name="Commission Agentur Nord",
        partner=partner,
        period="quarter",
        valid_from=date(local_date(now).year - 1, 1, 1),
    )
    for threshold, percent in [("0.00", "2"), ("5000.00", "3"), ("10000.00", "4")]:
        Tier.objects.create(agreement=agreement, threshold=Decimal(threshold), percent=Decimal(percent))
    customer = Card.objects.filter(account__customer__name="Bruno Schmidt").values_list("account__customer", flat=True)
    if customer:
        PartnerAssignment.objects.create(
            customer_id=customer[0], partner=partner, source="manager", assigned_at=now - timedelta(days=300)
        )

"""Reads of the customer page /my/: the signed-in card, its level and progress, points that burn soon,
the purchase history, the customer's other cards. Every list is one query, whatever its length."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from cards.models import Card
from core.local_time import chain_zone_name, local_time, zone
from core.money import round_down
from loyalty import rules
from loyalty.models import Account, Category, PointsLot
from loyalty.selectors import card_state, programme_rules
from pos.models import Receipt, ReceiptLine, Refund, Store
from promotions import rules as promotions
from promotions.selectors import campaigns_for_customer, personal_coupons

BURN_SOON_DAYS = 30
RECEIPTS_PER_PAGE = 10  # one row each: a phone's page stays short, the profile below within reach
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LevelProgress:
    level: str | None  # None: no level yet (the base percent)
    discount_percent: Decimal
    spend: Decimal  # level-qualifying spend
    next_level: str | None  # None: at the top, or a programme without levels
    next_percent: Decimal | None
    spend_needed: Decimal | None
    bar_percent: int  # how far from the current level's threshold to the next one, 0..100


@dataclass(frozen=True)
class Burn:
    day: date
    points: Decimal


@dataclass(frozen=True)
class PointsWorth:
    """What the points mean at the checkout, in the programme's terms."""

    points: Decimal
    amount: Decimal  # money off they pay, rounded down like the till (loyalty.rules.pricing.redeem)
    point_value: Decimal  # money value of one point
    cap_percent: Decimal  # points pay at most this share of a purchase's amount after discount

    @property
    def can_pay(self) -> bool:
        return self.point_value > 0 and self.cap_percent > 0


def signed_in_card(card_id: int) -> Card | None:
    """The card in the session, if it may still see the page: blocked or replaced since sign-in, it may not."""
    return (
        Card.objects.select_related("account__customer", "account__programme", "account__level", "holder")
        .filter(pk=card_id, status=Card.Status.ACTIVE, account__isnull=False)
        .first()
    )


def level_progress(account: Account, at: datetime) -> LevelProgress:
    programme = programme_rules(account.programme)
    state = card_state(account, at)
    percent = rules.card_percent(programme, state.level)
    upcoming = rules.next_level(programme, state.level, state.spend)
    if upcoming is None:
        return LevelProgress(state.level, percent, state.spend, None, None, None, 100 if state.level else 0)
    target, needed = upcoming
    current = rules.level_by_name(programme, state.level)
    start = current.threshold if current else ZERO
    span = target.threshold - start
    done = (state.spend - start) / span if span > 0 else Decimal(1)
    bar = int(max(Decimal(0), min(Decimal(1), done)) * 100)  # rounded down: full only once reached
    return LevelProgress(state.level, percent, state.spend, target.name, target.percent, needed, bar)


def points_balance(account: Account, at: datetime) -> Decimal:
    return card_state(account, at).points_balance


def points_worth(account: Account, points: Decimal) -> PointsWorth:
    programme = programme_rules(account.programme)
    cap = min(max(programme.redeem_cap_percent, ZERO), Decimal(100))  # as the till clamps it
    return PointsWorth(points, round_down(points * programme.point_value), programme.point_value, cap)


def customer_zone(account: Account) -> str:
    """The zone a customer's dates are shown in: that of the store they last bought in (this card or the
    cards it replaced), else the chain's. A customer reads "burns on 3 March" by the clock where they shop."""
    last_store = (
        Receipt.objects.filter(account_id__in=card_accounts(account))
        .order_by("-created_at", "-id")
        .values_list("store__time_zone", flat=True)
        .first()
    )
    return last_store or chain_zone_name()


def burning_soon(
    account: Account, at: datetime, days: int = BURN_SOON_DAYS, zone_name: str | None = None
) -> list[Burn]:
    """Points that burn within `days`, summed per day (in `zone_name`, the chain's by default), soonest first."""
    per_day = (
        PointsLot.objects.filter(account=account, remaining__gt=0, expires_at__gt=at)
        .filter(expires_at__lte=at + timedelta(days=days))
        .annotate(day=TruncDate("expires_at", tzinfo=zone(zone_name)))
        .values("day")
        .annotate(points=Sum("remaining"))
        .order_by("day")
    )
    return [Burn(row["day"], row["points"]) for row in per_day]


def card_accounts(account: Account) -> list[int]:
    """This card's account and the accounts of the cards it replaced: their history is this card's history."""
    ids = [account.pk]
    previous = account.replaces_id
    while previous is not None and previous not in ids:  # a chain is short: one query per replaced card
        ids.append(previous)
        previous = Account.objects.filter(pk=previous).values_list("replaces_id", flat=True).first()
    return ids


def card_chain(card: Card) -> list[int]:
    """This card and the cards it replaced, newest first."""
    ids = [card.pk]
    previous = Card.objects.filter(replaced_by_id=card.pk).values_list("pk", flat=True).first()
    while previous is not None and previous not in ids:  # a chain is short: one query per replaced card
        ids.append(previous)
        previous = Card.objects.filter(replaced_by_id=previous).values_list("pk", flat=True).first()
    return ids


def purchase_history(card: Card) -> QuerySet[Receipt]:
    """Receipts of this card (and the cards it replaced), newest first: one row each, the receipt's page
    (`receipt_of`) has the lines and refunds. A staff card sees its own receipts only: its account is the
    company's, and a colleague's purchases are not this holder's to read. A card that left its company keeps
    the receipts it made as a staff card (on the company's account) beside those of its own account."""
    mine = Q(card_id__in=card_chain(card))
    if not card.shares_account:
        mine |= Q(account_id__in=card_accounts(card.account))
    return Receipt.objects.filter(mine).select_related("store", "card").order_by("-created_at", "-id")


def receipt_of(card: Card, receipt_id: int) -> Receipt | None:
    """One receipt of this card (or a card it replaced) with its lines, their discounts and its refunds;
    None for anyone else's receipt, so that another customer's receipt is as unknown as a missing one."""
    lines = Prefetch(
        "lines",
        queryset=ReceiptLine.objects.select_related("discount__campaign").order_by("position"),
    )
    refunds = Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id"))
    return purchase_history(card).filter(pk=receipt_id).prefetch_related(lines, refunds).first()


def history_page(card: Card, page: str | int | None) -> Page:
    return Paginator(purchase_history(card), RECEIPTS_PER_PAGE).get_page(page)


def other_cards(card: Card, at: datetime) -> list[Card]:
    """The customer's other active cards (family cards), each with its live points balance, in one query."""
    burned = (
        PointsLot.objects.filter(account=OuterRef("account"), remaining__gt=0, expires_at__lte=at)
        .values("account")
        .annotate(total=Sum("remaining"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return list(
        Card.objects.filter(status=Card.Status.ACTIVE)
        .filter(Q(account__customer_id=card.customer.pk, shares_account=False) | Q(holder_id=card.customer.pk))
        .exclude(pk=card.pk)
        .select_related("account__level")
        .annotate(
            live_points=ExpressionWrapper(
                F("account__points_balance")
                - Coalesce(Subquery(burned, output_field=money), Value(ZERO, output_field=money)),
                output_field=money,
            )
        )
        .order_by("number")
    )


def chain_currency() -> str:
    """One programme across the chain, so one currency: the stores'."""
    return Store.objects.order_by("code").values_list("currency", flat=True).first() or "EUR"


def campaigns_now(account: Account, at: datetime, zone_name: str) -> list:
    """The campaigns this customer can use now, on the clock of the store they shop at."""
    state = card_state(account, at)
    who = promotions.Shopper(has_card=True, level=state.level, birthday=account.customer.birthday)
    return campaigns_for_customer(account.programme.terms_stamp, who, local_time(at, zone_name))


@dataclass(frozen=True)
class Offer:
    """A campaign or a personal coupon as the customer reads it: what it gives, on what, until when."""

    name: str
    benefit: str  # promotions.rules.Benefit
    value: Decimal
    min_basket: Decimal
    starts: datetime  # the store's wall clock
    ends: datetime
    covers: tuple[str, ...]  # category names, or SKUs; empty: everything not excluded
    code: str = ""  # a personal coupon's printed code
    started: bool = True


def offers_now(account: Account, at: datetime, zone_name: str) -> dict[str, list[Offer]]:
    """The campaigns this customer can use now (no coupon needed) and their own coupons still to use,
    on the clock of the store they shop at."""
    local = local_time(at, zone_name)
    campaigns = campaigns_now(account, at, zone_name)
    coupons = personal_coupons(account.customer_id, local)
    wanted = {code for rule in [*campaigns, *(r for _, r in coupons)] for code in rule.categories}
    names = dict(Category.objects.filter(code__in=wanted).values_list("code", "name")) if wanted else {}
    wall = local.replace(tzinfo=None)
    return {
        "campaigns": [_offer(rule, names) for rule in campaigns],
        "coupons": [_offer(rule, names, code=code, started=rule.starts <= wall) for code, rule in coupons],
    }


def _offer(rule: promotions.CampaignRule, names: dict[str, str], code: str = "", started: bool = True) -> Offer:
    if rule.scope == promotions.Scope.CATEGORIES:
        covers = tuple(sorted(names.get(c, c) for c in rule.categories))
    elif rule.scope == promotions.Scope.SKUS:
        covers = tuple(sorted(rule.skus))
    else:
        covers = ()
    return Offer(rule.name, rule.benefit, rule.value, rule.min_basket, rule.starts, rule.ends, covers, code, started)

"""Coupons in a sale: found and checked for the till, their use recorded once, and batches issued.

Checkout (pos/services.py) is the transaction boundary: it locks the card, then asks `coupons_for_sale`
with `lock=True`, which takes each code's use (counted, its row locked: one statement), then prices, then
writes the use rows (`coupon_use_rows`) in the statement that writes its discount register. A second
checkout with the same code waits on the row lock and then finds no use left; a sale that fails after
taking a code rolls its count back.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction

from core.errors import InvalidInput
from promotions import rules
from promotions.errors import CouponInvalid
from promotions.models import Campaign, Coupon, CouponBatch, CouponUse
from promotions.selectors import campaign_rule, coupons_by_code, coupons_take, uses_by_card

MAX_BATCH = 1_000_000


@dataclass(frozen=True)
class SaleCoupon:
    code: str
    coupon: Coupon
    offer: rules.CouponOffer


def coupons_for_sale(
    codes: Sequence[str], *, card_id: int | None, kept: tuple[rules.CampaignRule, ...], lock: bool,
    customer_id: int | None = None,
) -> list[SaleCoupon]:  # fmt: skip
    """The coupons the till sent, each found and within its limits, or CouponInvalid with the reason.
    With `lock` (the checkout), each code's use is taken at once (`coupons_take`: counted and its row
    locked, one statement); a refusal after that rolls the count back with the sale. Whether its campaign
    applies to this basket is the rules' question (promotions.rules.promote)."""
    wanted = list(dict.fromkeys(rules.normalise(code) for code in codes))
    if not wanted:
        return []
    taken = coupons_take(wanted) if lock else {}
    missing = [code for code in wanted if code not in taken]
    found = taken | (coupons_by_code(missing) if missing else {})
    sale = []
    for code in wanted:
        coupon = found.get(code)
        if coupon is None:
            typo = len(code) == rules.codes.BODY + 1 and not rules.is_well_formed(code)
            raise CouponInvalid(
                code,
                "not_found",
                "Coupon {code} is not known. It looks mistyped: check the code."
                if typo
                else "Coupon {code} is not known.",
            )
        if code in taken:  # its total limit held when it was taken; the count already includes this use
            _refuse_per_card(coupon, card_id)
        else:
            _refuse_spent(coupon, card_id)
            if lock:  # left with a use, yet not taken: another till took the last one and is still paying
                raise CouponInvalid(code, "limit_reached", "Coupon {code} is being used at another till.")
        _refuse_someone_elses(coupon, customer_id)
        sale.append(SaleCoupon(code, coupon, rules.CouponOffer(code, campaign_rule(coupon.campaign_id, kept))))
    return sale


def _refuse_spent(coupon: Coupon, card_id: int | None) -> None:
    if coupon.max_uses is not None and coupon.uses >= coupon.max_uses:
        if coupon.max_uses == 0:  # a bonus coupon whose statement was reversed (partners.payouts.take_back)
            raise CouponInvalid(coupon.code, "limit_reached", "Coupon {code} has been withdrawn.")
        if coupon.single_use:
            raise CouponInvalid(
                coupon.code, "used", "Coupon {printed} has already been used.", printed=rules.printed(coupon.code)
            )
        raise CouponInvalid(coupon.code, "limit_reached", "Coupon {code} has been used up.")
    _refuse_per_card(coupon, card_id)


def _refuse_per_card(coupon: Coupon, card_id: int | None) -> None:
    """Asked only of a code with a limit per card: the card row is locked first, so its count holds."""
    if coupon.max_uses_per_card is not None:
        if card_id is None:
            raise CouponInvalid(coupon.code, "not_applicable", "Coupon {code} needs a customer card.")
        if uses_by_card(coupon, card_id) >= coupon.max_uses_per_card:
            raise CouponInvalid(coupon.code, "limit_reached", "This card has used coupon {code} already.")


def _refuse_someone_elses(coupon: Coupon, customer_id: int | None) -> None:
    """A personal coupon is for its customer's cards only: a walk-in or another card is told so."""
    if coupon.customer_id is None or coupon.customer_id == customer_id:
        return
    if customer_id is None:
        raise CouponInvalid(coupon.code, "not_applicable", "Coupon {code} is personal: scan the customer's card.")
    raise CouponInvalid(coupon.code, "not_applicable", "Coupon {code} belongs to another customer.")


def coupon_use_rows(
    *, used: Sequence[SaleCoupon], given: dict[str, Decimal], card_id: int | None, receipt_id: int, at: datetime
) -> tuple[type[CouponUse], list[dict]]:
    """Each coupon's use on this receipt, as rows for the checkout to write with its register (one statement
    for both on PostgreSQL: core.rows.insert's `along`). `coupons_for_sale` counted the use already."""
    return CouponUse, [
        {"coupon": c.coupon.pk, "card": card_id, "receipt_id": receipt_id, "discount": given[c.code], "created_at": at}
        for c in used
    ]


def coupon_batch_issue(
    *, campaign: Campaign, count: int, name: str = "", by=None, new_code: Callable[[], str] = rules.new_code
) -> CouponBatch:
    """`count` single-use codes for `campaign`, random (never sequential); a clash with an existing code
    (odds about 1 in 7 billion per code) is drawn again."""
    if not 1 <= count <= MAX_BATCH:
        raise InvalidInput("A batch has 1 to {most:,} coupons.", params={"most": MAX_BATCH})
    with transaction.atomic():
        batch = CouponBatch.objects.create(campaign=campaign, name=name, count=count, created_by=by)
        codes: set[str] = set()
        while len(codes) < count:
            fresh = {new_code() for _ in range(count - len(codes))} - codes
            fresh -= set(Coupon.objects.filter(code__in=fresh).values_list("code", flat=True))
            codes |= fresh
        for chunk in _chunks(sorted(codes), 5000):
            Coupon.objects.bulk_create(Coupon(code=code, campaign=campaign, batch=batch, max_uses=1) for code in chunk)
        return batch


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def campaign_with_coupons_issue(
    *, count: int, percent: Decimal | None, amount: Decimal | None, min_basket: Decimal, days: int, name: str,
    today: date, by=None,
) -> CouponBatch:  # fmt: skip
    """The command's campaign: from today for `days` days, on every category that is not excluded (the
    rules keep excluded ones out), unlocked by `count` single-use codes."""
    with transaction.atomic(durable=True):
        campaign = Campaign.objects.create(
            name=name or f"Coupons {today:%d.%m.%Y}",
            starts_on=today,
            ends_on=today + timedelta(days=days - 1),
            benefit=Campaign.Benefit.PERCENT if percent is not None else Campaign.Benefit.AMOUNT_PER_RECEIPT,
            value=percent if percent is not None else amount,
            min_basket=min_basket,
            needs_coupon=True,
        )
        return coupon_batch_issue(campaign=campaign, count=count, name=name, by=by)

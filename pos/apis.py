"""The POS REST API of api.md: one view per action, no logic beyond calling services."""

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cards.lifecycle import card_number_checked
from cards.models import Card
from core import money
from core.errors import InvalidInput, NotFound
from core.text import printable
from loyalty import rules
from loyalty.models import Category, birthday_on_calendar
from loyalty.services import normalise_phone
from pos import basket_parse
from pos.authentication import CashierSessionAuthentication, IsPosActor, TerminalTokenAuthentication
from pos.basket_parse import plain_basket
from pos.models import CardReplacement, Product, Refund
from pos.refunds import RefundRequest, receipt_refund
from pos.selectors import (
    card_body,
    card_with_account,
    customers_to_identify,
    receipt_body,
    receipt_for_store,
    receipt_not_here,
    receipts_found,
)
from pos.services import Basket, card_activate_at_till, card_replace_at_till, checkout, checkout_quote
from pos.throttling import CustomerSearchThrottle, TerminalThrottle

MAX_LINES = 500
# The limits of core/money.py, which the admin and the CSV import share: absurd numbers are a 400,
# never a database overflow.
MAX_QUANTITY = money.MAX_QUANTITY
MAX_UNIT_PRICE = money.MAX_PRICE
MAX_BASKET = money.MAX_SALE
MAX_COUPONS = 10
MAX_GIFT_CARDS = basket_parse.MAX_GIFT_CARDS


class PosView(APIView):
    authentication_classes = [TerminalTokenAuthentication, CashierSessionAuthentication]
    permission_classes = [IsPosActor]
    throttle_classes = [TerminalThrottle]  # per terminal, and per cashier on the screen (pos/throttling.py)

    @property
    def actor(self):
        return self.request.auth


def idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not 1 <= len(key) <= 64:
        raise InvalidInput(
            "Send an Idempotency-Key header of 1 to 64 characters, the same on every retry.",
            code="idempotency_key_required",
        )
    return key


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="1–64 characters; a retry with the same key and body replays the first answer.",
)  # fmt: skip


# --- serializers ----------------------------------------------------------------------------


class UnsignedZeroDecimalField(serializers.DecimalField):
    """DRF's DecimalField, reading "-0" as 0: a signed zero would be stored and answered as "-0.00"."""

    def to_internal_value(self, data):
        return money.unsigned(super().to_internal_value(data))


def money_field(**kwargs):
    return UnsignedZeroDecimalField(max_digits=12, decimal_places=2, min_value=rules.ZERO, **kwargs)


def amount_field(**kwargs):
    """A gift card amount: any well-formed money string. Below zero or beyond the limits is the service's
    400 `invalid_amount` (api.md "Gift cards"), not a field error."""
    return UnsignedZeroDecimalField(max_digits=12, decimal_places=2, **kwargs)


def quantity_field():
    return UnsignedZeroDecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"), max_value=MAX_QUANTITY)


class NextLevelOut(serializers.Serializer):
    name = serializers.CharField()
    discount_percent = serializers.CharField()
    spend_needed = serializers.CharField()


class CustomerOut(serializers.Serializer):
    display_name = serializers.CharField()


class CardOut(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=["issued", "active", "blocked", "replaced"])
    customer = CustomerOut(allow_null=True)
    discount_percent = serializers.CharField()
    level = serializers.CharField(allow_null=True)
    points_balance = serializers.CharField()
    spend_total = serializers.CharField()
    next_level = NextLevelOut(allow_null=True)


class ActivateIn(serializers.Serializer):
    name = serializers.CharField(max_length=120, validators=[printable])
    phone = serializers.CharField(max_length=40)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    birthday = serializers.DateField(required=False, allow_null=True, default=None, validators=[birthday_on_calendar])
    marketing_consent = serializers.BooleanField(required=False, default=False)
    partner_code = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="",
        help_text="The code of the partner (agent, affiliate, reseller) who brought the customer.",
    )  # fmt: skip


class ReplaceIn(serializers.Serializer):
    new_card_number = serializers.CharField(max_length=40, help_text="An issued (fresh) card.")
    reason = serializers.ChoiceField(choices=CardReplacement.Reason.choices)


class CustomerSearchIn(serializers.Serializer):
    phone = serializers.CharField(max_length=40)
    birthday = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="The birthday the customer says; checked, never shown."
    )


class IdentifiedCardOut(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", "blocked"])
    level = serializers.CharField(allow_null=True)
    points_balance = serializers.CharField()


class IdentifiedCustomerOut(serializers.Serializer):
    display_name = serializers.CharField(help_text="Shortened: 'Anna K.'")
    birthday_matches = serializers.BooleanField(allow_null=True, help_text="null when no birthday was sent")
    cards = IdentifiedCardOut(many=True, help_text="Empty unless the birthday matches.")


class CustomerSearchOut(serializers.Serializer):
    customers = IdentifiedCustomerOut(many=True)


class LineIn(serializers.Serializer):
    # Printable only, as pos/basket_parse.py reads the plain case: a code or name is printed on the receipt.
    sku = serializers.CharField(max_length=40, validators=[printable])
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="", validators=[printable])
    category = serializers.CharField(max_length=40, validators=[printable])
    quantity = quantity_field()
    unit_price = money_field(max_value=MAX_UNIT_PRICE)


class GiftCardPaymentIn(serializers.Serializer):
    number = serializers.CharField(max_length=40, help_text="The gift card's number (29…), scanned or typed.")
    amount = amount_field(help_text="Above 0.00; together at most total_due (else 400 invalid_amount).")


class BasketIn(serializers.Serializer):
    card_number = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)
    lines = serializers.ListField(child=LineIn(), min_length=1, max_length=MAX_LINES)
    redeem_points = money_field(required=False, default=rules.ZERO, max_value=MAX_BASKET)
    coupons = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=MAX_COUPONS,
        help_text="Coupon codes scanned or typed (dashes and spaces ignored).",
    )  # fmt: skip
    gift_card_payments = serializers.ListField(
        child=GiftCardPaymentIn(), required=False, default=list, max_length=MAX_GIFT_CARDS,
        help_text="Gift cards paying part or all of total_due (api.md, Gift cards).",
    )  # fmt: skip

    def validate_lines(self, lines):
        # Unknown categories are refused by the checkout itself (pos.services.refuse_unknown_categories),
        # against the category table it prices with, which each process keeps: no query here.
        if sum(ln["quantity"] * ln["unit_price"] for ln in lines) > MAX_BASKET:
            raise serializers.ValidationError(f"A basket above {MAX_BASKET:,} is not a real sale.")
        return lines

    def basket(self) -> Basket:
        data = self.validated_data
        return Basket(
            lines=tuple(
                rules.Line(
                    sku=ln["sku"],
                    name=ln["name"],
                    category=ln["category"],
                    quantity=ln["quantity"],
                    unit_price=ln["unit_price"],
                )  # fmt: skip
                for ln in data["lines"]
            ),
            card_number=data["card_number"] or None,
            redeem_points=data["redeem_points"],
            coupons=tuple(data["coupons"]),
            gift_card_payments=tuple((p["number"], p["amount"]) for p in data["gift_card_payments"]),
        )


class DiscountOut(serializers.Serializer):
    source = serializers.ChoiceField(choices=["card", "campaign", "coupon"])
    name = serializers.CharField()
    percent = serializers.CharField()
    amount = serializers.CharField()


class CouponOut(serializers.Serializer):
    code = serializers.CharField()
    discount = serializers.CharField()


class QuoteLineOut(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    quantity = serializers.CharField()
    unit_price = serializers.CharField()
    subtotal = serializers.CharField()
    discount_percent = serializers.CharField()
    discount_amount = serializers.CharField()
    total = serializers.CharField()
    discounts = DiscountOut(many=True, required=False, help_text="Where the line's discount came from.")


class GiftCardPaymentOut(serializers.Serializer):
    number = serializers.CharField()
    amount = serializers.CharField()
    balance_after = serializers.CharField()


class GiftCardRefundOut(serializers.Serializer):
    number = serializers.CharField()
    amount = serializers.CharField()


class QuoteOut(serializers.Serializer):
    subtotal = serializers.CharField()
    discount_total = serializers.CharField()
    points_redeemed = serializers.CharField()
    points_redeemed_amount = serializers.CharField(help_text="Money value of the points redeemed.")
    total_due = serializers.CharField()
    points_earned = serializers.CharField()
    max_redeemable_points = serializers.CharField()
    lines = QuoteLineOut(many=True)
    card = CardOut(allow_null=True)
    coupons = CouponOut(many=True, required=False, help_text="Only when coupons were sent.")
    gift_card_payments = GiftCardPaymentOut(many=True, required=False, help_text="Only when gift cards pay.")
    due_after_gift_cards = serializers.CharField(required=False, help_text="total_due − Σ gift card amounts.")


class CheckoutOut(QuoteOut):
    receipt_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    store = serializers.CharField()
    terminal = serializers.CharField(allow_null=True)


class RefundLineIn(serializers.Serializer):
    sku = serializers.CharField(max_length=40, validators=[printable])
    quantity = quantity_field()


class RefundIn(serializers.Serializer):
    lines = serializers.ListField(child=RefundLineIn(), max_length=MAX_LINES, required=False, default=list)
    reason = serializers.ChoiceField(
        choices=Refund.Reason.choices, required=False, default="", help_text="Why the goods came back (the till asks)."
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", validators=[printable])


class ClawbackLineOut(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.CharField(help_text="Still kept by the customer (not refunded).")
    percent_given = serializers.CharField()
    percent_earned = serializers.CharField()
    unearned = serializers.CharField()


class ClawbackOut(serializers.Serializer):
    """Level discount a later receipt got at a level the refunded spend had reached."""

    receipt_id = serializers.IntegerField(help_text="The later receipt the discount is taken back on.")
    level_given = serializers.CharField(allow_null=True)
    level_earned = serializers.CharField(allow_null=True, help_text="Its level without the refunded spend.")
    unearned = serializers.CharField(help_text="Unearned on that receipt in all, after this refund.")
    kept = serializers.CharField(help_text="Kept from this refund's cash (negative: paid back).")
    recorded = serializers.CharField(help_text="Recorded, not kept (negative: an earlier record cleared).")
    lines = ClawbackLineOut(many=True, required=False, help_text="In the refund's answer.")
    created_at = serializers.CharField(required=False, help_text="In the stored receipt's refunds.")


class RefundOut(serializers.Serializer):
    refund_id = serializers.IntegerField()
    receipt_id = serializers.IntegerField()
    amount_refunded = serializers.CharField()
    points_returned = serializers.CharField()
    points_reversed = serializers.CharField()
    points_shortfall = serializers.CharField()
    clawback_kept = serializers.CharField(help_text="Σ clawbacks kept: already out of amount_refunded.")
    clawback_recorded = serializers.CharField()
    clawbacks = ClawbackOut(many=True)
    lines = RefundLineIn(many=True)
    reason = serializers.CharField(help_text="As sent; empty when none was.")
    note = serializers.CharField()
    card = CardOut(allow_null=True)
    gift_card_refunds = GiftCardRefundOut(
        many=True, required=False, help_text="When gift cards paid the receipt: what went back to each."
    )
    cash_refunded = serializers.CharField(required=False, help_text="amount_refunded − Σ gift_card_refunds.")


class ClawbackTakenOut(ClawbackOut):
    refund_id = serializers.IntegerField()
    refunded_receipt_id = serializers.IntegerField()


class ReceiptOut(CheckoutOut):
    refunds = RefundOut(many=True)
    clawbacks_taken = ClawbackTakenOut(many=True)


class CategoryOut(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "discount_policy", "max_discount_percent", "earns_points"]


class ProductOut(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    price = serializers.CharField()

    class Meta:
        model = Product
        fields = ["sku", "barcode", "name", "category", "price"]


def basket_in(data) -> Basket:
    """The basket of a quote or checkout: the plain case read directly (pos/basket_parse.py), the rest by BasketIn."""
    plain = plain_basket(
        data, max_lines=MAX_LINES, max_quantity=MAX_QUANTITY, max_price=MAX_UNIT_PRICE, max_basket=MAX_BASKET
    )
    return plain or valid(BasketIn, data).basket()


def valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer


# --- views ----------------------------------------------------------------------------------


class CardDetailApi(PosView):
    @extend_schema(responses=CardOut, summary="A card as the till sees it")
    def get(self, request, number):
        at = timezone.now()
        card = card_with_account(card_number_checked(number), at)
        if card is None:
            raise NotFound("This card is not known here.", code="card_not_found")
        return Response(card_body(card, at))


class CardActivateApi(PosView):
    @extend_schema(request=ActivateIn, responses={201: CardOut}, summary="First use: link an issued card")
    def post(self, request, number):
        data = valid(ActivateIn, request.data).validated_data
        card = card_activate_at_till(actor=self.actor, number=number, at=timezone.now(), **data)
        at = timezone.now()
        return Response(card_body(card_with_account(card.number, at), at), status=201)


class CardReplaceApi(PosView):
    @extend_schema(
        request=ReplaceIn, responses={201: CardOut}, parameters=[IDEMPOTENCY_HEADER],
        summary="Move a lost or worn card's customer, level, spend and points to an issued card",
    )  # fmt: skip
    def post(self, request, number):
        key = idempotency_key(request)
        data = valid(ReplaceIn, request.data).validated_data
        status, body, replayed = card_replace_at_till(
            actor=self.actor, key=key, number=number, new_number=data["new_card_number"], reason=data["reason"],
            payload=request.data, at=timezone.now(),
        )  # fmt: skip
        return replay_aware(body, status, replayed)


class CustomerSearchApi(PosView):
    """Before a replacement: find a customer by phone, check the name and birthday they tell."""

    # The terminal's own bucket, and a much tighter one of its own: a phone search is identity data.
    throttle_classes = [TerminalThrottle, CustomerSearchThrottle]

    @extend_schema(
        request=CustomerSearchIn, responses=CustomerSearchOut,
        summary="Find who holds a card under a phone; with the birthday they tell, their cards",
    )  # fmt: skip
    def post(self, request):
        data = valid(CustomerSearchIn, request.data).validated_data
        return Response({"customers": customers_to_identify(normalise_phone(data["phone"]), data["birthday"])})


class CategoryListApi(PosView):
    @extend_schema(responses=CategoryOut(many=True), summary="The chain's product categories")
    def get(self, request):
        return Response(CategoryOut(Category.objects.order_by("code"), many=True).data)


class ProductLookupApi(PosView):
    @extend_schema(responses=ProductOut, summary="A product by barcode or SKU (for scanning goods)")
    def get(self, request, code):
        code = code.strip()
        if not (code.isprintable() and len(code) <= Product._meta.get_field("sku").max_length):
            raise NotFound("No product has this barcode.", code="product_not_found")  # no product's code: no lookup
        product = (
            Product.objects.select_related("category").filter(barcode=code).first()
            or Product.objects.select_related("category").filter(sku=code).first()
        )
        if product is None:
            raise NotFound("No product has this barcode.", code="product_not_found")
        return Response(ProductOut(product).data)


class QuoteApi(PosView):
    @extend_schema(request=BasketIn, responses=QuoteOut, summary="Price a basket; writes nothing")
    def post(self, request):
        basket = basket_in(request.data)
        return Response(checkout_quote(basket=basket, at=timezone.now(), store=self.actor.store))


class CheckoutApi(PosView):
    @extend_schema(
        request=BasketIn, responses={201: CheckoutOut}, parameters=[IDEMPOTENCY_HEADER], summary="Commit a basket"
    )
    def post(self, request):
        key = idempotency_key(request)
        basket = basket_in(request.data)
        status, body, replayed = checkout(
            actor=self.actor, key=key, basket=basket, payload=request.data, at=timezone.now()
        )
        return replay_aware(body, status, replayed)


class ReceiptDetailApi(PosView):
    @extend_schema(responses=ReceiptOut, summary="A receipt of this store, with its refunds")
    def get(self, request, receipt_id):
        receipt = receipt_for_store(receipt_id, self.actor.store.pk)
        if receipt is None:
            raise receipt_not_here(receipt_id)
        return Response(receipt_body(receipt, timezone.now()))


class ReceiptSearchIn(serializers.Serializer):
    card = serializers.CharField(required=False, max_length=40, help_text="A card of the customer's (any of theirs).")
    date = serializers.DateField(required=False, help_text="YYYY-MM-DD, on the store's clock.")
    amount = money_field(required=False, max_value=MAX_BASKET, help_text="The total paid, exactly.")
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=10_000)


class ReceiptFoundOut(serializers.Serializer):
    receipt_id = serializers.IntegerField()
    created_at = serializers.CharField()
    total_due = serializers.CharField()
    refunded_amount = serializers.CharField()
    card_number = serializers.CharField(allow_null=True)
    line_count = serializers.IntegerField()


class ReceiptSearchOut(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = ReceiptFoundOut(many=True)


class ReceiptSearchApi(PosView):
    @extend_schema(
        operation_id="receipts_search", parameters=[ReceiptSearchIn], responses=ReceiptSearchOut,
        summary="This store's receipts by card, day and amount, newest first, 20 a page",
    )  # fmt: skip
    def get(self, request):
        query = valid(ReceiptSearchIn, request.query_params).validated_data
        card = None
        if query.get("card"):
            card = Card.objects.filter(number=card_number_checked(query["card"])).first()
            if card is None:
                return Response({"count": 0, "page": query["page"], "pages": 1, "results": []})
        found = receipts_found(
            self.actor.store, card=card, day=query.get("date"), amount=query.get("amount"), page=query["page"]
        )
        return Response(found)


class RefundApi(PosView):
    @extend_schema(
        request=RefundIn, responses={201: RefundOut}, parameters=[IDEMPOTENCY_HEADER], summary="Refund lines"
    )
    def post(self, request, receipt_id):
        key = idempotency_key(request)
        data = valid(RefundIn, request.data).validated_data
        refund_request = RefundRequest(
            lines=tuple((ln["sku"], ln["quantity"]) for ln in data["lines"]), reason=data["reason"], note=data["note"]
        )
        status, body, replayed = receipt_refund(
            actor=self.actor, receipt_id=receipt_id, key=key, request=refund_request, payload=request.data,
            at=timezone.now(),
        )  # fmt: skip
        return replay_aware(body, status, replayed)


def replay_aware(body, status, replayed) -> Response:
    response = Response(body, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response

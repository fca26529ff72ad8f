"""A textbook DRF checkout, for bench/pos_bench.py to compare the real one against. Benchmarks only.

Written the way a typical DRF tutorial would: ModelSerializers, the ORM for every step, one
statement per row, no caching, no bulk writes, no hand-written SQL. It is deliberately NOT
optimised; do not "fix" it, and never route it in the product (pos/services.py is the checkout).
Simplified rules: no points redemption, no time windows, no expiry of old lots.
"""

import hashlib
import json
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cards.models import Card
from loyalty.models import Account, Category, PointsEntry, PointsLot, SpendEntry
from pos.actors import hash_token
from pos.models import DiscountEntry, IdempotencyRecord, Receipt, ReceiptLine, Terminal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ENDPOINT = "textbook-checkout"


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- authentication ---------------------------------------------------------------------------


class TerminalTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <token>`, looked up with the ORM on every request."""

    keyword = "Token"

    def authenticate(self, request):
        auth = authentication.get_authorization_header(request).split()
        if not auth or auth[0].lower() != self.keyword.lower().encode():
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            token = auth[1].decode()
            terminal = Terminal.objects.select_related("store").get(
                token_hash=hash_token(token), revoked_at__isnull=True
            )
        except (UnicodeError, Terminal.DoesNotExist):
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return (None, terminal)

    def authenticate_header(self, request):
        return self.keyword


class IsTerminal(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Terminal)


# --- serializers ------------------------------------------------------------------------------


class ReceiptLineSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code", max_length=40)

    class Meta:
        model = ReceiptLine
        fields = [
            "position", "sku", "name", "category", "quantity", "unit_price",
            "subtotal", "discount_percent", "discount_amount", "total", "earns_points",
        ]  # fmt: skip
        read_only_fields = ["position", "subtotal", "discount_percent", "discount_amount", "total", "earns_points"]
        extra_kwargs = {"quantity": {"min_value": Decimal("0.001")}, "unit_price": {"min_value": Decimal("0")}}


class ReceiptSerializer(serializers.ModelSerializer):
    card_number = serializers.CharField(write_only=True, max_length=13)
    lines = ReceiptLineSerializer(many=True, allow_empty=False)

    class Meta:
        model = Receipt
        fields = [
            "id", "store", "terminal", "card", "account", "created_at", "card_number", "lines",
            "subtotal", "discount_total", "points_redeemed", "points_redeemed_amount", "total_due",
            "points_earned", "max_redeemable_points", "card_percent", "level_before", "level_after",
        ]  # fmt: skip
        read_only_fields = [
            "store", "terminal", "card", "account", "created_at",
            "subtotal", "discount_total", "points_redeemed", "points_redeemed_amount", "total_due",
            "points_earned", "max_redeemable_points", "card_percent", "level_before", "level_after",
        ]  # fmt: skip

    def create(self, validated_data):
        terminal = validated_data["terminal"]
        now = timezone.now()
        with transaction.atomic():
            try:
                card = Card.objects.select_for_update().get(number=validated_data["card_number"])
            except Card.DoesNotExist:
                raise serializers.ValidationError({"card_number": ["This card is not known here."]}) from None
            if card.status != Card.Status.ACTIVE:
                raise serializers.ValidationError({"card_number": ["This card cannot be used."]})
            account = Account.objects.select_for_update().get(pk=card.account_id)
            programme = account.programme
            levels = list(programme.levels.all())
            level = next((lv for lv in levels if lv.pk == account.level_id), None)
            percent = min(level.percent if level else programme.base_percent, programme.ceiling_percent)

            # Price each line.
            priced = []
            for position, item in enumerate(validated_data["lines"], start=1):
                code = item["category"]["code"]
                try:
                    category = Category.objects.get(code=code)
                except Category.DoesNotExist:
                    raise serializers.ValidationError({"lines": [f"Unknown category {code!r}."]}) from None
                if category.discount_policy == Category.Policy.EXCLUDED:
                    line_percent = Decimal("0.00")
                elif category.discount_policy == Category.Policy.CAPPED:
                    line_percent = min(percent, category.max_discount_percent)
                else:
                    line_percent = percent
                subtotal = money(item["quantity"] * item["unit_price"])
                discount = money(subtotal * line_percent / HUNDRED)
                priced.append(
                    {
                        "position": position,
                        "sku": item["sku"],
                        "name": item.get("name", ""),
                        "category": category,
                        "quantity": item["quantity"],
                        "unit_price": item["unit_price"],
                        "subtotal": subtotal,
                        "discount_percent": line_percent,
                        "discount_amount": discount,
                        "total": subtotal - discount,
                        "earns_points": category.earns_points,
                    }
                )
            subtotal = sum((p["subtotal"] for p in priced), Decimal("0.00"))
            discount_total = sum((p["discount_amount"] for p in priced), Decimal("0.00"))
            total_due = subtotal - discount_total
            earnable = sum((p["total"] for p in priced if p["earns_points"]), Decimal("0.00"))
            points_earned = money(earnable * programme.earn_percent / HUNDRED)
            max_redeemable = Decimal("0.00")
            if programme.point_value > 0:
                by_cap = money(total_due * programme.redeem_cap_percent / HUNDRED / programme.point_value)
                max_redeemable = max(Decimal("0.00"), min(account.points_balance, by_cap))

            # Level after the purchase: the highest threshold reached; buying never lowers it.
            new_spend = account.spend + total_due
            new_level = level
            for candidate in levels:
                reached = candidate.threshold <= new_spend
                if reached and (new_level is None or candidate.threshold > new_level.threshold):
                    new_level = candidate
            level_before = level.name if level else ""
            level_after = new_level.name if new_level else ""

            receipt = Receipt.objects.create(
                store=terminal.store,
                terminal=terminal,
                card=card,
                account=account,
                created_at=now,
                subtotal=subtotal,
                discount_total=discount_total,
                points_redeemed=Decimal("0.00"),
                points_redeemed_amount=Decimal("0.00"),
                total_due=total_due,
                points_earned=points_earned,
                max_redeemable_points=max_redeemable,
                card_percent=percent,
                level_before=level_before,
                level_after=level_after,
            )
            for p in priced:
                line = ReceiptLine.objects.create(receipt=receipt, **p)
                if line.discount_amount > 0:
                    DiscountEntry.objects.create(
                        receipt=receipt,
                        line=line,
                        card=card,
                        store=terminal.store,
                        terminal=terminal,
                        category=line.category,
                        level=level_before,
                        percent=line.discount_percent,
                        amount=line.discount_amount,
                        created_at=now,
                    )
            if points_earned > 0:
                entry = PointsEntry.objects.create(
                    account=account,
                    kind=PointsEntry.Kind.EARN,
                    points=points_earned,
                    created_at=now,
                    receipt_id=receipt.pk,
                )
                days = programme.points_lifetime_days
                PointsLot.objects.create(
                    account=account,
                    entry=entry,
                    points=points_earned,
                    remaining=points_earned,
                    expires_at=now + timedelta(days=days) if days else None,
                )
            SpendEntry.objects.create(
                account=account,
                kind=SpendEntry.Kind.PURCHASE,
                amount=total_due,
                created_at=now,
                receipt_id=receipt.pk,
                level_before=level_before,
                level_after=level_after,
            )
            account.spend = new_spend
            account.points_balance += points_earned
            account.last_purchase_at = now
            account.level = new_level
            account.save()

            self.response_body = ReceiptSerializer(receipt).data
            IdempotencyRecord.objects.create(
                scope=f"terminal:{terminal.pk}",
                key=validated_data["idempotency_key"],
                endpoint=ENDPOINT,
                request_hash=validated_data["request_hash"],
                status_code=status.HTTP_201_CREATED,
                response=json.dumps(self.response_body, cls=DjangoJSONEncoder),
            )
        return receipt


# --- view -------------------------------------------------------------------------------------


class TextbookCheckout(APIView):
    authentication_classes = [TerminalTokenAuthentication]
    permission_classes = [IsTerminal]
    schema = None  # not part of the product's API: kept out of /api/v1/schema/

    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not 1 <= len(key) <= 64:
            return Response({"detail": "Send an Idempotency-Key header of 1 to 64 characters."}, status=400)
        serializer = ReceiptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        request_hash = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
        try:
            serializer.save(terminal=request.auth, idempotency_key=key, request_hash=request_hash)
        except IntegrityError:
            # The key was used before (its record is unique per terminal): replay the stored answer.
            record = IdempotencyRecord.objects.filter(scope=f"terminal:{request.auth.pk}", key=key).first()
            if record is None:
                raise
            if record.request_hash != request_hash:
                return Response({"detail": "This Idempotency-Key was used for a different request."}, status=422)
            return Response(json.loads(record.response), status=record.status_code)
        return Response(serializer.response_body, status=status.HTTP_201_CREATED)

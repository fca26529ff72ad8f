"""The gift card endpoints of api.md ("Gift cards"): a card as the till sees it, and selling or topping
one up, once per Idempotency-Key. The money rules are giftcards.services'; this is the HTTP edge."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from giftcards import errors
from giftcards.models import GiftCard
from giftcards.selectors import gift_card_body
from giftcards.services import gift_card_checked, gift_card_load
from pos.apis import IDEMPOTENCY_HEADER, PosView, amount_field, idempotency_key, replay_aware, valid
from pos.idempotency import run_once
from pos.services import where


class GiftCardOut(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=GiftCard.Status.values)
    balance = serializers.CharField()
    currency = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)


class GiftCardLoadIn(serializers.Serializer):
    amount = amount_field(help_text="Within the batch's minimum load and maximum balance (else 400 invalid_amount).")


class GiftCardDetailApi(PosView):
    @extend_schema(responses=GiftCardOut, summary="A gift card: status, balance, expiry")
    def get(self, request, number):
        card = GiftCard.objects.filter(number=gift_card_checked(number)).first()
        if card is None:
            raise errors.not_found()
        return Response(gift_card_body(card, timezone.now()))


class GiftCardLoadApi(PosView):
    @extend_schema(
        request=GiftCardLoadIn, responses={201: GiftCardOut}, parameters=[IDEMPOTENCY_HEADER],
        summary="Sell an issued gift card with an amount on it, or top up an active one",
    )  # fmt: skip
    def post(self, request, number):
        key = idempotency_key(request)
        amount = valid(GiftCardLoadIn, request.data).validated_data["amount"]
        actor, at = self.actor, timezone.now()

        def work():
            card = gift_card_load(number=number, amount=amount, where=where(actor), at=at)
            return 201, gift_card_body(card, at)

        # The key is the terminal's: a retry replays the first answer; another amount under it is a 422.
        status, body, replayed = run_once(
            actor=actor, key=key, endpoint="gift-card-load", payload=[number.strip(), str(amount)], work=work
        )
        return replay_aware(body, status, replayed)

import itertools

from django.db.models import Sum

from loyalty.models import Account, PointsEntry

CARD = "2000000000015"  # first card of the demo batch
_keys = itertools.count()


def line(sku="MILK-1L", category="dairy", quantity="2", unit_price="1.49", name="Milk 1 l"):
    return {"sku": sku, "name": name, "category": category, "quantity": quantity, "unit_price": unit_price}


def activate(client, number=CARD, phone="+48600100200", name="Anna Kowalska"):
    response = client.post(f"/api/v1/cards/{number}/activate/", {"name": name, "phone": phone}, format="json")
    assert response.status_code == 201, response.content
    return response


def buy(client, lines, card=CARD, redeem="0.00", key=None):
    body = {"card_number": card, "lines": lines, "redeem_points": redeem}
    return client.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=key or f"k-{next(_keys)}")


def refund(client, receipt_id, lines=(), key=None):
    return client.post(
        f"/api/v1/receipts/{receipt_id}/refund/",
        {"lines": list(lines)},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or f"r-{next(_keys)}",
    )


def ledger_sum(account_id) -> str:
    total = PointsEntry.objects.filter(account_id=account_id).aggregate(s=Sum("points"))["s"]
    return str(total.quantize(total.__class__("0.01"))) if total is not None else "0.00"


def account_of(number=CARD) -> Account:
    return Account.objects.get(cards__number=number)

"""Input the till's API must refuse in words, never with a 500 (issue 13): numbers the columns cannot
hold, signed zeros, JSON nested without end, bodies sent in chunks."""

import io
import json
from decimal import Decimal

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from config.wsgi import application
from loyalty.models import Account, PointsEntry, SpendEntry
from pos.models import IdempotencyRecord, Receipt, ReceiptLine
from tests.pos.helpers import CARD, account_of, activate, buy, line
from tests.tills import CENTRAL

pytestmark = pytest.mark.django_db

TOTAL_MAX = Decimal("9999999999999.99")  # numeric(15,2), core/money.py
MILLION_LINES = [line(sku=f"TV-{n}", category="dairy", quantity="1", unit_price="1000000") for n in range(100)]


def written() -> tuple:
    return (
        Receipt.objects.count(), ReceiptLine.objects.count(), SpendEntry.objects.count(),
        PointsEntry.objects.count(), IdempotencyRecord.objects.count(),
    )  # fmt: skip


# --- numbers that overflow -------------------------------------------------------------------


@pytest.mark.postgres  # numeric(12,2) overflows only there; SQLite stores anything
def test_a_business_customer_past_ten_billion_of_spend_still_buys(till):
    activate(till)
    Account.objects.filter(cards__number=CARD).update(spend=Decimal("9950000000.00"))
    response = buy(till, MILLION_LINES)
    assert response.status_code == 201, response.content
    assert response.json()["card"]["spend_total"] == "10050000000.00"
    assert account_of().spend == Decimal("10050000000.00")


def test_a_sale_the_spend_total_cannot_hold_is_a_400_naming_the_lines_and_writes_nothing(till):
    activate(till)
    Account.objects.filter(cards__number=CARD).update(spend=TOTAL_MAX - Decimal("50000000.00"))
    before = written()
    response = buy(till, MILLION_LINES)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    message = (
        "This would take this card's lifetime spend to 10,000,049,999,999.99, above the "
        "9,999,999,999,999.99 that can be stored."
    )
    assert error == {"code": "invalid_input", "message": message, "details": {"lines": [message]}}
    assert written() == before
    account = account_of()
    assert (account.spend, account.points_balance) == (TOTAL_MAX - Decimal("50000000.00"), Decimal("0.00"))


def test_a_sale_whose_points_the_balance_cannot_hold_is_a_400_and_writes_nothing(till):
    activate(till)
    Account.objects.filter(cards__number=CARD).update(points_balance=TOTAL_MAX - Decimal("1.00"))
    before = written()
    response = buy(till, [line(quantity="10", unit_price="100.00")])
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["details"]) == ["lines"]
    assert "points balance" in response.json()["error"]["message"]
    assert written() == before
    assert account_of().points_balance == TOTAL_MAX - Decimal("1.00")


@pytest.mark.parametrize("field", ["unit_price", "redeem_points"])
def test_minus_zero_is_read_as_zero_and_answered_and_replayed_as_0_00(till, field):
    activate(till)
    lines = [line(unit_price="-0" if field == "unit_price" else "1.49")]
    first = buy(till, lines, redeem="-0" if field == "redeem_points" else "0.00", key="signed-zero")
    again = buy(till, lines, redeem="-0" if field == "redeem_points" else "0.00", key="signed-zero")
    assert first.status_code == 201 and again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true"
    assert '"-0.00"' not in first.content.decode() and again.content == first.content
    body = first.json()
    assert (body["points_redeemed"], body["lines"][0]["discount_amount"]) == ("0.00", "0.00")
    assert body["lines"][0]["unit_price"] == ("0.00" if field == "unit_price" else "1.49")
    stored = ReceiptLine.objects.get(receipt_id=body["receipt_id"])
    assert str(stored.unit_price) == body["lines"][0]["unit_price"]
    assert not str(stored.subtotal).startswith("-")


# --- JSON nested without end -----------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
@pytest.mark.parametrize(
    "path", ["/api/v1/checkout/quote/", "/api/v1/checkout/", "/api/v1/cards/2000000000015/activate/"]
)
def test_json_nested_too_deep_is_a_400_on_every_post(till, path, depth):
    body = '{"lines":' + "[" * depth + "]" * depth + "}"
    before = written()
    response = till.generic("POST", path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep")
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {
        "error": {"code": "malformed_request", "message": "The JSON nests deeper than 32 levels.", "details": {}}
    }
    assert written() == before


def test_json_nested_32_deep_is_read_and_judged_by_its_fields(till):
    body = {"lines": [line()], "card_number": None, "extra": json.loads("[" * 30 + "]" * 30)}
    response = till.post("/api/v1/checkout/quote/", body, format="json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["total_due"] == "2.98"


# --- bodies sent in chunks -------------------------------------------------------------------


@pytest.fixture
def _keep_the_test_connection():
    """The WSGI app's request signals would close the test's connection (tests/pos/test_apis_fuzz.py)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("_keep_the_test_connection")
def test_a_chunked_body_without_a_length_is_411_not_read_as_empty(till):
    """What gunicorn hands Django for `Transfer-Encoding: chunked`: the header, the decoded body, no length."""
    body = json.dumps({"lines": [line()]}).encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/checkout/", "SERVER_NAME": "testserver", "SERVER_PORT": "80",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "application/json", "HTTP_TRANSFER_ENCODING": "chunked",
        "HTTP_AUTHORIZATION": f"Token {CENTRAL}", "HTTP_IDEMPOTENCY_KEY": "chunked",
    }  # fmt: skip
    before = written()
    answer = {}
    chunks = application(environ, lambda status, headers: answer.update(status=status))
    assert answer["status"] == "411 Length Required"
    assert json.loads(b"".join(chunks)) == {
        "error": {
            "code": "length_required",
            "message": "Send the body with a Content-Length header, not in chunks (Transfer-Encoding).",
            "details": {},
        }
    }
    assert written() == before


# --- the sweep: paths, text and dates at the ends ------------------------------------------------

HOSTILE_PATH = ["99999999999999999999", "-1", "abc", "%00", "x" * 2000, "%09tab", "2000000000015%00"]


@pytest.mark.parametrize("value", HOSTILE_PATH)
@pytest.mark.parametrize("template", ["/api/v1/cards/{v}/", "/api/v1/products/{v}/", "/api/v1/receipts/{v}/"])
def test_no_path_is_a_server_error(till, template, value):
    response = till.get(template.format(v=value))
    assert response.status_code in (400, 404), response.status_code
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_product_code_no_product_can_have_is_not_found_without_asking_the_database(till, django_assert_num_queries):
    with django_assert_num_queries(1):  # the terminal's token only
        response = till.get("/api/v1/products/4006381333931%00/")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "product_not_found")


@pytest.mark.parametrize(
    ("birthday", "error"),
    [
        ("9999-12-31", "A birthday is a day from 1900-01-01 to today."),
        ("0001-01-01", "A birthday is a day from 1900-01-01 to today."),
        ("1899-12-31", "A birthday is a day from 1900-01-01 to today."),
        ("2026-02-30", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
    ],
)
def test_a_birthday_off_the_calendar_is_a_400_naming_it_and_activates_nothing(till, birthday, error):
    body = {"name": "Anna", "phone": "+48600100200", "birthday": birthday}
    response = till.post(f"/api/v1/cards/{CARD}/activate/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"birthday": [error]}
    assert Account.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"), [("sku", "MILK\x07"), ("name", "Milk\t1 l"), ("category", "dai\nry"), ("sku", "MILK\x00")]
)
def test_a_control_character_in_a_line_is_a_400_naming_the_field(till, field, value):
    response = till.post("/api/v1/checkout/quote/", {"lines": [line(**{field: value})]}, format="json")
    assert response.status_code == 400
    message = (
        "Null characters are not allowed."
        if "\x00" in value
        else "Remove the control characters (such as NUL, tab or line breaks)."
    )
    assert response.json()["error"]["details"] == {"lines": {"0": {field: [message]}}}


def test_a_control_character_in_the_customer_name_is_a_400_and_activates_nothing(till):
    response = till.post(
        f"/api/v1/cards/{CARD}/activate/", {"name": "Anna\x1b[2J", "phone": "+48600100200"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "name": ["Remove the control characters (such as NUL, tab or line breaks)."]
    }
    assert Account.objects.count() == 0

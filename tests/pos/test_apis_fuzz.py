"""Property-based fuzzing of the whole POS API from its own OpenAPI schema
(schemathesis): whatever a hostile or buggy client sends, the server never
answers 5xx, and every error has the api.md error body."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from cards.numbers import card_number
from config.wsgi import application
from giftcards.services import gift_cards_issue
from pos.demo import build_demo
from tests.tills import CENTRAL, terminal_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go straight into the WSGI app, whose request signals would close
    the test's DB connection (fatal inside its transaction on PostgreSQL).
    Django's own test client disconnects them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


EXAMPLES_PER_OPERATION = 40


def operations():
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(operation):
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case):
        headers = {"Authorization": f"Token {CENTRAL}", **(case.headers or {})}
        if case.method == "POST":
            headers.setdefault("Idempotency-Key", "fuzz")
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            body = json.loads(response.text)  # never an HTML error page
            where = (case.method, case.formatted_path, response.status_code)
            assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, where

    run()


def test_the_schema_lists_every_pos_operation():
    names = sorted(f"{op.method.upper()} {op.path}" for op in operations())
    assert names == [
        "GET /api/v1/cards/{number}/",
        "GET /api/v1/categories/",
        "GET /api/v1/gift-cards/{number}/",
        "GET /api/v1/products/{code}/",
        "GET /api/v1/receipts/{receipt_id}/",
        "POST /api/v1/cards/{number}/activate/",
        "POST /api/v1/cards/{number}/replace/",
        "POST /api/v1/checkout/",
        "POST /api/v1/checkout/quote/",
        "POST /api/v1/customers/search/",
        "POST /api/v1/gift-cards/{number}/load/",
        "POST /api/v1/receipts/{receipt_id}/refund/",
    ]


@pytest.mark.parametrize("index", range(12))
def test_no_input_gives_a_server_error(index):
    build_demo()
    fuzz(sorted(operations(), key=lambda op: (op.method, op.path))[index])


# --- issue 13: what the schema does not describe, generated ------------------------------------

POSTS = ["/api/v1/checkout/quote/", "/api/v1/checkout/", "/api/v1/cards/2000000000022/activate/"]

# Any JSON at all, nested up to far past the parser's bound (config/parsers.py: 32 levels).
any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=40,
)


def nested(depth: int, kind: str) -> str:
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


# Decimal strings at the edges: signed zeros, exponents, more digits than any column, not numbers at all.
edge_decimal = st.one_of(
    st.sampled_from(["1", "2.5", "1.49", "0", "-0", "-0.00", "-0.000"]),  # valid, so most baskets get priced
    st.sampled_from(["1e20", "1E-999999", "NaN", "-Infinity", "sNaN", "1_000", " 1 ", "", "1000000", "100000"]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
edge_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)


def assert_answered(response):
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    else:
        assert '"-0.00"' not in response.content.decode()


@pytest.mark.parametrize("path", POSTS)
def test_any_json_body_is_answered_never_a_server_error(path):
    build_demo()
    till = terminal_client(CENTRAL)

    @given(body=any_json, depth=st.integers(min_value=0, max_value=3000), kind=st.sampled_from(["list", "dict"]))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
    def run(body, depth, kind):
        for raw in (json.dumps(body), nested(depth, kind), '{"lines": ' + nested(depth, kind) + "}"):
            response = till.generic("POST", path, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="fuzz")
            assert_answered(response)

    run()


@pytest.mark.parametrize("path", POSTS[:2])
def test_edge_numbers_and_text_in_a_basket_are_answered_never_a_server_error(path):
    build_demo()
    till = terminal_client(CENTRAL)
    keys = iter(range(10**9))

    @given(
        quantity=edge_decimal, unit_price=edge_decimal, redeem=edge_decimal, sku=edge_text | st.just("MILK-1L"),
        name=edge_text | st.just("Milk"),
        card=st.sampled_from([None, "2000000000015", "2000000000015\x00", "9" * 200]),
    )  # fmt: skip
    @example(quantity="2", unit_price="-0", redeem="-0", sku="MILK-1L", name="Milk", card=None)
    @example(quantity="100000", unit_price="1000000", redeem="0", sku="TV", name="TV", card=None)
    @settings(max_examples=EXAMPLES_PER_OPERATION * 2, deadline=None, suppress_health_check=list(HealthCheck))
    def run(quantity, unit_price, redeem, sku, name, card):
        line = {"sku": sku, "name": name, "category": "dairy", "quantity": quantity, "unit_price": unit_price}
        body = {"card_number": card, "lines": [line] * 3, "redeem_points": redeem}
        assert_answered(till.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=f"edge-{next(keys)}"))

    run()


def test_edge_text_and_dates_in_an_activation_are_answered_never_a_server_error():
    build_demo()
    till = terminal_client(CENTRAL)
    numbers = iter(card_number("000", serial) for serial in range(2, 10**6))  # the demo's issued cards, then unknown

    @given(
        name=edge_text, phone=edge_text, email=edge_text,
        birthday=st.one_of(st.none(), st.dates().map(str), edge_text),
    )  # fmt: skip
    @settings(max_examples=EXAMPLES_PER_OPERATION * 2, deadline=None, suppress_health_check=list(HealthCheck))
    def run(name, phone, email, birthday):
        body = {"name": name, "phone": phone, "email": email, "birthday": birthday}
        assert_answered(till.post(f"/api/v1/cards/{next(numbers)}/activate/", body, format="json"))

    run()


def test_edge_amounts_on_gift_cards_are_answered_never_a_server_error():
    """Loads and gift card payments with the edge decimals, on real gift cards (sold, unsold) and made-up ones."""
    build_demo()
    till = terminal_client(CENTRAL)
    cards = list(gift_cards_issue(count=2).cards.values_list("number", flat=True))
    till.post(f"/api/v1/gift-cards/{cards[0]}/load/", {"amount": "100.00"}, format="json", HTTP_IDEMPOTENCY_KEY="s")
    keys = iter(range(10**9))
    number = st.sampled_from([*cards, "2900000999992", "2000000000015", " " + cards[0], "29" * 40, ""]) | edge_text

    @given(amount=edge_decimal, number=number, paid=edge_decimal, more=st.booleans())
    @example(amount="5", number=cards[1], paid="0.01", more=False)
    @settings(max_examples=EXAMPLES_PER_OPERATION * 2, deadline=None, suppress_health_check=list(HealthCheck))
    def run(amount, number, paid, more):
        key = f"gift-{next(keys)}"
        assert_answered(till.post(f"/api/v1/gift-cards/{number}/load/", {"amount": amount}, format="json",
                                  HTTP_IDEMPOTENCY_KEY=key))  # fmt: skip
        payments = [{"number": number, "amount": paid}] + ([{"number": cards[0], "amount": amount}] if more else [])
        body = {"lines": [{"sku": "X", "category": "dairy", "quantity": "1", "unit_price": "20.00"}],
                "gift_card_payments": payments}  # fmt: skip
        for path in POSTS[:2]:
            assert_answered(till.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key))

    run()

"""The plain-basket fast path accepts only what BasketIn accepts, and reads it exactly as BasketIn does."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.rules import Line
from pos.apis import MAX_BASKET, MAX_LINES, MAX_QUANTITY, MAX_UNIT_PRICE, BasketIn, basket_in
from pos.basket_parse import plain_basket
from pos.services import Basket


def fast(data):
    return plain_basket(
        data, max_lines=MAX_LINES, max_quantity=MAX_QUANTITY, max_price=MAX_UNIT_PRICE, max_basket=MAX_BASKET
    )


def serializer(data):
    """What BasketIn makes of `data`: the Basket, or None when it refuses it."""
    checked = BasketIn(data=data)
    return checked.basket() if checked.is_valid() else None


PLAIN = {
    "card_number": "2000000000015",
    "lines": [
        {"sku": "MILK-1L", "category": "dairy", "quantity": "2", "unit_price": "1.49"},
        {"sku": "APPLE-KG", "name": "Apples", "category": "produce", "quantity": "1.235", "unit_price": "2.5"},
    ],
    "redeem_points": "3.1",
}


def test_a_plain_basket_is_read_as_the_serializer_reads_it():
    expected = Basket(
        lines=(
            Line(sku="MILK-1L", name="", category="dairy", quantity=D("2.000"), unit_price=D("1.49")),
            Line(sku="APPLE-KG", name="Apples", category="produce", quantity=D("1.235"), unit_price=D("2.50")),
        ),
        card_number="2000000000015",
        redeem_points=D("3.10"),
    )
    assert fast(PLAIN) == expected
    assert serializer(PLAIN) == expected
    # Same digits, same exponent: what reaches the rules and the receipt is identical, not merely equal.
    assert [str(ln.quantity) for ln in fast(PLAIN).lines] == ["2.000", "1.235"]
    assert str(fast(PLAIN).redeem_points) == "3.10"


def test_a_walk_in_basket_without_points_gets_the_serializers_defaults():
    data = {"lines": [{"sku": "X", "category": "dairy", "quantity": "1", "unit_price": "0"}]}
    assert fast(data) == serializer(data)
    assert fast(data).card_number is None
    assert str(fast(data).redeem_points) == "0.00"


@pytest.mark.parametrize(
    "change",
    [
        {"card_number": " 2000000000015"},  # trimmed by the serializer
        {"card_number": 2000000000015},  # a JSON number
        {"redeem_points": 3},
        {"redeem_points": "-1"},
        {"redeem_points": None},
        {"lines": []},
        {"lines": "MILK"},
        {"lines": [{"sku": "X", "category": "dairy", "quantity": 1, "unit_price": "1"}]},
        {"lines": [{"sku": "X", "category": "dairy", "quantity": "0", "unit_price": "1"}]},
        {"lines": [{"sku": "X", "category": "dairy", "quantity": "1.0001", "unit_price": "1"}]},
        {"lines": [{"sku": "X", "category": "dairy", "quantity": "1", "unit_price": "1.001"}]},
        {"lines": [{"sku": "X", "category": "dairy", "quantity": "1", "unit_price": "01"}]},
        {"lines": [{"sku": "X", "category": "dairy", "quantity": "1", "unit_price": "1e3"}]},
        {"lines": [{"sku": "X", "category": "dairy", "quantity": "100001", "unit_price": "1"}]},
        {"lines": [{"sku": "X", "category": "dairy", "quantity": "100000", "unit_price": "1000.01"}]},  # basket cap
        {"lines": [{"sku": "", "category": "dairy", "quantity": "1", "unit_price": "1"}]},
        {"lines": [{"sku": "X" * 41, "category": "dairy", "quantity": "1", "unit_price": "1"}]},
        {"lines": [{"sku": "X\x00", "category": "dairy", "quantity": "1", "unit_price": "1"}]},
        {"lines": [{"sku": "X", "name": None, "category": "dairy", "quantity": "1", "unit_price": "1"}]},
        {"lines": [{"sku": "X", "quantity": "1", "unit_price": "1"}]},
        {"gift_card_payments": {"number": "2900000000018", "amount": "1"}},
        {"gift_card_payments": [{"number": "2900000000018", "amount": 1}]},
        {"gift_card_payments": [{"number": " 2900000000018", "amount": "1"}]},
        {"gift_card_payments": [{"number": "2900000000018", "amount": "-1"}]},
        {"gift_card_payments": [{"number": "2900000000018"}]},
        {"gift_card_payments": [{"number": "2900000000018", "amount": "1"}] * 11},
    ],
)
def test_anything_but_the_plain_case_is_left_to_the_serializer(change):
    data = {**PLAIN, **change}
    assert fast(data) is None


def test_the_api_reads_what_the_fast_path_leaves_with_the_serializer():
    data = {**PLAIN, "card_number": " 2000000000015 ", "redeem_points": 3}
    assert fast(data) is None
    assert basket_in(data) == serializer(data)
    assert basket_in(data).card_number == "2000000000015"
    assert str(basket_in(data).redeem_points) == "3.00"


decimal_text = st.one_of(
    st.decimals(min_value=-10, max_value=2_000_000, allow_nan=False, allow_infinity=False, places=4).map(str),
    st.from_regex(r"\A-?[0-9]{0,11}(\.[0-9]{0,4})?\Z"),
    st.integers(-5, 10**7),
    st.floats(allow_nan=True),
    st.none(),
)
text = st.one_of(st.text(max_size=45), st.sampled_from(["dairy", "MILK-1L", " x", "x ", "a\tb"]), st.integers())
line = st.dictionaries(
    st.sampled_from(["sku", "name", "category", "quantity", "unit_price", "other"]),
    st.one_of(text, decimal_text),
    max_size=6,
) | st.fixed_dictionaries(
    {"sku": text, "category": text, "quantity": decimal_text, "unit_price": decimal_text},
    optional={"name": text},
)
gift_card_payment = st.dictionaries(st.sampled_from(["number", "amount", "other"]), st.one_of(text, decimal_text))
basket = st.fixed_dictionaries(
    {"lines": st.one_of(st.lists(line, max_size=4), text)},
    optional={
        "card_number": st.one_of(text, st.none()),
        "redeem_points": decimal_text,
        "gift_card_payments": st.one_of(st.lists(gift_card_payment, max_size=3), text),
    },
)


# Baskets close to the plain case, so that the fast path often accepts and the comparison has teeth.
code = st.one_of(st.text("ABCXYZ-_ 09äß", min_size=1, max_size=42), st.text(st.characters(codec="utf-8"), max_size=42))
nearly_plain_line = st.fixed_dictionaries(
    {
        "sku": code,
        "category": code,
        "quantity": st.from_regex(r"\A0?[0-9]{1,7}(\.[0-9]{0,4})?\Z"),
        "unit_price": st.from_regex(r"\A0?[0-9]{1,8}(\.[0-9]{0,3})?\Z"),
    },
    optional={"name": code},
)
nearly_plain = st.fixed_dictionaries(
    {"lines": st.lists(nearly_plain_line, min_size=0, max_size=3)},
    optional={
        "card_number": st.one_of(code, st.none()),
        "redeem_points": st.from_regex(r"\A[0-9]{1,4}(\.[0-9]{0,3})?\Z"),
        "gift_card_payments": st.lists(
            st.fixed_dictionaries({"number": code, "amount": st.from_regex(r"\A0?[0-9]{1,6}(\.[0-9]{0,3})?\Z")}),
            max_size=3,
        ),
    },
)


def same_reading(data):
    read = fast(data)
    if read is None:
        return False
    assert serializer(data) == read
    assert [(str(ln.quantity), str(ln.unit_price)) for ln in read.lines] == [
        (str(ln.quantity), str(ln.unit_price)) for ln in serializer(data).lines
    ]
    assert str(read.redeem_points) == str(serializer(data).redeem_points)
    assert [str(a) for _, a in read.gift_card_payments] == [str(a) for _, a in serializer(data).gift_card_payments]
    return True


@settings(max_examples=400, deadline=None)
@given(basket)
def test_on_any_json_the_fast_path_accepts_nothing_the_serializer_refuses(data):
    same_reading(data)


def test_on_nearly_plain_baskets_the_fast_path_reads_as_the_serializer_does():
    accepted = []

    @settings(max_examples=600, deadline=None, database=None)
    @given(nearly_plain)
    def check(data):
        accepted.append(same_reading(data))

    check()
    assert 0 < accepted.count(True) < len(accepted)  # both sides of the line were exercised

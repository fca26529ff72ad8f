import pytest

from cards.numbers import NumberFormatError, card_number, check_digit, is_valid_prefix, normalise


@pytest.mark.parametrize(
    ("first12", "digit"),
    [
        ("200000000001", "5"),
        ("400638133393", "1"),  # a well-known retail GTIN: 4006381333931
        ("590123412345", "7"),  # GS1's own example 5901234123457
        ("200100000010", "4"),
    ],
)
def test_check_digit_matches_gs1(first12, digit):
    assert check_digit(first12) == digit


@pytest.mark.parametrize(
    ("prefix", "serial", "number"),
    [
        ("000", 1, "2000000000015"),
        ("000", 2, "2000000000022"),
        ("001", 1, "2001000000012"),
        ("123", 99_999_999, "2123999999990"),
    ],
)
def test_card_number_is_2_prefix_serial_check(prefix, serial, number):
    assert card_number(prefix, serial) == number


def test_normalise_strips_spaces():
    assert normalise("  2000000000015 \n") == "2000000000015"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2000000000016", "The check digit is wrong: the number was probably mistyped."),
        ("4006381333931", "This is not a store card number (it must start with 2)."),
        ("200000000001", "A card number has 13 digits."),
        ("20000000000155", "A card number has 13 digits."),
        ("2000000000O15", "A card number has 13 digits."),
        ("２000000000015", "A card number has 13 digits."),  # full-width digit: isdigit() but not ASCII
        ("", "A card number has 13 digits."),
    ],
)
def test_normalise_rejects_what_cannot_be_a_card(raw, message):
    with pytest.raises(NumberFormatError) as error:
        normalise(raw)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("prefix", "ok"), [("000", True), ("123", True), ("12", False), ("1234", False), ("a12", False)]
)
def test_prefix_is_exactly_three_digits(prefix, ok):
    assert is_valid_prefix(prefix) is ok

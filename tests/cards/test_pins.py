from cards.pins import card_pin, pin_matches


def test_pin_is_eight_digits_and_stable(settings):
    settings.CARD_PIN_SECRET = "print-shop-secret"
    pin = card_pin("2000000000015")
    assert len(pin) == 8 and pin.isdigit()
    assert card_pin("2000000000015") == pin  # re-exports print the same PIN


def test_pin_depends_on_the_secret_not_only_the_number(settings):
    settings.CARD_PIN_SECRET = "secret-a"
    a = card_pin("2000000000015")
    settings.CARD_PIN_SECRET = "secret-b"
    assert card_pin("2000000000015") != a


def test_neighbouring_numbers_have_unrelated_pins(settings):
    settings.CARD_PIN_SECRET = "secret"
    pins = {card_pin(f"20000000000{i:02d}") for i in range(100)}
    assert len(pins) == 100


def test_pin_matches_only_the_right_pin(settings):
    settings.CARD_PIN_SECRET = "secret"
    pin = card_pin("2000000000015")
    assert pin_matches("2000000000015", pin) is True
    assert pin_matches("2000000000015", f" {pin} ") is True
    assert pin_matches("2000000000015", "00000000" if pin != "00000000" else "11111111") is False
    assert pin_matches("2000000000022", pin) is False

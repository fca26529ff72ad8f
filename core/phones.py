"""Phone numbers as the shop keeps them: E.164, whichever way a cashier, a manager or a customer typed them."""

import re

import phonenumbers
from django.conf import settings

from core.errors import InvalidInput

TYPED = re.compile(r"\+?[0-9 ()./\-]+")


def normalise_phone(raw: str, region: str | None = None) -> str:
    """One phone, however typed, is one stored string: E.164 ('+4915112345678').

    A number without a country code ('0151 1234 5678', what a till in Germany stores) is read as the chain's
    (settings.PHONE_DEFAULT_REGION); '0049…' and '+49 (151) …' as typed. Only a number of a possible length
    for its country is accepted: a typo is a field error, not a customer nobody can find again."""
    text = (raw or "").strip()[:40]
    if not TYPED.fullmatch(text):
        text = ""  # letters are not a phone here (phonenumbers would read "abc" as a keypad's 222)
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise InvalidInput("Enter a phone number, with its country code if it is not local.",
                           details={"phone": ["Not a phone number."]})  # fmt: skip
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(raw: str) -> str | None:
    """The number without country code or trunk 0 ('0151 0000 0001' -> '15100000001'), or None if no phone."""
    try:
        phone = normalise_phone(raw)
    except InvalidInput:
        return None
    return phonenumbers.national_significant_number(phonenumbers.parse(phone))


class PhoneSearchMixin:
    """An admin search box in which a phone typed any way finds the stored E.164 one: '015100000001',
    '0151 0000 0001' and '+49 151 00000001' all find '+4915100000001'; a foreign number typed without its
    country code ('600 100 200') still finds '+48600100200' (it ends with the same national number)."""

    phone_lookup = "phone"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = national_digits(search_term)
        if digits is None or len(digits) < 6:
            return results, may_have_duplicates
        return results | queryset.filter(**{f"{self.phone_lookup}__endswith": digits}), may_have_duplicates

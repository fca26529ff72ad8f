"""Money in one place: rounding, the size of the money columns and the limits of what input may ask for.

Decimals built from strings, never floats. Amounts a customer pays round half-up to the cent
(`round_money`); anything given away (discounts, points, caps) rounds toward zero (`round_down`), so
the giver never over-gives by a cent. Zero is always +0: Decimal keeps a sign on zero ("-0" read from
a request, -0.004 rounded down), and "-0.00" must never be stored, answered or replayed.
"""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from core.errors import InvalidInput

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# --- the columns -----------------------------------------------------------------------------------
# One amount: a price, a line, a receipt, one ledger row. Bounded by the input limits below (one sale is
# at most MAX_SALE), so twelve digits hold any of them with room to spare.
AMOUNT = {"max_digits": 12, "decimal_places": 2}
AMOUNT_MAX = Decimal("9999999999.99")
# A running total: an account's spend and points balance over the chain's lifetime, a level's threshold
# on that spend, a night's burn over all accounts. Fifteen digits (up to 9,999,999,999,999.99): a business
# customer buying a maximal sale (MAX_SALE) every day for a hundred years reaches 3.7e12, under 1e13. Not
# more: SQLite keeps decimals as doubles, which hold 15 significant digits exactly, so development and
# production agree to the cent. On PostgreSQL numeric takes space by the digits a value has (the wider type
# costs nothing for ordinary values), and widening numeric(12,2) to (15,2) rewrites no row.
TOTAL = {"max_digits": 15, "decimal_places": 2}
TOTAL_MAX = Decimal("9999999999999.99")

# --- what input may ask for ------------------------------------------------------------------------
# Far above any real till, far below what the columns hold: an absurd number is a 400 or a form error
# naming the field, never a database overflow. The API, the admin and the CSV import all read these.
MAX_QUANTITY = Decimal("100000")
MAX_PRICE = Decimal("1000000")  # a unit price at the till, a product's price in the catalogue
MAX_SALE = Decimal("100000000")  # one basket, one redemption, one manual points adjustment


def unsigned(x: Decimal) -> Decimal:
    """-0.00 as 0.00; any other value unchanged (its exponent kept)."""
    return x.copy_abs() if x.is_zero() else x


def round_money(x: Decimal) -> Decimal:
    """Half-up to the cent: for amounts the customer pays (a line's subtotal)."""
    return unsigned(x.quantize(CENT, rounding=ROUND_HALF_UP))


def round_down(x: Decimal) -> Decimal:
    """Toward zero to the cent: for what the shop gives (discounts, points), so it never over-gives."""
    return unsigned(x.quantize(CENT, rounding=ROUND_DOWN))


def money_text(x: Decimal) -> str:
    """The decimal string of the API and the CSV files: two decimals, never "-0.00"."""
    return str(unsigned(x.quantize(CENT)))


def refuse_above_total(total: Decimal, *, field: str, what: str) -> None:
    """A running total that would no longer fit its column is refused (400, naming `field`) before any write."""
    if total > TOTAL_MAX:
        message = f"This would take {what} to {total:,}, above the {TOTAL_MAX:,} that can be stored."
        raise InvalidInput(message, details={field: [message]})

"""The card as a barcode on the customer's phone: the same EAN-13 as on the plastic card, drawn as an inline
SVG on the server (python-barcode gives the bars), so the till's scanner reads it from the screen and the
page needs no image request, no script and no style attribute (the Content-Security-Policy refuses those)."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cards.exports import ean13_modules

QUIET_LEFT, QUIET_RIGHT = 11, 7  # light modules either side, as the EAN-13 standard asks
BAR_HEIGHT = 60  # modules: a little squatter than print (69), so the code fits above the fold on a phone
GUARD_EXTRA = 5  # the guard bars reach down between the digit groups
TEXT_SIZE = 9
GUARDS = {0, 1, 2, 45, 46, 47, 48, 49, 92, 93, 94}


def _bar_runs(modules: str) -> list[tuple[int, int]]:
    """(first module, width) of each dark bar: one rectangle per bar, not per module."""
    runs, start = [], None
    for i, module in enumerate(modules + "0"):
        if module == "1" and start is None:
            start = i
        elif module == "0" and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def card_barcode_svg(number: str, title: str) -> SafeString:
    """An EAN-13 of `number` as an <svg> element, one unit per module, the digits under the bars.
    `title` names it for screen readers."""
    modules = ean13_modules(number)
    width = QUIET_LEFT + len(modules) + QUIET_RIGHT
    height = BAR_HEIGHT + GUARD_EXTRA + TEXT_SIZE
    bars = "".join(
        f'<rect x="{QUIET_LEFT + x}" y="0" width="{w}" '
        f'height="{BAR_HEIGHT + GUARD_EXTRA if x in GUARDS else BAR_HEIGHT}"/>'
        for x, w in _bar_runs(modules)
    )
    baseline = BAR_HEIGHT + GUARD_EXTRA + TEXT_SIZE - 1
    # The digits as printed under an EAN-13: the first left of the bars, then two groups of six.
    groups = ((QUIET_LEFT - 5, number[0]), (QUIET_LEFT + 3 + 21, number[1:7]), (QUIET_LEFT + 50 + 21, number[7:]))
    digits = "".join(f'<text x="{x}" y="{baseline}" text-anchor="middle">{escape(text)}</text>' for x, text in groups)
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="barcode-title" class="barcode" id="barcode" data-number="{escape(number)}">'
        f'<title id="barcode-title">{escape(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
        f'<g fill="#000">{bars}</g>'
        f'<g fill="#000" font-family="DejaVu Sans Mono, Menlo, monospace" font-size="{TEXT_SIZE}" '
        f'letter-spacing="1.6">{digits}</g></svg>'
    )

"""Print-shop files for a card batch: CSV, print-ready PDF, zip of PNG barcodes.

Every exporter walks the batch's numbers with a server-side iterator and
writes to a binary file object as it goes, so memory does not grow with the
batch (the PDF keeps only compressed page streams until it is closed).
"""

import csv
import io
import textwrap
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

import barcode
from barcode.writer import ImageWriter
from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .models import CardBatch
from .pins import card_pin

FORMATS = ("csv", "pdf", "png")
CONTENT_TYPES = {"csv": "text/csv", "pdf": "application/pdf", "png": "application/zip"}
EXTENSIONS = {"csv": "csv", "pdf": "pdf", "png": "zip"}

_EAN13 = barcode.get_barcode_class("ean13")


def batch_numbers(batch: CardBatch) -> Iterator[str]:
    return batch.cards.order_by("number").values_list("number", flat=True).iterator(chunk_size=5000)


def export_filename(batch: CardBatch, fmt: str) -> str:
    return f"cards-batch-{batch.pk}.{EXTENSIONS[fmt]}"


def export_batch(batch: CardBatch, fmt: str, out: BinaryIO, *, back: bool = False) -> None:
    """`back`: the PDF gets a back sheet after each front sheet (PIN, sign-in address, terms)."""
    if fmt == "pdf":
        write_pdf(batch, out, back=back)
    else:
        {"csv": write_csv, "png": write_png_zip}[fmt](batch, out)


def printed_number(number: str) -> str:
    """The number as printed under its barcode, on the PDF and the PNG alike: EAN-13's own grouping."""
    return f"{number[0]} {number[1:7]} {number[7:]}"


# --- CSV: what a print shop's variable-data workflow imports.


def write_csv(batch: CardBatch, out: BinaryIO) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(["number", "pin", "batch"])
    for number in batch_numbers(batch):
        writer.writerow([number, card_pin(number), batch.pk])
    text.detach()  # leave `out` open for the caller


# --- PNG: one barcode image per card, in a zip.

PNG_OPTIONS = {"module_width": 0.33, "module_height": 22.85, "quiet_zone": 3.63, "font_size": 10, "dpi": 300}


def write_png_zip(batch: CardBatch, out: BinaryIO) -> None:
    # PNGs are already deflated: storing them is as small and much faster.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for number in batch_numbers(batch):
            archive.writestr(f"{number}.png", barcode_png(number))


def barcode_png(number: str) -> bytes:
    buffer = io.BytesIO()
    _EAN13(number[:12], writer=ImageWriter()).write(buffer, options=PNG_OPTIONS, text=printed_number(number))
    return buffer.getvalue()


# --- PDF: A4 sheets of ID-1 cards (85.6 x 54 mm), 2 x 5 per page.

CARD_W, CARD_H = 85.6 * mm, 54 * mm
COLUMNS, ROWS = 2, 5
GUTTER = 3 * mm  # space between cards, so a cut a little off never eats a neighbour
MODULE = 0.33 * mm  # EAN-13 at 100 % magnification
BAR_H = 22.85 * mm
GUARD_EXTRA = 1.65 * mm  # guard bars reach a little lower, as on any EAN-13
CROP_MARK = 4 * mm
_GRID_W = COLUMNS * CARD_W + (COLUMNS - 1) * GUTTER
_GRID_H = ROWS * CARD_H + (ROWS - 1) * GUTTER
_LEFT = (A4[0] - _GRID_W) / 2
_BOTTOM = (A4[1] - _GRID_H) / 2
_GUARDS = {0, 1, 2, 45, 46, 47, 48, 49, 92, 93, 94}


def write_pdf(batch: CardBatch, out: BinaryIO, *, back: bool = False) -> None:
    """Front sheets; with `back`, each followed by its back sheet, for duplex printing flipped on the long
    edge: a card's back sits mirrored left to right, so it lands behind its own front."""
    pdf = Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"Card batch {batch.pk}")
    pdf.setCreator("loyalty cards_export")
    per_page = COLUMNS * ROWS
    sheet: list[str] = []
    for number in batch_numbers(batch):
        if not sheet:
            _draw_crop_marks(pdf)
        _draw_card(pdf, number, *_card_origin(len(sheet)))
        sheet.append(number)
        if len(sheet) == per_page:
            _end_sheet(pdf, sheet, back)
            sheet = []
    if sheet:
        _end_sheet(pdf, sheet, back)
    pdf.save()


def _end_sheet(pdf: Canvas, numbers: list[str], back: bool) -> None:
    pdf.showPage()
    if not back:
        return
    _draw_crop_marks(pdf)
    for slot, number in enumerate(numbers):
        row, col = divmod(slot, COLUMNS)
        _draw_back(pdf, number, *_card_origin(row * COLUMNS + (COLUMNS - 1 - col)))
    pdf.showPage()


def _card_origin(slot: int) -> tuple[float, float]:
    row, col = divmod(slot, COLUMNS)
    x = _LEFT + col * (CARD_W + GUTTER)
    y = _BOTTOM + _GRID_H - (row + 1) * CARD_H - row * GUTTER
    return x, y


def _draw_crop_marks(pdf: Canvas) -> None:
    """Trim marks in the page margins at every cut line, never over a card."""
    pdf.setLineWidth(0.25)
    lines = []
    for col in range(COLUMNS):
        for x in (_LEFT + col * (CARD_W + GUTTER), _LEFT + col * (CARD_W + GUTTER) + CARD_W):
            lines.append((x, _BOTTOM - CROP_MARK - 1 * mm, x, _BOTTOM - 1 * mm))
            lines.append((x, _BOTTOM + _GRID_H + 1 * mm, x, _BOTTOM + _GRID_H + 1 * mm + CROP_MARK))
    for row in range(ROWS):
        top = _BOTTOM + _GRID_H - row * (CARD_H + GUTTER)
        for y in (top, top - CARD_H):
            lines.append((_LEFT - CROP_MARK - 1 * mm, y, _LEFT - 1 * mm, y))
            lines.append((_LEFT + _GRID_W + 1 * mm, y, _LEFT + _GRID_W + 1 * mm + CROP_MARK, y))
    pdf.lines(lines)


def _draw_card(pdf: Canvas, number: str, x: float, y: float) -> None:
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(x + 5 * mm, y + CARD_H - 8 * mm, "DISCOUNT CARD")
    bars_w = 95 * MODULE
    bx = x + (CARD_W - bars_w) / 2
    by = y + 11 * mm
    _draw_bars(pdf, ean13_modules(number), bx, by)
    pdf.setFont("Helvetica", 10)
    pdf.drawCentredString(x + CARD_W / 2, y + 6 * mm, printed_number(number))


# The back: the PIN under a scratch-off (or peel-off) panel the print shop lays over the marked area.
PANEL_W, PANEL_H = 30 * mm, 9 * mm


def _draw_back(pdf: Canvas, number: str, x: float, y: float) -> None:
    address, terms = settings.CARD_SIGNIN_ADDRESS, settings.CARD_BACK_TERMS
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawString(x + 5 * mm, y + CARD_H - 7 * mm, f"Balance and points: {address}")
    pdf.setFont("Helvetica", 7)
    pdf.drawString(x + 5 * mm, y + CARD_H - 11 * mm, f"Sign in with the card number {printed_number(number)}")
    pdf.drawString(x + 5 * mm, y + CARD_H - 14.5 * mm, "and the PIN under the panel:")
    # The panel's area: a dashed outline with corner marks, the PIN inside it.
    px, py = x + 5 * mm, y + CARD_H - 26 * mm
    pdf.saveState()
    pdf.setDash(2, 1.5)
    pdf.setLineWidth(0.4)
    pdf.rect(px, py, PANEL_W, PANEL_H, stroke=1, fill=0)
    pdf.restoreState()
    pdf.setFont("Helvetica", 5)
    pdf.drawString(px + PANEL_W + 2 * mm, py + PANEL_H / 2 - 1, "SCRATCH / PEEL HERE")
    pdf.setFont("Courier-Bold", 14)
    pdf.drawCentredString(px + PANEL_W / 2, py + 2.6 * mm, card_pin(number))
    pdf.setFont("Helvetica", 5.5)
    text = pdf.beginText(x + 5 * mm, y + 13 * mm)
    text.setLeading(6.5)
    for line in textwrap.wrap(terms, 95)[:5]:
        text.textLine(line)
    pdf.drawText(text)


def _draw_bars(pdf: Canvas, modules: str, x: float, y: float) -> None:
    """Bars as filled vector rectangles, one per run of dark modules.

    Drawn in module units (x scaled by MODULE) so each bar is written with
    small integers: keeps a 100,000-card PDF small.
    """
    pdf.saveState()
    pdf.translate(x, y - GUARD_EXTRA)
    pdf.scale(MODULE, 1)
    path = pdf.beginPath()
    for start, width in _bar_runs(modules):
        extra = round(GUARD_EXTRA, 2) if start in _GUARDS else 0
        path.rect(start, round(GUARD_EXTRA, 2) - extra, width, round(BAR_H, 2) + extra)
    pdf.drawPath(path, stroke=0, fill=1)
    pdf.restoreState()


def _bar_runs(modules: str) -> Iterator[tuple[int, int]]:
    start = None
    for i, module in enumerate(modules + "0"):
        if module == "1" and start is None:
            start = i
        elif module == "0" and start is not None:
            yield start, i - start
            start = None


def ean13_modules(number: str) -> str:
    """The 95 modules (1 = dark) of an EAN-13, from python-barcode."""
    return _EAN13(number[:12]).build()[0]

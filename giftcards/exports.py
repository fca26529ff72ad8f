"""Print files of a gift card batch: a CSV of numbers and PINs, and print-ready A4 sheets of ID-1 cards
laid out, trimmed and barcoded exactly as the discount cards are (the sheet, crop marks and vector EAN-13
bars of cards/exports.py), with the PIN printed for a scratch-off panel."""

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from cards import exports as sheets
from cards.pins import card_pin

from .models import GiftCardBatch

FORMATS = ("csv", "pdf")
CONTENT_TYPES = {"csv": "text/csv", "pdf": "application/pdf"}


def batch_numbers(batch: GiftCardBatch) -> Iterator[str]:
    return batch.cards.order_by("number").values_list("number", flat=True).iterator(chunk_size=5000)


def export_filename(batch: GiftCardBatch, fmt: str) -> str:
    return f"gift-cards-batch-{batch.pk}.{fmt}"


def export_batch(batch: GiftCardBatch, fmt: str, out: BinaryIO) -> None:
    (write_csv if fmt == "csv" else write_pdf)(batch, out)


def write_csv(batch: GiftCardBatch, out: BinaryIO) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(["number", "pin"])
    for number in batch_numbers(batch):
        writer.writerow([number, card_pin(number)])
    text.detach()  # leave `out` open for the caller


def write_pdf(batch: GiftCardBatch, out: BinaryIO) -> None:
    pdf = Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"Gift card batch {batch.pk}")
    pdf.setCreator("loyalty giftcards_export")
    validity = f"Valid {batch.validity_years} years from purchase" if batch.validity_years else "No expiry date"
    per_page, slot = sheets.COLUMNS * sheets.ROWS, 0
    for number in batch_numbers(batch):
        if slot == 0:
            sheets._draw_crop_marks(pdf)
        _draw_gift_card(pdf, number, validity, *sheets._card_origin(slot))
        slot = (slot + 1) % per_page
        if slot == 0:
            pdf.showPage()
    if slot:
        pdf.showPage()
    pdf.save()


def _draw_gift_card(pdf: Canvas, number: str, validity: str, x: float, y: float) -> None:
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(x + 5 * mm, y + sheets.CARD_H - 8 * mm, "GIFT CARD")
    pdf.setFont("Helvetica", 6.5)
    pdf.drawString(x + 5 * mm, y + sheets.CARD_H - 11.5 * mm, validity)
    # The PIN (for the balance page) top right, in a box the printer covers with a scratch-off panel.
    pdf.setLineWidth(0.3)
    pdf.rect(x + sheets.CARD_W - 31 * mm, y + sheets.CARD_H - 12 * mm, 26 * mm, 6.5 * mm)
    pdf.setFont("Helvetica", 8)
    pdf.drawCentredString(x + sheets.CARD_W - 18 * mm, y + sheets.CARD_H - 9.8 * mm, f"PIN {card_pin(number)}")
    bars_w = 95 * sheets.MODULE
    sheets._draw_bars(pdf, sheets.ean13_modules(number), x + (sheets.CARD_W - bars_w) / 2, y + 11 * mm)
    pdf.setFont("Helvetica", 10)
    pdf.drawCentredString(x + sheets.CARD_W / 2, y + 6 * mm, f"{number[0]} {number[1:7]} {number[7:]}")

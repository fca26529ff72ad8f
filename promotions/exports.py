"""Print files of a coupon batch: a CSV of the codes, and A4 sheets with a scannable barcode per coupon.

The barcode (Code 128) carries the code without its dash, as the till looks it up; the printed text has the
dash, for a person to read out or type (the till ignores dashes)."""

import csv
import io
from typing import BinaryIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from promotions import rules
from promotions.models import Campaign, CouponBatch

FORMATS = ("csv", "pdf")
COLUMNS, ROWS = 3, 8  # 24 coupons of 70 x 37 mm on an A4 sheet
WIDTH, HEIGHT = 70 * mm, 37 * mm


def batch_codes(batch: CouponBatch) -> list[str]:
    return list(batch.coupons.order_by("id").values_list("code", flat=True))


def export_batch(batch: CouponBatch, fmt: str, out: BinaryIO) -> None:
    (write_csv if fmt == "csv" else write_pdf)(batch, out)


def write_csv(batch: CouponBatch, out: BinaryIO) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(["code"])
    writer.writerows([rules.printed(code)] for code in batch_codes(batch))
    text.flush()
    text.detach()


def what_it_gives(campaign: Campaign) -> str:
    """The coupon's offer in a customer's words, printed above its barcode: "5.00 off your purchase of 20.00
    or more"."""
    value = f"{campaign.value:.2f}"
    gives = {
        Campaign.Benefit.PERCENT: f"{campaign.value.normalize():f} % off",
        Campaign.Benefit.AMOUNT_PER_LINE: f"{value} off each product line",
        Campaign.Benefit.AMOUNT_PER_RECEIPT: f"{value} off your purchase",
        Campaign.Benefit.FIXED_PRICE: f"Only {value} each",
    }[campaign.benefit]
    return gives + (f" of {campaign.min_basket:.2f} or more" if campaign.min_basket > 0 else "")


def write_pdf(batch: CouponBatch, out: BinaryIO) -> None:
    campaign = batch.campaign
    label = f"{campaign.name} · valid {campaign.starts_on:%d.%m.%Y}–{campaign.ends_on:%d.%m.%Y}"
    offer = what_it_gives(campaign)
    pdf = Canvas(out, pagesize=A4)
    codes = batch_codes(batch)
    per_page = COLUMNS * ROWS
    for start in range(0, len(codes), per_page):
        for slot, code in enumerate(codes[start : start + per_page]):
            _draw_coupon(pdf, code, label, slot, offer)
        pdf.showPage()
    pdf.save()


def _draw_coupon(pdf: Canvas, code: str, label: str, slot: int, offer: str) -> None:
    left = (A4[0] - COLUMNS * WIDTH) / 2
    bottom = (A4[1] - ROWS * HEIGHT) / 2
    x = left + (slot % COLUMNS) * WIDTH
    y = bottom + (ROWS - 1 - slot // COLUMNS) * HEIGHT
    pdf.setLineWidth(0.3)
    pdf.setDash(2, 2)  # cut along the dashes
    pdf.rect(x, y, WIDTH, HEIGHT)
    pdf.setDash()
    bars = Code128(code, barHeight=13 * mm, barWidth=0.33 * mm, quiet=True)
    bars.drawOn(pdf, x + (WIDTH - bars.width) / 2, y + 14 * mm)
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawCentredString(x + WIDTH / 2, y + 8 * mm, rules.printed(code))
    pdf.setFont("Helvetica", 6.5)
    pdf.drawCentredString(x + WIDTH / 2, y + 3.5 * mm, label[:60])
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawCentredString(x + WIDTH / 2, y + 30 * mm, offer[:48])

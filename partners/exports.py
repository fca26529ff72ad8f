"""A statement as files: CSV (every receipt counted) and PDF (the statement as sent to the party)."""

import csv
import io

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from partners.models import Statement

CSV_COLUMNS = ["receipt", "date", "customer", "amount", "refund", "bonus"]


def statement_csv(statement: Statement, items) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        # A bypassed sale's customer is not the partner's: the receipt counts, the name is not shown.
        customer = item.receipt.account.customer.display_name if item.receipt.account and not item.bypassed else ""
        writer.writerow([item.receipt_id, f"{item.created_at:%Y-%m-%d %H:%M}", customer, item.amount,
                         item.refund_id or "", item.bonus])  # fmt: skip
    return out.getvalue()


def statement_pdf(statement: Statement, items) -> bytes:
    """One A4 statement: the party, the period, each condition with its figure, the bonus, then the receipts."""
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4)
    pdf.setTitle(str(statement))
    writer = _Lines(pdf)
    party = statement.agreement.party
    writer.text(_("Statement %(id)s") % {"id": statement.pk}, size=16)
    writer.text(f"{party.name} · {statement.agreement.name}")
    writer.text(_("Period %(start)s – %(end)s") % {"start": statement.period_start, "end": statement.period_end})
    writer.text(f"{statement.get_kind_display()} · {statement.get_status_display()}")
    writer.gap()
    for line in statement.lines.all():
        met = _("met") if line.met else _("not met")
        writer.row(f"{line.label_text}: {line.figure_text} ({met})", f"{line.percent} %", f"{line.amount}")
    writer.gap()
    writer.row(_("Volume"), "", f"{statement.volume}")
    writer.row(_("Bonus"), "", f"{statement.bonus}")
    writer.row(_("Refunds after close"), "", f"{statement.adjustment}")
    if statement.kept:
        writer.row(_("Already spent: taken back by the next statement"), "", f"{statement.kept}")
    writer.row(_("Payable"), "", f"{statement.net_bonus}", bold=True)
    writer.gap()
    writer.text(_("Receipts counted"), size=12)
    for item in items:
        what = _("refund %(id)s") % {"id": item.refund_id} if item.refund_id else ""
        writer.row(f"{item.created_at:%Y-%m-%d} · {_('receipt')} {item.receipt_id} {what}", "", f"{item.amount}")
    pdf.save()
    return buffer.getvalue()


class _Lines:
    """Text down the page, a new page when it is full."""

    def __init__(self, pdf: Canvas):
        self.pdf, self.y = pdf, A4[1] - 20 * mm

    def _room(self):
        if self.y < 20 * mm:
            self.pdf.showPage()
            self.y = A4[1] - 20 * mm

    def text(self, value: str, size: int = 10):
        self._room()
        self.pdf.setFont("Helvetica-Bold" if size > 10 else "Helvetica", size)
        self.pdf.drawString(20 * mm, self.y, value[:110])
        self.y -= size * 0.5 * mm + 2 * mm

    def row(self, label: str, middle: str, amount: str, bold: bool = False):
        self._room()
        self.pdf.setFont("Helvetica-Bold" if bold else "Helvetica", 9)
        self.pdf.drawString(20 * mm, self.y, label[:95])
        self.pdf.drawRightString(160 * mm, self.y, middle)
        self.pdf.drawRightString(190 * mm, self.y, amount)
        self.y -= 5 * mm

    def gap(self):
        self.y -= 4 * mm

import csv
import io
import shutil
import zipfile

import pypdfium2
import pytest
import zxingcpp
from barcode.writer import ImageWriter
from PIL import Image

from cards import exports
from cards.pins import card_pin
from cards.services import batch_issue
from tests.browser import ARTIFACTS

pytestmark = pytest.mark.django_db


def decode_ean13(image: Image.Image) -> list[str]:
    """What a standard barcode reader (ZXing) reads off the image."""
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.EAN13)
    return [result.text for result in found]


def test_csv_has_number_pin_batch_for_every_card():
    batch = batch_issue(count=3)
    out = io.BytesIO()
    exports.write_csv(batch, out)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode())))
    assert rows == [
        ["number", "pin", "batch"],
        ["2000000000015", card_pin("2000000000015"), str(batch.pk)],
        ["2000000000022", card_pin("2000000000022"), str(batch.pk)],
        ["2000000000039", card_pin("2000000000039"), str(batch.pk)],
    ]


def test_every_png_barcode_scans_as_its_number():
    batch = batch_issue(count=4, prefix="042")
    out = io.BytesIO()
    exports.write_png_zip(batch, out)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert names == [f"{n}.png" for n in batch.cards.values_list("number", flat=True)]
        for name in names:
            image = Image.open(io.BytesIO(archive.read(name)))
            assert decode_ean13(image) == [name.removesuffix(".png")]


def test_pdf_pages_hold_ten_cards_whose_barcodes_scan():
    batch = batch_issue(count=12)
    out = io.BytesIO()
    exports.write_pdf(batch, out)
    pdf = pypdfium2.PdfDocument(out.getvalue())
    assert len(pdf) == 2
    assert pdf[0].get_size() == pytest.approx((595.2756, 841.8898), abs=0.01)  # A4 in points
    read = []
    for page in pdf:
        image = page.render(scale=300 / 72).to_pil()
        read += sorted(decode_ean13(image))
    assert read == list(batch.cards.values_list("number", flat=True))
    text = pdf[0].get_textpage().get_text_range()
    assert "2 000000 000015" in text


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools not installed (CI installs it)")
def test_pdf_barcodes_also_scan_with_zbar(tmp_path):
    import subprocess

    batch = batch_issue(count=3)
    pdf_path = tmp_path / "cards.pdf"
    with pdf_path.open("wb") as handle:
        exports.write_pdf(batch, handle)
    pdf = pypdfium2.PdfDocument(str(pdf_path))
    png = tmp_path / "page.png"
    pdf[0].render(scale=300 / 72).to_pil().save(png)
    result = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, check=True)
    assert sorted(result.stdout.split()) == ["2000000000015", "2000000000022", "2000000000039"]


def test_the_pdf_back_has_the_pin_under_its_panel_the_address_and_the_terms(settings):
    settings.CARD_SIGNIN_ADDRESS = "shop.example/my/"
    batch = batch_issue(count=12)
    out = io.BytesIO()
    exports.write_pdf(batch, out, back=True)
    pdf = pypdfium2.PdfDocument(out.getvalue())
    assert len(pdf) == 4  # front, back, front, back
    back = pdf[1].get_textpage()
    text = back.get_text_range()
    assert text.count("Balance and points: shop.example/my/") == 10
    assert text.count("SCRATCH / PEEL HERE") == 10 and "cannot be exchanged for cash" in text
    assert "Sign in with the card number 2 000000 000015" in text
    # Flipped on the long edge: the first card's back (its PIN) is on the right, behind its front.
    searcher = back.search(card_pin("2000000000015"), match_whole_word=True)
    left, _, _, _ = back.get_charbox(searcher.get_next()[0])
    assert left > pdf[1].get_size()[0] / 2
    assert decode_ean13(pdf[1].render(scale=300 / 72).to_pil()) == []  # no barcode on the back
    pdf[1].render(scale=2).to_pil().save(ARTIFACTS / "cards-back.png")  # for a person to look at


def _pdf(batch) -> bytes:
    out = io.BytesIO()
    exports.write_pdf(batch, out)
    return out.getvalue()


def test_without_back_the_pdf_is_fronts_only():
    batch = batch_issue(count=12)
    pdf = pypdfium2.PdfDocument(_pdf(batch))
    assert len(pdf) == 2 and "SCRATCH" not in pdf[1].get_textpage().get_text_range()


def test_png_and_pdf_print_the_number_alike():
    assert exports.printed_number("2000000000015") == "2 000000 000015"

    # The PNG's text is the PDF's "2 000000 000015" (python-barcode on its own prints "2000000000015").
    def png(text):
        buffer = io.BytesIO()
        exports._EAN13("200000000001", writer=ImageWriter()).write(buffer, options=exports.PNG_OPTIONS, text=text)
        return buffer.getvalue()

    assert exports.barcode_png("2000000000015") == png("2 000000 000015") != png(None)

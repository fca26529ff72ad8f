"""Gift card print files and the two commands."""

import csv
import io

import pypdfium2
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cards.pins import card_pin
from giftcards import exports
from giftcards.models import GiftCard, GiftCardBatch
from giftcards.services import gift_cards_issue
from tests.cards.test_exports import decode_ean13

pytestmark = pytest.mark.django_db


def test_csv_is_number_and_pin():
    batch = gift_cards_issue(count=2)
    out = io.BytesIO()
    exports.write_csv(batch, out)
    assert list(csv.reader(io.StringIO(out.getvalue().decode()))) == [
        ["number", "pin"], ["2900000000018", card_pin("2900000000018")], ["2900000000025", card_pin("2900000000025")],
    ]  # fmt: skip


def test_pdf_sheets_hold_ten_cards_whose_barcodes_scan():
    batch = gift_cards_issue(count=11)
    out = io.BytesIO()
    exports.write_pdf(batch, out)
    pdf = pypdfium2.PdfDocument(out.getvalue())
    assert len(pdf) == 2
    read = []
    for page in pdf:
        read += sorted(decode_ean13(page.render(scale=300 / 72).to_pil()))
    assert read == list(batch.cards.values_list("number", flat=True))
    text = pdf[0].get_textpage().get_text_range()
    assert "GIFT CARD" in text and f"PIN {card_pin('2900000000018')}" in text and "Valid 3 years" in text


def test_issue_then_export_from_the_command_line(tmp_path, capsys):
    call_command("giftcards_issue", "--count", "3", "--min-load", "10", "--max-balance", "250", "--no-top-ups",
                 "--validity-years", "none", verbosity=0)  # fmt: skip
    batch_id = capsys.readouterr().out.strip().splitlines()[-1]
    batch = GiftCardBatch.objects.get(pk=int(batch_id))
    assert (batch.count, str(batch.min_load), str(batch.max_balance), batch.top_ups_allowed, batch.validity_years) == (
        3, "10.00", "250.00", False, None,
    )  # fmt: skip
    out = tmp_path / "gift.csv"
    call_command("giftcards_export", batch_id, "--format", "csv", "--out", str(out))
    assert capsys.readouterr().out.strip() == str(out)
    assert out.read_text().splitlines()[0] == "number,pin" and len(out.read_text().splitlines()) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--count", "abc"], "must be a whole number"), (["--count", "2", "--validity-years", "1"], "3 to 30 years"),
     (["--count", "2", "--min-load", "x"], "are amounts"), (["--count", "2", "--min-load", "600"], "minimum load")],
)  # fmt: skip
def test_bad_issue_requests_are_one_line_and_write_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("giftcards_issue", *args, verbosity=0)
    assert GiftCard.objects.count() == 0


def test_export_of_an_unknown_batch_or_into_a_missing_folder(tmp_path):
    with pytest.raises(CommandError, match="There is no gift card batch 99"):
        call_command("giftcards_export", "99", "--format", "pdf", "--out", str(tmp_path / "x.pdf"))
    batch = gift_cards_issue(count=1)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("giftcards_export", str(batch.pk), "--format", "pdf", "--out", str(tmp_path / "no" / "x.pdf"))

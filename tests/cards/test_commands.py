import csv
import io

import pypdfium2
import pytest
from django.core.management import CommandError, call_command

from cards.models import Card, CardBatch
from cards.pins import card_pin

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_cards_issue_prints_the_batch_id_last():
    out, _ = run("cards_issue", "--count", "7", "--verbosity", "0")
    batch = CardBatch.objects.get()
    assert out.strip().splitlines()[-1] == str(batch.pk)
    assert Card.objects.filter(batch=batch).count() == 7


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("0", "The card count must be between 1 and 1,000,000, not 0."),
        ("-3", "The card count must be between 1 and 1,000,000, not -3."),
        ("abc", "The card count must be a whole number, not 'abc'."),
        ("1000001", "The card count must be between 1 and 1,000,000, not 1,000,001."),
    ],
)
def test_cards_issue_bad_count_is_one_line_and_writes_nothing(count, message):
    with pytest.raises(CommandError) as error:
        run("cards_issue", "--count", count)
    assert str(error.value) == message
    assert CardBatch.objects.count() == 0 and Card.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "n" * 101], "The name must be at most 100 characters (it has 101)."),
        (["--name", "spring\x00"], "The name must not hold control characters (such as NUL, tab or line breaks)."),
        (["--name", "two\nlines"], "The name must not hold control characters (such as NUL, tab or line breaks)."),
        (["--program", "std\x00"], "There is no programme with code 'std\\x00'."),
    ],
)
def test_cards_issue_bad_name_or_programme_is_one_line_and_writes_nothing(args, message):
    with pytest.raises(CommandError) as error:
        run("cards_issue", "--count", "3", *args)
    assert str(error.value) == message
    assert CardBatch.objects.count() == 0 and Card.objects.count() == 0


def test_cards_export_writes_the_file_and_prints_its_path(tmp_path):
    run("cards_issue", "--count", "2", "--verbosity", "0")
    batch = CardBatch.objects.get()
    target = tmp_path / "batch.csv"
    out, _ = run("cards_export", str(batch.pk), "--format", "csv", "--out", str(target))
    assert out.strip() == str(target)
    rows = list(csv.reader(target.open()))
    assert rows[1] == ["2000000000015", card_pin("2000000000015"), str(batch.pk)]
    assert not (tmp_path / "batch.csv.partial").exists()


def test_cards_export_back_is_for_the_pdf(tmp_path):
    run("cards_issue", "--count", "2", "--verbosity", "0")
    batch = CardBatch.objects.get()
    out, _ = run("cards_export", str(batch.pk), "--format", "pdf", "--back", "--out", str(tmp_path / "b.pdf"))
    assert out.strip() == str(tmp_path / "b.pdf")
    assert len(pypdfium2.PdfDocument(str(tmp_path / "b.pdf"))) == 2  # the front sheet and its back
    with pytest.raises(CommandError) as error:
        run("cards_export", str(batch.pk), "--format", "csv", "--back", "--out", str(tmp_path / "b.csv"))
    assert str(error.value) == "--back is for the PDF only (the CSV has the PINs; a PNG is one barcode)."
    assert not (tmp_path / "b.csv").exists()


@pytest.mark.parametrize(
    ("batch", "message"),
    [("999", "There is no card batch 999."), ("x1", "The batch id must be a number, not 'x1'.")],
)
def test_cards_export_unknown_batch_is_one_line(tmp_path, batch, message):
    with pytest.raises(CommandError) as error:
        run("cards_export", batch, "--format", "pdf", "--out", str(tmp_path / "a.pdf"))
    assert str(error.value) == message
    assert list(tmp_path.iterdir()) == []


def test_cards_export_into_missing_folder_is_one_line(tmp_path):
    run("cards_issue", "--count", "1", "--verbosity", "0")
    batch = CardBatch.objects.get()
    with pytest.raises(CommandError) as error:
        run("cards_export", str(batch.pk), "--format", "csv", "--out", str(tmp_path / "nope" / "a.csv"))
    assert str(error.value) == f"The folder {tmp_path / 'nope'} does not exist."

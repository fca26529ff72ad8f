"""The product catalogue's CSV import (sku, barcode, name, category, price).

Every row is read by the same form the model's limits make (lengths, digits, unique SKU and barcode), with
the price limit the till's API has (core/money.py), so whatever the file holds is either imported whole or
refused with each bad row named by line and field: never a database error halfway through.
"""

import csv
import io

from django import forms
from django.db import transaction

from core.errors import InvalidInput
from core.money import MAX_PRICE, unsigned
from core.text import printable
from loyalty.models import Category
from pos.models import Product

COLUMNS = ["sku", "barcode", "name", "category", "price"]
MAX_PROBLEMS = 20  # named in the answer; a file with more is wrong throughout


class ProductRow(forms.ModelForm):
    """One row of the file, as the model's limits and the till's price limit allow it."""

    category = forms.ModelChoiceField(
        Category.objects.all(), to_field_name="code", error_messages={"invalid_choice": "No category has this code."}
    )
    price = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, max_value=MAX_PRICE)

    class Meta:
        model = Product
        fields = COLUMNS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("sku", "name", "barcode"):
            self.fields[name].validators.append(printable)

    def clean_barcode(self):
        barcode = self.cleaned_data["barcode"] or None  # blank is "no barcode", stored as NULL (unique)
        if barcode and not (barcode.isascii() and barcode.isdigit()):
            raise forms.ValidationError("A barcode is up to 14 digits.")
        return barcode

    def clean_price(self):
        return unsigned(self.cleaned_data["price"])


def products_import(*, text: str) -> tuple[int, int]:
    """Create or update products from CSV text. All rows or none: returns (created, updated).

    Raises InvalidInput naming every bad row and field, so a manager can fix the file in one go.
    """
    rows, problems = _rows(text)
    rows = [(line, {k: (row.get(k) or "").strip() for k in COLUMNS}) for line, row in rows]
    existing = {p.sku: p for p in Product.objects.filter(sku__in=[row["sku"] for _, row in rows])}
    valid, seen = [], {"sku": {}, "barcode": {}}
    for line, row in rows:
        form = ProductRow(row, instance=existing.get(row["sku"]))
        if not form.is_valid():
            problems += [f"line {line}, {field}: {' '.join(errors)}" for field, errors in form.errors.items()]
            continue
        for field in ("sku", "barcode"):
            value = form.cleaned_data[field]
            if value and value in seen[field]:
                problems.append(f"line {line}, {field}: {value} is also on line {seen[field][value]}.")
            elif value:
                seen[field][value] = line
        valid.append(form)
    if problems:
        more = len(problems) - MAX_PROBLEMS
        raise InvalidInput(
            "Nothing was imported. " + "; ".join(problems[:MAX_PROBLEMS]) + (f"; {more} more" if more > 0 else "")
        )
    with transaction.atomic():
        for form in valid:
            form.save()
    created = sum(1 for form in valid if form.instance.sku not in existing)
    return created, len(valid) - created


def _rows(text: str) -> tuple[list[tuple[int, dict]], list[str]]:
    """(line number, row) for every row, and what made lines unreadable as CSV."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise InvalidInput(f"Nothing was imported. line 1: {error}.") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput(f"The CSV needs the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}.")
    rows, problems = [], []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # a field above the csv module's limit (131,072 characters), a stray quote
            problems.append(f"line {line}: {error}.")
            continue
        rows.append((reader.line_num, row))
    if not rows and not problems:
        raise InvalidInput("Nothing was imported: the file has no rows, only the header.")
    return rows, problems

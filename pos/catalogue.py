"""The product catalogue's CSV import (sku, barcode, name, category, price)."""

import csv
import io
from decimal import Decimal, InvalidOperation

from django.db import transaction

from core.errors import InvalidInput
from loyalty.models import Category
from pos.models import Product

COLUMNS = ["sku", "barcode", "name", "category", "price"]


def products_import(*, text: str) -> tuple[int, int]:
    """Create or update products from CSV text. All rows or none: returns (created, updated).

    Raises InvalidInput naming every bad row, so a manager can fix the file in one go.
    """
    rows = list(csv.DictReader(io.StringIO(text)))
    missing = [c for c in COLUMNS if c not in (rows[0].keys() if rows else [])]
    if missing:
        raise InvalidInput(f"The CSV needs the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}.")
    categories = {c.code: c for c in Category.objects.all()}
    problems, products = [], []
    for number, row in enumerate(rows, start=2):
        try:
            products.append(_product(row, categories))
        except ValueError as error:
            problems.append(f"line {number}: {error}")
    if problems:
        raise InvalidInput("Nothing was imported. " + "; ".join(problems[:20]))
    created = updated = 0
    with transaction.atomic():
        for values in products:
            _, was_created = Product.objects.update_or_create(sku=values.pop("sku"), defaults=values)
            created, updated = created + was_created, updated + (not was_created)
    return created, updated


def _product(row: dict, categories: dict) -> dict:
    sku, name = (row.get("sku") or "").strip(), (row.get("name") or "").strip()
    if not sku or not name:
        raise ValueError("sku and name are required")
    category = categories.get((row.get("category") or "").strip())
    if category is None:
        raise ValueError(f"unknown category {row.get('category')!r}")
    try:
        price = Decimal((row.get("price") or "").strip())
    except InvalidOperation:
        raise ValueError(f"price {row.get('price')!r} is not a number") from None
    if not price.is_finite() or price < 0 or price != price.quantize(Decimal("0.01")):
        raise ValueError(f"price {row.get('price')!r} must be 0 or more with at most 2 decimals")
    barcode = (row.get("barcode") or "").strip() or None
    if barcode and not (barcode.isdigit() and len(barcode) <= 14):
        raise ValueError(f"barcode {barcode!r} must be up to 14 digits")
    return {"sku": sku, "barcode": barcode, "name": name, "category": category, "price": price}

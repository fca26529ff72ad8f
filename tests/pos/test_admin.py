import html
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pos.actors import hash_token
from pos.demo import ensure_manager_group
from pos.models import Product, Store, Terminal

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, demo, django_user_model):
    user = django_user_model.objects.create_user("boss", password="x", is_staff=True)
    user.groups.add(ensure_manager_group())
    client.force_login(user)
    return client


def upload(client, text):
    file = SimpleUploadedFile("products.csv", text.encode(), content_type="text/csv")
    return client.post("/admin/pos/product/import/", {"file": file})


def test_product_csv_import_creates_and_updates(manager):
    response = upload(
        manager,
        "sku,barcode,name,category,price\nMILK-1L,4006381333931,Milk 1 l,dairy,1.59\nEGG-10,,Eggs x10,dairy,2.49\n",
    )
    assert response.status_code == 302
    assert Product.objects.get(sku="MILK-1L").price == D("1.59")
    egg = Product.objects.get(sku="EGG-10")
    assert (egg.name, egg.barcode, egg.category.code, egg.price) == ("Eggs x10", None, "dairy", D("2.49"))


def test_bad_csv_names_the_rows_and_imports_nothing(manager):
    before = list(Product.objects.values_list("sku", "price"))
    response = upload(
        manager, "sku,barcode,name,category,price\nA,,Apple,fruitz,1.00\nB,,Bean,dairy,-1\nC,,Ok,dairy,1\n"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "Nothing was imported. line 2, category: No category has this code.; "
        "line 3, price: Ensure this value is greater than or equal to 0." in html.unescape(page)
    )
    assert list(Product.objects.values_list("sku", "price")) == before


def test_csv_without_the_columns_is_refused(manager):
    response = upload(manager, "code,price\nA,1\n")
    assert "The CSV needs the columns sku, barcode, name, category, price; missing: sku, barcode, name, category." in (
        response.content.decode()
    )


def test_new_terminal_shows_its_token_once_and_stores_only_a_hash(manager):
    store = Store.objects.get(code="central")
    response = manager.post("/admin/pos/terminal/add/", {"store": store.pk, "name": "till-9"}, follow=True)
    message = [str(m) for m in response.context["messages"]][0]
    token = message.split(": ")[1].split(" ")[0]
    terminal = Terminal.objects.get(name="till-9")
    assert terminal.token_hash == hash_token(token)
    assert token not in terminal.token_hash


def test_revoke_action(manager):
    terminal = Terminal.objects.get(store__code="central")
    manager.post("/admin/pos/terminal/", {"action": "revoke", "_selected_action": [terminal.pk]})
    terminal.refresh_from_db()
    assert terminal.revoked_at is not None


HEADER = "sku,barcode,name,category,price\n"
GOOD_ROW = "OK-1,,Fine,dairy,1.00\n"


def import_error(client, text) -> str:
    """The import form's error on the file, as the manager reads it."""
    response = client.post("/admin/pos/product/import/", {"file": SimpleUploadedFile("p.csv", text.encode())})
    assert response.status_code == 200, response.status_code
    return " ".join(response.context["form"].errors["file"])


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            "BIG,,Big,dairy,1e20",
            "line 3, price: Ensure this value is less than or equal to 1000000. "
            "Ensure that there are no more than 12 digits in total.",
        ),
        ("BIG,,Big,dairy,1000000.01", "line 3, price: Ensure this value is less than or equal to 1000000."),
        ("BIG,,Big,dairy,NaN", "line 3, price: Enter a number."),
        ("BIG,,Big,dairy,1.001", "line 3, price: Ensure that there are no more than 2 decimal places."),
        ("S" * 41 + ",,Long sku,dairy,1", "line 3, sku: Ensure this value has at most 40 characters (it has 41)."),
        (
            "LONG,,{},dairy,1".format("n" * 121),
            "line 3, name: Ensure this value has at most 120 characters (it has 121).",
        ),
        ("NUL,,Bad\x00name,dairy,1", "line 3, name: Null characters are not allowed."),
        ("BELL,,Bad\x07name,dairy,1", "line 3, name: Remove the control characters (such as NUL, tab or line breaks)."),
        (
            "CODE,12345678901234567,Long code,dairy,1",
            "line 3, barcode: Ensure this value has at most 14 characters (it has 17).",
        ),
        ("CODE,12AB,Letters,dairy,1", "line 3, barcode: A barcode is up to 14 digits."),
        ("TWIN,4006381333931,Twin,dairy,1", "line 3, barcode: Product with this Barcode already exists."),
        (",,No sku,dairy,1", "line 3, sku: This field is required."),
        ("HUGE,,{},dairy,1".format("x" * 131_073), "line 3: field larger than field limit (131072)."),
    ],
)
def test_a_bad_row_is_named_with_its_field_and_nothing_is_imported(manager, row, error):
    Product.objects.update_or_create(sku="MILK-1L", defaults={"barcode": "4006381333931"})
    before = list(Product.objects.order_by("sku").values_list("sku", "barcode", "name", "price"))
    assert import_error(manager, HEADER + GOOD_ROW + row + "\n") == f"Nothing was imported. {error}"
    assert list(Product.objects.order_by("sku").values_list("sku", "barcode", "name", "price")) == before


def test_two_rows_with_one_barcode_are_named_and_nothing_is_imported(manager):
    before = Product.objects.count()
    text = HEADER + "A-1,4000000000017,One,dairy,1\nA-2,4000000000017,Two,dairy,1\n"
    assert import_error(manager, text) == "Nothing was imported. line 3, barcode: 4000000000017 is also on line 2."
    assert Product.objects.count() == before


def test_a_file_with_only_the_header_says_it_has_no_rows(manager):
    before = Product.objects.count()
    assert import_error(manager, HEADER) == "Nothing was imported: the file has no rows, only the header."
    assert Product.objects.count() == before


def test_a_price_of_minus_zero_is_stored_as_zero(manager):
    assert upload(manager, HEADER + "ZERO,,Free bag,dairy,-0\n").status_code == 302
    assert str(Product.objects.get(sku="ZERO").price) == "0.00"

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
    assert "Nothing was imported. line 2: unknown category &#x27;fruitz&#x27;; line 3: price &#x27;-1&#x27;" in page
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

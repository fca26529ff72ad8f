"""Issue 17's pages at /pos/: a manager who opens the till, and the PIN slip printed again for a card's holder."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cards.lifecycle import card_activate
from cards.numbers import card_number
from cards.pins import card_pin
from pos.models import PinSlipReprint
from tests.mycard.support import fresh_cache  # noqa: F401  (autouse: the PIN counters stay in this test)

pytestmark = pytest.mark.django_db

ANNA = card_number("000", 1)
NEW = card_number("000", 2)


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_a_manager_opening_the_till_is_told_what_to_do_instead(manager_client):
    page = manager_client.get("/pos/")
    assert page.status_code == 403
    html = page.content.decode()
    assert 'href="/manager/"' in html
    assert 'href="/admin/"' in html
    assert 'href="/admin/pos/cashier/add/"' in html  # the demo's managers may add cashiers
    assert "Ask a manager" not in html


def test_a_plain_user_is_still_told_to_ask_a_manager(db):
    user = User.objects.create_user("nobody", password="x")
    client = Client()
    client.force_login(user)
    html = client.get("/pos/").content.decode()
    assert "Ask a manager to set you up as a cashier" in html
    assert 'href="/manager/"' not in html and 'href="/admin/"' not in html


@pytest.fixture
def anna(demo):
    card_activate(number=ANNA, name="Anna Kowalska", phone="+48600100200")
    return ANNA


def test_the_pin_slip_is_printed_again_for_an_active_card_and_recorded(anna):
    response = logged_in("cashier1").post(f"/pos/cards/{ANNA}/pin-slip/")
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["pin"], body["holder"]) == (ANNA, card_pin(ANNA), "Anna K.")
    reprint = PinSlipReprint.objects.select_related("store", "cashier", "card").get()
    assert (reprint.card.number, reprint.store.code, reprint.cashier.username) == (ANNA, "central", "cashier1")


@pytest.mark.parametrize(
    "number, status, code",
    [
        (NEW, 409, "card_not_active"),  # issued: no holder yet
        (ANNA[:-1] + "9", 400, "invalid_card_number"),
        (card_number("000", 999), 404, "card_not_found"),
    ],
)
def test_no_pin_slip_for_a_card_without_a_holder_or_a_wrong_number(anna, number, status, code):
    response = logged_in("cashier1").post(f"/pos/cards/{number}/pin-slip/")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert PinSlipReprint.objects.count() == 0


def test_the_pin_slip_prints_the_customer_pages_address(anna, settings):
    """The slip says where to use the PIN, as the card's back does (CARD_SIGNIN_ADDRESS)."""
    settings.CARD_SIGNIN_ADDRESS = "shop.example/my/"
    html = logged_in("cashier1").get("/pos/").content.decode()
    slip = html.split('id="pin-slip"')[1].split("</article>")[0]
    assert '<p class="pin-slip-address mono" id="pin-slip-address"><strong>shop.example/my/</strong></p>' in slip


def test_only_a_cashier_may_print_a_pin_slip_and_only_by_post(anna, manager_client):
    assert manager_client.post(f"/pos/cards/{ANNA}/pin-slip/").status_code == 403
    assert logged_in("cashier1").get(f"/pos/cards/{ANNA}/pin-slip/").status_code == 405
    assert Client().post(f"/pos/cards/{ANNA}/pin-slip/").status_code == 302  # to the cashier login
    assert PinSlipReprint.objects.count() == 0


def test_the_admin_lists_refunds_by_reason_and_the_pin_slips_printed_again(anna, manager_client):
    from pos.models import Refund
    from tests.pos.helpers import buy, line
    from tests.tills import CENTRAL, terminal_client

    till = terminal_client(CENTRAL)
    rid = buy(till, [line()], card=None).json()["receipt_id"]
    till.post(
        f"/api/v1/receipts/{rid}/refund/", {"reason": "damaged", "note": "Leaking"}, format="json",
        HTTP_IDEMPOTENCY_KEY="adm-1",
    )  # fmt: skip
    logged_in("cashier1").post(f"/pos/cards/{ANNA}/pin-slip/")
    manager_client.force_login(User.objects.create_superuser("root", password="x"))
    refunds = manager_client.get("/admin/pos/refund/?reason=damaged").content.decode()
    assert "Damaged or faulty" in refunds and Refund.objects.get().note == "Leaking"
    slips = manager_client.get("/admin/pos/pinslipreprint/").content.decode()
    assert ANNA in slips and "cashier1" in slips

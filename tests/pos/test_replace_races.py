"""A card replaced at the till while another request works on it, for real, on PostgreSQL."""

from decimal import Decimal as D

import pytest

from cards.models import Card
from loyalty.models import Account
from loyalty.services import points_adjust
from pos.demo import build_demo
from pos.models import CardReplacement, Receipt
from tests.pos.helpers import CARD, account_of, activate, buy, ledger_sum, line
from tests.pos.test_api_races import in_parallel
from tests.tills import CENTRAL, RIVERSIDE, terminal_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NEW = ("2000000000022", "2000000000039")


@pytest.fixture
def card():
    build_demo()
    activate(terminal_client(CENTRAL))
    account = account_of()
    points_adjust(account_id=account.pk, points=D("100.00"), reason="Goodwill", by=None, at=account.created_at)
    return account


def replace(token, new, key):
    body = {"new_card_number": new, "reason": "lost"}
    client = terminal_client(token)
    response = client.post(f"/api/v1/cards/{CARD}/replace/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    return response.status_code, response.json()


def test_two_tills_replacing_one_card_onto_two_new_cards_one_wins(card):
    results = in_parallel(2, lambda i: replace((CENTRAL, RIVERSIDE)[i], NEW[i], f"swap-{i}"))
    assert sorted(status for status, _ in results) == [201, 409]
    (won,) = [body for status, body in results if status == 201]
    (lost,) = [body for status, body in results if status == 409]
    assert lost["error"]["code"] == "card_replaced"
    winner, loser = won["number"], next(n for n in NEW if n != won["number"])
    assert Card.objects.get(number=CARD).replaced_by.number == winner
    assert (Card.objects.get(number=loser).status, Card.objects.get(number=loser).account_id) == ("issued", None)
    assert (won["points_balance"], ledger_sum(account_of(winner).pk)) == ("100.00", "100.00")
    assert Account.objects.count() == 2  # the old card's and the winner's: no third account holds points
    assert CardReplacement.objects.count() == 1


def test_a_replacement_racing_a_checkout_on_the_old_card_loses_no_points(card):
    def act(i):
        if i == 0:
            return replace(CENTRAL, NEW[0], "swap")
        response = buy(terminal_client(RIVERSIDE), [line("X", "produce", "1", "100.00", "X")], redeem="10.00")
        return response.status_code, response.json()

    (swap_status, swap), (sale_status, sale) = in_parallel(2, act)
    assert swap_status == 201
    new = account_of(NEW[0])
    old = account_of(CARD)
    if sale_status == 201:  # the sale came first: its points and spend moved with the rest
        assert (new.points_balance, new.spend) == (D("100.00") - 10 + D("4.50"), D("90.00"))
        assert Receipt.objects.get().card.number == CARD
    else:  # the replacement came first: the old card sells nothing
        assert (sale_status, sale["error"]["code"]) == (409, "card_replaced")
        assert (new.points_balance, new.spend, Receipt.objects.count()) == (D("100.00"), D("0.00"), 0)
    assert (old.points_balance, old.spend, ledger_sum(old.pk)) == (0, 0, "0.00")
    assert ledger_sum(new.pk) == str(new.points_balance)

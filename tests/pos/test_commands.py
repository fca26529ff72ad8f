import io
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command

from cards.pins import card_pin
from loyalty.models import Account
from pos.actors import terminal_for_token
from pos.models import Receipt, Refund, Store, Terminal

pytestmark = pytest.mark.django_db


def test_terminal_create_makes_the_store_and_prints_a_working_token():
    out = io.StringIO()
    call_command("terminal_create", "--store", "berlin-1", "--name", "till-1", stdout=out, stderr=io.StringIO())
    token = out.getvalue().strip().splitlines()[-1]
    terminal = terminal_for_token(token)
    assert (terminal.store.code, terminal.name) == ("berlin-1", "till-1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--store", "bad code!", "--name", "t"],
            "The store code must be 1-20 letters, digits, - or _, not 'bad code!'.",
        ),
        (["--store", "s1", "--name", " "], "The terminal name is required."),
        (["--store", "s1", "--name", "t" * 61], "The terminal name must be at most 60 characters (it has 61)."),
        (
            ["--store", "s1", "--name", "till\x00"],
            "The terminal name must not hold control characters (such as NUL, tab or line breaks).",
        ),
        (
            ["--store", "s1", "--name", "t", "--store-name", "s" * 101],
            "The store name must be at most 100 characters (it has 101).",
        ),
        (
            ["--store", "s1", "--name", "t", "--store-name", "Mitte\x00"],
            "The store name must not hold control characters (such as NUL, tab or line breaks).",
        ),
    ],
)
def test_terminal_create_bad_input_is_one_line(args, message):
    with pytest.raises(CommandError) as error:
        call_command("terminal_create", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert str(error.value) == message
    assert (Store.objects.count(), Terminal.objects.count()) == (0, 0)


def test_terminal_name_is_unique_per_store():
    call_command("terminal_create", "--store", "s1", "--name", "t", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError) as error:
        call_command("terminal_create", "--store", "s1", "--name", "t", stdout=io.StringIO(), stderr=io.StringIO())
    assert str(error.value) == "Store s1 already has a terminal named 't'."
    assert Terminal.objects.count() == 1


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True  # as bin/run asks; pytest-django runs tests with DEBUG off


def test_loyalty_demo_is_safe_to_run_twice(debug_on):
    first, second = io.StringIO(), io.StringIO()
    call_command("loyalty_demo", stdout=first)
    call_command("loyalty_demo", stdout=second)
    assert first.getvalue() == second.getvalue()
    assert "terminal token demo-token-central-till-1" in first.getvalue()
    assert (Store.objects.count(), Terminal.objects.count()) == (2, 2)


def test_loyalty_demo_brings_a_year_of_receipts_and_a_customer_who_can_sign_in(debug_on):
    out = io.StringIO()
    call_command("loyalty_demo", stdout=out)
    pin = card_pin("2000000000503")
    assert f"Customer page (/my/): card 2000000000503, PIN {pin}" in out.getvalue().splitlines()
    # the year's shopping, and the business customer's 4 (partners/demo.py)
    assert (Receipt.objects.count(), Receipt.objects.filter(card__isnull=True).count(), Refund.objects.count()) == (
        119,
        30,
        1,
    )  # fmt: skip  (a walk-in paid with the demo gift card: tests/giftcards/test_demo.py; the business customer's 4)
    gold = Account.objects.select_related("level").get(cards__number="2000000000503")
    assert (gold.level.name, gold.spend) == ("Gold", D("1289.80"))
    idle = Account.objects.select_related("level").get(cards__number="2000000000459")
    assert idle.level.name == "Gold"
    call_command("expire_inactive", stdout=io.StringIO())  # the one who stopped coming steps down
    idle.refresh_from_db()
    assert idle.level.name == "Silver"


def test_loyalty_demo_refuses_to_run_with_debug_off_and_creates_nothing():
    with pytest.raises(CommandError) as error:
        call_command("loyalty_demo", stdout=io.StringIO())
    assert str(error.value) == (
        "refusing to create the demo with DJANGO_DEBUG off: its logins and tokens are public "
        "(pass --allow-production for a trial install)"
    )
    assert (Store.objects.count(), Terminal.objects.count(), Receipt.objects.count()) == (0, 0, 0)


def test_loyalty_demo_runs_in_production_when_allowed():
    out = io.StringIO()
    call_command("loyalty_demo", "--allow-production", stdout=out)
    assert "terminal token demo-token-central-till-1" in out.getvalue()
    assert (Store.objects.count(), Terminal.objects.count()) == (2, 2)

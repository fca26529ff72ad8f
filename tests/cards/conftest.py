import pytest

from cards.models import Card
from loyalty.models import Company
from tests.cards.companies import ANNA, BOB
from tests.pos.helpers import activate, buy, line


@pytest.fixture
def company(db):
    return Company.objects.create(name="Müller Bau GmbH", vat_id="DE123456789")


@pytest.fixture
def staff(till):
    """Anna bought 400.00 (Silver, 20.00 points), Bob 350.00 (Silver, 17.50 points), each on their own card."""
    activate(till, number=ANNA, name="Anna Kowalska", phone="+48600100200")
    activate(till, number=BOB, name="Bob Nowak", phone="+48600100201")
    assert buy(till, [line("TV", "produce", "1", "400.00", "TV")], card=ANNA).status_code == 201
    assert buy(till, [line("TV", "produce", "1", "350.00", "TV")], card=BOB).status_code == 201
    return {n: Card.objects.get(number=n) for n in (ANNA, BOB)}

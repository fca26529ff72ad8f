"""A partner's code given at activation makes the customer the partner's; an unknown code changes nothing."""

import pytest

from cards.models import Card
from loyalty.models import Company, Customer, PartnerAssignment
from pos.models import CardActivation
from tests.partners.shop import partner
from tests.pos.helpers import CARD, activate, buy, line

pytestmark = pytest.mark.django_db

BODY = {"name": "Eva Neu", "phone": "+49301234567"}


def test_a_known_code_in_any_case_assigns_the_new_customer_to_the_partner(till):
    agent = partner(code="AGENT-7")
    response = till.post(f"/api/v1/cards/{CARD}/activate/", {**BODY, "partner_code": " agent-7 "}, format="json")
    assert response.status_code == 201
    assignment = PartnerAssignment.objects.get()
    card = Card.objects.get(number=CARD)
    assert (assignment.partner, assignment.customer, assignment.source) == (agent, card.account.customer, "activation")
    assert assignment.assigned_at == card.activated_at


def test_no_code_assigns_nobody(till):
    assert till.post(f"/api/v1/cards/{CARD}/activate/", BODY, format="json").status_code == 201
    assert PartnerAssignment.objects.count() == 0


def test_an_unknown_code_is_a_400_and_the_card_stays_issued(till):
    partner(code="AGENT-7")
    customers = Customer.objects.count()
    response = till.post(f"/api/v1/cards/{CARD}/activate/", {**BODY, "partner_code": "AGENT-8"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_partner_code"
    assert response.json()["error"]["details"] == {"partner_code": ["Unknown code."]}
    assert Card.objects.get(number=CARD).status == "issued"
    assert (Customer.objects.count(), CardActivation.objects.count(), PartnerAssignment.objects.count()) == (
        customers, 0, 0,
    )  # fmt: skip


def test_a_company_on_contract_terms_earns_no_points_on_its_staff_cards(till):
    activate(till)
    card = Card.objects.get(number=CARD)
    firm = Company.objects.create(name="Bau GmbH", vat_id="DE1", earns_points=False)
    card.account.company = firm
    card.account.save(update_fields=["company"])
    sale = buy(till, [line("X", "produce", "1", "100.00", "X")])
    assert (sale.status_code, sale.json()["points_earned"]) == (201, "0.00")
    firm.earns_points = True
    firm.save()
    assert buy(till, [line("X", "produce", "1", "100.00", "X")]).json()["points_earned"] == "5.00"

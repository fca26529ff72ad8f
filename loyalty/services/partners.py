"""Who brought a customer: a partner's code given at activation, or a manager's assignment."""

from datetime import datetime

from django.db import transaction

from core.errors import DomainError, InvalidInput
from loyalty.models import Customer, Partner, PartnerAssignment


def partner_for_code(code: str) -> Partner:
    """The partner a code names, in any case and with stray spaces; an unknown code is a typo to fix at the till
    (400 unknown_partner_code), never a silent activation without its partner."""
    partner = Partner.objects.filter(code=code.strip().upper()).first()
    if partner is None:
        raise InvalidInput(
            "No partner has this code.", code="unknown_partner_code", details={"partner_code": ["Unknown code."]}
        )
    return partner


def customer_partner_assign(
    *, customer: Customer, partner: Partner, source: str, by, at: datetime
) -> PartnerAssignment:
    """Inside the caller's transaction (activation) or its own (a manager): a customer belongs to one partner."""
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=customer.pk)
        if PartnerAssignment.objects.filter(customer=customer).exists():
            raise DomainError("This customer already belongs to a partner.", code="customer_has_partner")
        return PartnerAssignment.objects.create(
            customer=customer, partner=partner, source=source, assigned_by=by, assigned_at=at
        )

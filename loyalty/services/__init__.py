"""The loyalty programme's write paths (architecture.md: services, `<entity>_<action>`).

- ledger: customers, and the points and spend ledger of an account, one call per event;
- customers: two records of one person merged by a manager;
- levels: a programme's discount scale saved as its levels, in one step (the manager's designer).

Callers import from here: `from loyalty.services import account_purchase_record`.
"""

from loyalty.services.customers import customer_merge
from loyalty.services.ledger import (
    Joined,
    Settlement,
    account_join,
    account_open,
    account_purchase_record,
    account_refund_settle,
    account_replace,
    company_account_open,
    customer_create,
    normalise_phone,
    points_adjust,
)
from loyalty.services.levels import PlannedLevel, programme_levels_replace
from loyalty.services.partners import customer_partner_assign, partner_for_code

__all__ = [
    "partner_for_code",
    "PlannedLevel",
    "Joined",
    "Settlement",
    "account_join",
    "account_open",
    "account_purchase_record",
    "account_refund_settle",
    "account_replace",
    "company_account_open",
    "customer_create",
    "customer_partner_assign",
    "customer_merge",
    "normalise_phone",
    "points_adjust",
    "programme_levels_replace",
]

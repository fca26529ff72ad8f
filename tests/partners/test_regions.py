"""Channel protection: a small direct order of an unregistered customer in a dealer's region is the dealer's
sale (the bypassed dealer is compensated); a registered customer belongs to its own dealer, a key account to
nobody's region."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from partners import selectors
from partners.models import (
    Agreement,
    Condition,
    CustomerRegion,
    KeyAccount,
    RegionCover,
    Statement,
    StatementItem,
    StatementLine,
    Tier,
)
from partners.services import settle_period
from tests.factories import active_card
from tests.partners.shop import NOV, SETTLED_AT, assign, company, partner, receipt, refund

pytestmark = pytest.mark.django_db


def dealer(code: str, *prefixes: str, limit="100.00", percent="5") -> Agreement:
    p = partner(code=code, name=f"Händler {code}")
    for prefix in prefixes:
        RegionCover.objects.create(partner=p, prefix=prefix)
    agreement = Agreement.objects.create(
        name=f"Dealer {code}", partner=p, valid_from=NOV.date().replace(month=1, day=1),
        region_order_limit=D(limit) if limit else None,
    )  # fmt: skip
    Tier.objects.create(agreement=agreement, threshold=D("0"), percent=D(percent))
    return agreement


def customer(postcode: str | None, name="Kunde"):
    card = active_card(name=name)
    if postcode is not None:
        CustomerRegion.objects.create(customer=card.account.customer, postcode=postcode)
    return card


def counted() -> dict[str, list[tuple[str, bool]]]:
    """Per dealer code: the receipts its statement counted (amount, bypassed)."""
    found = {}
    for s in Statement.objects.select_related("agreement__partner"):
        items = s.items.order_by("amount")
        found[s.agreement.partner.code] = [(str(i.amount), i.bypassed) for i in items]
    return found


@pytest.mark.parametrize(
    "postcode, amount, setup, expected",
    [
        ("80331", "99.99", None, {"NORD": [], "CITY": [("99.99", True)], "OWN": []}),
        ("80331", "100.00", None, {"NORD": [], "CITY": [], "OWN": []}),  # exactly the limit: not below it
        ("80 331", "0.01", None, {"NORD": [], "CITY": [("0.01", True)], "OWN": []}),  # spaces are no part of it
        ("80111", "50.00", None, {"NORD": [("50.00", True)], "CITY": [], "OWN": []}),  # only the short prefix
        ("10115", "50.00", None, {"NORD": [], "CITY": [], "OWN": []}),  # nobody's region
        (None, "50.00", None, {"NORD": [], "CITY": [], "OWN": []}),  # no postcode known
        ("80331", "50.00", "assigned", {"NORD": [], "CITY": [], "OWN": [("50.00", False)]}),  # its own dealer
        ("80331", "50.00", "key_account", {"NORD": [], "CITY": [], "OWN": []}),  # named explicitly: nobody's
        ("80331", "50.00", "assigned_later", {"NORD": [], "CITY": [("50.00", True)], "OWN": []}),
        ("80331", "50.00", "business", {"NORD": [], "CITY": [], "OWN": []}),  # the chain's own business customer
    ],
)  # fmt: skip
def test_who_a_direct_receipt_counts_for(postcode, amount, setup, expected):
    dealer("NORD", "80")  # the wider region …
    dealer("CITY", "803")  # … and a dealer of a part of it: the longest prefix wins
    own = dealer("OWN", "99", limit=None)
    card = customer(postcode)
    if setup == "assigned":
        assign(own.partner, card)
    if setup == "key_account":
        KeyAccount.objects.create(partner=own.partner, customer=card.account.customer, percent=None)
    if setup == "assigned_later":  # registered after the receipt: that receipt was still a bypassed sale
        assign(own.partner, card, at=NOV.replace(day=20))
    if setup == "business":  # a company's staff card: the chain's own direct customer, with its own agreement
        card.account.company = company()
        card.account.save(update_fields=["company"])
    receipt(card, amount, NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    assert counted() == expected


def test_a_dealer_without_a_limit_gets_no_bypassed_sales():
    dealer("NORD", "80", limit=None)
    receipt(customer("80331"), "10.00", NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    assert counted() == {"NORD": []}


def test_the_bypassed_sales_earn_the_commission_and_have_their_own_line_once():
    agreement = dealer("NORD", "80")
    mine = customer("12345", "Eigen")
    assign(agreement.partner, mine)
    receipt(mine, "1000.00", NOV)
    first = receipt(customer("80331", "Direkt A"), "40.00", NOV)
    receipt(customer("80999", "Direkt B"), "70.00", NOV)
    refund(first, "10.00", NOV.replace(day=12))  # net 30.00: counted as the partner's own receipts are
    receipt(customer("80111", "Groß"), "150.00", NOV)  # above the limit: the shop's own sale

    assert settle_period(month="2026-11", at=SETTLED_AT).total == D("55.00")
    statement = Statement.objects.get(agreement=agreement)
    assert (statement.volume, statement.bonus, statement.receipts) == (D("1100.00"), D("55.00"), 3)
    assert [(ln.kind, ln.label_text, ln.figure_text, ln.amount) for ln in statement.lines.all()] == [
        ("tier", "Volume tier (retroactive)", "1,100.00 reaches 5.00 %", D("55.00")),
        ("bypassed", "Bypassed sales in your region", "2 receipts, 100.00, in the volume above: 5.00 of the commission",
         D("0.00")),
    ]  # fmt: skip
    assert StatementItem.objects.filter(bypassed=True).count() == 2

    again = settle_period(month="2026-11", at=SETTLED_AT)  # a rerun makes nothing and counts nothing twice
    assert (again.statements, StatementItem.objects.count()) == (0, 3)


def test_the_partner_reads_the_bypassed_line_on_its_statement(client, django_user_model):
    agreement = dealer("NORD", "80")
    agreement.partner.user = django_user_model.objects.create_user("nord", password="pw-nord-1")
    agreement.partner.save(update_fields=["user"])
    receipt(customer("80331"), "40.00", NOV)
    settle_period(month="2026-11", at=SETTLED_AT)
    statement = Statement.objects.get()
    assert client.post("/partner/login/", {"username": "nord", "password": "pw-nord-1"}).status_code == 302
    page = client.get(f"/partner/statements/{statement.pk}/").content.decode()
    assert "Bypassed sales in your region" in page
    assert "1 receipt, 40.00, in the volume above: 2.00 of the commission" in page and "1 receipts" not in page
    german = client.get(f"/partner/statements/{statement.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "1 Bon, 40,00, im Umsatz oben: 2,00 der Provision" in german
    assert (
        statement.lines.get(kind="bypassed").figure == "1 receipt, 40.00, in the volume above: 2.00 of the commission"
    )
    assert "Direct sale in your region" in page and "Kunde" not in page  # not its customer: no name
    csv = client.get(f"/partner/statements/{statement.pk}.csv").content.decode()
    assert "Kunde" not in csv and ",40.00," in csv


def test_a_prefix_another_dealer_covers_is_refused_in_the_admin(admin_client):
    dealer("NORD", "80")
    other = partner(code="SUED", name="Süd")
    url = "/admin/partners/regioncover/add/"
    taken = admin_client.post(url, {"partner": other.pk, "prefix": " 80 ", "note": ""})
    assert taken.status_code == 200  # the form again, with the refusal
    assert "Region cover with this Postcode prefix already exists." in taken.content.decode()
    assert list(RegionCover.objects.values_list("prefix", "partner__code")) == [("80", "NORD")]
    wider = admin_client.post(url, {"partner": other.pk, "prefix": "8", "note": ""})  # nested: the longest wins
    assert wider.status_code == 302
    assert list(RegionCover.objects.values_list("prefix", "partner__code")) == [("8", "SUED"), ("80", "NORD")]


def test_the_bypassed_line_in_german():
    ln = StatementLine(kind="bypassed", label="Bypassed sales in your region", figure="", figure_code="bypassed",
                       args={"receipts": 2, "volume": "1100.00", "earned": "5.00"})  # fmt: skip
    with translation.override("de"):
        assert (ln.label_text, ln.figure_text) == (
            "Direktkäufe im Gebiet",
            "2 Bons, 1.100,00, im Umsatz oben: 5,00 der Provision",
        )


def test_a_regional_order_limit_on_a_company_agreement_is_refused():
    firm = company()
    agreement = Agreement(name="Firm", company=firm, valid_from=NOV.date(), region_order_limit=D("100.00"))
    with pytest.raises(ValidationError) as refused:
        agreement.full_clean()
    assert refused.value.message_dict == {
        "region_order_limit": ["A regional order limit is a dealer's: set it on a partner's agreement."]
    }


def test_the_progress_so_far_counts_the_bypassed_sales_as_the_settlement_will():
    agreement = dealer("NORD", "80")
    mine = customer("12345", "Eigen")
    assign(agreement.partner, mine)
    receipt(mine, "1000.00", NOV)
    receipt(customer("80331", "Direkt"), "40.00", NOV)
    receipt(customer("80332", "Groß"), "150.00", NOV)  # above the limit
    since, until = NOV.replace(day=1, hour=0), NOV.replace(month=12, day=1, hour=0)
    so_far = selectors.partner_volume_so_far(
        partner_id=agreement.partner_id, since=since, until=until, region_order_limit=D("100.00")
    )
    assert so_far == D("1040.00")
    without = selectors.partner_volume_so_far(partner_id=agreement.partner_id, since=since, until=until)
    assert without == D("1000.00")


def test_growth_compares_with_last_year_counted_the_same_way_bypassed_sales_and_all():
    """This year's volume holds the bypassed sales in the region: last year's figure holds them too, by the
    same rules (below the limit, nobody's customer then, net of the refunds made in the window)."""
    regional = dealer("NORD", "80")
    plain = dealer("OWN", "99", limit=None)
    for agreement in (regional, plain):
        Condition.objects.create(agreement=agreement, kind="growth", percent=D("2"), growth_percent=D("5"))
    a_year_ago = NOV.replace(year=2025)
    eigen, treu, later = customer("12345", "Eigen"), customer("12346", "Treu"), customer("80444", "Später")
    assign(regional.partner, eigen, at=datetime(2025, 1, 5, tzinfo=UTC))
    assign(plain.partner, treu, at=datetime(2025, 1, 5, tzinfo=UTC))
    assign(regional.partner, later)  # January 2026: last November still a direct sale in the region
    direct = customer("80331", "Direkt A")
    # November 2025
    receipt(eigen, "1000.00", a_year_ago)
    refund(receipt(direct, "60.00", a_year_ago), "10.00", a_year_ago.replace(day=12))  # 50.00 net
    receipt(later, "30.00", a_year_ago)  # bypassed then
    receipt(customer("80111", "Groß"), "150.00", a_year_ago)  # above the limit: the shop's own sale
    receipt(direct, "20.00", a_year_ago.replace(month=10))  # October: outside the window
    receipt(treu, "1000.00", a_year_ago)
    receipt(customer("99001", "Direkt C"), "40.00", a_year_ago)  # no limit: never the partner's
    # November 2026
    receipt(eigen, "1000.00", NOV)
    receipt(later, "30.00", NOV)  # its own customer now
    receipt(customer("80999", "Direkt B"), "80.00", NOV)
    receipt(treu, "1100.00", NOV)
    receipt(customer("99002", "Direkt D"), "40.00", NOV)

    settle_period(month="2026-11", at=SETTLED_AT)

    # 1,110.00 against 1,080.00 (1,000.00 own + 50.00 + 30.00 bypassed): 2.77 %, not the 11.00 % against
    # the 1,000.00 of its registered customers alone.
    statement = Statement.objects.get(agreement=regional)
    assert (statement.volume, statement.last_year_volume, statement.bonus) == (D("1110.00"), D("1080.00"), D("55.50"))
    assert [(ln.kind, ln.figure_text, ln.met, ln.amount) for ln in statement.lines.all()] == [
        ("growth", "2.77 % against 1,080.00", False, D("0.00")),
        ("tier", "1,110.00 reaches 5.00 %", True, D("55.50")),
        ("bypassed", "1 receipt, 80.00, in the volume above: 4.00 of the commission", True, D("0.00")),
    ]
    assert statement.lines.get(kind="growth").figure == "2.77 % against 1080.00"

    # Without a regional order limit nothing changes: its registered customers only, both years.
    statement = Statement.objects.get(agreement=plain)
    assert (statement.volume, statement.last_year_volume, statement.bonus) == (D("1100.00"), D("1000.00"), D("77.00"))
    assert [(ln.kind, ln.figure_text, ln.met, ln.amount) for ln in statement.lines.all()] == [
        ("growth", "10.00 % against 1,000.00", True, D("22.00")),
        ("tier", "1,100.00 reaches 5.00 %", True, D("55.00")),
    ]

    # The manager's costs page reads the same last year's figures.
    costs = {
        row["agreement_id"]: row for row in selectors.programme_costs(since=date(2026, 11, 1), until=date(2026, 11, 1))
    }
    assert (costs[regional.pk]["volume"], costs[regional.pk]["last_year"]) == (D("1110.00"), D("1080.00"))
    assert (costs[plain.pk]["volume"], costs[plain.pk]["last_year"]) == (D("1100.00"), D("1000.00"))


def test_last_year_volumes_counts_the_bypassed_sales_only_with_a_regional_order_limit():
    regional = dealer("NORD", "80")
    plain = dealer("OWN", "99", limit=None)
    a_year_ago = NOV.replace(year=2025)
    receipt(customer("80331", "Direkt A"), "40.00", a_year_ago)
    receipt(customer("99001", "Direkt B"), "40.00", a_year_ago)
    since, until = a_year_ago.replace(day=1, hour=0), a_year_ago.replace(month=12, day=1, hour=0)
    found = selectors.last_year_volumes(agreement_ids=[regional.pk, plain.pk], since=since, until=until)
    assert found == {regional.pk: D("40.00")}


def test_growth_leaves_a_key_account_at_its_own_rate_out_of_both_years():
    """A key account paid by its own percent is taken out of this year's volume before growth is judged: out
    of last year's too, or growth would be understated."""
    agreement = dealer("OWN", "99", limit=None)
    Condition.objects.create(agreement=agreement, kind="growth", percent=D("2"), growth_percent=D("5"))
    regular, key = customer("12345", "Treu"), customer("12346", "Groß")
    for card in (regular, key):
        assign(agreement.partner, card, at=datetime(2025, 1, 5, tzinfo=UTC))
    KeyAccount.objects.create(partner=agreement.partner, customer=key.account.customer, percent=D("1"))
    a_year_ago = NOV.replace(year=2025)
    receipt(regular, "1000.00", a_year_ago)
    receipt(key, "500.00", a_year_ago)
    receipt(regular, "1100.00", NOV)
    receipt(key, "500.00", NOV)

    settle_period(month="2026-11", at=SETTLED_AT)

    statement = Statement.objects.get(agreement=agreement)
    # 1,100.00 against 1,000.00: 10 %, met (against 1,500.00 it read -26.67 %, not met)
    assert (statement.volume, statement.last_year_volume, statement.bonus) == (D("1600.00"), D("1000.00"), D("82.00"))
    assert [(ln.kind, ln.figure_text, ln.met, ln.amount) for ln in statement.lines.all()] == [
        ("growth", "10.00 % against 1,000.00", True, D("22.00")),
        ("tier", "1,100.00 reaches 5.00 %", True, D("55.00")),
        ("key_account", "500.00 at its own rate", True, D("5.00")),
    ]

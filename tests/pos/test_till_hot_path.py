"""The till's hot path: what a scan and a checkout cost in statements, and that the programme terms
each process keeps (levels, time windows, categories) are read again as soon as they change."""

from datetime import time
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loyalty.models import Category, Level, PointsEntry, Programme, TimeWindow
from loyalty.services import PlannedLevel, programme_levels_replace
from pos.actors import terminal_create, terminal_for_token, terminal_revoke
from pos.models import Receipt, Store
from tests.pos.helpers import CARD, account_of, activate, buy, line, refund

pytestmark = pytest.mark.django_db


def card_percent(till) -> str:
    return till.get(f"/api/v1/cards/{CARD}/").json()["discount_percent"]


def statements(call) -> list[str]:
    """The SQL a call sends, without the test's own savepoint bookkeeping."""
    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def make_silver():
    account = account_of()
    account.level = Level.objects.get(name="Silver")
    account.spend = D("400.00")
    account.save()


def test_a_card_scan_is_two_statements_once_the_terms_are_known(till):
    activate(till)
    till.get(f"/api/v1/cards/{CARD}/")  # this process reads the programme's terms once
    sql = statements(lambda: till.get(f"/api/v1/cards/{CARD}/"))
    assert len(sql) == 2  # the terminal with its store; the card with account, customer, programme, level, overdue
    assert "pos_terminal" in sql[0] and "cards_card" in sql[1] and "loyalty_pointslot" in sql[1]


def test_a_discounted_checkout_earning_points_is_twelve_statements_one_account_update(till):
    activate(till)
    make_silver()  # a discount, so register rows too
    assert buy(till, [line()]).status_code == 201  # terms read
    sql = statements(lambda: buy(till, [line(), line("BREAD-RYE", "bakery", "1", "2.79")]))
    # terminal, [BEGIN], idempotency claim, card and account lock, then the account's customer, programme,
    # level and lots due, receipt, lines, register rows, points entry, lot, spend entry, one account update,
    # idempotency answer, [COMMIT]
    assert len([s for s in sql if s not in ("BEGIN", "COMMIT")]) == 12
    assert sum(s.startswith("UPDATE") and "loyalty_account" in s for s in sql) == 1


def account_updates(sql: list[str]) -> int:
    return sum(s.startswith('UPDATE "loyalty_account"') for s in sql)


def test_a_checkout_redeeming_and_burning_points_and_its_refund_each_update_the_account_row_once(till):
    from datetime import timedelta

    from django.utils import timezone

    from loyalty.services import points_adjust

    activate(till)
    make_silver()
    long_ago = timezone.now() - timedelta(days=400)
    for at in (long_ago, timezone.now()):  # the first lot is past its date: the checkout burns it
        points_adjust(account_id=account_of().pk, points=D("1.00"), reason="test", by=None, at=at)
    sale = statements(lambda: buy(till, [line()], redeem="0.50"))
    assert account_updates(sale) == 1
    # 2.98 less 2 % (0.05) less 0.50 in points is 2.43 paid, earning 0.12: 2.00 - 1.00 burned - 0.50 + 0.12
    assert (account_of().points_balance, account_of().spend) == (D("0.62"), D("402.43"))
    assert list(PointsEntry.objects.filter(kind="expire").values_list("points", flat=True)) == [D("-1.00")]
    receipt_id = Receipt.objects.get().pk
    assert account_updates(statements(lambda: refund(till, receipt_id))) == 1
    assert (account_of().points_balance, account_of().spend) == (D("1.00"), D("400.00"))


def test_a_level_changed_in_the_admin_prices_the_next_scan(till):
    activate(till)
    make_silver()
    assert card_percent(till) == "2.00"
    silver = Level.objects.get(name="Silver")
    silver.percent = D("3.00")
    silver.save()
    assert card_percent(till) == "3.00"
    assert till.get(f"/api/v1/cards/{CARD}/").json()["next_level"]["name"] == "Gold"
    Level.objects.get(name="Gold").delete()
    assert till.get(f"/api/v1/cards/{CARD}/").json()["next_level"]["name"] == "Platinum"


def test_a_saved_scale_prices_the_next_scan(till, django_user_model):
    activate(till)
    make_silver()
    assert card_percent(till) == "2.00"
    programme = Programme.objects.get(code="default")
    programme_levels_replace(
        programme_id=programme.pk,
        levels=[
            PlannedLevel("Silver", D("300.00"), D("2.50")),
            PlannedLevel("Gold", D("700.00"), D("5.00")),
            PlannedLevel("Platinum", D("1500.00"), D("7.00")),
        ],
        by=django_user_model.objects.create(username="boss", is_superuser=True, is_staff=True),
    )
    assert card_percent(till) == "2.50"


def test_a_new_time_window_and_a_category_change_price_the_next_quote(till):
    activate(till)
    make_silver()

    def milk_discount():
        body = till.post("/api/v1/checkout/quote/", {"card_number": CARD, "lines": [line()]}, format="json").json()
        return body["lines"][0]["discount_percent"]

    assert milk_discount() == "2.00"
    window = TimeWindow.objects.create(
        programme=Programme.objects.get(code="default"), name="All day", start_time=time(0), end_time=time(23, 59),
        extra_percent=D("1.00"),
    )  # fmt: skip
    assert milk_discount() == "3.00"
    Category.objects.filter(code="dairy").update(discount_policy="excluded")  # no signal from update() ...
    Category.objects.get(code="dairy").save()  # ... the admin saves the object, which renews the stamp
    assert milk_discount() == "0.00"
    window.delete()


def test_the_terminal_lookup_gives_typed_fields_and_refuses_a_revoked_token():
    terminal, token = terminal_create(store=Store.objects.create(code="s1", name="Shop 1"), name="till-1")
    found = terminal_for_token(token)
    assert (found.pk, found.name, found.store.code, found.store.name) == (terminal.pk, "till-1", "s1", "Shop 1")
    assert found.created_at == terminal.created_at and found.revoked_at is None  # datetimes, also on SQLite
    terminal_revoke(terminal)
    assert terminal_for_token(token) is None
    assert terminal_for_token("not-a-token") is None


def test_a_scan_leaves_out_points_past_their_date_in_exact_cents(till):
    from datetime import timedelta

    from django.utils import timezone

    from loyalty.models import PointsLot
    from loyalty.services import points_adjust

    activate(till)
    account = account_of()
    past = timezone.now() - timedelta(days=1)
    for points in ("0.10", "0.20", "5.00"):
        points_adjust(account_id=account.pk, points=D(points), reason="test", by=None, at=past)
    PointsLot.objects.filter(account=account, points=D("5.00")).update(expires_at=timezone.now() + timedelta(days=9))
    PointsLot.objects.exclude(points=D("5.00")).filter(account=account).update(expires_at=past)
    body = till.get(f"/api/v1/cards/{CARD}/").json()
    assert body["points_balance"] == "5.00"  # 5.30 held, 0.30 burnt tonight (SQLite would add 0.1 + 0.2 in floats)
    assert account_of().points_balance == D("5.30")  # a read burns nothing


def test_an_unknown_category_at_checkout_is_400_writes_nothing_and_frees_the_key(till):
    from pos.models import IdempotencyRecord, Receipt

    activate(till)
    before = (account_of().spend, account_of().points_balance)
    bad = buy(till, [line(), line("X-1", "nope", "1", "1.00"), line("X-2", "gone", "1", "1.00")], key="k-cat")
    assert bad.status_code == 400
    assert bad.json() == {
        "error": {
            "code": "invalid_input",
            "message": "The request is not valid.",
            "details": {"lines": ["Unknown category: gone, nope."]},
        }
    }
    assert (Receipt.objects.count(), IdempotencyRecord.objects.count()) == (0, 0)
    assert (account_of().spend, account_of().points_balance) == before
    assert buy(till, [line()], key="k-cat").status_code == 201  # the key was not spent on the refusal


@pytest.mark.postgres
def test_on_postgresql_a_checkout_locks_card_and_account_joining_nothing_else_and_reads_the_rest_after(till):
    activate(till)
    make_silver()
    sql = statements(lambda: buy(till, [line()]))
    [lock] = [s for s in sql if "FOR UPDATE" in s]
    assert lock.endswith("FOR UPDATE OF c, a") and lock.count(" JOIN ") == 1  # the card's account, nothing more
    after = sql[sql.index(lock) + 1]
    assert all(f'"loyalty_{table}"' in after for table in ("customer", "programme", "level", "pointslot"))


def prepared_statements() -> dict[str, tuple[int, int]]:
    """This connection's prepared statements: the first words of each, with its generic and custom plan counts."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {statement[:40]: (generic, custom) for statement, generic, custom in cursor.fetchall()}


@pytest.mark.postgres
def test_on_postgresql_a_scan_repeated_is_prepared_and_planned_once(till):
    activate(till)
    for _ in range(8):
        assert till.get(f"/api/v1/cards/{CARD}/").status_code == 200
    card_scan = [plans for sql, plans in prepared_statements().items() if sql.startswith('SELECT c."id", c."number"')]
    terminal = [plans for sql, plans in prepared_statements().items() if sql.startswith('SELECT t."id"')]
    # Prepared at the 5th run (psycopg's threshold); every run since uses the one generic plan, none is replanned.
    assert card_scan == [(4, 0)]
    assert terminal == [(4, 0)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # report_session's own transaction, as on a page: SET LOCAL ends with it
def test_on_postgresql_reports_plan_for_their_own_dates_and_the_till_does_not():
    from dashboard.reports.common import report_session

    def mode():
        with connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            return cursor.fetchone()[0]

    assert mode() == "force_generic_plan"
    with report_session():
        assert mode() == "auto"
    assert mode() == "force_generic_plan"


@pytest.mark.postgres
def test_on_postgresql_five_lines_go_as_one_array_per_column_and_two_as_values(till):
    activate(till)
    make_silver()
    assert buy(till, [line()]).status_code == 201  # terms read
    five = statements(lambda: buy(till, [line(f"SKU-{n}", "dairy", "1", "1.00") for n in range(5)]))
    two = statements(lambda: buy(till, [line(f"SKU-{n}", "dairy", "1", "1.00") for n in range(2)]))

    def writes(sql, table):
        return next(s for s in sql if s.startswith(f'INSERT INTO "{table}"'))

    # 5 lines x 15 columns and 5 register rows x 11 are above what psycopg caches a parse for; 2 lines are not.
    assert "UNNEST(" in writes(five, "pos_receiptline") and "UNNEST(" in writes(five, "pos_discountentry")
    assert " VALUES (" in writes(two, "pos_receiptline") and " VALUES (" in writes(two, "pos_discountentry")

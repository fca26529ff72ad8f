"""The discount-scale designer (domain.md, "Designing a discount scale") and saving a scale as a
programme's levels (loyalty.services.levels)."""

import re
from decimal import Decimal as D

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User

from core.errors import DomainError, InvalidInput
from loyalty.models import Account, Level, Programme
from loyalty.services import PlannedLevel, programme_levels_replace
from pos.demo import build_demo
from tests.dashboard.shop import build_shop

SCALE = {
    "mode": "scale", "scale-basis": "markup", "scale-rate": "25", "scale-volume": "300", "scale-current": "0",
    "step-TOTAL_FORMS": "3", "step-INITIAL_FORMS": "0", "step-MIN_NUM_FORMS": "1", "step-MAX_NUM_FORMS": "10",
    "step-0-name": "Bronze", "step-0-percent": "2", "step-0-wanted": "0",
    "step-1-name": "Silver", "step-1-percent": "5", "step-1-wanted": "20",
    "step-2-name": "Gold", "step-2-percent": "7", "step-2-wanted": "50",
}  # fmt: skip


@pytest.fixture
def demo(db):
    build_demo()


def default_levels() -> list[tuple[str, D, D]]:
    return list(Level.objects.filter(programme__code="default").order_by("threshold").values_list(
        "name", "threshold", "percent"))  # fmt: skip


def cells(html: str, table_id: str) -> list[list[str]]:
    body = re.findall(rf'<section class="report" id="{table_id}">.*?<tbody>(.*?)</tbody>', html, re.S)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


# --- answering one customer ---------------------------------------------------------------------


def test_the_domain_example_a_customer_asking_for_10_percent(manager_client, demo):
    query = "mode=ask&ask-basis=markup&ask-rate=50&ask-volume=10000&ask-current=0&ask-asked=10&ask-wanted=0"
    html = manager_client.get(f"/manager/scale/?{query}").content.decode()
    answer = re.sub(r"\s+", " ", re.findall(r'<p class="answer" id="answer">(.*?)</p>', html, re.S)[0])
    assert "must pay <b>12857.14</b> a month (28.6 % more than today's 10000.00)" in answer
    assert "buy <b>14285.71</b> at list price" in answer
    assert "from <b>13000</b> paid a month" in answer
    rows = re.findall(r"<tr><th scope=\"row\">(\w+)</th>(.*?)</tr>", re.sub(r"\s+", " ", html))
    assert [(name, re.findall(r'<td class="num">(.*?)</td>', cells)) for name, cells in rows] == [
        ("Today", ["0", "10000.00", "10000.00", "6666.67", "3333.33"]),
        ("Asked", ["10", "14285.71", "12857.14", "9523.81", "3333.33"]),
    ]


def test_growth_is_against_what_a_discounted_customer_pays_today(manager_client, demo):
    # Pays 10 000 at 5 %: list 10 526.32; 10 % needs 11 503.76 paid, 15.0 % more than the 10 000 they pay.
    query = "mode=ask&ask-basis=markup&ask-rate=50&ask-volume=10000&ask-current=5&ask-asked=10&ask-wanted=0"
    html = re.sub(r"\s+", " ", manager_client.get(f"/manager/scale/?{query}").content.decode())
    assert "must pay <b>11503.76</b> a month (15.0 % more than today's 10000.00)" in html


def test_a_margin_on_price_is_turned_into_the_markup_on_cost(manager_client, demo):
    # A 20 % margin on price is a 25 % markup on cost: 300 at 0 % -> 2 % needs 333.33 at list price.
    query = "mode=ask&ask-basis=margin&ask-rate=20&ask-volume=300&ask-current=0&ask-asked=2&ask-wanted=0"
    assert "<b>333.33</b>" in manager_client.get(f"/manager/scale/?{query}").content.decode()


def test_a_discount_that_eats_the_whole_margin_is_explained_not_computed(manager_client, demo):
    query = "mode=ask&ask-basis=markup&ask-rate=10&ask-volume=1000&ask-current=0&ask-asked=10&ask-wanted=0"
    html = manager_client.get(f"/manager/scale/?{query}").content.decode()
    assert "leaves no margin" in html and 'id="answer"' not in html

    german = manager_client.get(f"/manager/scale/?{query}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    refusal = "ein Rabatt von 10 % lässt bei 10.0 % Aufschlag keine Marge"
    assert f'<p class="msg msg-error" role="alert">{refusal}</p>' in german


# --- drawing a whole scale ----------------------------------------------------------------------


def test_a_cumulative_scale_with_cost_margin_growth_and_round_figures(manager_client, demo):
    response = manager_client.get("/manager/scale/", SCALE)
    html = response.content.decode()
    # c = 1 / 1.25 = 0.8; M0 = 300 x 0.2 = 60: Bronze 60 / 0.18, Silver 80 / 0.15, Gold 110 / 0.13 at list price.
    assert cells(html, "scale") == [
        ["Today", "0", "—", "300.00", "300.00", "240.00", "60.00", "—", "—"],
        ["Bronze", "2", "0.00", "333.33", "326.67", "266.67", "60.00", "8.9", "330.00"],
        ["Silver", "5", "20.00", "533.33", "506.67", "426.67", "80.00", "68.9", "510.00"],
        ["Gold", "7", "50.00", "846.15", "786.92", "676.92", "110.00", "162.3", "790.00"],
    ]
    assert '<canvas data-chart="chart-scale"' in html


def test_a_scale_for_a_customer_who_already_has_a_discount(manager_client, demo):
    # Pays 300 at 2 %: list 306.12, margin 306.12 x (1 - 0.02 - 0.8) = 55.10; 5 % and 20 more: 75.10 / 0.15.
    html = manager_client.get("/manager/scale/", SCALE | {"scale-current": "2"}).content.decode()
    assert cells(html, "scale")[0][:7] == ["Today", "2", "—", "306.12", "300.00", "244.90", "55.10"]
    assert cells(html, "scale")[2][:5] == ["Silver", "5", "20.00", "500.68", "475.65"]


def test_the_preview_converts_to_the_programme_basis_and_counts_the_cards(manager_client, db):
    build_shop()  # card A: Gold (the second rank), spend 753.00
    html = manager_client.get("/manager/scale/", SCALE | {"months": "12"}).content.decode()
    assert "counts lifetime spend: each monthly figure × 12" in html
    assert cells(html, "preview") == [
        ["1", "Silver from 300.00 at 2.00 %", "0", "Bronze from 4000 at 2 %", "0"],
        ["2", "Gold from 700.00 at 5.00 %", "1", "Silver from 6100 at 5 %", "0"],
        ["3", "Platinum from 1500.00 at 7.00 %", "0", "Gold from 9500 at 7 %", "0"],
    ]
    moves = re.sub(r"\s+", " ", re.findall(r'<p id="moves">(.*?)</p>', html, re.S)[0])
    assert moves.startswith("<b>0</b> cards would move up") and "<b>1</b> card would keep a rank" in moves
    # Per month (1 month of lifetime spend): card A's 753.00 reaches the new second rank it holds already.
    html = manager_client.get("/manager/scale/", SCALE | {"months": "1"}).content.decode()
    assert [row[3:] for row in cells(html, "preview")] == [
        ["Bronze from 330 at 2 %", "0"], ["Silver from 510 at 5 %", "1"], ["Gold from 790 at 7 %", "0"]
    ]  # fmt: skip


def test_a_rolling_programme_multiplies_by_its_window(manager_client, demo):
    Programme.objects.filter(code="default").update(spend_basis="rolling", spend_window_months=6)
    html = manager_client.get("/manager/scale/", SCALE | {"months": "12"}).content.decode()
    assert "counts what a customer paid in the last 6 months: each monthly figure × 6" in html
    assert [row[3] for row in cells(html, "preview")] == [
        "Bronze from 2000 at 2 %", "Silver from 3100 at 5 %", "Gold from 4800 at 7 %"
    ]  # fmt: skip


def test_saving_the_scale_replaces_the_levels_and_records_who(manager_client, manager, demo):
    posted = {**SCALE, "programme": Programme.objects.get(code="default").pk, "months": "12"}
    response = manager_client.post("/manager/scale/", posted)
    assert response.status_code == 302
    assert response["Location"].startswith("/manager/scale/?") and "csrf" not in response["Location"]
    assert default_levels() == [("Bronze", D("4000.00"), D("2.00")), ("Silver", D("6100.00"), D("5.00")),
                                ("Gold", D("9500.00"), D("7.00"))]  # fmt: skip
    entry = LogEntry.objects.get()
    assert entry.user == manager and entry.object_id == str(Programme.objects.get(code="default").pk)
    assert entry.change_message == (
        "Levels replaced from the scale designer. Before: Silver from 300.00 at 2.00 %; Gold from 700.00 at 5.00 %; "
        "Platinum from 1500.00 at 7.00 %. After: Bronze from 4000.00 at 2.00 %; Silver from 6100.00 at 5.00 %; "
        "Gold from 9500.00 at 7.00 %."
    )
    assert "Saved 3 levels" in manager_client.get(response["Location"]).content.decode()


def test_a_lifetime_programme_needs_the_months(manager_client, demo):
    posted = {**SCALE, "programme": Programme.objects.get(code="default").pk, "months": ""}
    response = manager_client.post("/manager/scale/", posted)
    assert response.status_code == 200 and "Say in how many months" in response.content.decode()
    assert [name for name, _, _ in default_levels()] == ["Silver", "Gold", "Platinum"]


# --- the answer as CSV (api.md) -----------------------------------------------------------------


def test_answer_csv_the_api_md_example(manager_client, demo):
    query = "pays=40000&discount=2&markup=25&new_discount=4&extra_margin=0"
    response = manager_client.get(f"/manager/scale/answer.csv?{query}")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    # list 40000 / 0.98 = 40816.33, margin 7346.94; at 4 %: 7346.94 / 0.16 = 45918.37, paid 44081.63 (+10.2 %)
    assert response.content.decode() == (
        "list_volume,customer_pays,growth_percent,purchase_cost,margin\r\n45918.37,44081.63,10.2,36734.69,7346.94\r\n"
    )


def test_answer_csv_the_domain_md_worked_example(manager_client, demo):
    response = manager_client.get("/manager/scale/answer.csv?pays=10000&discount=0&markup=50&new_discount=10")
    assert response.content.decode().splitlines()[1] == "14285.71,12857.14,28.6,9523.81,3333.33"


@pytest.mark.parametrize(
    ("query", "details"),
    [
        ("discount=2&markup=25&new_discount=4", {"pays": "required"}),
        ("pays=abc&markup=25&new_discount=4", {"pays": "not a number"}),
        ("pays=100&markup=NaN&new_discount=4&discount=100", {"markup": "must be from 0 to 10000",
                                                              "discount": "must be from 0 to 99.99"}),
        ("pays=-5&markup=25&new_discount=101", {"pays": "must be from 0.01 to 9999999999.99",
                                                "new_discount": "must be from 0 to 100"}),
    ],
)  # fmt: skip
def test_answer_csv_bad_parameters(manager_client, demo, query, details):
    response = manager_client.get(f"/manager/scale/answer.csv?{query}")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_input",
            "message": "Some parameters are missing or out of range.",
            "details": details,
        }
    }


def test_answer_csv_a_discount_beyond_the_margin(manager_client, demo):
    response = manager_client.get("/manager/scale/answer.csv?pays=100&markup=25&new_discount=20")
    assert response.status_code == 422 and response.json()["error"]["code"] == "discount_exceeds_margin"


def test_answer_csv_is_for_managers(client, demo):
    assert client.get("/manager/scale/answer.csv?pays=1&markup=1&new_discount=0").status_code == 302
    client.force_login(User.objects.get(username="cashier1"))
    assert client.get("/manager/scale/answer.csv?pays=1&markup=1&new_discount=0").status_code == 403


def test_a_cashier_cannot_save_a_scale(client, demo):
    client.force_login(User.objects.get(username="cashier1"))
    response = client.post("/manager/scale/", {**SCALE, "programme": Programme.objects.get(code="default").pk})
    assert response.status_code == 403
    assert [name for name, _, _ in default_levels()] == ["Silver", "Gold", "Platinum"]


# --- the service --------------------------------------------------------------------------------


def plan(*levels: tuple[str, str, str]) -> list[PlannedLevel]:
    return [PlannedLevel(name, D(threshold), D(percent)) for name, threshold, percent in levels]


def replace(levels, by=None):
    programme = Programme.objects.get(code="default")
    return programme_levels_replace(
        programme_id=programme.pk, levels=levels, by=by or User.objects.get(username="manager")
    )


def test_levels_are_replaced_by_rank_so_customers_keep_their_rank(db):
    shop = build_shop()
    gold = Account.objects.get(cards__number=shop["R1"].card.number).level
    assert gold.name == "Gold"
    # Names and thresholds move between ranks (Gold's old 700 becomes the lowest threshold).
    replace(plan(("Basic", "700", "1"), ("Plus", "1500", "4"), ("Top", "3000", "6"), ("Elite", "9000", "8")))
    assert default_levels() == [("Basic", D("700.00"), D("1.00")), ("Plus", D("1500.00"), D("4.00")),
                                ("Top", D("3000.00"), D("6.00")), ("Elite", D("9000.00"), D("8.00"))]  # fmt: skip
    # Card A held the second rank; it still does, with that rank's new terms, and is not recomputed.
    level = Account.objects.get(cards__number=shop["R1"].card.number).level
    assert (level.pk, level.name, level.percent) == (gold.pk, "Plus", D("4.00"))


def test_a_shorter_scale_drops_unused_top_levels(demo):
    replace(plan(("Only", "500", "3")))
    assert default_levels() == [("Only", D("500.00"), D("3.00"))]


def test_a_shorter_scale_is_refused_while_customers_hold_a_level_it_drops(db):
    build_shop()  # card A is Gold, the second of three levels
    before = default_levels()
    with pytest.raises(DomainError) as refused:
        replace(plan(("Only", "500", "3")))
    assert refused.value.code == "levels_held_by_customers"
    assert "Gold (1 cards)" in refused.value.message
    assert default_levels() == before
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize(
    ("levels", "code"),
    [
        ([], "invalid_input"),
        ([("A", "100", "2"), ("A", "200", "3")], "level_names_not_unique"),
        ([("A", "100", "2"), ("B", "100", "3")], "level_thresholds_not_unique"),
        ([("A", "100", "25")], "level_above_ceiling"),
    ],
)
def test_a_scale_that_cannot_be_published_is_refused_and_changes_nothing(demo, levels, code):
    before = default_levels()
    with pytest.raises(InvalidInput) as refused:
        replace(plan(*levels))
    assert refused.value.code == code
    assert default_levels() == before

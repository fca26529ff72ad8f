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
    assert "must buy <b>14285.71</b> a month at list price (42.9 % more than today)" in answer
    assert "pay <b>12857.14</b> (28.6 % more than today's 10000)" in answer
    assert "from <b>15000</b> a month" in answer


def test_a_margin_on_price_is_turned_into_the_markup_on_cost(manager_client, demo):
    # A 20 % margin on price is a 25 % markup on cost: 300 at 0 % -> 2 % needs 333.33.
    query = "mode=ask&ask-basis=margin&ask-rate=20&ask-volume=300&ask-current=0&ask-asked=2&ask-wanted=0"
    assert "<b>333.33</b>" in manager_client.get(f"/manager/scale/?{query}").content.decode()


def test_a_discount_that_eats_the_whole_margin_is_explained_not_computed(manager_client, demo):
    query = "mode=ask&ask-basis=markup&ask-rate=10&ask-volume=1000&ask-current=0&ask-asked=10&ask-wanted=0"
    html = manager_client.get(f"/manager/scale/?{query}").content.decode()
    assert "leaves no margin" in html and 'id="answer"' not in html


# --- drawing a whole scale ----------------------------------------------------------------------


def test_a_cumulative_scale_with_volumes_growth_and_round_figures(manager_client, demo):
    response = manager_client.get("/manager/scale/", SCALE)
    html = response.content.decode()
    # c = 1 / 1.25 = 0.8; M0 = 300 x 0.2 = 60: Bronze 60 / 0.18, Silver 80 / 0.15, Gold 110 / 0.13.
    assert cells(html, "scale") == [
        ["Bronze", "2", "0.00", "333.33", "326.67", "11.1", "8.9", "340.00"],
        ["Silver", "5", "20.00", "533.33", "506.67", "77.8", "68.9", "540.00"],
        ["Gold", "7", "50.00", "846.15", "786.92", "182.1", "162.3", "850.00"],
    ]
    assert '<canvas data-chart="chart-scale"' in html


def test_a_scale_for_a_customer_who_already_has_a_discount(manager_client, demo):
    # Today 300 at 2 %: margin 300 x (1 - 0.02 - 0.8) = 54; 5 % and 20 more margin need (54 + 20) / 0.15.
    html = manager_client.get("/manager/scale/", SCALE | {"scale-current": "2"}).content.decode()
    assert cells(html, "scale")[1][:4] == ["Silver", "5", "20.00", "493.33"]


def test_saving_the_scale_replaces_the_levels_and_records_who(manager_client, manager, demo):
    response = manager_client.post("/manager/scale/", {**SCALE, "programme": Programme.objects.get(code="default").pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/manager/scale/?") and "csrf" not in response["Location"]
    assert default_levels() == [("Bronze", D("340.00"), D("2.00")), ("Silver", D("540.00"), D("5.00")),
                                ("Gold", D("850.00"), D("7.00"))]  # fmt: skip
    entry = LogEntry.objects.get()
    assert entry.user == manager and entry.object_id == str(Programme.objects.get(code="default").pk)
    assert entry.change_message == (
        "Levels replaced from the scale designer. Before: Silver from 300.00 at 2.00 %; Gold from 700.00 at 5.00 %; "
        "Platinum from 1500.00 at 7.00 %. After: Bronze from 340.00 at 2.00 %; Silver from 540.00 at 5.00 %; "
        "Gold from 850.00 at 7.00 %."
    )
    assert "Saved 3 levels" in manager_client.get(response["Location"]).content.decode()


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
    gold = Account.objects.get(card__number=shop["R1"].card.number).level
    assert gold.name == "Gold"
    # Names and thresholds move between ranks (Gold's old 700 becomes the lowest threshold).
    replace(plan(("Basic", "700", "1"), ("Plus", "1500", "4"), ("Top", "3000", "6"), ("Elite", "9000", "8")))
    assert default_levels() == [("Basic", D("700.00"), D("1.00")), ("Plus", D("1500.00"), D("4.00")),
                                ("Top", D("3000.00"), D("6.00")), ("Elite", D("9000.00"), D("8.00"))]  # fmt: skip
    # Card A held the second rank; it still does, with that rank's new terms, and is not recomputed.
    level = Account.objects.get(card__number=shop["R1"].card.number).level
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

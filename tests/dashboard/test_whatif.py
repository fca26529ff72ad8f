"""The what-if: replaying real receipts under a proposed programme, side by side with the current one,
as a Celery task with its progress in the cache; read-only."""

import re
from datetime import UTC, datetime, time
from decimal import Decimal as D

import pytest

from dashboard import tasks, whatif
from loyalty import rules
from loyalty.models import Account, Level, PointsEntry, Programme, SpendEntry, TimeWindow
from pos.models import Store
from tests.dashboard.shop import build_shop

NOW = datetime(2026, 11, 30, tzinfo=UTC)
PROPOSED_LEVELS = (
    rules.LevelRule("Silver", D("300"), D("3")),
    rules.LevelRule("Gold", D("700"), D("6")),
    rules.LevelRule("Platinum", D("1500"), D("9")),
)


@pytest.fixture
def shop(db):
    return build_shop()


def proposal(**changes) -> whatif.Proposal:
    programme = Programme.objects.get(code="default")
    data = {
        "programme_id": programme.pk, "months": 1, "kind": "cumulative", "base_percent": "0.00",
        "ceiling_percent": "20.00", "earn_percent": "5.00", "point_value": "1.00",
        "levels": [[lv.name, str(lv.threshold), str(lv.percent)] for lv in PROPOSED_LEVELS], "excluded": ["tobacco"],
    } | changes  # fmt: skip
    return whatif.Proposal.from_json(data)


def test_replaying_the_current_programme_gives_the_discounts_the_till_granted(shop):
    result = whatif.replay(proposal(), now=NOW)
    assert (result["receipts"], result["cards"]) == (4, 1)  # card A's receipts; the others had no card
    assert result["recorded"] == {"discount": "8.00", "points": "37.95", "points_cost": "37.95", "cost": "45.95",
                                  "receipts": 4}  # fmt: skip
    current = result["current"]
    # Same discounts as recorded; points differ only on R5, which the replay earns on 19.00 not on 16.00.
    assert (current["discount"], current["points"], current["cost"]) == ("8.00", "38.10", "46.10")
    assert current["levels"] == [["base (no level)", 0], ["Silver", 0], ["Gold", 1], ["Platinum", 0]]
    assert current["stores"] == {"Central Market": ["3.00", "28.85"], "Riverside": ["5.00", "17.25"]}


def test_the_proposal_is_replayed_with_its_own_levels_and_exclusions(shop):
    proposed = whatif.replay(proposal(), now=NOW)["proposed"]
    # R2 Silver 3 %: dairy 3.00 (tobacco excluded); R3 Silver 3 %: 7.50, then Gold; R5 Gold 6 %: 1.20.
    assert (proposed["discount"], proposed["points"], proposed["cost"]) == ("11.70", "37.91", "49.61")
    assert proposed["stores"] == {"Central Market": ["4.20", "29.99"], "Riverside": ["7.50", "19.62"]}


def test_a_category_excluded_today_is_discounted_if_the_proposal_no_longer_excludes_it(shop):
    # Tobacco (10.00 on R2, earning no points) gets 3 % once the proposal drops it from the exclusions.
    proposed = whatif.replay(proposal(excluded=[]), now=NOW)["proposed"]
    assert proposed["discount"] == "12.00"


def test_a_fixed_proposal_ignores_levels(shop):
    proposed = whatif.replay(proposal(kind="fixed", base_percent="4.00", earn_percent="0.00"), now=NOW)["proposed"]
    # 4 % of every non-excluded line: 400 + 100 + 250 + 20 = 770 -> 30.80; no points.
    assert (proposed["discount"], proposed["points"], proposed["levels"][0]) == (
        "30.80",
        "0.00",
        ["base (no level)", 1],
    )


def test_time_windows_of_the_programme_apply_to_both_sides(shop):
    # A morning window (+5 %, double points) 09:00-09:30 catches R1 and R5, both at 09:00.
    TimeWindow.objects.create(
        programme=Programme.objects.get(code="default"), name="Morning", start_time=time(9), end_time=time(9, 30),
        extra_percent=D("5.00"), points_multiplier=D("2.00"),
    )  # fmt: skip
    result = whatif.replay(proposal(), now=NOW)
    # Current: R1 400 x 5 % = 20.00; R2 2.00; R3 5.00; R5 at Gold 5 + 5 % of 20 = 2.00.
    assert result["current"]["discount"] == "29.00"
    # Points, doubled in the window: R1 380 x 5 % x 2 = 38.00, R2 4.90, R3 12.25, R5 18.00 x 5 % x 2 = 1.80.
    assert result["current"]["points"] == "56.95"
    # Proposed: R1 5 % = 20.00; R2 Silver 3 % = 3.00; R3 7.50; R5 Gold 6 + 5 % of 20 = 2.20.
    assert result["proposed"]["discount"] == "32.70"


def test_the_replay_changes_no_card(shop):
    def state():
        return (
            list(Account.objects.values_list("id", "level_id", "spend", "points_balance")),
            PointsEntry.objects.count(), SpendEntry.objects.count(),
            list(Level.objects.values_list("id", "name", "threshold", "percent")),
        )  # fmt: skip

    before = state()
    whatif.replay(proposal(), now=NOW)
    assert state() == before


def test_progress_is_reported_from_zero_to_all_receipts(shop, monkeypatch):
    monkeypatch.setattr(whatif, "PROGRESS_EVERY", 2)
    seen = []
    whatif.replay(proposal(), now=NOW, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 4), (2, 4), (4, 4), (4, 4)]


def test_the_task_keeps_progress_and_result_in_the_cache(shop, monkeypatch):
    # The task replays the months before "now": the shop's receipts are dated around NOW.
    monkeypatch.setattr(whatif.timezone, "now", lambda: NOW)
    tasks.whatif_replay.delay("run-1", proposal().to_json())  # eager without a broker, as in development
    status = whatif.status("run-1")
    assert (status["state"], status["done"], status["total"]) == ("done", 4, 4)
    assert status["result"]["recorded"]["discount"] == "8.00"


def test_a_failed_run_says_so(shop):
    data = proposal().to_json() | {"programme_id": 999999}
    with pytest.raises(Programme.DoesNotExist):
        whatif.run("run-2", data)
    assert whatif.status("run-2")["state"] == "failed"


# --- the pages ----------------------------------------------------------------------------------


FORM = {
    "months": "12", "kind": "cumulative", "base_percent": "0", "ceiling_percent": "20", "excluded": ["tobacco"],
    "levels": "Silver; 300; 3\nGold; 700; 6\nPlatinum; 1500; 9", "earn_percent": "5", "point_value": "1.00",
}  # fmt: skip


def test_the_form_starts_from_the_current_programme(manager_client, shop):
    html = manager_client.get("/manager/whatif/").content.decode()
    assert "Silver; 300.00; 2.00\nGold; 700.00; 5.00\nPlatinum; 1500.00; 7.00</textarea>" in html
    assert re.search(r'value="tobacco"[^>]*checked', html) and re.search(r'value="baby-food"[^>]*checked', html)


def test_replaying_from_the_page_shows_both_programmes_side_by_side(manager_client, shop):
    form = FORM | {"programme": Programme.objects.get(code="default").pk}
    response = manager_client.post("/manager/whatif/", form)
    assert response.status_code == 302
    run_page = manager_client.get(response["Location"]).content.decode()
    rows = re.findall(r"<tr><td>(Discounts|Total cost)</td>(.*?)</tr>", run_page)
    assert [(name, re.findall(r">([-\d.,]+)<", cells)) for name, cells in rows] == [
        ("Discounts", ["8.00", "8.00", "11.70", "3.70"]),
        ("Total cost", ["45.95", "46.10", "49.61", "3.51"]),
    ]
    assert run_page.count("<canvas data-chart=") == 3
    progress = manager_client.get(response["Location"] + "progress/").json()
    assert progress == {"state": "done", "done": 4, "total": 4, "error": None}


def test_each_result_table_downloads_as_csv(manager_client, shop, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.whatif_replay, "delay", lambda run_id, data: queued.append((run_id, data)))
    location = manager_client.post("/manager/whatif/", FORM | {"programme": Programme.objects.get(code="default").pk})[
        "Location"
    ]
    assert manager_client.get(location + "?csv=cost").status_code == 404  # nothing to download while it runs
    whatif.run(*queued[0])
    page = manager_client.get(location).content.decode()
    assert page.count('csv=cost" download>Download CSV</a>') == 1
    assert "4 receipts of 1 card of Cumulative discount card," in page
    response = manager_client.get(location + "?csv=cost")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="whatif-{queued[0][0]}-cost.csv"'
    lines = response.content.decode().splitlines()
    assert lines[0] == 'Figure,Recorded,"Current programme, replayed",Proposed,Proposed − current'
    rows = {line.split(",")[0]: line.split(",")[1:] for line in lines[1:]}
    assert rows["Discounts"] == ["8.00", "8.00", "11.70", "3.70"]
    assert rows["Total cost"] == ["45.95", "46.10", "49.61", "3.51"]
    assert manager_client.get(location + "?csv=nope").status_code == 404


def test_with_a_worker_the_page_shows_progress_until_the_result_is_in(manager_client, shop, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.whatif_replay, "delay", lambda run_id, data: queued.append((run_id, data)))
    form = FORM | {"programme": Programme.objects.get(code="default").pk}
    location = manager_client.post("/manager/whatif/", form)["Location"]
    html = manager_client.get(location).content.decode()
    assert '<progress id="progress-bar" max="100" value="0">' in html
    assert f'data-url="{location}progress/"' in html
    assert manager_client.get(location + "progress/").json()["state"] == "queued"
    whatif.run(*queued[0])  # the worker picks it up
    assert "Cost, side by side" in manager_client.get(location).content.decode()


def test_an_invalid_proposal_is_shown_with_its_errors(manager_client, shop):
    form = FORM | {"programme": Programme.objects.get(code="default").pk, "levels": "Silver 300 3"}
    html = manager_client.post("/manager/whatif/", form).content.decode()
    assert "Line 1: write name; from spend; percent." in html


def test_an_unknown_run_is_not_found(manager_client, shop):
    assert manager_client.get("/manager/whatif/nope/").status_code == 404
    assert manager_client.get("/manager/whatif/nope/progress/").status_code == 404


def test_time_windows_are_replayed_on_the_clock_of_the_store_that_sold(shop):
    # Riverside is in Berlin: R3 (3 Nov 10:20 UTC) was sold at 11:20 there, inside an 11:00-11:30 window.
    Store.objects.filter(code="riverside").update(time_zone="Europe/Berlin")
    TimeWindow.objects.create(
        programme=Programme.objects.get(code="default"), name="Late morning", start_time=time(11),
        end_time=time(11, 30), extra_percent=D("5.00"),
    )  # fmt: skip
    # R1 0.00, R2 2.00, R3 (2 + 5 %) x 250.00 = 17.50, R5 1.00; on the chain's clock (UTC) R3 got only 5.00.
    assert whatif.replay(proposal(), now=NOW)["current"]["discount"] == "20.50"

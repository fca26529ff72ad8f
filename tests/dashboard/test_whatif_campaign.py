"""What-if with a proposed campaign: its percent on the lines it covers, on its days, stacked on the proposed
card discount within the ceiling; shown as its own table on the result page."""

import re
from datetime import date
from decimal import Decimal as D

import pytest

from dashboard import tasks, whatif
from dashboard.whatif_campaign import ProposedCampaign
from loyalty.models import Programme
from tests.dashboard.shop import build_shop
from tests.dashboard.test_whatif import FORM, NOW, proposal


@pytest.fixture
def shop(db):
    return build_shop()


def campaign(**changes) -> dict:
    return (
        ProposedCampaign("Dairy day", D("10"), date(2026, 11, 3), date(2026, 11, 3), frozenset({"dairy"})).to_json()
        | changes
    )


def test_a_proposed_campaign_adds_its_percent_on_its_days_and_categories_only(shop):
    without = whatif.replay(proposal(), now=NOW)["proposed"]
    result = whatif.replay(proposal(campaign=campaign()), now=NOW)
    proposed = result["proposed"]
    # R2 on 3 Nov: dairy 100.00 gets 10.00 on top of Silver's 3.00 (tobacco excluded); R3's bakery is not covered,
    # R1 and R5 are on other days.
    assert proposed["campaign"] == {"name": "Dairy day", "discount": "10.00", "receipts": 1}
    assert (without["discount"], proposed["discount"]) == ("11.70", "21.70")
    assert proposed["stores"]["Central Market"][0] == "14.20"
    # Points are earned on what is paid: 5 % of 10.00 less.
    assert D(without["points"]) - D(proposed["points"]) == D("0.50")
    assert "campaign" not in result["current"]  # the current programme is replayed as it is


def test_the_campaign_stays_within_the_ceiling_and_its_audience(shop):
    # R5 on 4 Nov, Gold 6 % on dairy 20.00: a 25 % campaign wants 5.00, the 20 % ceiling leaves 2.80.
    gold = campaign(percent="25", starts="2026-11-04", ends="2026-11-04", audience="levels", levels=["Gold"])
    assert whatif.replay(proposal(campaign=gold), now=NOW)["proposed"]["campaign"]["discount"] == "2.80"
    silver = gold | {"levels": ["Silver"]}
    assert whatif.replay(proposal(campaign=silver), now=NOW)["proposed"]["campaign"] == {
        "name": "Dairy day", "discount": "0.00", "receipts": 0,
    }  # fmt: skip


def test_the_page_replays_a_proposed_campaign_and_shows_its_table(manager_client, shop):
    form = FORM | {
        "programme": Programme.objects.get(code="default").pk, "campaign-name": "Dairy day",
        "campaign-percent": "10", "campaign-starts": "2026-11-03", "campaign-ends": "2026-11-03",
        "campaign-categories": ["dairy"], "campaign-audience": "card_holders",
    }  # fmt: skip
    response = manager_client.post("/manager/whatif/", form)
    assert response.status_code == 302
    page = manager_client.get(response["Location"]).content.decode()
    assert "The proposed campaign" in page and page.count("<canvas data-chart=") == 4
    assert "Campaign Dairy day: 10 % from 2026-11-03 to 2026-11-03 on dairy, for card holders." in page
    rows = re.findall(r"<tr><td>Dairy day</td>(.*?)</tr>", page, re.S)
    assert re.findall(r">([-\d.,]+)<", rows[0])[:2] == ["1", "10.00"]


def test_a_campaign_without_its_days_is_refused_and_nothing_runs(manager_client, shop, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.whatif_replay, "delay", lambda run_id, data: queued.append(run_id))
    form = FORM | {"programme": Programme.objects.get(code="default").pk, "campaign-percent": "10",
                   "campaign-audience": "card_holders"}  # fmt: skip
    response = manager_client.post("/manager/whatif/", form)
    assert (response.status_code, queued) == (200, [])
    assert "A campaign needs its first and last day." in response.content.decode()


def test_the_form_shows_the_campaign_part_and_a_run_without_it_has_no_campaign_table(manager_client, shop):
    assert 'id="whatif-campaign"' in manager_client.get("/manager/whatif/").content.decode()
    response = manager_client.post("/manager/whatif/", FORM | {"programme": Programme.objects.get(code="default").pk})
    assert "The proposed campaign" not in manager_client.get(response["Location"]).content.decode()

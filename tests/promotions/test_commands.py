"""coupons_issue and coupons_export, as an operator runs them."""

import csv
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal as D
from io import StringIO

import pypdfium2
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.local_time import local_date
from promotions import rules
from promotions.models import Campaign, Coupon, CouponBatch

pytestmark = pytest.mark.django_db


def issue(*args) -> str:

    out = StringIO()
    call_command("coupons_issue", *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_coupons_issue_makes_a_campaign_and_random_checked_codes_and_prints_the_batch_id():
    batch_id = issue("--count", "50", "--amount", "5", "--min-basket", "20", "--days", "7", "--name", "Flyer")
    batch = CouponBatch.objects.get(pk=int(batch_id))
    campaign = batch.campaign
    today = local_date(timezone.now())
    assert (campaign.name, campaign.benefit, campaign.value, campaign.min_basket, campaign.needs_coupon) == (
        "Flyer", Campaign.Benefit.AMOUNT_PER_RECEIPT, D("5.00"), D("20.00"), True,
    )  # fmt: skip
    assert (campaign.starts_on, campaign.ends_on, campaign.scope) == (today, today + timedelta(days=6), "everything")
    codes = list(Coupon.objects.filter(batch=batch).values_list("code", flat=True))
    assert len(set(codes)) == 50 and all(rules.is_well_formed(c) for c in codes)
    assert set(Coupon.objects.values_list("max_uses", flat=True)) == {1}


@pytest.mark.parametrize(
    "args",
    [
        ("--count", "0", "--percent", "10"),
        ("--count", "5", "--percent", "101"),
        ("--count", "5", "--amount", "abc"),
        ("--count", "5", "--amount", "-1"),
        ("--count", "5", "--percent", "10", "--days", "0"),
    ],
)
def test_coupons_issue_refuses_bad_input_with_one_line_and_writes_nothing(args):
    with pytest.raises(CommandError):
        issue(*args)
    assert (Campaign.objects.count(), Coupon.objects.count()) == (0, 0)


def test_coupons_export_csv_has_the_code_column(tmp_path):
    batch = issue("--count", "3", "--percent", "10")
    out = tmp_path / "c.csv"
    call_command("coupons_export", batch, "--format", "csv", "--out", str(out), stdout=StringIO())
    rows = list(csv.DictReader(out.open()))
    stored = sorted(Coupon.objects.values_list("code", flat=True))
    assert sorted(rules.normalise(r["code"]) for r in rows) == stored
    assert all(r["code"][5] == "-" for r in rows)


def test_coupons_export_refuses_an_unknown_batch():
    with pytest.raises(CommandError, match="There is no coupon batch 99"):
        call_command("coupons_export", "99", "--format", "csv", "--out", "/tmp/x.csv")


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools not installed (CI installs it)")
def test_coupons_export_pdf_barcodes_scan(tmp_path):
    batch = issue("--count", "26", "--percent", "10")  # two pages
    out = tmp_path / "c.pdf"
    call_command("coupons_export", batch, "--format", "pdf", "--out", str(out), stdout=StringIO())
    pdf = pypdfium2.PdfDocument(str(out))
    assert len(pdf) == 2
    read = []
    for i, page in enumerate(pdf):
        png = tmp_path / f"p{i}.png"
        page.render(scale=300 / 72).to_pil().save(png)
        result = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, check=True)
        read += result.stdout.split()
    assert sorted(read) == sorted(Coupon.objects.values_list("code", flat=True))


def test_the_admin_lists_campaigns_and_issues_coupons(admin_client):
    from tests.promotions.helpers import running_campaign

    campaign = running_campaign()
    assert admin_client.get("/admin/promotions/campaign/").status_code == 200
    assert admin_client.get(f"/admin/promotions/campaign/{campaign.pk}/change/").status_code == 200
    response = admin_client.post(
        "/admin/promotions/campaign/", {"action": "issue_100_coupons", "_selected_action": [campaign.pk]}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.needs_coupon, Coupon.objects.filter(campaign=campaign).count()) == (True, 100)
    assert admin_client.get("/admin/promotions/coupon/").status_code == 200


def test_coupons_issue_for_a_campaign_set_up_in_the_admin():
    from tests.promotions.helpers import running_campaign

    summer = running_campaign(needs_coupon=True, benefit=Campaign.Benefit.AMOUNT_PER_RECEIPT, value=D("5.00"))
    batch = CouponBatch.objects.get(pk=int(issue("--count", "5000", "--campaign", str(summer.pk))))
    assert (batch.campaign, batch.name, batch.count, summer.coupons.count()) == (summer, "Summer week", 5000, 5000)
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: 999, "There is no campaign 999."),
        (lambda: Campaign.objects.create(name="Open", starts_on="2026-07-01", ends_on="2026-07-07", value=10).pk,
         "applies without a coupon: tick 'needs coupon' first."),
    ],
)  # fmt: skip
def test_coupons_issue_for_a_campaign_refuses_one_that_cannot_take_coupons(make, message):
    campaign_id = make()
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
        issue("--count", "5", "--campaign", str(campaign_id))
    assert Coupon.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"scope": "categories"}, "categories", "Choose the categories it covers (or cover everything)."),
        ({"scope": "skus"}, "skus", "Name the SKUs it covers (or cover everything)."),
        ({"audience": "levels"}, "levels", "Name the levels it is for."),
        ({"audience": "min_age", "min_age": "0"}, "min_age", "Give the least age, in whole years."),
        ({"window_start": "22:00"}, "window_end", "Give both hours of the window, or neither."),
        ({"value": "0"}, "value", "A benefit of 0 gives nothing."),
        ({"value": "120"}, None, "Constraint “campaign_percent_at_most_100” is violated."),
    ],
)  # fmt: skip
def test_the_admin_refuses_a_campaign_that_would_cover_nothing_or_no_one(changes, field, message):
    from promotions.admin import CampaignForm

    data = {
        "name": "Summer week", "starts_on": "2026-07-01", "starts_time": "00:00", "ends_on": "2026-07-07",
        "ends_time": "23:59", "scope": "everything", "benefit": "percent", "value": "10", "min_basket": "0",
        "audience": "card_holders", "min_age": "0", "combine": "stack",
    } | changes  # fmt: skip
    form = CampaignForm(data)
    assert not form.is_valid()
    assert form.errors[field or "__all__"] == [message]
    assert CampaignForm(data | {"scope": "everything", "audience": "card_holders", "window_start": "",
                                "value": "10", "min_age": "18"}).is_valid()  # fmt: skip


def test_the_campaign_list_links_each_campaign_to_its_figures(admin_client):
    from tests.promotions.helpers import running_campaign

    summer = running_campaign()
    html = admin_client.get("/admin/promotions/campaign/").content.decode()
    assert f'href="/manager/campaigns/?from={summer.starts_on:%Y-%m-%d}&amp;to={summer.ends_on:%Y-%m-%d}"' in html


def summer_in_the_admin(admin_client) -> Campaign:
    """'Summer week: 10 % on garden, card holders only, 1-7 July', set up through the admin's form."""
    from loyalty.models import Category

    garden = Category.objects.create(code="garden", name="Garden")
    form = {
        "name": "Summer week", "starts_on": "2026-07-01", "starts_time": "00:00", "ends_on": "2026-07-07",
        "ends_time": "23:59", "weekdays": "", "window_start": "", "window_end": "", "stores": "",
        "scope": "categories", "categories": [garden.pk], "skus": "", "benefit": "percent", "value": "10",
        "min_basket": "0", "combine": "stack", "ceiling_justification": "", "audience": "card_holders",
        "levels": "", "min_age": "0",
    }  # fmt: skip
    response = admin_client.post("/admin/promotions/campaign/add/", form)
    assert response.status_code == 302, response.context_data["adminform"].form.errors
    return Campaign.objects.get(name="Summer week")


def test_the_admin_sets_up_a_campaign_and_issues_5000_coupons_then_downloads_them(admin_client):
    summer = summer_in_the_admin(admin_client)
    assert (summer.audience, [c.code for c in summer.categories.all()], summer.needs_coupon) == (
        "card_holders", ["garden"], False,
    )  # fmt: skip
    page = admin_client.get(f"/admin/promotions/campaign/{summer.pk}/issue-coupons/").content.decode()
    assert "from now on only with a coupon" in page  # it applies by itself today
    response = admin_client.post(f"/admin/promotions/campaign/{summer.pk}/issue-coupons/", {"count": "5000"})
    batch = CouponBatch.objects.get()
    assert response.url == f"/admin/promotions/couponbatch/{batch.pk}/change/"
    summer.refresh_from_db()
    assert (batch.count, batch.name, summer.coupons.count(), summer.needs_coupon) == (5000, "Summer week", 5000, True)
    listed = admin_client.get(f"/admin/promotions/couponbatch/{batch.pk}/change/").content.decode()
    assert f"/admin/promotions/couponbatch/{batch.pk}/export/pdf/" in listed
    download = admin_client.get(f"/admin/promotions/couponbatch/{batch.pk}/export/csv/")
    assert download["Content-Disposition"] == f'attachment; filename="coupons-batch-{batch.pk}.csv"'
    rows = list(csv.DictReader(b"".join(download.streaming_content).decode().splitlines()))
    assert sorted(rules.normalise(r["code"]) for r in rows) == sorted(summer.coupons.values_list("code", flat=True))


@pytest.mark.parametrize("count", ["0", "50001", "many"])
def test_the_admin_refuses_a_count_out_of_range_and_issues_nothing(admin_client, count):
    summer = summer_in_the_admin(admin_client)
    response = admin_client.post(f"/admin/promotions/campaign/{summer.pk}/issue-coupons/", {"count": count})
    assert (response.status_code, "errornote" in response.content.decode()) == (200, True)
    summer.refresh_from_db()
    assert (CouponBatch.objects.count(), Coupon.objects.count(), summer.needs_coupon) == (0, 0, False)


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools not installed (CI installs it)")
def test_the_admins_pdf_download_scans(admin_client, tmp_path):
    summer = summer_in_the_admin(admin_client)
    admin_client.post(f"/admin/promotions/campaign/{summer.pk}/issue-coupons/", {"count": "24"})
    batch = CouponBatch.objects.get()
    download = admin_client.get(f"/admin/promotions/couponbatch/{batch.pk}/export/pdf/")
    assert download["Content-Type"] == "application/pdf"
    out = tmp_path / "c.pdf"
    out.write_bytes(b"".join(download.streaming_content))
    png = tmp_path / "p.png"
    pypdfium2.PdfDocument(str(out))[0].render(scale=300 / 72).to_pil().save(png)
    read = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, check=True)
    assert sorted(read.stdout.split()) == sorted(Coupon.objects.values_list("code", flat=True))


def test_the_demo_manager_may_set_up_campaigns_and_issue_coupons(manager_client):
    assert manager_client.get("/admin/promotions/campaign/add/").status_code == 200
    assert manager_client.get("/admin/promotions/coupon/add/").status_code == 200


@pytest.mark.parametrize(
    ("benefit", "value", "min_basket", "printed"),
    [
        ("amount_receipt", "5", "20", "5.00 off your purchase of 20.00 or more"),
        ("percent", "10", "0", "10 % off"),
        ("percent", "12.50", "0", "12.5 % off"),
        ("amount_line", "0.5", "0", "0.50 off each product line"),
        ("fixed_price", "1", "0", "Only 1.00 each"),
    ],
)
def test_the_printed_coupon_says_what_it_gives(benefit, value, min_basket, printed):
    from promotions.exports import what_it_gives

    campaign = Campaign(benefit=benefit, value=D(value), min_basket=D(min_basket))
    assert what_it_gives(campaign) == printed

"""The manager's dashboard in a real browser (Debian's chromium through Playwright): every report page
draws its charts without a JavaScript error, the filter carries across pages, the scale designer and the
what-if work end to end. Screenshots go to test-artifacts/manager-*.png for a person to look at."""

import re

import pytest

from tests.browser import ARTIFACTS, BROWSER_TEST, expect, is_page_error
from tests.dashboard.shop import build_chain, build_shop

pytestmark = BROWSER_TEST
PERIOD = "from=2026-11-01&to=2026-11-10"


@pytest.fixture
def shop():
    return build_shop


@pytest.fixture
def page(browser, live_server, shop):
    shop()
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if is_page_error(msg) and not favicon(msg) else None)
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def favicon(msg) -> bool:
    """The admin's login page (where managers log in) has no icon, so the browser asks for /favicon.ico."""
    return msg.location.get("url", "").endswith("/favicon.ico")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"manager-{name}.png"), full_page=True)


def log_in(page) -> None:
    page.goto(f"/manager/?{PERIOD}")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.fill("#id_username", "manager")
    page.fill("#id_password", "manager-demo")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("What the programme costs and brings back")


def charts_drawn(page, count: int) -> None:
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    expect(page.locator("canvas[data-chart][data-drawn=true]")).to_have_count(count)


def test_every_report_page_draws_its_charts_and_keeps_the_filter(page):
    log_in(page)
    charts_drawn(page, 2)
    expect(page.locator(".headline")).to_contain_text("Discounts granted8.00 EUR")
    shot(page, "01-summary")
    pages = [
        ("Discounts", 1),
        ("Points", 2),
        ("Levels", 2),
        ("Cards", 2),
        ("Card holders", 2),
        ("Gift cards", 4),
        ("Suspicious", 0),
    ]
    for number, (label, charts) in enumerate(pages, start=2):
        page.locator(".topbar nav").get_by_role("link", name=label, exact=True).click()
        expect(page).to_have_url(re.compile(PERIOD))  # the period carries across pages
        charts_drawn(page, charts)
        shot(page, f"{number:02d}-{label.lower().replace(' ', '-')}")
    page.get_by_role("link", name="Cashiers far above the store").click()
    page.fill("input[name=min_receipts]", "2")
    page.get_by_role("button", name="Show").click()
    charts_drawn(page, 1)
    expect(page.locator("#cashiers tbody tr").first).to_contain_text("card share")
    shot(page, "08-suspicious-cashiers")
    page.get_by_role("link", name="Often in a day").click()
    page.fill("input[name=per_day]", "2")
    page.get_by_role("button", name="Show").click()
    page.locator("#often tbody a").first.click()
    expect(page.locator("#receipts tbody tr")).to_have_count(2)
    page.locator("#receipts tbody a").first.click()
    expect(page.locator("h1")).to_have_text(re.compile(r"Receipt #\d+"))
    shot(page, "09-receipt")


def test_the_scale_designer_answers_a_customer_and_saves_a_scale(page):
    log_in(page)
    page.locator(".topbar nav").get_by_role("link", name="Scale designer").click()
    page.fill("#id_ask-rate", "50")
    page.fill("#id_ask-volume", "10000")
    page.fill("#id_ask-asked", "10")
    page.get_by_role("button", name="Work it out").click()
    expect(page.locator("#answer")).to_contain_text("12857.14")
    expect(page.locator("#answer")).to_contain_text("28.6 %")
    expect(page.locator("#answer-table")).to_contain_text("9523.81")
    page.get_by_role("button", name="Draw the scale").click()
    charts_drawn(page, 1)
    expect(page.locator("#basis")).to_contain_text("each monthly figure × 12")
    expect(page.locator("#moves")).to_contain_text("would move up")
    shot(page, "10-scale")
    page.get_by_role("button", name="Save as the levels of").click()
    expect(page.locator(".msg-success")).to_contain_text("Saved 3 levels")


def test_the_what_if_replays_and_shows_both_programmes(page):
    log_in(page)
    page.locator(".topbar nav").get_by_role("link", name="What-if").click()
    baby = page.get_by_label("Baby food")
    expect(baby).to_be_checked()
    # Each box sits on its label's line: their vertical middles within 3 px.
    box, text = baby.bounding_box(), page.locator("label.check", has_text="Baby food").bounding_box()
    assert abs((box["y"] + box["height"] / 2) - (text["y"] + text["height"] / 2)) <= 3
    page.locator("#excluded legend").click()  # the heading ticks nothing
    expect(baby).to_be_checked()
    shot(page, "11-whatif-form")
    page.fill("#id_levels", "Silver; 300; 3\nGold; 700; 6\nPlatinum; 1500; 9")
    page.get_by_role("button", name="Replay").click()
    expect(page.locator("#cost")).to_contain_text("Proposed")
    charts_drawn(page, 3)
    # What was replayed, beside the programme today: the changed levels are marked.
    expect(page.locator("#proposal tr.changed")).to_have_count(1)
    expect(page.locator("#proposal tr.changed")).to_contain_text("Silver from 300.00 at 3.00 %")
    shot(page, "12-whatif")
    page.get_by_role("link", name="Change this proposal").click()
    expect(page.locator("#id_levels")).to_have_value("Silver; 300; 3\nGold; 700; 6\nPlatinum; 1500; 9")


@pytest.mark.parametrize("shop", [build_chain])
def test_a_manager_of_twenty_shops(page):
    log_in(page)
    # The summary: currency, the period before, the sample-size warning.
    expect(page.locator(".headline")).to_contain_text("EUR")
    expect(page.locator(".headline dd.previous").first).to_contain_text("22 Oct – 31 Oct 2026")
    shot(page, "20-chain-summary")
    # The stores side by side, sorted by a click on a heading.
    page.locator(".topbar nav").get_by_role("link", name="Stores", exact=True).click()
    expect(page.locator("#stores tbody tr")).to_have_count(20)
    page.locator("#stores thead").get_by_role("button", name="Card share of revenue").click()
    expect(page.locator("#stores thead th[aria-sort=descending]")).to_have_count(1)
    shares = page.locator("#stores tbody tr td:nth-child(4)").all_inner_texts()
    values = [float(text.replace(" %", "")) for text in shares if text != "—"]
    assert values == sorted(values, reverse=True)
    shot(page, "21-chain-stores")
    # The receipts: a search, the heading says so.
    page.locator(".topbar nav").get_by_role("link", name="Receipts", exact=True).click()
    page.fill("#receipt-search", "cashier-s07")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("h1")).to_have_text("Receipts matching “cashier-s07” (filtered)")
    expect(page.locator("#receipts tbody tr")).to_have_count(4)
    shot(page, "22-chain-receipts")
    # In German.
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("h1")).to_have_text("Bons mit „cashier-s07“ (gefiltert)")
    page.locator(".topbar nav").get_by_role("link", name="Übersicht").click()
    expect(page.locator("h1")).to_have_text("Was das Programm kostet und einbringt")
    charts_drawn(page, 2)
    shot(page, "23-chain-summary-de")


def test_the_german_topbar_lays_its_thirteen_pages_out_in_rows_of_whole_labels(page):
    """German labels are longer: the pages get a row of their own under the brand, one line of whole labels."""
    log_in(page)
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("h1")).to_have_text("Was das Programm kostet und einbringt")
    links = page.locator(".topbar nav a")
    expect(links).to_have_count(13)
    boxes = [links.nth(i).bounding_box() for i in range(13)]
    rows = sorted({round(box["y"]) for box in boxes})
    heights = {round(box["height"]) for box in boxes}
    shot(page, "24-summary-de-topbar")
    brand = page.locator(".topbar .brand").bounding_box()
    assert (len(rows), len(heights)) == (1, 1), (rows, heights)  # one row, no label broken over two lines
    assert rows[0] > brand["y"] + brand["height"] - 1  # under the brand, not squeezed beside it

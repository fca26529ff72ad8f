"""The customer page /my/ in a real browser (Debian's chromium through Playwright): on a phone
(390×844) first, then on a desktop. Screenshots go to test-artifacts/ for a person to look at."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from PIL import Image

from pos.demo import build_demo
from tests.browser import ARTIFACTS, BROWSER_TEST, expect
from tests.mycard import support as my_support
from tests.mycard.support import (
    ANNA,
    BRUNO,
    buy,
    cards_in_every_state,
    pin,
    refund,
    wrong_pin,
)
from tests.mycard.test_card_at_the_till import zxing_reads

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}

# Fixtures shared by the customer page's tests, used here by name.
fresh_cache = my_support.fresh_cache

pytestmark = BROWSER_TEST


@pytest.fixture
def shop(live_server):
    """The demo shop with Anna's year of purchases (see test_my_page.anna for the sums)."""
    build_demo()
    cards_in_every_state()
    now = timezone.now()

    def ago(days):
        return timezone.localtime(now - timedelta(days=days)).replace(hour=9, minute=30, second=0, microsecond=0)

    buy(ANNA, ago(350), ("TV", "1", "750.00"))
    buy(ANNA, ago(340), ("MELON", "1", "10.00"))
    big = buy(ANNA, ago(10), ("CHAIR", "2", "50.00"), redeem="10.00")
    refund(big, ago(5), ("CHAIR", "1"))
    return {"url": live_server.url, "burns": [ago(350) + timedelta(days=365), ago(340) + timedelta(days=365)]}


@pytest.fixture
def open_page(browser, shop):
    contexts, errors = [], []

    def open_page(device: dict, locale: str = "en-US"):
        context = browser.new_context(**device, base_url=shop["url"], locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], f"errors on the page: {errors}"


def shot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"my-{name}.png"), full_page=full_page)


def sign_in(page, number: str, typed_pin: str) -> None:
    page.fill("#id_number", number)
    page.fill("#id_pin", typed_pin)
    page.get_by_role("button", name="Sign in").click()


def test_on_a_phone_the_customer_signs_in_and_sees_discount_points_burning_and_purchases(open_page, shop):
    page = open_page(PHONE)
    page.goto("/my/")
    expect(page).to_have_url(re.compile(r"/my/signin/$"))
    expect(page.locator("#id_number")).to_be_focused()
    shot(page, "01-phone-sign-in")

    sign_in(page, ANNA, pin(ANNA))

    expect(page).to_have_url(re.compile(r"/my/$"))
    expect(page.locator("h1")).to_have_text("Hello, Anna K.")
    expect(page.locator("#discount-percent")).to_have_text("5 %")
    expect(page.locator("#level")).to_have_text("Gold")
    expect(page.locator("#progress-text")).to_have_text("Spend 698.00 EUR more for 7 % (Platinum)")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "12")
    expect(page.locator("#points-balance")).to_have_text("35.09")
    burns = page.locator("#burning li")
    expect(burns).to_have_count(2)
    expect(burns.nth(0)).to_have_text(re.compile(rf"^\s*{shop['burns'][0]:%-d %b %Y}\s+25\.37\s*$"))
    expect(burns.nth(1)).to_have_text(re.compile(rf"^\s*{shop['burns'][1]:%-d %b %Y}\s+0\.47\s*$"))
    expect(page.locator("#history li")).to_have_count(3)
    expect(page.locator("#history li").first).to_contain_text("Refunded")
    assert _fits_the_screen(page), "the page scrolls sideways on a phone"
    shot(page, "02-phone-card")
    shot(page, "03-phone-card-full", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/my/signin/$"))
    expect(page.locator(".msg-info")).to_have_text("You are signed out.")


def test_on_a_phone_the_customer_types_the_pin_with_a_space_shows_the_barcode_and_opens_a_receipt(open_page, shop):
    page = open_page(PHONE)
    page.goto("/my/signin/")
    right = pin(ANNA)
    sign_in(page, ANNA, f"{right[:4]} {right[4:]}")
    expect(page).to_have_url(re.compile(r"/my/$"))

    barcode = page.locator("#barcode")
    expect(barcode).to_be_visible()
    box = barcode.bounding_box()
    assert box["y"] + box["height"] <= 844, "the barcode is below the fold"
    assert box["width"] >= 300, "the barcode is too narrow for a scanner"
    png = ARTIFACTS / "my-08-phone-barcode.png"
    barcode.screenshot(path=str(png))
    assert zxing_reads(Image.open(png)) == [ANNA]
    expect(page.locator("#points-worth")).to_have_text("35.09 points = 35.09 EUR off")
    shot(page, "08-phone-card-top")

    rows = page.locator("#history li")
    expect(rows).to_have_count(3)
    history_height = page.locator("#history").bounding_box()["height"]
    assert history_height < 400, f"three purchases take {history_height} px"
    rows.first.click()
    expect(page).to_have_url(re.compile(r"/my/receipts/\d+/$"))
    expect(page.locator("#receipt-title")).to_have_text("Receipt")
    expect(page.locator("#lines li")).to_have_count(1)
    expect(page.locator("#refunds")).to_contain_text("42.50 EUR back")
    assert _fits_the_screen(page)
    shot(page, "09-phone-receipt", full_page=True)
    page.locator("#back").click()
    expect(page).to_have_url(re.compile(r"/my/#history$"))


def test_on_a_phone_the_card_opens_offline_once_seen_and_is_forgotten_at_sign_out(open_page, shop):
    page = open_page(PHONE)
    page.goto("/my/signin/")
    sign_in(page, ANNA, pin(ANNA))
    expect(page).to_have_url(re.compile(r"/my/$"))
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # Poll with page.evaluate (CDP, outside the page's CSP), at most 20 s: wait_for_function re-checks a string
    # predicate with eval once its first check fails, which the page's CSP refuses (script-src 'self').
    for _ in range(200):
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("navigator.serviceWorker.controller !== null"), "the service worker never took the page"
    expect(page.locator("#offline-note")).to_be_hidden()

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#offline-note")).to_be_visible()
    expect(page.locator("#barcode")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Hello, Anna K.")
    shot(page, "10-phone-offline")

    page.context.set_offline(False)
    page.reload()
    expect(page.locator("#offline-note")).to_be_hidden()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/my/signin/$"))
    kept = page.evaluate("caches.match('/my/', {ignoreVary: true}).then((r) => r !== undefined)")
    assert kept is False, "the signed-out card page is still kept on the phone"


def test_on_a_phone_the_customer_turns_reminders_on_and_off(open_page, shop):
    page = open_page(PHONE)
    page.goto("/my/signin/")
    sign_in(page, ANNA, pin(ANNA))
    page.get_by_role("button", name="Turn reminders on").click()
    expect(page).to_have_url(re.compile(r"/my/#reminders$"))
    expect(page.locator(".msg-success")).to_have_text("Reminders are on. We write to anna@example.com.")
    expect(page.locator("#reminders-state")).to_have_text(re.compile(r"^\s*On\s+to anna@example.com\s*$"))
    assert page.locator("#reminders").bounding_box()["y"] < page.evaluate("window.scrollY") + 844
    shot(page, "11-phone-reminders-on")
    page.get_by_role("button", name="Turn reminders off").click()
    expect(page.locator("#reminders-state")).to_have_text(re.compile(r"^\s*Off\s*$"))


def test_on_a_phone_the_fifth_wrong_pin_locks_web_sign_in(open_page):
    page = open_page(PHONE)
    page.goto("/my/signin/")
    for _ in range(4):
        sign_in(page, BRUNO, wrong_pin(BRUNO))
        expect(page.locator("#signin-error")).to_contain_text("The card number or the PIN is not right")
    shot(page, "04-phone-wrong-pin")
    sign_in(page, BRUNO, wrong_pin(BRUNO))
    expect(page.locator("#signin-error")).to_contain_text("Web sign-in for this card is locked.")
    sign_in(page, BRUNO, pin(BRUNO))
    expect(page.locator("#signin-error")).to_contain_text("Web sign-in for this card is locked.")
    expect(page).to_have_url(re.compile(r"/my/signin/$"))
    shot(page, "05-phone-locked")


def test_on_a_desktop_in_german(open_page, shop):
    page = open_page(DESKTOP)
    page.goto("/my/signin/")
    sign_in(page, ANNA, pin(ANNA))
    expect(page.locator("#points-balance")).to_have_text("35.09")
    assert _fits_the_screen(page)
    shot(page, "06-desktop-card")

    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("h1")).to_have_text("Hallo, Anna K.")
    expect(page.locator("#progress-text")).to_have_text("Noch 698,00 EUR einkaufen für 7 % (Platinum)")
    expect(page.locator("#points-balance")).to_have_text("35,09")
    with translation.override("de"):
        burn = date_format(timezone.localtime(shop["burns"][0]), "j. N Y")
    expect(page.locator("#burning li").first).to_contain_text(burn)
    shot(page, "07-desktop-card-de", full_page=True)


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

"""The card on the phone at the till (issue 17.2): the barcode on /my/ scans as the card's number (read by
ZXing and by zbar, as the print files are), and the page is installable (manifest) and kept for offline
use by its service worker. The worker itself runs in tests/mycard/test_browser.py."""

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from django.test import Client
from PIL import Image, ImageDraw

from mycard.barcode import card_barcode_svg
from tests.mycard import support as my_support
from tests.mycard.support import ANNA, BRUNO, cards_in_every_state, pin, sign_in

fresh_cache = my_support.fresh_cache

SVG = "{http://www.w3.org/2000/svg}"
SCALE = 4  # pixels per module: a phone shows the code at about this size


def rasterise(svg: str) -> Image.Image:
    """Paint the SVG's rectangles (all the bars are rectangles) as a browser would, without a browser."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    image = Image.new("L", (int(width * SCALE), int(height * SCALE)), 255)
    draw = ImageDraw.Draw(image)
    for group in [root, *root.iter(f"{SVG}g")]:
        fill = 0 if group.get("fill") == "#000" else 255
        for rect in group.findall(f"{SVG}rect"):
            x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
            w, h = float(rect.get("width")), float(rect.get("height"))
            colour = 255 if rect.get("fill") == "#fff" else fill
            draw.rectangle([x * SCALE, y * SCALE, (x + w) * SCALE - 1, (y + h) * SCALE - 1], fill=colour)
    return image


def zxing_reads(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.EAN13)]


@pytest.mark.parametrize("number", ["2000000000015", "2000000000022", "4006381333931", "0000000000000"])
def test_the_barcode_scans_as_the_card_number(number):
    assert zxing_reads(rasterise(card_barcode_svg(number, "Barcode"))) == [number]


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools not installed (CI installs it)")
def test_the_barcode_also_scans_with_zbar(tmp_path):
    png = tmp_path / "card.png"
    rasterise(card_barcode_svg(ANNA, "Barcode")).save(png)
    result = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, check=True)
    assert result.stdout.split() == [ANNA]


def test_the_barcode_has_no_style_attribute_and_a_name_for_screen_readers():
    svg = card_barcode_svg(ANNA, "Barcode of card 2000000000015")
    assert "style=" not in svg
    assert ET.fromstring(svg).find(f"{SVG}title").text == "Barcode of card 2000000000015"


@pytest.mark.django_db
def test_the_card_page_shows_its_own_cards_barcode(demo):
    cards_in_every_state()
    client = Client()
    sign_in(client, BRUNO, pin(BRUNO))
    html = client.get("/my/").content.decode()
    start = html.index("<svg")
    svg = html[start : html.index("</svg>") + len("</svg>")]
    assert zxing_reads(rasterise(svg)) == [BRUNO]
    assert "Show this at the checkout instead of the plastic card." in html


@pytest.mark.django_db
def test_every_customer_page_links_the_manifest_and_the_worker_script(demo):
    cards_in_every_state()
    client = Client()
    signin_page = client.get("/my/signin/").content.decode()
    sign_in(client, ANNA, pin(ANNA))
    for html in (signin_page, client.get("/my/").content.decode()):
        assert '<link rel="manifest" href="/my/manifest.webmanifest">' in html
        assert 'src="/static/mycard/my.js" data-worker="/my/sw.js" data-scope="/my/"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "name"), [("en", "Loyalty card"), ("de", "Kundenkarte")])
def test_the_manifest_makes_my_installable_in_the_customers_language(language, name):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get("/my/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert (manifest["name"], manifest["lang"], manifest["start_url"], manifest["scope"]) == (
        name,
        language,
        "/my/",
        "/my/",
    )
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        image = Image.open(f"static/mycard/{icon['src'].rsplit('/', 1)[1]}")
        assert f"{image.width}x{image.height}" == icon["sizes"]


@pytest.mark.django_db
def test_the_service_worker_is_served_from_my_so_that_it_controls_my():
    response = Client().get("/my/sw.js")
    assert (response.status_code, response["Content-Type"], response["Cache-Control"]) == (
        200,
        "text/javascript",
        "no-cache",
    )
    worker = response.content.decode()
    assert 'const CARD_PAGE = "/my/";' in worker
    assert '"/static/mycard/my.css"' in worker
    assert 'const CACHE = "my-card-' in worker


def test_new_files_make_a_new_worker_with_a_new_cache(monkeypatch):
    before = Client().get("/my/sw.js").content
    # A release: in production the names carry the files' content hash (my.3f2a9c1b.css).
    monkeypatch.setattr("mycard.views.static", lambda name: "/static/" + name.replace(".", ".3f2a9c1b.", 1))
    after = Client().get("/my/sw.js").content.decode()
    assert '"/static/mycard/my.3f2a9c1b.css"' in after
    assert after.split('const CACHE = "')[1][:21] != before.decode().split('const CACHE = "')[1][:21]

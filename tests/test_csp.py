"""The Content-Security-Policy (config/settings.py) is strict: self only, no inline script or style. Each page
is opened in a real browser and must neither be refused anything by the policy nor show a script error."""

import re

import pytest

from cards.pins import card_pin
from loyalty.models import Programme
from pos.demo import build_demo
from tests.browser import ARTIFACTS, BROWSER_TEST, expect
from tests.mycard.support import fresh_cache  # noqa: F401  (autouse: the sign-in counters stay in this test)

pytestmark = BROWSER_TEST

DEMO_CARD = "2000000000503"
# Every refusal the browser makes: the console line and the securitypolicyviolation event.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI || 'inline'} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def visit(browser, live_server):
    build_demo()
    from cards.lifecycle import card_activate

    card_activate(number=DEMO_CARD, name="Carla Csp", phone="+48600100999")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: console.append(str(error)))

    def visit(path: str, ready: str) -> list[str]:
        console.clear()
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        expect(page.locator(ready).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"csp-{re.sub(r'[^a-z0-9]+', '-', path).strip('-')}.png"))
        return [*page.evaluate("window.__csp"), *console]

    yield page, visit
    context.close()


def log_in(page, path: str, username: str, password: str) -> None:
    page.goto(path)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def test_no_page_breaks_the_policy(visit):
    page, visit = visit
    log_in(page, "/pos/", "cashier1", "cashier-demo")
    assert visit("/pos/", "body[data-ready=true]") == []

    page.goto("/my/signin/")
    page.fill("input[name=number]", DEMO_CARD)
    page.fill("input[name=pin]", card_pin(DEMO_CARD))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/my/$"))
    assert visit("/my/", "main") == []

    page.context.clear_cookies()
    log_in(page, "/admin/login/", "manager", "manager-demo")
    assert visit("/admin/", "#content") == []
    assert visit("/admin/loyalty/programme/", "#changelist") == []
    programme = Programme.objects.order_by("pk").first().pk  # ids go on across tests that flush the tables
    assert visit(f"/admin/loyalty/programme/{programme}/change/", "#content-main form") == []
    assert visit("/admin/pos/product/?q=milk", "#changelist") == []
    assert visit("/manager/", "main") == []
    assert visit("/manager/scale/", "main") == []
    assert visit("/manager/partners/", "main") == []
    assert visit("/admin/partners/statement/", "#changelist") == []
    page.context.clear_cookies()
    assert visit("/partner/login/", "main") == []
    assert visit("/api/v1/docs/", ".swagger-ui .info") == []

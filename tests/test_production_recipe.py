"""README "Production", followed on this machine: DEBUG off, strong secrets, PostgreSQL and Redis, collectstatic,
gunicorn with deploy/gunicorn.conf.py behind nginx with deploy/nginx/loyalty-proxy.conf, a Celery worker and beat.
Then a cashier sells in Chromium, /healthz and a static file answer, and slow clients do not stall the till.

A PostgreSQL test (it runs in CI's PostgreSQL pass) on a scratch database of its own; about a minute.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, expect, sync_playwright

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MILK = "4006381333931"
TOKEN = "demo-token-central-till-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers=None, timeout=10):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            get(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        pytest.skip("needs PostgreSQL")
    redis = subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True, text=True)
    if redis.stdout.strip() != "PONG":
        pytest.skip("needs Redis at 127.0.0.1:6379 (.ci/run starts it)")
    if sync_playwright is None or not os.path.exists(CHROMIUM):
        pytest.skip("needs playwright and chromium")
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        pytest.skip("needs nginx (apt-get install nginx; .ci/run installs it)")

    work = tmp_path_factory.mktemp("production")
    parts = urlsplit(database_url)
    scratch = f"{parts.path.lstrip('/')}_recipe"
    admin = urlunsplit(parts._replace(path="/postgres"))
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {scratch}"], check=True)
    app_port, proxy_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CARD_PIN", "NIGHTLY", "CELERY"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",  # plain HTTP on loopback; TLS is nginx's (deploy/nginx/loyalty.conf)
        "DJANGO_SECRET_KEY": "recipe-" + "s3cr3t-" * 8,
        "CARD_PIN_SECRET": "recipe-pin-" + "k3y-" * 8,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": urlunsplit(parts._replace(path=f"/{scratch}")),
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{app_port}",
        "NIGHTLY_JOB_EVERY_SECONDS": "3",  # beat starts the nightly job every few seconds here
    }
    subprocess.run(["redis-cli", "-n", "14", "flushdb"], check=True, capture_output=True)

    def manage(*args):
        done = subprocess.run([BIN / "python", "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    # The demo's stores, cashier and terminal without its year of receipts (what `loyalty_demo
    # --allow-production` adds on a trial install would take the better part of a minute here).
    manage("shell", "-c", "from pos.demo import build_demo; build_demo()")

    conf = work / "nginx.conf"
    conf.write_text(
        f"""daemon off; pid {work}/nginx.pid; error_log {work}/nginx-error.log;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {work}/body; proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
    upstream loyalty_app {{ server 127.0.0.1:{app_port}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{proxy_port};
        include {ROOT}/deploy/nginx/loyalty-proxy.conf;
    }}
}}
"""
    )
    logs = {name: open(work / f"{name}.log", "w") for name in ("gunicorn", "worker", "beat", "nginx")}  # noqa: SIM115
    commands = {
        "gunicorn": [BIN / "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        "worker": [BIN / "celery", "-A", "config", "worker", "--concurrency", "1", "--loglevel", "info"],
        "beat": [BIN / "celery", "-A", "config", "beat", "--loglevel", "info", "-s", str(work / "beat")],
        "nginx": [nginx, "-c", str(conf), "-e", str(work / "nginx-error.log")],
    }
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT)
        for name, command in commands.items()
    ]
    try:
        wait_for(f"http://127.0.0.1:{app_port}/healthz")
        wait_for(f"http://127.0.0.1:{proxy_port}/healthz")
        yield {"app": f"http://127.0.0.1:{app_port}", "proxy": f"http://127.0.0.1:{proxy_port}", "work": work}
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)  # gunicorn and nginx: quick shutdown; Celery: warm
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"])


def test_healthz_answers_and_beat_with_the_worker_runs_the_nightly_job(stack):
    deadline = time.monotonic() + 60
    while True:
        status, _, body = get(f"{stack['proxy']}/healthz")
        health = json.loads(body)
        if health["details"]["nightly_job"]["last_finished_at"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert (status, health["database"], health["cache"]) == (200, "ok", "ok")
    assert health["details"]["nightly_job"]["late"] is False, (stack["work"] / "worker.log").read_text()[-2000:]


def test_static_files_are_served_by_the_app_with_hashed_names_and_long_cache_headers(stack):
    manifest = json.loads((stack["work"] / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["pos/cashier.js"]
    assert re.fullmatch(r"pos/cashier\.[0-9a-f]{12}\.js", hashed)
    for name in (
        hashed,
        manifest["admin/css/base.css"],
        manifest["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"],
    ):
        status, headers, _ = get(f"{stack['proxy']}/static/{name}", headers={"Accept-Encoding": "gzip"})
        assert (status, headers["Cache-Control"]) == (200, "max-age=315360000, public, immutable"), name
        assert headers["Content-Encoding"] == "gzip"


def test_a_cashier_completes_a_sale_in_chromium(stack):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=stack["proxy"])
        page.set_default_timeout(15_000)
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/pos/")
        page.fill("#id_username", "cashier1")
        page.fill("#id_password", "cashier-demo")
        page.keyboard.press("Enter")
        expect(page.locator("body[data-ready=true]")).to_have_count(1)  # cashier.js ran
        expect(page.locator("#scan")).to_be_focused()
        page.keyboard.type(MILK)
        page.keyboard.press("Enter")
        expect(page.locator("#lines-body tr")).to_have_count(1)
        expect(page.locator("#t-total")).to_have_text("1.49")
        page.keyboard.press("F9")
        expect(page.locator("#receipt-view")).to_be_visible()
        expect(page.locator("#receipt-totals")).to_contain_text("1.49 EUR")
        browser.close()
    assert errors == []


class SlowClients:
    """Clients that send a request's headers one byte a second, as in issue 14."""

    def __init__(self, url: str, count: int):
        host, port = urlsplit(url).hostname, urlsplit(url).port
        self.sockets = [socket.create_connection((host, port)) for _ in range(count)]
        self.request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100

    def dribble(self, seconds: float) -> None:
        for i in range(int(seconds)):
            for s in self.sockets:
                with contextlib.suppress(OSError):  # the server dropped it: that is its defence
                    s.send(self.request[i : i + 1])
            time.sleep(1)

    def close(self):
        for s in self.sockets:
            s.close()


def till_request_seconds(base: str) -> float:
    started = time.monotonic()
    status, _, _ = get(f"{base}/api/v1/categories/", headers={"Authorization": f"Token {TOKEN}"})
    assert status == 200
    return time.monotonic() - started


@pytest.mark.parametrize(("front", "clients"), [("app", 4), ("proxy", 64)])
def test_slow_header_clients_do_not_stall_the_till(stack, front, clients):
    """gunicorn itself (gthread) holds off the issue's four; nginx in front holds off many more."""
    slow = SlowClients(stack[front], clients)
    try:
        slow.dribble(3)  # every slow client has started its request and holds whatever it can
        waits = [till_request_seconds(stack[front]) for _ in range(5)]
        slow.dribble(1)
    finally:
        slow.close()
    assert max(waits) < 1.0, waits

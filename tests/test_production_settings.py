"""config/settings.py in production: DEBUG off by default, strong secrets or no start, HTTPS hardening on."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG = "k" * 16 + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"  # 66 characters, 50+ distinct enough
STRONG_PIN = "p" * 10 + "9876543210zyxwvutsrqponmlkjihgfedcba"  # 46 characters


def run(*argv: str, **env) -> subprocess.CompletedProcess:
    """A fresh process with only these variables from us (none of the test run's DJANGO_* or secrets)."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "CARD_PIN", "DATABASE_", "REDIS_"))
    }
    environment.update(DJANGO_SETTINGS_MODULE="config.settings")
    environment.update({name: value for name, value in env.items() if value is not None})
    return subprocess.run([sys.executable, *argv], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def manage(*args: str, **env) -> subprocess.CompletedProcess:
    return run("manage.py", *args, **env)


SETTINGS = "import django; from django.conf import settings; django.setup(); print(settings.DEBUG)"


def test_debug_is_off_unless_asked():
    shown = run("-c", SETTINGS, DJANGO_SECRET_KEY=STRONG, CARD_PIN_SECRET=STRONG_PIN)
    assert (shown.returncode, shown.stdout) == (0, "False\n"), shown.stderr
    assert run("-c", SETTINGS, DJANGO_DEBUG="true").stdout == "True\n"


@pytest.mark.parametrize(
    ("secret", "pin", "line"),
    [
        (None, STRONG_PIN, "DJANGO_SECRET_KEY is not set"),
        (STRONG, None, "CARD_PIN_SECRET is not set"),
        (STRONG, "x", "CARD_PIN_SECRET is 1 characters, fewer than 32"),
        ("s" * 31, STRONG_PIN, "DJANGO_SECRET_KEY is 31 characters, fewer than 32"),
        (STRONG, "dev-only-card-pin-secret-change-me", "CARD_PIN_SECRET is the published development value"),
    ],
)
def test_start_up_refuses_a_missing_or_weak_secret_with_one_line(secret, pin, line):
    shown = manage("check", DJANGO_SECRET_KEY=secret, CARD_PIN_SECRET=pin)
    assert (shown.returncode, shown.stdout) == (1, "")
    assert shown.stderr == (  # api.md: refuses to start "with one line saying why", not a traceback
        f"{line}: with DJANGO_DEBUG off set it to a random value "
        "of at least 32 characters (python3 -c 'import secrets; print(secrets.token_urlsafe(48))').\n"
    )


def test_any_setting_the_environment_got_wrong_is_one_line_too():
    shown = manage("check", DJANGO_DEBUG="true", API_THROTTLE_BURST="0")
    assert (shown.returncode, shown.stdout, shown.stderr) == (
        1, "", "API_THROTTLE_BURST must be 1 or more and API_THROTTLE_PER_SECOND above 0.\n"
    )  # fmt: skip


def test_32_characters_are_enough():
    shown = manage("check", DJANGO_SECRET_KEY=STRONG, CARD_PIN_SECRET="c" * 32)
    assert (shown.returncode, shown.stdout) == (0, "System check identified no issues (0 silenced).\n"), shown.stderr


def test_check_deploy_is_clean_with_the_defaults():
    shown = manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY=STRONG, CARD_PIN_SECRET=STRONG_PIN)
    clean = "System check identified no issues (0 silenced).\n"
    assert (shown.returncode, shown.stdout, shown.stderr) == (0, clean, "")


def test_https_false_is_a_plain_http_trial():
    code = (
        "import django; from django.conf import settings as s; django.setup(); "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER)"
    )
    on = run("-c", code, DJANGO_SECRET_KEY=STRONG, CARD_PIN_SECRET=STRONG_PIN)
    assert on.stdout == "True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')\n", on.stderr
    off = run("-c", code, DJANGO_SECRET_KEY=STRONG, CARD_PIN_SECRET=STRONG_PIN, DJANGO_HTTPS="false")
    assert off.stdout == "False False False 0 None\n", off.stderr


def test_production_serves_hashed_compressed_static_files_and_the_tests_do_not_need_collectstatic():
    code = "import django; from django.conf import settings as s; django.setup(); print(s.STORAGES['staticfiles'])"
    prod = run("-c", code, DJANGO_SECRET_KEY=STRONG, CARD_PIN_SECRET=STRONG_PIN)
    assert prod.stdout == "{'BACKEND': 'whitenoise.storage.CompressedManifestStaticFilesStorage'}\n", prod.stderr
    dev = run("-c", code, DJANGO_DEBUG="true")
    assert dev.stdout == "{'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}\n", dev.stderr

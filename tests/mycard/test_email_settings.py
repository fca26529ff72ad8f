"""config/settings.py: the e-mail backend of the reminder e-mails, read from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("EMAIL_URL", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
        "EMAIL_USE_SSL", "DEFAULT_FROM_EMAIL", "REMINDER_BURN_DAYS", "REMINDER_BURN_HOUR")  # fmt: skip
NAMES = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
         "EMAIL_USE_SSL", "DEFAULT_FROM_EMAIL", "REMINDER_BURN_DAYS")  # fmt: skip
SHOW = (
    "import json, django; from django.conf import settings as s; django.setup(); "
    f"print(json.dumps({{n: getattr(s, n, None) for n in {NAMES!r}}}))"
)


def settings_with(**env) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if name not in OURS}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="true")
    environment.update(env)
    return subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, env=environment, capture_output=True, text=True)


def shown(**env) -> dict:
    result = settings_with(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_a_mail_server_e_mails_go_to_the_console():
    assert shown()["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_email_url_names_server_port_login_and_starttls():
    got = shown(EMAIL_URL="smtp+tls://shop:s3cret@mail.example.com:587", DEFAULT_FROM_EMAIL="Shop <card@shop.example>")
    assert got == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "shop",
        "EMAIL_HOST_PASSWORD": "s3cret",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "DEFAULT_FROM_EMAIL": "Shop <card@shop.example>",
        "REMINDER_BURN_DAYS": 14,
    }


def test_or_one_variable_each():
    got = shown(EMAIL_HOST="mail.example.com", EMAIL_PORT="465", EMAIL_USE_SSL="true", EMAIL_HOST_USER="shop")
    assert (got["EMAIL_BACKEND"], got["EMAIL_HOST"], got["EMAIL_PORT"], got["EMAIL_USE_SSL"], got["EMAIL_USE_TLS"]) == (
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.com",
        465,
        True,
        False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EMAIL_HOST": "m", "EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "EMAIL_USE_TLS and EMAIL_USE_SSL"),
        ({"REMINDER_BURN_DAYS": "0"}, "REMINDER_BURN_DAYS must be 1..365"),
        ({"REMINDER_BURN_HOUR": "24"}, "REMINDER_BURN_HOUR 0..23"),
    ],
)
def test_contradictions_stop_the_start_up_with_one_line(env, message):
    result = settings_with(**env)
    assert result.returncode == 1
    assert message in result.stderr

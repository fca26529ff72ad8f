"""config/settings.py: the PostgreSQL connection options the till's speed depends on, read from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOW = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
)


OURS = ("DATABASE_PREPARE_THRESHOLD", "DATABASE_PLAN_CACHE_MODE", "DATABASE_SERVER_SIDE_BINDING")


def settings_with(**env) -> subprocess.CompletedProcess:
    """The settings as a fresh process reads them (none of OURS inherited from the test run's environment)."""
    environment = {name: value for name, value in os.environ.items() if name not in OURS}
    environment.update(DATABASE_URL="postgres://postgres@127.0.0.1:5432/test", DJANGO_SETTINGS_MODULE="config.settings")
    environment.update(env)
    return subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, env=environment, capture_output=True, text=True)


def options(**env) -> dict:
    shown = settings_with(**env)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_postgresql_prepares_what_it_repeats_and_keeps_one_generic_plan_by_default():
    assert options() == {
        "server_side_binding": True,
        "prepare_threshold": 5,
        "options": "-c plan_cache_mode=force_generic_plan",
    }


def test_behind_a_pooler_preparing_and_the_start_up_option_can_be_turned_off():
    assert options(
        DATABASE_PREPARE_THRESHOLD="0", DATABASE_SERVER_SIDE_BINDING="false", DATABASE_PLAN_CACHE_MODE="auto"
    ) == {"server_side_binding": False, "prepare_threshold": None}


def test_the_url_s_own_options_are_kept():
    shown = options(DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-c%20statement_timeout%3D5000")
    assert shown["options"] == "-c statement_timeout=5000 -c plan_cache_mode=force_generic_plan"


@pytest.mark.parametrize("mode", ["generic", "FORCE_GENERIC_PLAN", "off"])
def test_an_unknown_plan_cache_mode_stops_the_start_up(mode):
    shown = settings_with(DATABASE_PLAN_CACHE_MODE=mode)
    assert shown.returncode == 1
    assert f"DATABASE_PLAN_CACHE_MODE must be a PostgreSQL plan_cache_mode, not {mode!r}." in shown.stderr

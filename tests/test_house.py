"""The house (architecture.md) holds: imports run one way down the apps, the pure rules stay pure, and
hand-written SQL lives only where the house allows it. A change that breaks the shape fails here."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Down this list, one way: an app imports its own level and below, never above or beside.
LEVELS = [
    {"core"},
    {"loyalty"},
    {"cards"},
    {"giftcards", "promotions"},
    {"pos"},
    {"dashboard", "mycard", "partners"},
]
RANK = {app: rank for rank, apps in enumerate(LEVELS) for app in apps}
# The HTTP edge of an app may use config's one error handler (codes to statuses); nothing else imports config.
EDGE = ("views.py", "apis.py")
APPS = [app for app in RANK if (ROOT / app).is_dir()]

# Where hand-written SQL may live: selectors, the nightly job, the reports, and the statement helper.
SQL_ALLOWED = ("core/", "dashboard/reports/", "loyalty/expiry.py")
SQL_MARKERS = (".cursor(", ".raw(", ".extra(", "RawSQL(")


def modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def first_party_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & (set(RANK) | {"config", "tests", "bench"})


def all_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_its_own_level_and_below(app):
    wrong = {}
    for path in modules(app):
        for imported in first_party_imports(path):
            if imported == "config" and path.name in EDGE:
                continue
            beside = RANK.get(imported) == RANK[app] and imported != app
            if imported not in RANK or RANK[imported] > RANK[app] or beside:
                wrong.setdefault(str(path.relative_to(ROOT)), []).append(imported)
    assert wrong == {}


def test_core_imports_no_app():
    assert {str(p.relative_to(ROOT)): first_party_imports(p) - {"core"} for p in modules("core")} == {
        str(p.relative_to(ROOT)): set() for p in modules("core")
    }


def test_the_rules_import_no_django_and_read_no_clock():
    for path in sorted((ROOT / "loyalty/rules").glob("*.py")):
        imports = all_imports(path)
        assert not any(name.split(".")[0] in {"django", "rest_framework", "celery"} for name in imports), path
        assert {name.split(".")[0] for name in imports} <= {
            "__future__", "collections", "dataclasses", "datetime", "decimal", "math", "core", "loyalty"
        }, path  # fmt: skip
        text = path.read_text(encoding="utf-8")
        assert ".now(" not in text and ".today(" not in text and "time.time(" not in text, path


def test_hand_written_sql_lives_only_in_selectors_the_nightly_job_the_reports_and_core():
    outside = []
    for app in APPS:
        for path in modules(app):
            relative = str(path.relative_to(ROOT))
            if path.name == "selectors.py" or relative.startswith(SQL_ALLOWED):
                continue
            text = path.read_text(encoding="utf-8")
            if any(marker in text for marker in SQL_MARKERS):
                outside.append(relative)
    assert outside == []

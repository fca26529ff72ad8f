"""Every path the READMEs name exists: when code moves, the docs move with it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATH = re.compile(r"`([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*)`")
# What the product writes (bench/out/, media/ …) is ignored by git, so a fresh clone does not have it yet.
WRITTEN = {line.strip().lstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines() if "/" in line}


@pytest.mark.parametrize("doc", ["README.md", "bench/README.md"])
def test_every_repository_path_a_readme_names_exists(doc):
    named = set(PATH.findall((ROOT / doc).read_text(encoding="utf-8")))
    # Only paths that start at a top-level folder of the repository; `admin/` or `reports/` are words.
    ours = {p for p in named if (ROOT / p.split("/")[0]).is_dir() and p not in WRITTEN}
    missing = sorted(p for p in ours if not (ROOT / p).exists() and not (ROOT / doc).parent.joinpath(p).exists())
    assert missing == []

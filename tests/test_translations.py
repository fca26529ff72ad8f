"""One German word per English sentence across the apps' catalogues.

Django merges every app's catalogue into one; where two give the same msgid different German, the
first app in INSTALLED_APPS wins and the other page shows a word its own .po never promised (the till
printed "Kassenbon" where its catalogue said "Bon"). Each catalogue's own test checks it is compiled;
this one checks they agree."""

import re
from itertools import combinations

from django.conf import settings

ENTRY = re.compile(
    r'\n(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n)+)'
)


def joined(block: str) -> str:
    return "".join(re.findall(r'"(.*)"', block))


def catalogue(path) -> dict[tuple[str, str], str]:
    text = path.read_text()
    # A word in a context (pgettext) is another entry: keyed by context and word.
    return {(joined(m[1] or ""), joined(m[2])): joined(m[3]) for m in ENTRY.finditer(text) if joined(m[2])}


def test_the_catalogues_give_each_sentence_one_german_translation():
    paths = sorted(settings.BASE_DIR.glob("*/locale/de/LC_MESSAGES/django.po"))
    assert len(paths) >= 3
    found = {path.parent.parent.parent.parent.name: catalogue(path) for path in paths}
    clashes = [
        (a, b, msgid, found[a][msgid], found[b][msgid])
        for a, b in combinations(sorted(found), 2)
        for msgid in found[a].keys() & found[b].keys()
        if found[a][msgid] != found[b][msgid]
    ]
    assert clashes == []

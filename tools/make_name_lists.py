"""Write Harbor Coffee's name lists (crmlib/simulate/names/*.csv) from Faker's person providers.

Usage: python tools/make_name_lists.py <folder with an unpacked faker wheel>

Run once by a maintainer (``pip download faker --no-deps`` and unzip it); Faker is
not a dependency of the course. The lists are published facts Faker carries:

* last names: the 1,000 most frequent US surnames of Census 2000 with their
  frequencies (Faker ``en_US``), rescaled so that Smith holds 0.881% of people,
  its Census 2000 share; the other 59.4% of people have rarer surnames, spread
  evenly over the surnames of other Faker locales (Irish, Italian, Spanish,
  Dutch, German, Indian, French, ...) that are not in the top 1,000;
* first names: the SSA's top 200 names per decade of the 1960s to 1990s with
  their frequencies (Faker ``en_US``), by sex, rescaled to cover 72% of men and
  60% of women; the rest spread evenly over Faker's longer US list (``en``)
  and a few other locales' first names.

Only names written in plain Latin letters (accents removed) in one word are
kept. The script reads Faker's source text (it never imports Faker).
"""

from __future__ import annotations

import ast
import csv
import re
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "crmlib" / "simulate" / "names"
SMITH_SHARE = 0.00881  # Census 2000: 881 Smiths per 100,000 people
HEAD_COVER = {"M": 0.72, "F": 0.60}  # share of people whose first name is in the SSA lists
SURNAME_LOCALES = ["en_IE", "it_IT", "es_ES", "nl_NL", "de_DE", "de_AT", "en_IN", "fr_FR",
                   "es_MX", "pt_BR", "tw_GH", "yo_NG", "da_DK", "no_NO", "tr_TR"]
FIRST_LOCALES = ["en", "es_ES", "it_IT", "en_IN", "de_DE", "fr_FR", "en_IE", "nl_NL", "pt_BR",
                 "yo_NG"]
WORD = re.compile(r"^(?:[A-Z][a-z]+|O'[A-Z][a-z]+|Mc[A-Z][a-z]+|Mac[A-Z][a-z]+)$")


def provider_lists(faker_root: Path, locale: str) -> dict:
    """The name lists of one locale's person provider, read from its source text."""
    src = (faker_root / "faker" / "providers" / "person" / locale / "__init__.py").read_text()
    out = {}
    for node in ast.walk(ast.parse(src)):
        if not isinstance(node, ast.ClassDef):
            continue
        for st in node.body:
            if not isinstance(st, ast.Assign) or not isinstance(st.targets[0], ast.Name):
                continue
            name = st.targets[0].id
            if name not in ("first_names_female", "first_names_male", "last_names"):
                continue
            value = st.value
            if isinstance(value, ast.Call) and value.args:  # OrderedDict((name, weight), ...)
                value = value.args[0]
            try:
                v = ast.literal_eval(value)
            except ValueError:
                continue
            if isinstance(v, tuple) and v and isinstance(v[0], tuple):
                v = dict(v)
            out[name] = v
    return out


def plain(name) -> str | None:
    """The name in plain letters, or None when it is not one plain word."""
    if not isinstance(name, str):
        return None
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_ if len(ascii_) == len(name) and WORD.match(ascii_) else None


def main(faker_root: Path) -> None:
    us = provider_lists(faker_root, "en_US")
    census = {plain(k): v for k, v in us["last_names"].items() if plain(k)}
    scale = SMITH_SHARE / census["Smith"]
    rows = [(n, w * scale, "census2000") for n, w in census.items()]
    tail = {}
    for loc in SURNAME_LOCALES:
        for n in provider_lists(faker_root, loc).get("last_names", ()):
            p = plain(n)
            if p and p not in census and p not in tail:
                tail[p] = loc
    rest = 1 - sum(w for _, w, _ in rows)
    rows += [(n, rest / len(tail), f"faker-{loc}") for n, loc in tail.items()]
    write(OUT / "last_names.csv", ["name", "weight", "source"], rows)

    rows = []
    for sex, key in (("F", "first_names_female"), ("M", "first_names_male")):
        head = {plain(k): v for k, v in us[key].items() if plain(k)}
        total = sum(head.values())
        rows += [(n, sex, w / total * HEAD_COVER[sex], "ssa1960s-1990s")
                 for n, w in head.items()]
        seen = set(head)
        other = {}
        for loc in FIRST_LOCALES:
            for n in provider_lists(faker_root, loc).get(key, ()):
                p = plain(n)
                if p and p not in seen and p not in other:
                    other[p] = loc
        rows += [(n, sex, (1 - HEAD_COVER[sex]) / len(other), f"faker-{loc}")
                 for n, loc in other.items()]
    write(OUT / "first_names.csv", ["name", "sex", "weight", "source"], rows)


def write(path: Path, header: list[str], rows: list[tuple]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([f"{x:.4e}" if isinstance(x, float) else x for x in row])
    print(f"{path}: {len(rows)} names")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

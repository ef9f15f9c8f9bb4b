"""Month and weekday names of the languages cleaner reads dates in, shipped as data.

`calendar.json` beside this module is made from Babel's CLDR data by
`python3 -m cleaner.core.calendar_names` (Babel is needed for that only: `pip install babel`);
tests/test_story_evidence.py checks the file still matches Babel when it is installed.
Shipped as data so that a run reads a few hundred names instead of loading 27 locales
(~35 MB in every process that signs documents).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

PATH = Path(__file__).with_name("calendar.json")
# Languages whose month and weekday names are read (Babel locale ids): the languages cleaner
# detects most in news; a name two languages share names the same month or day in both.
LOCALES = ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "cs", "sk", "sv", "da", "nb", "fi",
           "ro", "hu", "tr", "ru", "uk", "bg", "el", "hr", "sl", "lt", "lv", "et", "ca")


@lru_cache(maxsize=1)
def shipped() -> dict[str, dict[str, dict[str, int]]]:
    """calendar.json as read: {"months": {lang: {name: 1..12}}, "days": {lang: {name: 0..6}}}."""
    table: dict[str, dict[str, dict[str, int]]] = json.loads(PATH.read_text(encoding="utf-8"))
    return table


def build() -> dict[str, dict[str, dict[str, int]]]:
    """Per language: month names -> 1..12 and weekday names -> 0..6 (Monday 0), case-folded,
    in every form Babel lists (wide and abbreviated months, format and stand-alone; wide
    days). Per language, because one language's short month ("set", "out") is another's
    ordinary word."""
    from babel.dates import get_day_names, get_month_names

    table: dict[str, dict[str, dict[str, int]]] = {"months": {}, "days": {}}
    contexts: tuple[Literal["format", "stand-alone"], ...] = ("format", "stand-alone")
    for loc in LOCALES:
        days: dict[str, int] = {}
        months: dict[str, int] = {}
        for context in contexts:
            for num, name in get_day_names("wide", context, loc).items():
                key = name.casefold().rstrip(".")
                if len(key) >= 4:
                    days.setdefault(key, num)
        for width in ("wide", "abbreviated"):
            for context in contexts:
                for num, name in get_month_names(width, context, loc).items():
                    key = name.casefold().rstrip(".")
                    if len(key) >= 3 and key not in days:
                        months.setdefault(key, num)
        table["months"][loc] = dict(sorted(months.items()))
        table["days"][loc] = dict(sorted(days.items()))
    return table


def main() -> None:
    PATH.write_text(json.dumps(build(), ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {PATH}")


if __name__ == "__main__":
    main()

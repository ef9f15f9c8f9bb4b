"""Dates as ISO strings: the only date form records carry, so they compare and sort."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from cleaner.core.calendar_names import shipped

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
# DD.MM.YYYY; with slashes, the order a day over 12 shows (25/12/2024, 12/25/2024).
_DMY = re.compile(r"(\d{1,2})([./])(\d{1,2})\2(\d{4})(?!\d)")


@lru_cache(maxsize=1)
def _rfc822() -> re.Pattern[str]:
    """RFC 822/5322, as RSS <pubDate> and e-mail give it: "Tue, 03 Dec 2024 10:00:00 GMT";
    the weekday is optional, and a month's whole English name (calendar_names.py's "en"
    names, and "sept") is read as its abbreviation is. Built when first needed: most
    inputs' dates are ISO."""
    months = _months()
    return re.compile(r"(?:[a-z]{3,9},\s*)?(\d{1,2})\s+(" + "|".join(sorted(months, key=len, reverse=True)) +
                      r")\.?\s+(\d{4})(?!\d)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _months() -> dict[str, int]:
    return shipped()["months"]["en"] | {"sept": 9}


def normalise_date(value: str | None) -> str | None:
    """'2025-12-20', '2025-12-20T03:40Z', '20.12.2025', '20/12/2025', '12/20/2025' or
    'Sat, 20 Dec 2025 03:40:00 GMT' -> '2025-12-20'; None if not a date, or a slashed date
    whose order nothing shows ('03/12/2025'). The day is the one written, whatever the time
    zone (as for ISO times): the publisher's day."""
    if not value:
        return None
    value = value.strip()
    if m := _ISO.match(value):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _DMY.match(value):
        d, mo, y = int(m[1]), int(m[3]), int(m[4])
        if m[2] == "/" and mo > 12 >= d:  # the US order, MM/DD/YYYY
            d, mo = mo, d
        elif m[2] == "/" and d != mo and max(d, mo) <= 12:
            return None  # 03/12/2024: 3 December in Europe, 12 March in the US
    elif m := _rfc822().match(value):
        d, mo, y = int(m[1]), _months()[m[2].lower()], int(m[3])
    else:
        return None
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


def days_between(a: str | None, b: str | None) -> int | None:
    if not a or not b:
        return None
    return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)


def _day_of_year(month_day: str) -> int:
    return date.fromisoformat("2000-" + month_day).timetuple().tm_yday  # 2000: a leap year


def story_gap(a_date: str | None, a_dateline: str | None, b_date: str | None, b_dateline: str | None) -> int | None:
    """Days between two reports: from their dates when both have one, else from the day
    and month they give (a date's, or a dateline's without a year), the short way round
    the calendar; None when either gives neither."""
    if a_date and b_date:
        return days_between(a_date, b_date)
    a = a_date[5:] if a_date else a_dateline
    b = b_date[5:] if b_date else b_dateline
    if not a or not b:
        return None
    gap = abs(_day_of_year(a) - _day_of_year(b))
    return min(gap, 366 - gap)

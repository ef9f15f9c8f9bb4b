"""Dates as ISO strings: the only date form records carry, so they compare and sort."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

from cleaner.core.calendar_names import shipped

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
# DD.MM.YYYY; with slashes, the order a day over 12 shows (25/12/2024, 12/25/2024).
_DMY = re.compile(r"(\d{1,2})([./])(\d{1,2})\2(\d{4})(?!\d)")
_ORDINAL = r"(?:st|nd|rd|th|er|º|ª)?"  # 20th, 1er, 1º


@lru_cache(maxsize=1)
def _day_first() -> re.Pattern[str]:
    """A day, a month's name, a year: RFC 822/5322 as RSS <pubDate> and e-mail give it ("Tue,
    03 Dec 2024 10:00:00 GMT", the weekday optional) and the long forms news pages write in
    the languages calendar.json names ("20. Dezember 2025", "20 de diciembre de 2025",
    "20 декабря 2025 г.", "1er décembre 2025"). Built when first needed: most inputs' dates
    are ISO."""
    return re.compile(r"(?:[^\W\d_]{2,12}\.?,?\s*)?(\d{1,2})" + _ORDINAL + r"\.?\s+(?:de\s+)?(" + _alternatives() +
                      r")\.?,?\s+(?:de\s+|del\s+)?(\d{4})(?!\d)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _month_first() -> re.Pattern[str]:
    """English's month-first order, as US outlets write it: "Dec 20, 2025", "Saturday,
    December 20, 2025", "Dec. 20th 2025"."""
    english = "|".join(sorted(_months_en(), key=len, reverse=True))
    return re.compile(r"(?:[a-z]{3,9},?\s+)?(" + english + r")\.?\s+(\d{1,2})" + _ORDINAL + r",?\s+(\d{4})(?!\d)",
                      re.IGNORECASE)


def _alternatives() -> str:
    return "|".join(re.escape(name) for name in sorted(_months(), key=len, reverse=True))


@lru_cache(maxsize=1)
def _months_en() -> dict[str, int]:
    return shipped()["months"]["en"] | {"sept": 9}


@lru_cache(maxsize=1)
def _months() -> dict[str, int]:
    """Every shipped language's month names, case-folded, but for the few that name two
    different months in two languages (Czech "listopad" is November, Croatian's is October):
    a date is better missing than a month wrong."""
    named: dict[str, set[int]] = {}
    for names in (*shipped()["months"].values(), _months_en()):
        for name, month in names.items():
            named.setdefault(name, set()).add(month)
    return {name: next(iter(months)) for name, months in named.items() if len(months) == 1}


# 20251220, as file names and some feeds give a date: the whole value, or before a time.
_BASIC = re.compile(r"(\d{4})(\d{2})(\d{2})(?:$|T)")
# ISO 8601's 24:00 after a date (T24:00, T24:00:00, T2400, " 24:00", fractions of zero): the end
# of that day, the next day's 00:00. Any other time keeps the day written. After a space only
# with its colon: "2025-12-20 2400 residents" is a count. A fraction not all zeros
# (24:00:00.5) is no time: the day written, as any other; so is a time that mixes the basic
# and extended forms (T24:0000, T2400:00), which ISO 8601 does not allow.
_END_OF_DAY = re.compile(r"(?:T24(?:00){1,2}|[T ]24:00(?::00)?)(?:[.,]0+)?(?![\d:]|[.,]\d)")


def normalise_date(value: str | None) -> str | None:
    """'2025-12-20', '2025-12-20T03:40Z', '20251220', '20.12.2025', '20/12/2025', '12/20/2025',
    'Sat, 20 Dec 2025 03:40:00 GMT', 'Dec 20, 2025', '20. Dezember 2025' -> '2025-12-20';
    None if not a date, or a slashed date whose order nothing shows ('03/12/2025'). The day
    is the one written, whatever the time zone (as for ISO times): the publisher's day."""
    if not value:
        return None
    value = value.strip()
    if m := _ISO.match(value) or _BASIC.match(value):
        y, mo, d = (int(g) for g in m.groups())
        at = m.end() - (m.group(0).endswith("T"))  # _BASIC's match takes the T
        if _END_OF_DAY.match(value, at):
            try:
                return (date(y, mo, d) + timedelta(days=1)).isoformat()
            except (ValueError, OverflowError):  # no such day; 9999-12-31's next
                return None
    elif m := _DMY.match(value):
        d, mo, y = int(m[1]), int(m[3]), int(m[4])
        if m[2] == "/" and mo > 12 >= d:  # the US order, MM/DD/YYYY
            d, mo = mo, d
        elif m[2] == "/" and d != mo and max(d, mo) <= 12:
            return None  # 03/12/2024: 3 December in Europe, 12 March in the US
    elif m := _day_first().match(value):
        # .get: a name the regex matched case-blind may fold to another spelling ("ß")
        d, mo, y = int(m[1]), _months().get(m[2].casefold(), 0), int(m[3])
    elif m := _month_first().match(value):
        mo, d, y = _months_en().get(m[1].casefold(), 0), int(m[2]), int(m[3])
    else:
        return None
    try:
        return date(y, mo, d).isoformat()
    except ValueError:  # no such day, or month 0
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

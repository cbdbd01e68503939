"""Dates as people type them, in Norwegian or English: "12. mars", "2026-03-12", "next Friday".

Strict on purpose: a form answer that is silently guessed ("32. februar" read as 02.02.2032) is
worse than a refusal, so only the forms listed here are read and everything else is refused with
a reason (`DateProblem`). Relative words ("today", "i morgen", "neste fredag") are resolved
against the caller's `today`, so the result depends on the bot's clock and never on the machine's.
A day and month without a year mean the next such date from today, kept inside the caller's
sensible window; two-digit numbers are never years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta

_MONTH_NAMES: tuple[tuple[str, ...], ...] = (
    ("januar", "january", "jan"),
    ("februar", "february", "feb"),
    ("mars", "march", "mar"),
    ("april", "apr"),
    ("mai", "may"),
    ("juni", "june", "jun"),
    ("juli", "july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("oktober", "october", "okt", "oct"),
    ("november", "nov"),
    ("desember", "december", "des", "dec"),
)
MONTHS = {name: n for n, names in enumerate(_MONTH_NAMES, 1) for name in names}
_WEEKDAYS = {
    **dict.fromkeys(("monday", "mandag"), MO),
    **dict.fromkeys(("tuesday", "tirsdag"), TU),
    **dict.fromkeys(("wednesday", "onsdag"), WE),
    **dict.fromkeys(("thursday", "torsdag"), TH),
    **dict.fromkeys(("friday", "fredag"), FR),
    **dict.fromkeys(("saturday", "lørdag"), SA),
    **dict.fromkeys(("sunday", "søndag"), SU),
}
_RELATIVE_DAYS = {
    "today": 0,
    "i dag": 0,
    "idag": 0,
    "tomorrow": 1,
    "i morgen": 1,
    "imorgen": 1,
    "yesterday": -1,
    "i går": -1,
    "igår": -1,
    "next week": 7,
    "neste uke": 7,
}
_WEEKDAY_PHRASE = re.compile(r"^(?:(next|neste|this|denne|on|på|last|forrige)\s+)?([a-zæøå]+)$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})\s*[./]\s*(\d{1,2})(?:\s*[./]\s*(\d+))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?([a-zæøå]+)\.?(?:,?\s+(\d+))?$")
_MONTH_DAY = re.compile(r"^([a-zæøå]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d+))?$")

Reason = Literal["unreadable", "impossible", "two_digit_year", "out_of_range"]


@dataclass(frozen=True)
class DateProblem:
    """Why a text is not (an acceptable) date; `text` is what the person wrote."""

    reason: Reason
    text: str


def read_date(
    text: str, today: date, *, window: tuple[date, date] | None = None
) -> date | DateProblem:
    """The date `text` names, or the reason it is refused.

    `window` (earliest, latest) is the range of dates that make sense for the caller (for a status
    campaign: from a year before it opened to half a year after its deadline); dates with an
    explicit year outside it are refused, and a day-month is resolved inside it.
    """
    cleaned = " ".join(text.strip().lower().split()).rstrip(".").strip()
    if not cleaned:
        return DateProblem("unreadable", text)
    relative = _relative(cleaned, today)
    if relative is not None:
        return relative
    year: str | None
    iso = _ISO.match(cleaned)
    numeric = _NUMERIC.match(cleaned)
    day_month = _DAY_MONTH.match(cleaned)
    month_day = _MONTH_DAY.match(cleaned)
    if iso:
        year, month, day = iso.group(1), int(iso.group(2)), int(iso.group(3))
    elif numeric:
        day, month, year = int(numeric.group(1)), int(numeric.group(2)), numeric.group(3)
    elif day_month and day_month.group(2) in MONTHS:
        day, month, year = int(day_month.group(1)), MONTHS[day_month.group(2)], day_month.group(3)
    elif month_day and month_day.group(1) in MONTHS:
        day, month, year = int(month_day.group(2)), MONTHS[month_day.group(1)], month_day.group(3)
    else:
        return DateProblem("unreadable", text)
    if year is not None and len(year) != 4:
        return DateProblem("two_digit_year" if len(year) <= 2 else "unreadable", text)
    if not _exists(day, month, int(year) if year else 2024):  # 2024: a leap year
        return DateProblem("impossible", text)
    if year is not None:
        found = date(int(year), month, day)
        if window is not None and not window[0] <= found <= window[1]:
            return DateProblem("out_of_range", text)
        return found
    resolved = _next_day_month(day, month, today, window)
    return resolved if resolved is not None else DateProblem("out_of_range", text)


def parse_date(text: str, today: date) -> date | None:
    """The date `text` names, or None when it is not (certainly) a date."""
    found = read_date(text, today)
    return found if isinstance(found, date) else None


def _relative(cleaned: str, today: date) -> date | None:
    if cleaned in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[cleaned])
    match = _WEEKDAY_PHRASE.match(cleaned)
    if match and match.group(2) in _WEEKDAYS:
        weekday = _WEEKDAYS[match.group(2)]
        if match.group(1) in ("last", "forrige"):
            return today + relativedelta(days=-1, weekday=weekday(-1))
        return today + relativedelta(days=+1, weekday=weekday(+1))
    return None


def _exists(day: int, month: int, year: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _next_day_month(
    day: int, month: int, today: date, window: tuple[date, date] | None
) -> date | None:
    """The next such date from today; if that lies past the window, the latest one inside it."""
    candidates = [
        date(year, month, day)
        for year in range(today.year - 8, today.year + 9)
        if _exists(day, month, year)
    ]
    upcoming = [d for d in candidates if d >= today]
    if upcoming and (window is None or window[0] <= upcoming[0] <= window[1]):
        return upcoming[0]
    inside = [d for d in candidates if window is not None and window[0] <= d <= window[1]]
    return inside[-1] if inside else None

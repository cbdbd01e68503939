"""Dates as people type them, in Norwegian or English: "12. mars", "2026-03-12", "next Friday".

python-dateutil parses the absolute forms (with Norwegian month names through a `parserinfo`);
relative words ("today", "i morgen", "neste fredag") are resolved here against the caller's
`today`, so the result depends on the bot's clock and never on the machine's.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from dateutil import parser as date_parser
from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta


class _NorwegianEnglishInfo(date_parser.parserinfo):
    """Month and weekday names in both languages; day before month ("12.03.2026")."""

    # dateutil reads these class attributes; its stubs allow fewer aliases than it accepts
    MONTHS: list[tuple[str, ...]] = [  # type: ignore[assignment]  # noqa: RUF012
        ("Jan", "January", "januar", "jan."),
        ("Feb", "February", "februar", "feb."),
        ("Mar", "March", "mars", "mar."),
        ("Apr", "April", "april", "apr."),
        ("May", "mai"),
        ("Jun", "June", "juni"),
        ("Jul", "July", "juli"),
        ("Aug", "August", "august", "aug."),
        ("Sep", "Sept", "September", "september", "sep.", "sept."),
        ("Oct", "October", "oktober", "okt", "okt."),
        ("Nov", "November", "november", "nov."),
        ("Dec", "December", "desember", "des", "des."),
    ]
    WEEKDAYS: list[tuple[str, ...]] = [  # type: ignore[assignment]  # noqa: RUF012
        ("Mon", "Monday", "mandag", "man"),
        ("Tue", "Tuesday", "tirsdag", "tir"),
        ("Wed", "Wednesday", "onsdag", "ons"),
        ("Thu", "Thursday", "torsdag", "tor"),
        ("Fri", "Friday", "fredag", "fre"),
        ("Sat", "Saturday", "lørdag", "lør"),
        ("Sun", "Sunday", "søndag", "søn"),
    ]

    def __init__(self) -> None:
        super().__init__(dayfirst=True)


_INFO = _NorwegianEnglishInfo()
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
}
_WEEKDAY_PHRASE = re.compile(r"^(?:(next|neste|this|denne|on|på|last|forrige)\s+)?([a-zæøå]+)$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NEXT_WEEK = {"next week": 7, "neste uke": 7}


def parse_date(text: str, today: date) -> date | None:
    """The date `text` names, or None when it is not a date."""
    cleaned = " ".join(text.strip().lower().split()).rstrip(".")
    if not cleaned:
        return None
    if cleaned in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[cleaned])
    if cleaned in _NEXT_WEEK:
        return today + timedelta(days=_NEXT_WEEK[cleaned])
    match = _WEEKDAY_PHRASE.match(cleaned)
    if match and match.group(2) in _WEEKDAYS:
        weekday = _WEEKDAYS[match.group(2)]
        if match.group(1) in ("last", "forrige"):
            return today + relativedelta(days=-1, weekday=weekday(-1))
        return today + relativedelta(days=+1, weekday=weekday(+1))
    iso = _ISO.match(cleaned)
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
    if not re.search(r"\d", cleaned):
        return None  # dateutil would happily turn a bare month name into a date
    try:
        default = datetime(today.year, today.month, today.day)
        parsed = date_parser.parse(cleaned, parserinfo=_INFO, default=default)
    except (ValueError, OverflowError, date_parser.ParserError):
        return None
    return parsed.date()

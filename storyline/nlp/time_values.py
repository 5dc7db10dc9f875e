"""TIMEX3 values: the anchor, normalised values, and the calendar arithmetic behind them.

Nothing here reads text: given an :class:`Anchor` day and a granularity, these
functions shift, round and name calendar units the TIMEX3 way (``2019-W28``,
``2019-Q3``, ``199``), and :func:`interval_of` turns a value back into days.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .time_lexicon import MONTHS

#: years beyond this many after the anchor (or 2200 without one) are not dates
MAX_YEARS_AHEAD = 100


@dataclass(frozen=True, slots=True)
class Anchor:
    """The date relative expressions count from, and how sure we are of it."""

    day: date
    estimated: bool = False
    #: for an estimate: the earliest and latest days it may be
    earliest: date | None = None
    latest: date | None = None
    basis: str = "published"


@dataclass(frozen=True, slots=True)
class Norm:
    type: str
    value: str
    granularity: str
    mod: str | None = None
    relative: bool = False
    age: bool = False
    #: for "that day", "the following month": (granularity, steps) from the last mentioned date
    refers: tuple[str, int] | None = None
    #: the mentioned date such a reference was resolved against (ISO), when not the anchor
    based_on: str | None = None


BLOCK = Norm("", "", "")  # a date-looking span that is not a date: suppresses what is inside


def days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, days_in(year, month + 1)))


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def unit_value(day: date, granularity: str) -> str:
    """The TIMEX3 value of the calendar unit of ``granularity`` that contains ``day``."""
    if granularity == "day":
        return day.isoformat()
    if granularity == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if granularity in ("week", "weekend"):
        return iso_week(day) + ("-WE" if granularity == "weekend" else "")
    if granularity == "quarter":
        return f"{day.year:04d}-Q{quarter_of(day)}"
    if granularity == "decade":
        return f"{day.year // 10:03d}"
    if granularity == "century":
        return f"{day.year // 100:02d}"
    return f"{day.year:04d}"


def shift(day: date, granularity: str, count: float) -> date:
    steps = round(count)
    if granularity in ("day", "hour", "minute", "second"):
        hours = {"hour": 24, "minute": 1440, "second": 86400}.get(granularity, 1)
        return day + timedelta(days=int(count // hours) if hours > 1 else steps)
    if granularity in ("week", "weekend"):
        return day + timedelta(weeks=steps)
    months = {"month": 1, "quarter": 3, "year": 12, "decade": 120, "century": 1200}
    return add_months(day, steps * months.get(granularity, 12))


def valid_year(year: int, anchor: Anchor | None) -> bool:
    limit = anchor.day.year + MAX_YEARS_AHEAD if anchor else 2200
    return 1000 <= year <= limit


def month_of(token: str) -> int:
    return MONTHS[token.casefold().rstrip(".")[:3]]


def interval_of(value: str) -> tuple[date, date] | None:
    """The first and last day a TIMEX3 DATE value covers; None when it is not a calendar date."""
    match = re.fullmatch(
        r"(\d{4})(?:-(\d\d|Q[1-4]|H[12]|SP|SU|FA|WI|W\d\d)(?:-(\d\d|WE))?)?(?:T.*)?", value
    )
    if match is None:
        decade = re.fullmatch(r"(\d{3})", value)
        if decade:
            first = int(decade.group(1)) * 10
            return date(max(first, 1), 1, 1), date(first + 9, 12, 31)
        return None
    year = int(match.group(1))
    part, day_part = match.group(2), match.group(3)
    try:
        if part is None:
            return date(year, 1, 1), date(year, 12, 31)
        if part.isdigit():
            month = int(part)
            if day_part and day_part.isdigit():
                day = date(year, month, int(day_part))
                return day, day
            return date(year, month, 1), date(year, month, days_in(year, month))
        if part[0] in "QH":
            size = 3 if part[0] == "Q" else 6
            first_month = (int(part[1]) - 1) * size + 1
            last_month = first_month + size - 1
            return date(year, first_month, 1), date(year, last_month, days_in(year, last_month))
        if part.startswith("W"):
            monday = date.fromisocalendar(year, int(part[1:]), 1)
            return (
                (monday + timedelta(days=5), monday + timedelta(days=6))
                if day_part
                else (
                    monday,
                    monday + timedelta(days=6),
                )
            )
        seasons = {"SP": (3, 5), "SU": (6, 8), "FA": (9, 11), "WI": (12, 14)}
        first, last = seasons[part]
        end = add_months(date(year, 1, 1), last - 1)
        return date(year, first, 1), date(end.year, end.month, days_in(end.year, end.month))
    except ValueError:
        return None

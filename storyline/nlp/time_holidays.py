"""Named days of the calendar: fixed holidays, movable feasts, and the rule that finds them.

A fixed holiday falls on the same day every year (Christmas, Veterans Day);
a movable one is computed for the year in question: the nth weekday of a month
(Thanksgiving is the fourth Thursday of November, Labor Day the first Monday of
September, Memorial Day the last Monday of May), Election Day (the Tuesday
after the first Monday of November), and Easter with the feasts counted from
it. "Easter week" and "Thanksgiving weekend" name the week or weekend around
the day. A year left unsaid is chosen as for a bare month and day: the nearest
to the anchor, unless the tense, or "last" and "next", say otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache

from .time_context import Context, pick_year
from .time_values import Norm, iso_week, valid_year

#: name -> (month, day), the same every year
FIXED_HOLIDAYS = {
    "christmas": (12, 25), "christmas day": (12, 25), "christmas eve": (12, 24),
    "new year's day": (1, 1), "new year's eve": (12, 31), "independence day": (7, 4),
    "halloween": (10, 31), "valentine's day": (2, 14), "veterans day": (11, 11),
    "boxing day": (12, 26), "bastille day": (7, 14), "may day": (5, 1),
    "st. patrick's day": (3, 17), "saint patrick's day": (3, 17),
}  # fmt: skip

# weekday numbers as datetime counts them
_MONDAY, _TUESDAY, _THURSDAY, _SUNDAY = 0, 1, 3, 6


def easter(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous computus)."""
    golden = year % 19
    century, years = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    correction = (century + 8) // 25
    moon = (century - correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - moon + 15) % 30
    leap_years, year_rest = divmod(years, 4)
    weekday = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    shift = (golden + 11 * epact + 22 * weekday) // 451
    month, day = divmod(epact + weekday - 7 * shift + 114, 31)
    return date(year, month, day + 1)


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The ``nth`` given weekday of a month; ``nth=-1`` for the last one."""
    if nth < 0:
        following = date(year + month // 12, month % 12 + 1, 1)
        last = following - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _election_day(year: int) -> date:
    return nth_weekday(year, 11, _MONDAY, 1) + timedelta(days=1)


#: name -> the day it falls on in a given year
MOVABLE_HOLIDAYS: dict[str, Callable[[int], date]] = {
    "easter": easter,
    "easter sunday": easter,
    "good friday": lambda year: easter(year) - timedelta(days=2),
    "easter monday": lambda year: easter(year) + timedelta(days=1),
    "palm sunday": lambda year: easter(year) - timedelta(days=7),
    "ash wednesday": lambda year: easter(year) - timedelta(days=46),
    "thanksgiving": lambda year: nth_weekday(year, 11, _THURSDAY, 4),
    "thanksgiving day": lambda year: nth_weekday(year, 11, _THURSDAY, 4),
    "election day": _election_day,
    "memorial day": lambda year: nth_weekday(year, 5, _MONDAY, -1),
    "labor day": lambda year: nth_weekday(year, 9, _MONDAY, 1),
    "mother's day": lambda year: nth_weekday(year, 5, _SUNDAY, 2),
    "father's day": lambda year: nth_weekday(year, 6, _SUNDAY, 3),
    "martin luther king day": lambda year: nth_weekday(year, 1, _MONDAY, 3),
    "martin luther king jr. day": lambda year: nth_weekday(year, 1, _MONDAY, 3),
    "presidents day": lambda year: nth_weekday(year, 2, _MONDAY, 3),
    "presidents' day": lambda year: nth_weekday(year, 2, _MONDAY, 3),
    "columbus day": lambda year: nth_weekday(year, 10, _MONDAY, 2),
}

HOLIDAY_NAMES = [*FIXED_HOLIDAYS, *MOVABLE_HOLIDAYS]
#: the first word of each name, where the rule looks
HOLIDAY_WORDS = sorted({name.split()[0].split("'")[0].rstrip(".") for name in HOLIDAY_NAMES})


def _key(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


def holiday_date(name: str, year: int) -> date:
    """The day the holiday ``name`` (any case, any spacing) falls on in ``year``."""
    key = _key(name)
    if key in FIXED_HOLIDAYS:
        month, day = FIXED_HOLIDAYS[key]
        return date(year, month, day)
    return MOVABLE_HOLIDAYS[key](year)


@cache
def _unanchored(key: str) -> str:
    """The value of a holiday of unknown year: its month and day when every year agrees."""
    days = {holiday_date(key, year).strftime("%m-%d") for year in range(2000, 2028)}
    if len(days) == 1:
        return "XXXX-" + days.pop()
    months = {day[:2] for day in days}
    return f"XXXX-{months.pop()}-XX" if len(months) == 1 else "XXXX-XX-XX"


def holiday(match: re.Match[str], ctx: Context) -> Norm | None:
    name = match.group("hol")
    span = (match.group("span") or "").strip().casefold()
    rel = " ".join((match.group("rel") or "").casefold().split())
    if match.group("year"):
        year: int | None = int(match.group("year"))
        if not valid_year(year or 0, ctx.anchor):
            return None
        return _holiday_norm(name, year or 0, span, relative=False)
    anchor = ctx.anchor
    if anchor is None:
        if span:
            return Norm("DATE", "XXXX-WXX" + ("-WE" if span == "weekend" else ""), span, None, True)
        return Norm("DATE", _unanchored(_key(name)), "day", relative=True)
    this_year = holiday_date(name, anchor.day.year)
    if rel in ("last", "this past", "past"):
        year = anchor.day.year - (1 if this_year >= anchor.day else 0)
    elif rel in ("next", "coming", "this coming"):
        year = anchor.day.year + (1 if this_year <= anchor.day else 0)
    else:
        year = pick_year(ctx, match.start(), match.end(), this_year.month, this_year.day)
    return _holiday_norm(name, year or anchor.day.year, span, relative=True)


def _holiday_norm(name: str, year: int, span: str, relative: bool) -> Norm:
    day = holiday_date(name, year)
    if span == "week":
        return Norm("DATE", iso_week(day), "week", relative=relative)
    if span == "weekend":
        # a Monday holiday closes a long weekend; any other day opens or falls in one
        weekend = day - timedelta(days=2) if day.weekday() == _MONDAY else day
        return Norm("DATE", iso_week(weekend) + "-WE", "weekend", relative=relative)
    return Norm("DATE", day.isoformat(), "day", relative=relative)

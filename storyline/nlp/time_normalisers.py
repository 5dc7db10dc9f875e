"""Normalisers: one function per rule, from a regular-expression match to a TIMEX3 value.

Each takes the match and its :class:`~storyline.nlp.time_context.Context` and
returns a :class:`~storyline.nlp.time_values.Norm`, ``None`` when the match is
not a temporal expression after all, or :data:`BLOCK` when it looks like a
date but is not one ("February 30") and should hide the shorter matches inside.
This module holds the points and periods of the calendar (dates, months,
years, quarters, seasons, weekdays, clock times); durations, ages and sets are
in :mod:`~storyline.nlp.time_amounts`, holidays in
:mod:`~storyline.nlp.time_holidays`, and expressions that count from the last
mentioned date in :mod:`~storyline.nlp.time_discourse`.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from .time_context import Context, pick_year, weekday_date
from .time_lexicon import (
    EDGE_MODS,
    MODS,
    MONTH_NAMES,
    ORDINALS,
    PARTS_OF_DAY,
    REFS,
    SEASONS,
    UNITS,
    WEEKDAYS,
    parse_number,
)
from .time_values import (
    BLOCK,
    Norm,
    days_in,
    iso_week,
    month_of,
    quarter_of,
    shift,
    unit_value,
    valid_year,
)


def _g(match: re.Match[str], name: str) -> str:
    """A named group, lower-cased; empty when the rule has no such group or it did not match."""
    return (match.groupdict().get(name) or "").casefold()


def _edge(match: re.Match[str]) -> str | None:
    pre = _g(match, "edge")
    for word, mod in EDGE_MODS.items():
        if word in pre:
            return mod
    return None


def full_date(match: re.Match[str], ctx: Context) -> Norm | None:
    norm = _day_of_month(match, ctx)
    if norm is None or norm is BLOCK or not match.group("weekof"):
        return norm
    week = "XXXX-WXX" if norm.value[0] == "X" else iso_week(date.fromisoformat(norm.value))
    return Norm("DATE", week, "week", relative=norm.relative)


def _day_of_month(match: re.Match[str], ctx: Context) -> Norm | None:
    month = month_of(match.group("mon"))
    day = int(re.sub(r"\D", "", match.group("day")))
    year_text = match.group("year") or match.groupdict().get("pair_year")
    if year_text:
        year = int(year_text)
        if not valid_year(year, ctx.anchor) or day > days_in(year, month):
            return BLOCK
        return Norm("DATE", f"{year:04d}-{month:02d}-{day:02d}", "day")
    if day > days_in(2000, month):  # 2000 is a leap year: 29 February is possible
        return BLOCK
    year_or_none = pick_year(ctx, match.start(), match.end(), month, day)
    if year_or_none is None:
        return Norm("DATE", f"XXXX-{month:02d}-{day:02d}", "day", relative=True)
    if month == 2 and day == 29 and not calendar.isleap(year_or_none):
        return BLOCK
    return Norm("DATE", f"{year_or_none:04d}-{month:02d}-{day:02d}", "day", relative=True)


_FIRST_DAY = re.compile(
    rf"\b(?P<mon>{MONTH_NAMES})\.?\s?(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
    r"(?:\s(?:and|or|to|through)\s|[-–])$"
)


def second_day(match: re.Match[str], ctx: Context) -> Norm | None:
    """The second day of "April 24 and 25" or "Feb. 3-5": the month and year of the first."""
    head = _FIRST_DAY.search(ctx.text, max(0, match.start() - 24), match.start())
    if head is None:
        return None
    month, first, day = month_of(head.group("mon")), int(head.group("day")), int(match["day"])
    if day <= first or day > days_in(2000, month):
        return None
    year = (
        int(match["year"])
        if match["year"]
        else pick_year(ctx, head.start(), head.end(), month, first)
    )
    if year is None:
        return Norm("DATE", f"XXXX-{month:02d}-{day:02d}", "day", relative=True)
    if day > days_in(year, month) or not valid_year(year, ctx.anchor):
        return None
    return Norm("DATE", f"{year:04d}-{month:02d}-{day:02d}", "day", relative=not match["year"])


def numeric_date(match: re.Match[str], ctx: Context) -> Norm | None:
    if match.group("iy"):
        year, month, day = int(match.group("iy")), int(match.group("im")), int(match.group("id"))
    else:
        month, day, year = int(match.group("um")), int(match.group("ud")), int(match.group("uy"))
        if year < 100:
            year += 2000 if year < 50 else 1900
    if not (1 <= month <= 12) or not valid_year(year, ctx.anchor):
        return BLOCK
    if not 1 <= day <= days_in(year, month):
        return BLOCK
    return Norm("DATE", f"{year:04d}-{month:02d}-{day:02d}", "day")


def month_year(match: re.Match[str], ctx: Context) -> Norm | None:
    month = month_of(match.group("mon"))
    rel = _g(match, "yrel")
    if rel:  # "June last year", "January this year"
        if ctx.anchor is None:
            return Norm("DATE", f"XXXX-{month:02d}", "month", _edge(match), relative=True)
        year = ctx.anchor.day.year + {"last": -1, "next": 1}.get(rel, 0)
        return Norm("DATE", f"{year:04d}-{month:02d}", "month", _edge(match), relative=True)
    year = int(match.group("year"))
    if not valid_year(year, ctx.anchor):
        return BLOCK
    return Norm("DATE", f"{year:04d}-{month:02d}", "month", _edge(match))


def bare_month(match: re.Match[str], ctx: Context) -> Norm | None:
    word = match.group("mon")
    rel = _g(match, "rel")
    before = ctx.before(match.start())
    after = ctx.text[match.end() : match.end() + 16]
    if (
        word in ("May", "March")
        and not rel
        and not match.group("edge")
        and not re.search(
            r"\b(?:in|of|since|until|till|through|by|from|to|during|before|after)\s+$", before
        )
        # "the March accession", "a May meeting": a month naming what happened in it
        and not (
            re.search(r"\b(?:the|a|this|that|its|their)\s+$", before)
            and re.match(r"\s+(?!(?:on|of|to|in|for|from|against|and)\b)[a-z]+", after)
        )
    ):
        return None
    month = month_of(word)
    anchor = ctx.anchor
    if anchor is None:
        return Norm("DATE", f"XXXX-{month:02d}", "month", _edge(match), relative=True)
    if rel in ("last", "past", "previous"):
        year = anchor.day.year - (1 if month >= anchor.day.month else 0)
    elif rel in ("next", "coming"):
        year = anchor.day.year + (1 if month <= anchor.day.month else 0)
    elif rel == "this":
        year = anchor.day.year
    else:
        year = pick_year(ctx, match.start(), match.end(), month, None) or anchor.day.year
    return Norm("DATE", f"{year:04d}-{month:02d}", "month", _edge(match), relative=True)


def bare_year(match: re.Match[str], ctx: Context) -> Norm | None:
    year = int(match.group("year"))
    after = ctx.text[match.end() : match.end() + 16].casefold()
    if re.match(r"\s*(?:-|[a-z]+\s+(?:people|workers|votes|homes|residents|patients)\b)", after):
        return None
    if re.match(
        r"\s*(?:people|persons|workers|votes|homes|residents|patients|units|points)\b", after
    ):
        return None
    if ctx.text[max(0, match.start() - 1) : match.start()] in ("$", "#", "£", "€"):
        return None
    if not valid_year(year, ctx.anchor):
        return BLOCK
    return Norm("DATE", f"{year:04d}", "year", _edge(match))


def spelled_year(match: re.Match[str], ctx: Context) -> Norm | None:
    """A year in words ("nineteen ninety-four"), with the month or season it may follow."""
    if match.group("thousand"):
        rest = parse_number(match.group("rest")) if match.group("rest") else 0.0
        if rest is None:
            return None
        year = 2000 + int(rest)
    else:
        high = parse_number(match.group("high"))
        low = parse_number(match.group("low"))
        if high is None or low is None or not 10 <= high <= 20 or not 10 <= low <= 99:
            return None
        year = int(high) * 100 + int(low)
    if match.group("mon"):
        return Norm("DATE", f"{year:04d}-{month_of(match.group('mon')):02d}", "month")
    if match.group("season"):
        return Norm("DATE", f"{year:04d}-{SEASONS[_g(match, 'season')]}", "season")
    return Norm("DATE", f"{year:04d}", "year")


def weekend(match: re.Match[str], ctx: Context) -> Norm | None:
    if ctx.anchor is None:
        return Norm("DATE", "XXXX-WXX-WE", "weekend", relative=True)
    day = ctx.anchor.day
    if ctx.tense(match.start(), match.end()) == "future" or day.weekday() >= 5:
        return Norm("DATE", iso_week(day) + "-WE", "weekend", relative=True)
    return Norm("DATE", iso_week(day - timedelta(days=7)) + "-WE", "weekend", relative=True)


def year_end(match: re.Match[str], ctx: Context) -> Norm | None:
    """ "By year-end": the end of the anchor's year; "since year-end", of the year before."""
    if match.group("year"):
        return Norm("DATE", match.group("year"), "year", "END")
    if ctx.anchor is None:
        return Norm("DATE", "XXXX", "year", "END", relative=True)
    year = ctx.anchor.day.year - bool(re.search(r"\bsince\s+$", ctx.before(match.start())))
    return Norm("DATE", f"{year:04d}", "year", "END", relative=True)


def year_earlier(match: re.Match[str], ctx: Context) -> Norm | None:
    if ctx.anchor is None:
        return Norm("DATE", "XXXX", "year", relative=True)
    reference = _sentence_quarter(match, ctx)
    if reference is not None:
        return Norm("DATE", f"{reference[0] - 1}-Q{reference[1]}", "quarter", relative=True)
    return Norm("DATE", f"{ctx.anchor.day.year - 1:04d}", "year", relative=True)


def decade(match: re.Match[str], ctx: Context) -> Norm | None:
    digits = match.group("dec") or match.group("words")
    if match.group("words"):
        tens = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6}
        tens |= {"seventies": 7, "eighties": 8, "nineties": 9}
        return Norm("DATE", f"19{tens[digits.casefold()]}", "decade", _edge(match))
    if digits.startswith("'"):
        century = "19" if int(digits[1]) > 2 else "20"
        return Norm("DATE", century + digits[1], "decade", _edge(match))
    return Norm("DATE", digits[:3], "decade", _edge(match))


def ordinal_century(match: re.Match[str], ctx: Context) -> Norm | None:
    number = int(match.group("cent"))
    return Norm("DATE", f"{number - 1:02d}", "century", _edge(match))


def named_season(match: re.Match[str], ctx: Context) -> Norm | None:
    season = SEASONS[_g(match, "season")]
    rel = " ".join(_g(match, "rel").split())
    if match.group("year"):
        return Norm("DATE", f"{match.group('year')}-{season}", "season", _edge(match))
    if _g(match, "season") == "fall" and not rel and not match.group("the"):
        return None
    head = ctx.text[max(0, match.start("season") - 6) : match.start("season")]
    if match.group("season")[0].isupper() and not rel and not re.search(r"(?:^|[.!?\n]\s*)$", head):
        return None  # "the Prague Spring", "Spring of Life" rallies: seasons are lower-case
    anchor = ctx.anchor
    if anchor is None:
        return Norm("DATE", f"XXXX-{season}", "season", _edge(match), relative=True)
    year = anchor.day.year
    order = ["WI", "SP", "SU", "FA", "WI"]
    now = order[(anchor.day.month % 12) // 3]
    if rel == "this past":
        if order.index(season) >= order.index(now):
            year -= 1
    elif rel in ("last", "past", "previous") or (
        not rel
        and ctx.tense(match.start(), match.end()) == "past"
        and order.index(season) > order.index(now)
    ):
        year -= 1
    elif rel in ("next", "coming") and order.index(season) <= order.index(now):
        year += 1
    return Norm("DATE", f"{year:04d}-{season}", "season", _edge(match), relative=True)


def quarter_or_half(match: re.Match[str], ctx: Context) -> Norm | None:
    anchor = ctx.anchor
    ordinal = _g(match, "ord")
    rel = _g(match, "rel")
    half = "half" in _g(match, "qunit")
    if rel == "last" and match.group("year") and not ordinal:  # "the last half of 1989"
        ordinal = "second" if half else "fourth"
    if not ordinal and not rel and not match.group(0).casefold().startswith("the"):
        return None
    if half and not ordinal:
        return None
    if match.group("year") or match.group("year2"):
        year = int(match.group("year") or match.group("year2"))
        number = (
            ORDINALS.get(ordinal, 1)
            if ordinal or anchor is None
            else max(1, quarter_of(anchor.day) - 1)
        )
        return Norm("DATE", f"{year}-{'H' if half else 'Q'}{number}", "half" if half else "quarter")
    if anchor is None:
        return Norm("DATE", "XXXX-QX", "quarter", relative=True)
    current = quarter_of(anchor.day)
    year = anchor.day.year
    if ordinal:
        number = ORDINALS[ordinal]
        if half:
            return Norm("DATE", f"{year}-H{number}", "half", relative=True)
        future = ctx.tense(match.start(), match.end()) == "future"
        if number > current and not future:
            year -= 1
    else:
        number = current - 1 if rel != "current" else current
        if number == 0:
            number, year = 4, year - 1
    rel = " ".join(rel.split())
    if rel in ("year-earlier", "year-ago", "last year", "last year's"):
        year -= 1
    elif rel in ("next year", "next year's"):
        year += 1
    return Norm("DATE", f"{year}-Q{number}", "quarter", relative=True)


def weekday_name(match: re.Match[str], ctx: Context) -> Norm | None:
    weekday = WEEKDAYS.index(_g(match, "wd").rstrip("s"))
    part = PARTS_OF_DAY.get(_g(match, "pod"))
    if _g(match, "wd").endswith("s") or match.group(0).casefold().endswith("s"):
        return Norm("SET", f"XXXX-WXX-{weekday + 1}" + (f"T{part}" if part else ""), "week")
    if ctx.anchor is None:
        value = f"XXXX-WXX-{weekday + 1}"
        return Norm(
            "TIME" if part else "DATE", value + (f"T{part}" if part else ""), "day", relative=True
        )
    day = weekday_date(ctx, match.start(), match.end(), weekday, _g(match, "rel"))
    if part:
        return Norm("TIME", f"{day.isoformat()}T{part}", "part of day", relative=True)
    return Norm("DATE", day.isoformat(), "day", relative=True)


def _in_a_title(ctx: Context, start: int, word: str) -> bool:
    """A capitalised time word inside a name ("VOA Today", ABC's "This Week"), not a time.

    It is one when it follows another capitalised word or an opening quote, other
    than at the start of a sentence.
    """
    if not word[:1].isupper():
        return False
    head = ctx.text[max(0, start - 24) : start]
    if re.search(r"(?:(?:^|[.!?:\n][\"'”’)]*\s*)[\"“‘`']*|,\s*[\"“‘`]+)\s*$", head):
        return False  # the start of a sentence or of a quoted one
    return bool(re.search(r"(?:\b[A-Z][\w'’.-]*\s+|[\"“‘`]\s*)$", head))


def deictic(match: re.Match[str], ctx: Context) -> Norm | None:
    if _in_a_title(ctx, match.start("word"), match.group("word")):
        return None
    word = " ".join(_g(match, "word").split())
    part = PARTS_OF_DAY.get(_g(match, "pod"))
    offsets = {"today": 0, "tonight": 0, "this": 0, "yesterday": -1, "last": -1, "tomorrow": 1}
    offsets |= {"the day before yesterday": -2, "the day after tomorrow": 2}
    offset = offsets.get(word, 0)
    if word == "tonight":
        part = "NI"
    if word in ("last", "this") and not part:
        return None
    if ctx.anchor is None:
        value = "XXXX-XX-XX" + (f"T{part}" if part else "")
        return Norm("TIME" if part else "DATE", value, "day", relative=True)
    day = ctx.anchor.day + timedelta(days=offset)
    if part:
        return Norm("TIME", f"{day.isoformat()}T{part}", "part of day", relative=True)
    return Norm("DATE", day.isoformat(), "day", _edge(match), relative=True)


def relative_unit(match: re.Match[str], ctx: Context) -> Norm | None:
    rel = " ".join(_g(match, "rel").split()).removeprefix("the ")
    unit = _g(match, "unit")
    granularity = UNITS[unit.rstrip("s")][1]
    if match.group("unit")[0].isupper() and _in_a_title(ctx, match.start(), match.group(0)):
        return None
    if rel == "the" and re.match(r"\s+(?:ended|ending)\b", ctx.text[match.end() : match.end() + 9]):
        return Norm("DURATION", "P1Y", "year")  # "the year ended March 31": a fiscal period
    mod = _edge(match) or {"earlier": "START", "later": "END"}.get(_g(match, "pre"))
    if rel == "following":  # "the following year": the one after the last mentioned date
        return Norm("DATE", "", granularity, mod, relative=True, refers=(granularity, 1))
    if ctx.anchor is None:
        return Norm("DATE", "XXXX", granularity, _edge(match), relative=True)
    step = {"last": -1, "past": -1, "previous": -1, "prior": -1, "next": 1, "coming": 1}
    day = shift(ctx.anchor.day, granularity, step.get(rel, 0))
    return Norm("DATE", unit_value(day, granularity), granularity, mod, relative=True)


def ago(match: re.Match[str], ctx: Context) -> Norm | None:
    count = parse_number(match.group("num"))
    unit = _g(match, "unit").rstrip("s")
    granularity = UNITS[unit][1]
    direction = _g(match, "dir")
    sign = 1 if direction in ("from now", "hence") else -1
    if count is None:
        return Norm("DATE", "FUTURE_REF" if sign > 0 else "PAST_REF", "ref")
    if ctx.anchor is None:
        return Norm("DATE", "XXXX", granularity, MODS.get(_g(match, "mod")), relative=True)
    if granularity in ("hour", "minute", "second"):
        granularity = "day"
    reference = _sentence_quarter(match, ctx) if granularity == "year" and count == 1 else None
    if reference is not None:
        year, number = reference
        return Norm("DATE", f"{year - 1}-Q{number}", "quarter", relative=True)
    day = shift(ctx.anchor.day, granularity, sign * count)
    if granularity == "week":
        granularity = "day" if count < 2 else "week"
    return Norm(
        "DATE",
        unit_value(day, granularity),
        granularity,
        MODS.get(_g(match, "mod")),
        relative=True,
    )


_QUARTER_MENTION = re.compile(
    r"\b(?:(?:(first|second|third|fourth)[- ])?quarter"
    r"|(?P<other>(?:six|nine)[- ]months?|(?:first|second)\s+half|(?:fiscal|full)\s+year))\b"
)


def _sentence_quarter(match: re.Match[str], ctx: Context) -> tuple[int, int] | None:
    """The quarter an earnings passage is about, for "a year earlier" (its year-ago twin).

    The reference is the last quarter the text named before the expression, in
    the same sentence or up to a few paragraphs back.
    """
    if ctx.anchor is None:
        return None
    head = ctx.text[max(0, match.start() - 1500) : match.start()].casefold()
    mentions = list(_QUARTER_MENTION.finditer(head))
    if not mentions:
        return None
    found = mentions[-1]
    if found.group("other"):
        return None  # the passage is about a half, nine months or a year, not a quarter
    current = quarter_of(ctx.anchor.day)
    year = ctx.anchor.day.year
    number = ORDINALS[found.group(1)] if found.group(1) else current - 1
    if number > current or (number == current and not found.group(1)):
        year -= 1
    if number == 0:
        number, year = 4, year - 1
    return year, number


def ref_word(match: re.Match[str], ctx: Context) -> Norm | None:
    word = " ".join(_g(match, "ref").split())
    if word == "current" and re.match(
        r"\s+(?:account|affairs|events|of|flowing)", ctx.text[match.end() :]
    ):
        return None
    return Norm("DATE", REFS[word], "ref")


def clock(match: re.Match[str], ctx: Context) -> Norm | None:
    word = _g(match, "named")
    if word:
        hour, minute = (24, -1) if word == "midnight" else (12, 0)
    elif match.group("h2"):  # "4 in the morning", "ten at night"
        hour, minute = int(parse_number(match.group("h2")) or 0), 0
        part = _g(match, "pod")
        if part in ("afternoon", "evening") or (not part and 6 <= hour < 12):
            hour += 12
    else:
        hour, minute = int(match.group("h")), int(match.group("mi") or 0)
        if hour > 12 or minute > 59 or hour == 0:
            return None
        meridiem = _g(match, "ap").replace(".", "")
        hour = (hour % 12) + (12 if meridiem.startswith("p") else 0)
    time = f"T{hour:02d}" + (f":{minute:02d}" if minute >= 0 else "")
    wd = _g(match, "wd") or _g(match, "wd2")
    if not wd and not match.groupdict().get("cmon"):
        # "at 10:35 a.m." with no day: the day the story is on, the last one it named
        return Norm("TIME", time, "minute", relative=True, refers=("day", 0))
    anchor = ctx.anchor
    if anchor is None:
        return Norm("TIME", f"XXXX-XX-XX{time}", "minute", relative=True)
    day = anchor.day
    if match.groupdict().get("cmon"):
        month, mday = month_of(match.group("cmon")), int(match.group("cday"))
        year = pick_year(ctx, match.start(), match.end(), month, mday) or day.year
        if mday > days_in(year, month):
            return None
        day = date(year, month, mday)
    elif wd in WEEKDAYS:
        day = weekday_date(ctx, match.start(), match.end(), WEEKDAYS.index(wd), "")
    elif wd in ("yesterday", "tomorrow"):
        day += timedelta(days=-1 if wd == "yesterday" else 1)
    return Norm("TIME", f"{day.isoformat()}{time}", "minute", relative=True)

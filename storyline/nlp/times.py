"""The times stage: temporal expressions found and normalised as TIMEX3 does.

Every expression becomes a :class:`~storyline.model.TimeExpr` with a TIMEX3
``type`` (DATE, TIME, DURATION, SET), an ISO 8601 ``value`` (``2019-07-21``,
``2018-05``, ``2019-Q3``, ``P14M``, ``PT24H``, ``PRESENT_REF``) and the
``granularity`` of that value (day, month, quarter, year, week...).

How it works. A fixed table of rules, each a compiled regular expression plus a
normaliser, proposes candidate spans; the longest candidates win, and a span
that looks like a date but is not one ("February 30") blocks the shorter
candidates inside it. A rule only runs in short windows around the words it
cannot match without (month names for the month rules, unit words for
durations), and every pattern is a sequence of bounded pieces without nested
repetition: matching stays linear, a run of 200 characters or more without a
space (a URL, a blob) is skipped, and a 1 MB line takes milliseconds.

Relative expressions ("in June", "last week", "yesterday", "Friday") are
resolved against an :class:`Anchor`: the article's publication date when it
has one. An undated article is anchored on an estimate (the latest explicit
date its own text gives, or the storyline estimate that
:mod:`storyline.views.dating` computes); expressions resolved against an
estimate carry ``estimated=True``. Without any anchor their values stay
underspecified the TIMEX3 way (``XXXX-06``, ``XXXX-WXX-5``). The year of a
bare month or day ("July 21") and the week of a weekday follow the tense of the
nearest verb cue: past tense looks back from the anchor, future tense forward.

Ages ("9 weeks old", "a 14-month-old") are DURATIONs marked ``age=True``:
TimeML corpora do not annotate them, the fact extractor needs them.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import ClassVar

from ..model import Article, TimeExpr
from ..pipeline import BaseStage

__all__ = [
    "Anchor",
    "TimeStage",
    "anchor_for",
    "find_times",
    "interval_of",
    "parse_number",
    "sentence_bounds",
]

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3}
ORDINALS["4th"] = 4
#: unit word -> (TIMEX3 duration letter, granularity)
UNITS = {
    "second": ("S", "second"), "minute": ("M", "minute"), "min": ("M", "minute"),
    "hour": ("H", "hour"), "hr": ("H", "hour"), "day": ("D", "day"), "week": ("W", "week"),
    "weekend": ("WE", "weekend"), "fortnight": ("W", "week"), "month": ("M", "month"),
    "quarter": ("Q", "quarter"), "year": ("Y", "year"), "yr": ("Y", "year"),
    "decade": ("DE", "decade"), "century": ("CE", "century"), "centurie": ("CE", "century"),
}  # fmt: skip
MODS = {
    "about": "APPROX", "around": "APPROX", "roughly": "APPROX", "approximately": "APPROX",
    "some": "APPROX", "close to": "APPROX", "nearly": "LESS_THAN", "almost": "LESS_THAN",
    "less than": "LESS_THAN", "fewer than": "LESS_THAN", "under": "LESS_THAN",
    "just under": "LESS_THAN", "more than": "MORE_THAN", "over": "MORE_THAN",
    "just over": "MORE_THAN", "at least": "EQUAL_OR_MORE", "at most": "EQUAL_OR_LESS",
    "up to": "EQUAL_OR_LESS", "no more than": "EQUAL_OR_LESS",
}  # fmt: skip
EDGE_MODS = {"early": "START", "beginning": "START", "start": "START", "mid": "MID",
             "middle": "MID", "late": "END", "end": "END"}  # fmt: skip
REFS = {
    "now": "PRESENT_REF", "currently": "PRESENT_REF", "current": "PRESENT_REF",
    "nowadays": "PRESENT_REF", "presently": "PRESENT_REF", "these days": "PRESENT_REF",
    "at present": "PRESENT_REF", "right now": "PRESENT_REF", "the present": "PRESENT_REF",
    "recently": "PAST_REF", "lately": "PAST_REF", "the past": "PAST_REF",
    "the future": "FUTURE_REF",
    "the near future": "FUTURE_REF", "the near term": "FUTURE_REF", "the short term": "FUTURE_REF",
}  # fmt: skip
PARTS_OF_DAY = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI"}
HOLIDAYS = {
    "christmas": (12, 25), "christmas day": (12, 25), "christmas eve": (12, 24),
    "new year's day": (1, 1), "new year's eve": (12, 31), "independence day": (7, 4),
    "halloween": (10, 31), "valentine's day": (2, 14),
}  # fmt: skip
#: years beyond this many after the anchor (or 2200 without one) are not dates
MAX_YEARS_AHEAD = 100


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in words), key=len)[::-1])


_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept\.|Sep\.|Oct\.|Nov\.|Dec\."
    r"|Jan|Feb|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_FULL_MONTH = _MONTH.split("|Jan|")[0] + ")"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_WEEKDAY_WORD = "|".join(WEEKDAYS)
_YEAR = r"(?:1[0-9]\d\d|2[0-9]\d\d)(?![\d%])"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
_WORDNUM = (
    rf"(?:(?:{'|'.join(TENS)})(?:[- ](?:{'|'.join(SMALL[1:10])}))?"
    rf"|{'|'.join(reversed(SMALL))}|a\s+couple\s+of|a\s+few|a\s+dozen|dozens\s+of"
    r"|hundreds\s+of|several|many|an?)"
)
_DIGITS = r"(?<![\d.,])(?:\d{1,3}(?:,\d{3}){1,3}|\d{1,6}(?:\.\d{1,3})?)(?![\d,])"
_NUM = rf"(?:{_DIGITS}|{_WORDNUM})"
_UNIT = (
    r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weekends?|weeks?|fortnights?|months?"
    r"|quarters?|years?|yrs?|decades?|century|centuries)"
)
_MOD = rf"(?:{_alt(MODS)})"


def parse_number(text: str) -> float | None:
    """A number in digits or English words ("twenty-four", "a dozen"); None when vague."""
    word = " ".join(text.casefold().replace("-", " ").split())
    if re.fullmatch(r"[\d,]+(?:\.\d+)?", word):
        return float(word.replace(",", ""))
    fixed = {"a": 1, "an": 1, "a couple of": 2, "a dozen": 12}
    if word in fixed:
        return float(fixed[word])
    total = 0
    for part in word.split():
        if part in SMALL:
            total += SMALL.index(part)
        elif part in TENS:
            total += 20 + 10 * TENS.index(part)
        else:
            return None
    return float(total)


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
class _Norm:
    type: str
    value: str
    granularity: str
    mod: str | None = None
    relative: bool = False
    age: bool = False


_BLOCK = _Norm("", "", "")  # a date-looking span that is not a date: suppresses what is inside

_FUTURE = (
    r"will|won't|'ll|shall|going\s+to|plans?\s+to|planning\s+to|expects?\s+to|expected\s+to"
    r"|scheduled\s+(?:to|for)|set\s+to|due\s+to|is\s+to|are\s+to|would|hopes?\s+to|intends?\s+to"
    r"|aims?\s+to|next|upcoming|coming|effective|payable|expires?|starting"
)
_PAST = (
    r"born|died|was|were|had|did|didn't|said|told|ago|last|earlier|previously|since|agreed|(?!\w*eed\b|hundred\b|sacred\b|naked\b|wicked\b)\w{3,}ed|brought|took"
    r"|made|came|went|gave|began|became|found|got|left|lost|met|paid|ran|saw|sold|sent|spent|stood"
    r"|thought|won|wrote|held|fell|rose|led|kept|knew|heard|bought|built|caught|chose|drove|flew"
    r"|grew|meant|rode|sat|shot|slept|spoke|stole|struck|taught|threw|woke|wore|announced"
)
_PRESENT = r"is|are|has|have|says|tells|'s"
_TENSE = re.compile(rf"\b(?:(?P<future>{_FUTURE})|(?P<past>{_PAST})|(?P<present>{_PRESENT}))\b")
_SENTENCE_END = re.compile(
    r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])|\n\s*\n|\n(?=[\"'“‘(]?[A-Z0-9])"
)
_ABBREV = re.compile(
    r"(?:\b(?:[A-Z]|Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Sgt|Lt|Col|Capt|St|Mt|Inc|Co|Corp|Ltd|Jr|Sr"
    r"|No|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|vs|U\.S|a\.m|p\.m)\.)$"
)


def sentence_bounds(text: str, position: int, reach: int = 600) -> tuple[int, int]:
    """The start and end of the sentence around ``position``, looking at most ``reach`` away."""
    lo = max(0, position - reach)
    start = lo
    for match in _SENTENCE_END.finditer(text, lo, min(len(text), position + 2)):
        if match.end() > position:
            break
        if "\n" in match.group() or not _ABBREV.search(
            text[max(0, match.start() - 6) : match.start() + 1]
        ):
            start = match.end()
    end = min(len(text), position + reach)
    for match in _SENTENCE_END.finditer(text, position, end):
        if "\n" in match.group() or not _ABBREV.search(
            text[max(0, match.start() - 6) : match.start() + 1]
        ):
            end = match.start() if match.group()[0] == "\n" else match.start() + 1
            break
    while start < end and text[start].isspace():
        start += 1
    return start, max(start, end)


class _Context:
    def __init__(self, text: str, anchor: Anchor | None) -> None:
        self.text = text
        self.anchor = anchor

    def tense(self, start: int, end: int) -> str | None:
        """The tense of the verb cue nearest the expression in its sentence, if any."""
        lo, hi = sentence_bounds(self.text, start, reach=300)
        best: tuple[int, str] | None = None
        for match in _TENSE.finditer(self.text, lo, max(hi, end)):
            if start <= match.start() < end:
                continue
            distance = start - match.end() if match.end() <= start else match.start() - end
            kind = match.lastgroup or "present"
            if best is None or distance < best[0]:
                best = (distance, kind)
        return best[1] if best else None

    def event_time(self, start: int) -> bool:
        """Whether a past-tense verb right before the expression dates an event ("born on")."""
        head = self.text[max(0, start - 24) : start].casefold()
        return bool(
            re.search(
                r"\b(?:born|died|killed|married|arrested|\w+ed)(?:\s+\w+ly)?\s+(?:on|in)\s+$", head
            )
        )

    def before(self, start: int, size: int = 24) -> str:
        return self.text[max(0, start - size) : start].casefold()


# --- calendar helpers -------------------------------------------------------------


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, _days_in(year, month + 1)))


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _quarter(day: date) -> int:
    return (day.month - 1) // 3 + 1


def _unit_value(day: date, granularity: str) -> str:
    """The TIMEX3 value of the calendar unit of ``granularity`` that contains ``day``."""
    if granularity == "day":
        return day.isoformat()
    if granularity == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if granularity in ("week", "weekend"):
        return _week(day) + ("-WE" if granularity == "weekend" else "")
    if granularity == "quarter":
        return f"{day.year:04d}-Q{_quarter(day)}"
    if granularity == "decade":
        return f"{day.year // 10:03d}"
    if granularity == "century":
        return f"{day.year // 100:02d}"
    return f"{day.year:04d}"


def _shift(day: date, granularity: str, count: float) -> date:
    steps = round(count)
    if granularity in ("day", "hour", "minute", "second"):
        hours = {"hour": 24, "minute": 1440, "second": 86400}.get(granularity, 1)
        return day + timedelta(days=int(count // hours) if hours > 1 else steps)
    if granularity in ("week", "weekend"):
        return day + timedelta(weeks=steps)
    months = {"month": 1, "quarter": 3, "year": 12, "decade": 120, "century": 1200}
    return _add_months(day, steps * months.get(granularity, 12))


def _valid_year(year: int, anchor: Anchor | None) -> bool:
    limit = anchor.day.year + MAX_YEARS_AHEAD if anchor else 2200
    return 1000 <= year <= limit


def _month_of(token: str) -> int:
    return MONTHS[token.casefold().rstrip(".")[:3]]


def _pick_year(ctx: _Context, start: int, end: int, month: int, day: int | None) -> int | None:
    """The year of a bare month (and day): the one nearest the anchor, unless tense says otherwise.

    Past tense moves a date that would fall well after the anchor back a year;
    future tense moves one well before it forward. "Well" is two months, so
    "payable Dec. 7" written in late October stays in the same year.
    """
    anchor = ctx.anchor
    if anchor is None:
        return None
    ref = anchor.day
    tense = ctx.tense(start, end)

    def offset(year: int) -> int:  # days from the anchor to the (middle of the) date
        target = date(year, month, min(day or 15, _days_in(year, month)))
        return (target - ref).days

    year = min((ref.year - 1, ref.year, ref.year + 1), key=lambda y: abs(offset(y)))
    slack = 61 if day else 62
    if tense == "past" and ctx.event_time(start):
        slack = 0  # "was born on July 21": a past event, not a deadline ("extended to Nov. 20")
    spread = (anchor.latest - ref).days if anchor.estimated and anchor.latest else 0
    if tense == "past" and offset(year) > slack + spread:
        year -= 1
    elif tense == "future" and offset(year) < -slack:
        year += 1
    return year


def _weekday_date(ctx: _Context, start: int, end: int, weekday: int, rel: str) -> date:
    assert ctx.anchor is not None
    ref = ctx.anchor.day
    delta = weekday - ref.weekday()
    rel = {"coming": "next", "previous": "last", "past": "last"}.get(rel, rel)
    if rel == "next" or (not rel and ctx.tense(start, end) == "future"):
        return ref + timedelta(days=delta % 7 or (7 if rel == "next" else 0))
    if rel == "this":
        return ref + timedelta(days=delta)
    back = (-delta) % 7
    return ref - timedelta(days=back or (7 if rel == "last" else 0))


# --- rule handlers --------------------------------------------------------------------


def _g(match: re.Match[str], name: str) -> str:
    """A named group, lower-cased; empty when the rule has no such group or it did not match."""
    return (match.groupdict().get(name) or "").casefold()


def _edge(match: re.Match[str]) -> str | None:
    pre = _g(match, "edge")
    for word, mod in EDGE_MODS.items():
        if word in pre:
            return mod
    return None


def _full_date(match: re.Match[str], ctx: _Context) -> _Norm | None:
    month = _month_of(match.group("mon"))
    day = int(re.sub(r"\D", "", match.group("day")))
    year_text = match.group("year")
    if year_text:
        year = int(year_text)
        if not _valid_year(year, ctx.anchor) or day > _days_in(year, month):
            return _BLOCK
        return _Norm("DATE", f"{year:04d}-{month:02d}-{day:02d}", "day")
    if day > _days_in(2000, month):  # 2000 is a leap year: 29 February is possible
        return _BLOCK
    year_or_none = _pick_year(ctx, match.start(), match.end(), month, day)
    if year_or_none is None:
        return _Norm("DATE", f"XXXX-{month:02d}-{day:02d}", "day", relative=True)
    if month == 2 and day == 29 and not calendar.isleap(year_or_none):
        return _BLOCK
    return _Norm("DATE", f"{year_or_none:04d}-{month:02d}-{day:02d}", "day", relative=True)


def _numeric_date(match: re.Match[str], ctx: _Context) -> _Norm | None:
    if match.group("iy"):
        year, month, day = int(match.group("iy")), int(match.group("im")), int(match.group("id"))
    else:
        month, day, year = int(match.group("um")), int(match.group("ud")), int(match.group("uy"))
        if year < 100:
            year += 2000 if year < 50 else 1900
    if not (1 <= month <= 12) or not _valid_year(year, ctx.anchor):
        return _BLOCK
    if not 1 <= day <= _days_in(year, month):
        return _BLOCK
    return _Norm("DATE", f"{year:04d}-{month:02d}-{day:02d}", "day")


def _month_year(match: re.Match[str], ctx: _Context) -> _Norm | None:
    year = int(match.group("year"))
    if not _valid_year(year, ctx.anchor):
        return _BLOCK
    return _Norm("DATE", f"{year:04d}-{_month_of(match.group('mon')):02d}", "month", _edge(match))


def _month(match: re.Match[str], ctx: _Context) -> _Norm | None:
    word = match.group("mon")
    rel = _g(match, "rel")
    before = ctx.before(match.start())
    if (
        word in ("May", "March")
        and not rel
        and not match.group("edge")
        and not re.search(
            r"\b(?:in|of|since|until|till|through|by|from|to|during|before|after)\s+$", before
        )
    ):
        return None
    month = _month_of(word)
    anchor = ctx.anchor
    if anchor is None:
        return _Norm("DATE", f"XXXX-{month:02d}", "month", _edge(match), relative=True)
    if rel in ("last", "past", "previous"):
        year = anchor.day.year - (1 if month >= anchor.day.month else 0)
    elif rel in ("next", "coming"):
        year = anchor.day.year + (1 if month <= anchor.day.month else 0)
    elif rel == "this":
        year = anchor.day.year
    else:
        year = _pick_year(ctx, match.start(), match.end(), month, None) or anchor.day.year
    return _Norm("DATE", f"{year:04d}-{month:02d}", "month", _edge(match), relative=True)


def _year(match: re.Match[str], ctx: _Context) -> _Norm | None:
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
    if not _valid_year(year, ctx.anchor):
        return _BLOCK
    return _Norm("DATE", f"{year:04d}", "year", _edge(match))


def _spelled_year(match: re.Match[str], ctx: _Context) -> _Norm | None:
    if match.group("thousand"):
        rest = parse_number(match.group("rest")) if match.group("rest") else 0.0
        return None if rest is None else _Norm("DATE", f"{2000 + int(rest):04d}", "year")
    high = parse_number(match.group("high"))
    low = parse_number(match.group("low"))
    if high is None or low is None or not 10 <= high <= 20 or not 10 <= low <= 99:
        return None
    return _Norm("DATE", f"{int(high):02d}{int(low):02d}", "year")


def _weekend(match: re.Match[str], ctx: _Context) -> _Norm | None:
    if ctx.anchor is None:
        return _Norm("DATE", "XXXX-WXX-WE", "weekend", relative=True)
    day = ctx.anchor.day
    if ctx.tense(match.start(), match.end()) == "future" or day.weekday() >= 5:
        return _Norm("DATE", _week(day) + "-WE", "weekend", relative=True)
    return _Norm("DATE", _week(day - timedelta(days=7)) + "-WE", "weekend", relative=True)


def _year_earlier(match: re.Match[str], ctx: _Context) -> _Norm | None:
    if ctx.anchor is None:
        return _Norm("DATE", "XXXX", "year", relative=True)
    reference = _sentence_quarter(match, ctx)
    if reference is not None:
        return _Norm("DATE", f"{reference[0] - 1}-Q{reference[1]}", "quarter", relative=True)
    return _Norm("DATE", f"{ctx.anchor.day.year - 1:04d}", "year", relative=True)


def _decade(match: re.Match[str], ctx: _Context) -> _Norm | None:
    digits = match.group("dec") or match.group("words")
    if match.group("words"):
        tens = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6}
        tens |= {"seventies": 7, "eighties": 8, "nineties": 9}
        return _Norm("DATE", f"19{tens[digits.casefold()]}", "decade", _edge(match))
    if digits.startswith("'"):
        century = "19" if int(digits[1]) > 2 else "20"
        return _Norm("DATE", century + digits[1], "decade", _edge(match))
    return _Norm("DATE", digits[:3], "decade", _edge(match))


def _century(match: re.Match[str], ctx: _Context) -> _Norm | None:
    number = int(match.group("cent"))
    return _Norm("DATE", f"{number - 1:02d}", "century", _edge(match))


def _season(match: re.Match[str], ctx: _Context) -> _Norm | None:
    season = SEASONS[_g(match, "season")]
    rel = _g(match, "rel")
    if match.group("year"):
        return _Norm("DATE", f"{match.group('year')}-{season}", "season", _edge(match))
    if _g(match, "season") == "fall" and not rel and not match.group("the"):
        return None
    anchor = ctx.anchor
    if anchor is None:
        return _Norm("DATE", f"XXXX-{season}", "season", _edge(match), relative=True)
    year = anchor.day.year
    order = ["WI", "SP", "SU", "FA", "WI"]
    now = order[(anchor.day.month % 12) // 3]
    if rel in ("last", "past", "previous") or (
        not rel
        and ctx.tense(match.start(), match.end()) == "past"
        and order.index(season) > order.index(now)
    ):
        year -= 1
    elif rel in ("next", "coming") and order.index(season) <= order.index(now):
        year += 1
    return _Norm("DATE", f"{year:04d}-{season}", "season", _edge(match), relative=True)


def _quarter_rule(match: re.Match[str], ctx: _Context) -> _Norm | None:
    anchor = ctx.anchor
    ordinal = _g(match, "ord")
    rel = _g(match, "rel")
    half = "half" in _g(match, "qunit")
    if not ordinal and not rel and not match.group(0).casefold().startswith("the"):
        return None
    if half and not ordinal:
        return None
    if match.group("year") or match.group("year2"):
        year = int(match.group("year") or match.group("year2"))
        number = (
            ORDINALS.get(ordinal, 1)
            if ordinal or anchor is None
            else max(1, _quarter(anchor.day) - 1)
        )
        return _Norm(
            "DATE", f"{year}-{'H' if half else 'Q'}{number}", "half" if half else "quarter"
        )
    if anchor is None:
        return _Norm("DATE", "XXXX-QX", "quarter", relative=True)
    current = _quarter(anchor.day)
    year = anchor.day.year
    if ordinal:
        number = ORDINALS[ordinal]
        if half:
            return _Norm("DATE", f"{year}-H{number}", "half", relative=True)
        future = ctx.tense(match.start(), match.end()) == "future"
        if number > current and not future:
            year -= 1
    else:
        number = current - 1 if rel != "current" else current
        if number == 0:
            number, year = 4, year - 1
    if rel in ("year-earlier", "year-ago", "last year", "last year's"):
        year -= 1
    return _Norm("DATE", f"{year}-Q{number}", "quarter", relative=True)


def _weekday(match: re.Match[str], ctx: _Context) -> _Norm | None:
    weekday = WEEKDAYS.index(_g(match, "wd").rstrip("s"))
    part = PARTS_OF_DAY.get(_g(match, "pod"))
    if _g(match, "wd").endswith("s") or match.group(0).casefold().endswith("s"):
        return _Norm("SET", f"XXXX-WXX-{weekday + 1}" + (f"T{part}" if part else ""), "week")
    if ctx.anchor is None:
        value = f"XXXX-WXX-{weekday + 1}"
        return _Norm(
            "TIME" if part else "DATE", value + (f"T{part}" if part else ""), "day", relative=True
        )
    day = _weekday_date(ctx, match.start(), match.end(), weekday, _g(match, "rel"))
    if part:
        return _Norm("TIME", f"{day.isoformat()}T{part}", "part of day", relative=True)
    return _Norm("DATE", day.isoformat(), "day", relative=True)


def _deictic(match: re.Match[str], ctx: _Context) -> _Norm | None:
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
        return _Norm("TIME" if part else "DATE", value, "day", relative=True)
    day = ctx.anchor.day + timedelta(days=offset)
    if part:
        return _Norm("TIME", f"{day.isoformat()}T{part}", "part of day", relative=True)
    return _Norm("DATE", day.isoformat(), "day", _edge(match), relative=True)


def _relative_unit(match: re.Match[str], ctx: _Context) -> _Norm | None:
    rel = " ".join(_g(match, "rel").split()).removeprefix("the ")
    unit = _g(match, "unit")
    granularity = UNITS[unit.rstrip("s")][1]
    if rel == "the" and re.match(r"\s+(?:ended|ending)\b", ctx.text[match.end() : match.end() + 9]):
        return _Norm("DURATION", "P1Y", "year")  # "the year ended March 31": a fiscal period
    if ctx.anchor is None:
        return _Norm("DATE", "XXXX", granularity, _edge(match), relative=True)
    step = {"last": -1, "past": -1, "previous": -1, "prior": -1, "next": 1, "coming": 1}
    step |= {"following": 1}
    day = _shift(ctx.anchor.day, granularity, step.get(rel, 0))
    mod = _edge(match) or {"earlier": "START", "later": "END"}.get(_g(match, "pre"))
    return _Norm("DATE", _unit_value(day, granularity), granularity, mod, relative=True)


def _ago(match: re.Match[str], ctx: _Context) -> _Norm | None:
    count = parse_number(match.group("num"))
    unit = _g(match, "unit").rstrip("s")
    granularity = UNITS[unit][1]
    direction = _g(match, "dir")
    sign = 1 if direction in ("from now", "hence") else -1
    if count is None:
        return _Norm("DATE", "FUTURE_REF" if sign > 0 else "PAST_REF", "ref")
    if ctx.anchor is None:
        return _Norm("DATE", "XXXX", granularity, MODS.get(_g(match, "mod")), relative=True)
    if granularity in ("hour", "minute", "second"):
        granularity = "day"
    reference = _sentence_quarter(match, ctx) if granularity == "year" and count == 1 else None
    if reference is not None:
        year, number = reference
        return _Norm("DATE", f"{year - 1}-Q{number}", "quarter", relative=True)
    day = _shift(ctx.anchor.day, granularity, sign * count)
    if granularity == "week":
        granularity = "day" if count < 2 else "week"
    return _Norm(
        "DATE",
        _unit_value(day, granularity),
        granularity,
        MODS.get(_g(match, "mod")),
        relative=True,
    )


_QUARTER_MENTION = re.compile(r"\b(?:(first|second|third|fourth)[- ])?quarter\b")


def _sentence_quarter(match: re.Match[str], ctx: _Context) -> tuple[int, int] | None:
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
    current = _quarter(ctx.anchor.day)
    year = ctx.anchor.day.year
    number = ORDINALS[found.group(1)] if found.group(1) else current - 1
    if number > current or (number == current and not found.group(1)):
        year -= 1
    if number == 0:
        number, year = 4, year - 1
    return year, number


def _duration(match: re.Match[str], ctx: _Context) -> _Norm | None:
    unit_word = _g(match, "unit")
    letter, granularity = UNITS[unit_word.rstrip("s") if unit_word != "centuries" else "centurie"]
    count = parse_number(match.group("num")) if match.group("num") else None
    number = "X" if count is None else (f"{count:g}" if count != int(count) else str(int(count)))
    if count is not None and count > 10_000:
        return None
    time_part = "T" if granularity in ("hour", "minute", "second") else ""
    mod = MODS.get(" ".join(_g(match, "mod").split()))
    age = bool(match.group("old"))
    return _Norm("DURATION", f"P{time_part}{number}{letter}", granularity, mod, age=age)


def _vague_duration(match: re.Match[str], ctx: _Context) -> _Norm | None:
    head = match.group(0).casefold()
    if re.match(r"(?:the\s+)?(?:recent|past|last)\b", head):
        return _Norm("DATE", "PAST_REF", "ref")
    if re.match(r"(?:the\s+)?(?:coming|next)\b", head):
        return _Norm("DATE", "FUTURE_REF", "ref")
    unit_word = _g(match, "unit")
    letter, granularity = UNITS[unit_word.rstrip("s") if unit_word != "centuries" else "centurie"]
    time_part = "T" if granularity in ("hour", "minute", "second") else ""
    return _Norm("DURATION", f"P{time_part}X{letter}", granularity)


def _age(match: re.Match[str], ctx: _Context) -> _Norm | None:
    count = parse_number(match.group("num"))
    if count is None or not 0 <= count <= 130:
        return None
    return _Norm("DURATION", f"P{count:g}Y", "year", age=True)


def _set(word: str) -> _Norm | None:
    adverbs = {"daily": "D", "weekly": "W", "monthly": "M", "annually": "Y", "yearly": "Y"}
    adverbs |= {"nightly": "D", "hourly": "TH", "quarterly": "Q"}
    if word in adverbs:
        letter = adverbs[word]
    elif word in WEEKDAYS:
        return _Norm("SET", f"XXXX-WXX-{WEEKDAYS.index(word) + 1}", "week")
    elif word in PARTS_OF_DAY:
        return _Norm("SET", f"XXXX-XX-XXT{PARTS_OF_DAY[word]}", "day")
    else:
        letter = UNITS[word][0]
        letter = "T" + letter if word in ("hour", "minute", "second") else letter
    prefix = "PT1" + letter[1:] if letter.startswith("T") else "P1" + letter
    return _Norm("SET", prefix, "set")


def _ref(match: re.Match[str], ctx: _Context) -> _Norm | None:
    word = " ".join(_g(match, "ref").split())
    if word == "current" and re.match(
        r"\s+(?:account|affairs|events|of|flowing)", ctx.text[match.end() :]
    ):
        return None
    return _Norm("DATE", REFS[word], "ref")


def _clock(match: re.Match[str], ctx: _Context) -> _Norm | None:
    word = _g(match, "named")
    if word:
        hour, minute = (12, 0) if word == "noon" else (24, -1)
    else:
        hour, minute = int(match.group("h")), int(match.group("mi") or 0)
        if hour > 12 or minute > 59 or hour == 0:
            return None
        meridiem = _g(match, "ap").replace(".", "")
        hour = (hour % 12) + (12 if meridiem.startswith("p") else 0)
    time = f"T{hour:02d}" + (f":{minute:02d}" if minute >= 0 else "")
    anchor = ctx.anchor
    if anchor is None:
        return _Norm("TIME", f"XXXX-XX-XX{time}", "minute", relative=True)
    day = anchor.day
    wd = _g(match, "wd") or _g(match, "wd2")
    if wd in WEEKDAYS:
        day = _weekday_date(ctx, match.start(), match.end(), WEEKDAYS.index(wd), "")
    elif wd in ("yesterday", "tomorrow"):
        day += timedelta(days=-1 if wd == "yesterday" else 1)
    return _Norm("TIME", f"{day.isoformat()}{time}", "minute", relative=True)


def _holiday(match: re.Match[str], ctx: _Context) -> _Norm | None:
    month, day = HOLIDAYS[" ".join(_g(match, "hol").replace("’", "'").split())]
    if match.group("year"):
        return _Norm("DATE", f"{match.group('year')}-{month:02d}-{day:02d}", "day")
    year = _pick_year(ctx, match.start(), match.end(), month, day)
    value = f"{year:04d}" if year else "XXXX"
    return _Norm("DATE", f"{value}-{month:02d}-{day:02d}", "day", relative=True)


def _set_gate(match: re.Match[str], ctx: _Context) -> _Norm | None:
    word = _g(match, "every") or _g(match, "every2")
    head = ctx.text[match.start() : match.start() + 2].casefold()
    if head.startswith("a") and not head.startswith("an") and not match.group("every2"):
        before = ctx.before(match.start(), 16)
        if not re.search(
            r"(?:%|percent|times|twice|once|\d|million|billion|thousand|dollars|cents"
            r"|seats|flights|people|visitors|games|hours|days)\s*$",
            before,
        ):
            return None
    return _set(word)


# --- the rules ------------------------------------------------------------------------

_EDGE = (
    r"(?P<edge>(?:the\s+)?(?:(?:very\s+)?(?:early|late)|mid-?"
    r"|(?:end|beginning|start|middle)\s+of(?:\s+the)?)\s*)?"
)
_REL_WORDS = r"last|next|this|past|coming|previous|following|current|prior"

Handler = Callable[[re.Match[str], _Context], _Norm | None]
_SPELLED_LOW = rf"(?:{'|'.join(TENS)})(?:[\s-](?:{'|'.join(SMALL[1:10])}))?|{'|'.join(SMALL[10:])}"
_HOLIDAY = _alt(HOLIDAYS).replace("'", "['’]")
_I = re.IGNORECASE

#: (pattern, flags, normaliser); on overlaps the longest match wins, then the earlier rule
# fmt: off
_RULE_TABLE: list[tuple[str, int, Handler]] = [
    (rf"\b(?:(?P<wd>{_WEEKDAY}),?\s+)?(?P<mon>{_MONTH})\.?\s?(?P<day>{_DAY})(?:,?\s+(?P<year>{_YEAR}))?",
     0, _full_date),
    (rf"\b(?:(?P<wd>{_WEEKDAY}),?\s+)?(?:the\s+)?(?P<day>{_DAY})\s+(?:of\s+)?(?P<mon>{_MONTH})"
     rf"(?:,?\s+(?P<year>{_YEAR}))?", 0, _full_date),
    (r"(?<![\d/.-])(?:(?P<iy>[12]\d{3})-(?P<im>\d\d)-(?P<id>\d\d)"
     r"|(?P<um>\d{1,2})/(?P<ud>\d{1,2})/(?P<uy>\d{4}|\d\d))(?![\d/])", 0, _numeric_date),
    (rf"(?i:{_EDGE})(?P<mon>{_MONTH})(?:\s+of)?,?\s+(?P<year>{_YEAR})", 0, _month_year),
    (rf"(?i:(?:(?P<rel>last|next|this|past|coming|previous)\s+)?{_EDGE})(?P<mon>{_FULL_MONTH})\b",
     0, _month),
    (rf"(?i:{_EDGE}(?:(?:fiscal|calendar)\s+(?:year\s+)?|the\s+year\s+)?)"
     rf"(?<![\d.,$'])(?P<year>{_YEAR})\b(?!,\d|\.\d|'s)", 0, _year),
    (rf"(?i:(?:the\s+)?{_EDGE})(?:(?<![\d$])(?P<dec>(?:1[0-9]|20)\d0|'\d0)(?:'s|s)\b"
     r"|(?i:(?<=the\s)|(?<=the\searly\s)|(?<=the\slate\s)|(?<=the\smid-))"
     r"(?P<words>(?i:twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties))\b)",
     0, _decade),
    (rf"{_EDGE}(?P<cent>[12]?\d)(?:st|nd|rd|th)[- ]century\b", _I, _century),
    (rf"\b{_EDGE}(?:(?P<rel>{_REL_WORDS})\s+)?(?P<the>the\s+)?"
     rf"(?P<season>spring|summer|fall|autumn|winter)\b(?:\s+of)?(?:,?\s+(?P<year>{_YEAR}))?",
     _I, _season),
    (rf"\b(?:the\s+)?(?:(?P<rel>latest|last|previous|current|year-earlier|year-ago|same|fiscal"
     rf"|this\s+year's|last\s+year's|last\s+year|this\s+year)\s+)?(?:fiscal\s+)?"
     rf"(?:(?P<year2>{_YEAR})\s+)?(?:(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)[- ])?"
     rf"(?P<qunit>quarter|half|(?<=latest\s)period|(?<=year-earlier\s)period"
     rf"|(?<=year-ago\s)period|(?<=\d\s)period)\b(?:\s+of\s+(?:fiscal\s+)?(?P<year>{_YEAR}))?",
     _I, _quarter_rule),
    (rf"\b(?:(?i:(?:the\s+)?(?P<rel>last|next|this|coming|past|previous)\s+|(?:early|late)\s+))?"
     rf"(?P<wd>{_WEEKDAY}s?)(?:\s+(?i:(?P<pod>morning|afternoon|evening|night)s?))?\b",
     0, _weekday),
    (r"\b(?:(?P<edge>early|late)\s+)?(?P<word>the\s+day\s+before\s+yesterday"
     r"|the\s+day\s+after\s+tomorrow|today|tonight|yesterday|tomorrow|this|last)"
     r"(?:\s+(?P<pod>morning|afternoon|evening|night))?\b", _I, _deictic),
    (rf"\b(?:(?P<pre>earlier|later)\s+(?:in\s+)?)?{_EDGE}(?P<rel>(?:the\s+)?(?:{_REL_WORDS})"
     r"|the(?=\s+(?:full\s+|fiscal\s+)?year\b(?!\s+(?:of|before|after|when|in|that|earlier|ago))))"
     r"\s+(?:full\s+)?(?:fiscal\s+)?(?P<unit>week|weekend|month|year|decade|century)\b(?!-)",
     _I, _relative_unit),
    (rf"\b(?:every|each|per|a)\s+(?P<every>day|week|month|year|quarter|hour|minute|morning|night"
     rf"|evening|afternoon|{_WEEKDAY_WORD})\b(?!\s+(?:ago|earlier|later|before|after))"
     r"|\b(?P<every2>nightly|hourly)\b", _I, _set_gate),
    (rf"\b(?:(?P<mod>{_MOD})\s+)?(?P<num>{_NUM})[\s-]{{1,3}}(?P<unit>{_UNIT})\s+"
     r"(?P<dir>ago|earlier|from\s+now|hence)\b", _I, _ago),
    (rf"\b(?:(?:the\s+)?(?:(?:past|last|next|first|final|previous|coming|latest|following)\s+)?)?"
     rf"(?:(?P<mod>{_MOD})\s+)?(?P<num>{_NUM})[\s-]{{1,3}}(?P<unit>{_UNIT})"
     r"(?:(?P<old>[\s-]{1,3}old)\b)?(?![\w-])", _I, _duration),
    (rf"\b(?:the\s+)?(?P<num>{_NUM})[\s-]{{1,3}}(?P<unit>{_UNIT})(?P<old>-old)\b", _I, _duration),
    (r"\b(?:(?:the\s+)?(?:past|last|next|coming|recent)\s+|(?:a\s+)?few\s+|several\s+|many\s+)"
     r"(?P<unit>seconds|minutes|hours|days|weeks|months|years|decades|centuries)\b",
     _I, _vague_duration),
    (r"(?:(?<=\bfor\s)|(?<=\bin\s)|(?<=\bover\s))(?P<unit>years|months|weeks|decades|centuries)\b",
     _I, _vague_duration),
    (r"\b(?:aged|age)\s+(?P<num>\d{1,3})\b", _I, _age),
    (rf"\b(?:the\s+year\s+)?(?:(?P<high>nineteen|eighteen|twenty)[\s-]+(?P<low>{_SPELLED_LOW})"
     rf"|(?P<thousand>two\s+thousand)(?:\s+(?:and\s+)?(?P<rest>{'|'.join(reversed(SMALL[1:]))}))?)\b",
     _I, _spelled_year),
    (r"\bthe\s+weekend\b", _I, _weekend),
    (r"\b(?:the\s+)?year-(?:earlier|ago)\b(?!\s+(?:quarter|period))", _I, _year_earlier),
    (rf"\b(?P<ref>{_alt(REFS)})\b(?![-'’])", _I, _ref),
    (rf"(?:\b(?P<wd2>{_WEEKDAY_WORD}|yesterday|today|tomorrow)\s+(?:at\s+)?)?"
     r"(?:(?<![\d:.])(?P<h>\d{1,2})(?::(?P<mi>[0-5]\d))?\s?(?P<ap>[ap]\.m\.|[ap]\.m\b|[ap]m\b)"
     r"|\b(?P<named>noon|midnight)\b)(?:\s+(?:EST|EDT|CST|CDT|PST|PDT|GMT|UTC|ET|PT|CT)\b)?"
     rf"(?:,?\s+(?:on\s+)?(?P<wd>{_WEEKDAY_WORD}|yesterday|today|tomorrow)\b)?", _I, _clock),
    (rf"\b(?P<hol>{_HOLIDAY})\b(?:,?\s+(?P<year>{_YEAR}))?", _I, _holiday),
]
# fmt: on
RULES: list[tuple[re.Pattern[str], Handler]] = [
    (re.compile(pattern, flags), handler) for pattern, flags, handler in _RULE_TABLE
]


# --- where to look -----------------------------------------------------------------
#
# Each rule runs only in short windows around the words (or digit shapes) it cannot match
# without: a month rule around month names, a duration rule around unit words. News text
# then costs a few milliseconds per article, and a long run without spaces (a URL, a blob)
# is not searched at all.

_MONTH_WORDS = [m.casefold() for m in calendar.month_name[1:]] + [*MONTHS, "sept"]
_UNIT_WORDS = [u + suffix for u in UNITS for suffix in ("", "s")] + ["centuries"]
_PARTS = list(PARTS_OF_DAY)
_RULE_WORDS: dict[str, list[str]] = {
    "_full_date": _MONTH_WORDS, "_month_year": _MONTH_WORDS, "_month": _MONTH_WORDS,
    "_decade": "twenties thirties forties fifties sixties seventies eighties nineties".split(),
    "_century": ["century"], "_season": list(SEASONS),
    "_quarter_rule": ["quarter", "half", "period"],
    "_weekday": [*WEEKDAYS, *(w + "s" for w in WEEKDAYS)],
    "_deictic": ["today", "tonight", "yesterday", "tomorrow", *_PARTS],
    "_relative_unit": _UNIT_WORDS,
    "_set_gate": [*_UNIT_WORDS, *_PARTS, *WEEKDAYS, "nightly", "hourly"],
    "_ago": ["ago", "earlier", "now", "hence"], "_duration": _UNIT_WORDS,
    "_vague_duration": _UNIT_WORDS,
    "_age": ["age", "aged"], "_spelled_year": ["nineteen", "eighteen", "twenty", "thousand"],
    "_weekend": ["weekend"], "_year_earlier": ["year"],
    "_ref": [w for ref in REFS for w in ref.split() if w not in ("the", "at", "right", "these")],
    "_clock": ["noon", "midnight"],
    "_holiday": ["christmas", "new", "independence", "halloween", "valentine"],
}  # fmt: skip
_RULE_DIGITS: dict[str, str] = {
    "_numeric_date": r"\d[/-]\d", "_year": r"(?<![\d,.])[12]\d{3}(?!\d|,\d)",
    "_decade": r"\d{3}0'?s\b|'\d0s\b", "_clock": r"\d(?::\d\d)?\s?[ap]\.?m\b",
}  # fmt: skip
_WORD_RULES: dict[str, tuple[int, ...]] = {}
for _index, (_pattern, _handler) in enumerate(RULES):
    for _word in _RULE_WORDS.get(_handler.__name__, ()):
        _WORD_RULES[_word] = (*_WORD_RULES.get(_word, ()), _index)
_DIGIT_RULES = [
    (index, re.compile(_RULE_DIGITS[handler.__name__]))
    for index, (_, handler) in enumerate(RULES)
    if handler.__name__ in _RULE_DIGITS
]
_WORD = re.compile(r"[A-Za-z][a-z]+")
_WINDOW = 80
#: a run of this many characters without a space is not prose (a URL, a blob): not searched
_OPAQUE = re.compile(r"\S{200,}")


def _prose(text: str) -> Iterator[tuple[int, int]]:
    cursor = 0
    for match in _OPAQUE.finditer(text):
        yield cursor, match.start()
        cursor = match.end()
    yield cursor, len(text)


def _windows(text: str) -> dict[int, list[tuple[int, int]]]:
    """For each rule, the stretches of text around its trigger words, merged."""
    hits: dict[int, list[tuple[int, int]]] = {}
    for lo, hi in _prose(text):
        for match in _WORD.finditer(text, lo, hi):
            for index in _WORD_RULES.get(match.group().casefold(), ()):
                hits.setdefault(index, []).append(match.span())
        for index, pattern in _DIGIT_RULES:
            hits.setdefault(index, []).extend(m.span() for m in pattern.finditer(text, lo, hi))
    return {index: _merge(text, spans) for index, spans in hits.items() if spans}


def _merge(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start - _WINDOW <= merged[-1][1]:
            merged[-1][1] = end + _WINDOW
        else:
            merged.append([start - _WINDOW, end + _WINDOW])
    windows = []
    for start, end in merged:
        start, end = max(0, start), min(len(text), end)
        space = text.rfind(" ", max(0, start - 40), start)
        after = text.find(" ", end, end + 40)
        windows.append((space if space >= 0 else start, after if after >= 0 else end))
    return windows


def find_times(text: str, anchor: Anchor | None = None) -> list[TimeExpr]:
    """Every temporal expression in ``text``, normalised against ``anchor``."""
    ctx = _Context(text, anchor)
    candidates: list[tuple[int, int, int, _Norm]] = []
    for priority, windows in sorted(_windows(text).items()):
        pattern, handler = RULES[priority]
        for lo, hi in windows:
            for match in pattern.finditer(text, lo, hi):
                if match.end() == match.start():
                    continue
                norm = handler(match, ctx)
                if norm is not None:
                    start, end = _trim(text, match.start(), match.end())
                    candidates.append((start, end, priority, norm))
    chosen: list[tuple[int, int, _Norm]] = []
    taken = bytearray(len(text))
    for start, end, _priority, norm in sorted(candidates, key=lambda c: (c[0] - c[1], c[2], c[0])):
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        if norm is not _BLOCK:
            chosen.append((start, end, norm))
    return [_expr(text, start, end, norm, anchor) for start, end, norm in sorted(chosen)]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in " ,\t\n":
        end -= 1
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _expr(text: str, start: int, end: int, norm: _Norm, anchor: Anchor | None) -> TimeExpr:
    relative = norm.relative and anchor is not None
    return TimeExpr(
        text=text[start:end],
        start=start,
        end=end,
        type=norm.type,
        value=norm.value,
        granularity=norm.granularity,
        mod=norm.mod,
        anchor=anchor.day.isoformat() if relative and anchor else None,
        estimated=bool(relative and anchor and anchor.estimated),
        age=norm.age,
    )


# --- values as intervals, and how to say them ----------------------------------------


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
            return date(year, month, 1), date(year, month, _days_in(year, month))
        if part[0] in "QH":
            size = 3 if part[0] == "Q" else 6
            first_month = (int(part[1]) - 1) * size + 1
            last_month = first_month + size - 1
            return date(year, first_month, 1), date(year, last_month, _days_in(year, last_month))
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
        end = _add_months(date(year, 1, 1), last - 1)
        return date(year, first, 1), date(end.year, end.month, _days_in(end.year, end.month))
    except ValueError:
        return None


# --- anchors and the stage ------------------------------------------------------------


def anchor_for(article: Article, estimate: Anchor | None = None) -> Anchor | None:
    """The anchor for an article's relative expressions.

    The publication date when known; else ``estimate`` (the storyline's estimate,
    from :mod:`storyline.views.dating`); else the latest explicit day-level date the
    article itself gives, as a lower bound, marked estimated.
    """
    if article.published is not None:
        return Anchor(article.published.date())
    if estimate is not None:
        return estimate
    return estimate_from_text(article.text)


def estimate_from_text(text: str) -> Anchor | None:
    """The latest fully explicit date the text mentions (the article is no older)."""
    days = [
        (interval_of(expr.value), expr)
        for expr in find_times(text, None)
        if expr.type == "DATE" and expr.anchor is None and expr.granularity == "day"
    ]
    dated = [(span[1], expr) for span, expr in days if span is not None]
    if not dated:
        return None
    latest, expr = max(dated, key=lambda item: item[0])
    return Anchor(
        latest, estimated=True, earliest=latest, basis=f"latest explicit date {expr.text!r}"
    )


class TimeStage(BaseStage):
    """Fill ``article.times`` with the article's normalised temporal expressions."""

    name: ClassVar[str] = "times"
    requires: ClassVar[tuple[str, ...]] = ("text",)
    provides: ClassVar[tuple[str, ...]] = ("times",)

    def __call__(self, article: Article) -> Article:
        article.times = find_times(article.text, anchor_for(article))
        return article

    def pipe(self, articles: Iterable[Article], batch_size: int = 64) -> Iterator[Article]:
        for article in articles:
            yield self(article)

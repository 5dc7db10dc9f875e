"""The rule table: which regular expressions propose temporal expressions, and where to look.

Every pattern is a sequence of bounded pieces without nested repetition, so
matching stays linear. Each rule runs only in short windows around the words
(or digit shapes) it cannot match without: a month rule around month names, a
duration rule around unit words. News text then costs a few milliseconds per
article, and a long run without spaces (a URL, a blob) is not searched at all.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Iterator

from . import time_amounts as a
from . import time_normalisers as n
from .time_context import Context
from .time_discourse import discourse_ref, part_of_day
from .time_holidays import HOLIDAY_NAMES, HOLIDAY_WORDS, holiday
from .time_lexicon import (
    MODS,
    MONTHS,
    PARTS_OF_DAY,
    REFS,
    SEASONS,
    SMALL,
    TENS,
    UNITS,
    WEEKDAYS,
)
from .time_values import Norm


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
_FULL_MONTH_WORD = "|".join(m.casefold() for m in calendar.month_name[1:])
_YEAR = r"(?:1[0-9]\d\d|2[0-9]\d\d)(?![\d%])"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
_WORDNUM = (
    rf"(?:(?:{'|'.join(TENS)})(?:[- ](?:{'|'.join(SMALL[1:10])}))?"
    rf"|{'|'.join(reversed(SMALL))}|(?:a\s+)?couple\s+of|a\s+few|a\s+dozen|dozens\s+of"
    r"|(?:a|one)\s+hundred|hundreds\s+of|several|many|an?)"
)
#: words between a count and its unit that leave the length as it is ("two more weeks")
_UNIT_ADJECTIVE = (
    r"(?:(?:more|additional|extra|further|straight|consecutive|full|long|trading|business"
    r"|working|school)\s+)?"
)
_DIGITS = r"(?<![\d.,])(?:\d{1,3}(?:,\d{3}){1,3}|\d{1,6}(?:\.\d{1,3})?)(?![\d,])"
_NUM = rf"(?:{_DIGITS}|{_WORDNUM})"
_UNIT = (
    r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weekends?|weeks?|fortnights?|months?"
    r"|quarters?|years?|yrs?|decades?|century|centuries)"
)
_MOD = rf"(?:{_alt(MODS)})"

# --- the rules ------------------------------------------------------------------------

_EDGE = (
    r"(?P<edge>(?:the\s+)?(?:(?:very\s+)?(?:early|late)|mid-?"
    r"|(?:end|beginning|start|middle)\s+of(?:\s+the)?)\s*)?"
)
_REL_WORDS = r"last|next|this|past|coming|previous|following|current|prior"

Handler = Callable[[re.Match[str], Context], Norm | None]
_SPELLED_LOW = rf"(?:{'|'.join(TENS)})(?:[\s-](?:{'|'.join(SMALL[1:10])}))?|{'|'.join(SMALL[10:])}"
#: holidays are proper names: written capitalised ("Labor Day", not "labor day")
_HOLIDAY = _alt(" ".join(w[:1].upper() + w[1:] for w in name.split()) for name in HOLIDAY_NAMES)
_HOLIDAY = _HOLIDAY.replace("'", "['’]")
_I = re.IGNORECASE
#: "the week of March 6" names the week that holds the day
_WEEK_OF = r"(?P<weekof>(?i:the\s+week\s+of)\s+)?"
_CLOCK_WORDS = "|".join(reversed(SMALL[1:13]))

#: (pattern, flags, normaliser); on overlaps the longest match wins, then the earlier rule
# fmt: off
_RULE_TABLE: list[tuple[str, int, Handler]] = [
    (rf"\b{_WEEK_OF}(?:(?P<wd>{_WEEKDAY}),?\s+)?(?P<mon>{_MONTH})\.?\s?(?P<day>{_DAY})"
     rf"(?:,?\s+(?P<year>{_YEAR})|(?=(?:\s(?:and|or|to|through)\s|[-–])\d\d?(?:st|nd|rd|th)?,?\s+"
     rf"(?P<pair_year>{_YEAR})))?", 0, n.full_date),
    (rf"\b{_WEEK_OF}(?:(?P<wd>{_WEEKDAY}),?\s+)?(?:the\s+)?(?P<day>{_DAY})\s+(?:of\s+)?(?P<mon>{_MONTH})"
     rf"(?:,?\s+(?P<year>{_YEAR}))?", 0, n.full_date),
    (r"(?:(?<=\w\sand\s)|(?<=\w\sor\s)|(?<=\w\sto\s)|(?<=\w\sthrough\s)|(?<=\w-)|(?<=\w–))"
     r"(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?![\d/:.,]\d|[\w-])"
     rf"(?:,?\s+(?P<year>{_YEAR}))?", 0, n.second_day),
    (r"(?<![\d/.-])(?:(?P<iy>[12]\d{3})-(?P<im>\d\d)-(?P<id>\d\d)"
     r"|(?P<um>\d{1,2})/(?P<ud>\d{1,2})/(?P<uy>\d{4}|\d\d))(?![\d/])", 0, n.numeric_date),
    (rf"(?i:{_EDGE})(?P<mon>{_MONTH})(?:\s+of)?,?\s+"
     rf"(?:(?P<year>{_YEAR})|(?P<yrel>(?i:last|this|next))\s+year\b(?!'))", 0, n.month_year),
    (rf"(?i:(?:(?P<rel>last|next|this|past|coming|previous)\s+)?{_EDGE})(?P<mon>{_FULL_MONTH})\b",
     0, n.bare_month),
    (rf"(?i:{_EDGE}(?:(?:fiscal|calendar)\s+(?:year\s+)?|the\s+year\s+)?)"
     rf"(?<![\d.,$'])(?P<year>{_YEAR})\b(?!,\d|\.\d|'s)", 0, n.bare_year),
    (rf"(?i:(?:the\s+)?{_EDGE})(?:(?<![\d$])(?P<dec>(?:1[0-9]|20)\d0|'\d0)(?:'s|s)\b"
     r"|(?i:(?<=the\s)|(?<=the\searly\s)|(?<=the\slate\s)|(?<=the\smid-))"
     r"(?P<words>(?i:twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties))\b)",
     0, n.decade),
    (rf"(?:\bthe\s+)?{_EDGE}(?P<cent>[12]?\d)(?:st|nd|rd|th)[- ]century\b", _I, n.ordinal_century),
    (rf"\b{_EDGE}(?:(?P<rel>this\s+past|{_REL_WORDS})\s+)?(?P<the>the\s+)?"
     rf"(?P<season>spring|summer|fall|autumn|winter)\b(?:\s+of)?(?:,?\s+(?P<year>{_YEAR}))?",
     _I, n.named_season),
    (rf"\b(?:the\s+)?(?:(?P<rel>latest|last|previous|current|year-earlier|year-ago|same|fiscal"
     rf"|this\s+year's|last\s+year's|last\s+year|this\s+year|next\s+year's|next\s+year)\s+)?(?:fiscal\s+)?"
     rf"(?:(?P<year2>{_YEAR})\s+)?(?:(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)[- ])?"
     rf"(?P<qunit>quarter|half|(?<=latest\s)period|(?<=year-earlier\s)period"
     rf"|(?<=year-ago\s)period|(?<=\d\s)period)\b(?:\s+of\s+(?:fiscal\s+)?(?P<year>{_YEAR}))?",
     _I, n.quarter_or_half),
    (rf"\b(?:(?i:(?:the\s+)?(?P<rel>last|next|this|coming|past|previous)\s+|(?:early|late)\s+))?"
     rf"(?P<wd>{_WEEKDAY}s?)(?:\s+(?i:(?P<pod>morning|afternoon|evening|night)s?))?\b",
     0, n.weekday_name),
    (r"\b(?:(?P<edge>early|late)\s+)?(?P<word>the\s+day\s+before\s+yesterday"
     r"|the\s+day\s+after\s+tomorrow|today|tonight|yesterday|tomorrow|this|last)"
     r"(?:\s+(?P<pod>morning|afternoon|evening|night))?\b", _I, n.deictic),
    (r"\b(?:(?P<pre>earlier|later)\s+)?(?:(?P<det>that(?:\s+same)?|the\s+same|the\s+next"
     r"|the\s+following|the\s+previous|the\s+preceding)\s+(?P<unit>day|morning|afternoon"
     r"|evening|night|week|month|year)|the\s+day\s+(?P<dir>before|after)(?=\s*[.,;:!?)]))"
     r"\b(?![-'’])",
     _I, discourse_ref),
    (r"\b(?:(?P<edge>early|late|mid-|mid\s)\s*(?P<pod>morning|afternoon|evening)"
     r"|(?<=\bin\s)the\s+(?P<pod2>morning|afternoon|evening)|overnight)\b(?!-)"
     rf"(?:\s+(?P<wd>yesterday|today|tomorrow|{_WEEKDAY_WORD}))?\b", _I, part_of_day),
    (rf"\b(?:(?P<pre>earlier|later)\s+(?:in\s+)?)?{_EDGE}(?P<rel>(?:the\s+)?(?:{_REL_WORDS})"
     r"|the(?=\s+(?:full\s+|fiscal\s+)?year\b(?!\s+(?:of|before|after|when|in|that|earlier|ago))))"
     r"\s+(?:full\s+)?(?:fiscal\s+)?(?P<unit>week|weekend|month|year|decade|century)\b(?!-)",
     _I, n.relative_unit),
    (rf"\b(?:every|each|per|a)\s+(?P<every>day|week|month|year|quarter|hour|minute|morning|night"
     rf"|evening|afternoon|{_WEEKDAY_WORD}|{_FULL_MONTH_WORD})\b(?!\s+(?:ago|earlier|later|before|after))"
     r"|\b(?P<every2>daily|weekly|monthly|yearly|annually|nightly|hourly)\b", _I, a.every),
    (rf"\b(?:(?P<mod>{_MOD})\s+)?(?P<num>{_NUM})[\s-]{{1,3}}(?P<unit>{_UNIT})\s+"
     r"(?:or\s+so\s+)?(?P<dir>ago|earlier|from\s+now|hence)\b", _I, n.ago),
    (rf"\b(?:(?:the\s+)?(?:(?:past|last|next|first|final|previous|coming|latest|following)\s+)?)?"
     rf"(?:(?P<mod>{_MOD})\s+)?(?P<num>{_NUM})(?P<half>\s+1/2|\s+and\s+a\s+half)?[\s-]{{1,3}}"
     rf"{_UNIT_ADJECTIVE}(?P<unit>{_UNIT})(?P<half2>\s+and\s+a\s+half)?"
     r"(?:(?P<old>[\s-]{1,3}old)\b)?(?![\w-])", _I, a.duration),
    (rf"\b(?:the\s+)?(?P<num>{_NUM})[\s-]{{1,3}}(?P<unit>{_UNIT})(?P<old>-old)\b", _I, a.duration),
    (r"\b(?:(?:the\s+)?(?:past|last|next|coming|recent)\s+|(?:a\s+)?few\s+|several\s+|many\s+)"
     r"(?P<unit>seconds|minutes|hours|days|weeks|months|years|decades|centuries)\b",
     _I, a.vague_duration),
    (r"(?:(?<=\bfor\s)|(?<=\bin\s)|(?<=\bover\s))(?P<unit>years|months|weeks|decades|centuries)\b",
     _I, a.vague_duration),
    (r"\b(?:aged|age)\s+(?P<num>\d{1,3})\b", _I, a.aged),
    (rf"\b(?:the\s+year\s+|(?-i:(?P<mon>{_FULL_MONTH}))\s+(?:of\s+)?"
     r"|(?:the\s+)?(?P<season>spring|summer|fall|autumn|winter)\s+of\s+)?"
     rf"(?:(?P<high>nineteen|eighteen|twenty)[\s-]+(?P<low>{_SPELLED_LOW})"
     rf"|(?P<thousand>two\s+thousand)(?:\s+(?:and\s+)?(?P<rest>{'|'.join(reversed(SMALL[1:]))}))?)\b",
     _I, n.spelled_year),
    (r"\bthe\s+weekend\b", _I, n.weekend),
    (rf"\b(?:the\s+)?year(?:-|\s+|['’]s\s+)end\b(?:,?\s+(?P<year>{_YEAR}))?", _I, n.year_end),
    (r"\b(?:the\s+)?year-(?:earlier|ago)\b(?!\s+(?:quarter|period))", _I, n.year_earlier),
    (rf"\b(?P<ref>{_alt(REFS)})\b(?![-'’])", _I, n.ref_word),
    (rf"(?:\b(?P<wd2>{_WEEKDAY_WORD}|yesterday|today|tomorrow)\s+(?:at\s+)?)?"
     r"(?:(?<![\d:.])(?P<h>\d{1,2})(?::(?P<mi>[0-5]\d))?\s?(?P<ap>[ap]\.m\.|[ap]\.m\b|[ap]m\b)"
     rf"|(?<![\d:.,$])\b(?P<h2>1[0-2]|0?[1-9]|{_CLOCK_WORDS})(?:\s+o['’]clock)?"
     r"\s+(?:in\s+the\s+(?P<pod>morning|afternoon|evening)|at\s+night)\b"
     r"|\b(?<!high\s)(?P<named>noon|midnight|midday)\b)(?:\s+(?:EST|EDT|CST|CDT|PST|PDT|GMT|UTC|ET|PT|CT)\b)?"
     rf"(?:,?\s+(?:on\s+)?(?:(?P<wd>{_WEEKDAY_WORD}|yesterday|today|tomorrow)\b"
     rf"|(?-i:(?P<cmon>{_MONTH}))\.?\s?(?P<cday>(?:[12]\d|3[01]|0?[1-9]))(?!\d)))?", _I, n.clock),
    (rf"\b(?i:(?P<rel>last|next|this\s+past|this\s+coming|this|past|coming)\s+)?(?P<hol>{_HOLIDAY})"
     rf"(?P<span>\s+(?i:week|weekend))?(?![\w'’])(?:,?\s+(?P<year>{_YEAR}))?", 0, holiday),
]
# fmt: on
RULES: list[tuple[re.Pattern[str], Handler]] = [
    (re.compile(pattern, flags), handler) for pattern, flags, handler in _RULE_TABLE
]


# --- where to look: the words each rule cannot match without ------------------------

_MONTH_WORDS = [m.casefold() for m in calendar.month_name[1:]] + [*MONTHS, "sept"]
_UNIT_WORDS = [u + suffix for u in UNITS for suffix in ("", "s")] + ["centuries"]
_PARTS = list(PARTS_OF_DAY)
_REF_WORDS = [w for ref in REFS for w in ref.split() if w not in ("the", "at", "right", "these")]
_RULE_WORDS: dict[str, list[str]] = {
    "full_date": _MONTH_WORDS, "month_year": _MONTH_WORDS, "bare_month": _MONTH_WORDS,
    "decade": "twenties thirties forties fifties sixties seventies eighties nineties".split(),
    "ordinal_century": ["century"], "named_season": list(SEASONS),
    "quarter_or_half": ["quarter", "half", "period"],
    "weekday_name": [*WEEKDAYS, *(w + "s" for w in WEEKDAYS)],
    "deictic": ["today", "tonight", "yesterday", "tomorrow", *_PARTS],
    "relative_unit": _UNIT_WORDS, "discourse_ref": ["day", "week", "month", "year", *_PARTS],
    "part_of_day": [*_PARTS, "overnight"],
    "every": [*_UNIT_WORDS, *_PARTS, *WEEKDAYS, *_MONTH_WORDS, *a.FREQUENCY_ADVERBS],
    "ago": ["ago", "earlier", "now", "hence"], "duration": _UNIT_WORDS,
    "vague_duration": _UNIT_WORDS,
    "aged": ["age", "aged"], "spelled_year": ["nineteen", "eighteen", "twenty", "thousand"],
    "weekend": ["weekend"], "year_earlier": ["year"], "year_end": ["year"],
    "ref_word": _REF_WORDS,
    "clock": ["noon", "midnight", "midday", "morning", "afternoon", "evening", "night"],
    "holiday": HOLIDAY_WORDS,
}  # fmt: skip
_RULE_DIGITS: dict[str, str] = {
    "numeric_date": r"\d[/-]\d",
    "second_day": r"(?:\d|st|nd|rd|th)(?:\s(?:and|or|to|through)\s|[-–])\d",
    "bare_year": r"(?<![\d,.])[12]\d{3}(?!\d|,\d)",
    "decade": r"\d{3}0'?s\b|'\d0s\b", "clock": r"\d(?::\d\d)?\s?[ap]\.?m\b",
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


def rule_windows(text: str) -> dict[int, list[tuple[int, int]]]:
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

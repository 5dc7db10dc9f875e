"""Word tables of English temporal expressions, and numbers written in words.

Months, weekdays, seasons, units, modifiers ("about", "more than"), edge words
("early", "late"), reference words ("now", "recently") and parts of the day, each
with the TIMEX3 code it maps to. Holidays live in :mod:`~storyline.nlp.time_holidays`.
"""

from __future__ import annotations

import re

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
#: a month name, full or abbreviated, as a regular-expression alternation
MONTH_NAMES = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
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


def parse_number(text: str) -> float | None:
    """A number in digits or English words ("twenty-four", "a dozen"); None when vague."""
    word = " ".join(text.casefold().replace("-", " ").split())
    if re.fullmatch(r"[\d,]+(?:\.\d+)?", word):
        return float(word.replace(",", ""))
    fixed = {"a": 1, "an": 1, "a couple of": 2, "couple of": 2, "a dozen": 12}
    if word in fixed:
        return float(fixed[word])
    total = 0
    for index, part in enumerate(word.split()):
        if part in SMALL:
            total += SMALL.index(part)
        elif part in TENS:
            total += 20 + 10 * TENS.index(part)
        elif part in ("a", "an") and index == 0:
            total = 1
        elif part in ("hundred", "thousand"):
            total = (total or 1) * (100 if part == "hundred" else 1000)
        else:
            return None
    return float(total)

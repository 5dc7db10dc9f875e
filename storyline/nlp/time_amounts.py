"""How long, how old and how often: durations, ages and sets of times.

"15 days" and "two decades" are DURATIONs (decades and centuries counted in
years, as ISO 8601 has no unit for them); "9 weeks old" and "aged 52" are
ages, durations marked ``age=True``; "each July", "3.5% a year" and "rallies
held almost daily" are SETs. A frequency adverb before a noun is an adjective
("daily flights") or a name ("the party daily Granma"), not a set of times.
"""

from __future__ import annotations

import re

from .time_context import Context
from .time_lexicon import MODS, MONTHS, PARTS_OF_DAY, UNITS, WEEKDAYS, parse_number
from .time_values import Norm


def _g(match: re.Match[str], name: str) -> str:
    """A named group, lower-cased; empty when the rule has no such group or it did not match."""
    return (match.groupdict().get(name) or "").casefold()


def duration(match: re.Match[str], ctx: Context) -> Norm | None:
    unit_word = _g(match, "unit")
    letter, granularity = UNITS[unit_word.rstrip("s") if unit_word != "centuries" else "centurie"]
    count = parse_number(match.group("num")) if match.group("num") else None
    number = "X" if count is None else (f"{count:g}" if count != int(count) else str(int(count)))
    if count is not None and count > 10_000:
        return None
    if _not_a_length(match, ctx):
        return None
    time_part = "T" if granularity in ("hour", "minute", "second") else ""
    mod = MODS.get(" ".join(_g(match, "mod").split()))
    age = bool(match.group("old"))
    half = _HALF_UNITS.get(granularity)
    halved = bool(_g(match, "half") or _g(match, "half2"))
    if count is not None and letter in _YEARS_IN:
        # ISO 8601 counts decades and centuries in years: "two decades" is P20Y
        years = (count + (0.5 if halved else 0)) * _YEARS_IN[letter]
        return Norm("DURATION", f"P{years:g}Y", granularity, mod, age=age)
    if count is not None and halved:
        # "2 1/2 years" is P2Y6M, "a minute and a half" PT1M30S, "6 1/2 weeks" P6.5W
        value = f"{int(count)}{letter}{half}" if half else f"{count + 0.5:g}{letter}"
        return Norm("DURATION", f"P{time_part}{value}", granularity, mod, age=age)
    return Norm("DURATION", f"P{time_part}{number}{letter}", granularity, mod, age=age)


_YEARS_IN = {"DE": 10, "CE": 100}


#: "quarter of" + a determiner is a share of something, unless of an hour or a century
_FRACTION = re.compile(
    r"\s+of\s+(?:the|its|their|his|her|our|all|this|that|these|those|a|an)\b"
    r"(?!\s+(?:hour|century|year|mile)\b)"
)


def _not_a_length(match: re.Match[str], ctx: Context) -> bool:
    """ "A second term" is an ordinal, "a quarter of the market" a share, and "60 Minutes"
    in running text a title: none of them a length."""
    unit = match.group("unit")
    after = ctx.text[match.end() : match.end() + 12]
    if (
        unit.casefold() == "second"
        and _g(match, "num") in ("a", "an")
        and re.match(r"\s+(?!(?:or|and|ago|earlier|later|before|after|too)\b)[a-z]", after)
    ):
        return True
    if unit.casefold().startswith("quarter") and _FRACTION.match(after):
        return True  # "three-quarters of its food", "a quarter of the market"
    head = ctx.text[max(0, match.start() - 3) : match.start()]
    return unit[0].isupper() and not unit.isupper() and not re.search(r"(?:^|[.!?\n]\s*)$", head)


#: half of a unit, in the next smaller one
_HALF_UNITS = {"year": "6M", "day": "T12H", "hour": "30M", "minute": "30S"}


def vague_duration(match: re.Match[str], ctx: Context) -> Norm | None:
    head = match.group(0).casefold()
    if re.match(r"(?:the\s+)?(?:recent|past|last)\b", head):
        return Norm("DATE", "PAST_REF", "ref")
    if re.match(r"(?:the\s+)?(?:coming|next)\b", head):
        return Norm("DATE", "FUTURE_REF", "ref")
    unit_word = _g(match, "unit")
    letter, granularity = UNITS[unit_word.rstrip("s") if unit_word != "centuries" else "centurie"]
    time_part = "T" if granularity in ("hour", "minute", "second") else ""
    return Norm("DURATION", f"P{time_part}X{letter}", granularity)


def aged(match: re.Match[str], ctx: Context) -> Norm | None:
    count = parse_number(match.group("num"))
    if count is None or not 0 <= count <= 130:
        return None
    return Norm("DURATION", f"P{count:g}Y", "year", age=True)


#: how often, as the TIMEX3 unit letter of the period
FREQUENCY_ADVERBS = {"daily": "D", "weekly": "W", "monthly": "M", "annually": "Y", "yearly": "Y"}
FREQUENCY_ADVERBS |= {"nightly": "D", "hourly": "TH"}
#: words after which "daily" is still an adverb ("rallies held almost daily in Havana")
_AFTER_ADVERB = re.compile(
    r"\s+(?:basis|in|at|on|for|since|through|until|to|from|by|with|outside|inside|across|around"
    r"|during|before|after|over|under|and|or|but|while|as|the|a|an|this|that|their|its|his|her)\b"
)


def _set(word: str) -> Norm | None:
    if word in FREQUENCY_ADVERBS:
        letter = FREQUENCY_ADVERBS[word]
    elif word in WEEKDAYS:
        return Norm("SET", f"XXXX-WXX-{WEEKDAYS.index(word) + 1}", "week")
    elif word[:3] in MONTHS and word not in UNITS:
        return Norm("SET", f"XXXX-{MONTHS[word[:3]]:02d}", "month")
    elif word in PARTS_OF_DAY:
        return Norm("SET", f"XXXX-XX-XXT{PARTS_OF_DAY[word]}", "day")
    else:
        letter = UNITS[word][0]
        letter = "T" + letter if word in ("hour", "minute", "second") else letter
    prefix = "PT1" + letter[1:] if letter.startswith("T") else "P1" + letter
    return Norm("SET", prefix, "set")


def every(match: re.Match[str], ctx: Context) -> Norm | None:
    word = _g(match, "every") or _g(match, "every2")
    after = ctx.text[match.end() : match.end() + 12]
    if match.group("every2") and re.match(r"\s+\w", after) and not _AFTER_ADVERB.match(after):
        return None  # "daily flights", "the party daily Granma": an adjective or a newspaper
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

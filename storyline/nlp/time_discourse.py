"""Expressions anchored on the last date the text mentioned, not on the publication date.

"That day", "later that year", "the next morning", "the day before" and "the
following month" point back at a date the story has just told ("He fled in
June 1998 and returned later that year"). Their rule proposes a :class:`Norm`
that *refers* (granularity and steps) instead of a value; once every expression
of the text is chosen, :func:`resolve_references` walks them in order and gives
each such reference the last mentioned date precise enough for it (a day for
"the next day", a month for "the following month", a year for "that year"),
resolved references included, so that chains ("that day ... the next day")
follow. Without an antecedent the publication date stands in for it, as
annotators of news do; without either the value stays underspecified.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from .time_context import Context, weekday_date
from .time_lexicon import PARTS_OF_DAY, WEEKDAYS
from .time_values import Anchor, Norm, shift, unit_value

#: how precise the mentioned date must be (1 year, 2 month, 3 day) to count from it
_PRECISION = {"century": 1, "decade": 1, "year": 1, "month": 2, "week": 3, "weekend": 3, "day": 3}
_KNOWN = re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d))?)?")


def discourse_ref(match: re.Match[str], ctx: Context) -> Norm | None:
    """A norm that refers to the last mentioned date: "that day", "the next morning"."""
    det = " ".join((match.group("det") or "").casefold().split())
    unit = (match.group("unit") or "day").casefold()
    steps = 0
    if det in ("the next", "the following") or match.group("dir") == "after":
        steps = 1
    elif det in ("the previous", "the preceding") or match.group("dir") == "before":
        steps = -1
    part = PARTS_OF_DAY.get(unit)
    granularity = "day" if part else unit
    mod = {"earlier": "START", "later": "END"}.get((match.group("pre") or "").casefold())
    kind = "TIME" if part else "DATE"
    if steps and granularity in ("week", "month", "year"):
        return None  # "the next year" counts from the publication date: a relative unit
    value = "T" + part if part else ""
    return Norm(kind, value, granularity, mod, relative=True, refers=(granularity, steps))


def part_of_day(match: re.Match[str], ctx: Context) -> Norm | None:
    """ "Mid-afternoon", "in the morning", "overnight": a part of the day the story is on.

    With a day named after it ("mid-afternoon yesterday", "late morning Friday")
    that day; otherwise the last mentioned day ("overnight" is the night before it).
    """
    edge = (match.group("edge") or "").casefold().strip(" -")
    mod = {"early": "START", "mid": "MID", "late": "END"}.get(edge)
    word = (match.group("pod") or match.group("pod2") or "overnight").casefold()
    part = PARTS_OF_DAY.get(word, "NI")
    day_word = (match.group("wd") or "").casefold()
    if not day_word:
        steps = -1 if word == "overnight" else 0
        return Norm("TIME", "T" + part, "day", mod, relative=True, refers=("day", steps))
    anchor = ctx.anchor
    if anchor is None:
        return Norm("TIME", "XXXX-XX-XXT" + part, "part of day", mod, relative=True)
    if day_word in WEEKDAYS:
        day = weekday_date(ctx, match.start(), match.end(), WEEKDAYS.index(day_word), "")
    else:
        day = anchor.day + timedelta({"yesterday": -1, "tomorrow": 1}.get(day_word, 0))
    return Norm("TIME", f"{day.isoformat()}T{part}", "part of day", mod, relative=True)


def resolve_references(
    found: list[tuple[int, int, Norm]], anchor: Anchor | None
) -> list[tuple[int, int, Norm]]:
    """Give every referring norm of ``found`` (in text order) its value from what came before."""
    mentioned: list[tuple[date, int]] = []  # (day, precision) of each dated expression so far
    resolved = []
    for start, end, norm in found:
        if norm.refers is not None:
            norm = _resolve(norm, mentioned, anchor)
        known = _known(norm)
        if known is not None:
            mentioned.append(known)
        resolved.append((start, end, norm))
    return resolved


def _known(norm: Norm) -> tuple[date, int] | None:
    """The day a dated norm starts on and how precise it is; None for durations, sets, refs."""
    if norm.type not in ("DATE", "TIME"):
        return None
    match = _KNOWN.match(norm.value)
    if match is None:
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        return date(int(year), int(month or 1), int(day or 1)), 1 + bool(month) + bool(day)
    except ValueError:
        return None


def _resolve(norm: Norm, mentioned: list[tuple[date, int]], anchor: Anchor | None) -> Norm:
    assert norm.refers is not None
    granularity, steps = norm.refers
    part = norm.value  # "TMO" for "that morning", "T10:35" for "at 10:35 a.m.", else empty
    needed = _PRECISION[granularity]
    base = next((day for day, precision in reversed(mentioned) if precision >= needed), None)
    based_on = base.isoformat() if base is not None else None
    if base is None and anchor is not None:
        base = anchor.day
    if base is None:
        value = {"year": "XXXX", "month": "XXXX-XX", "week": "XXXX-WXX"}.get(
            granularity, "XXXX-XX-XX"
        )
        return Norm(norm.type, value + part, norm.granularity, norm.mod, True)
    moved = shift(base, granularity, steps) if granularity != "day" else base + timedelta(steps)
    value = unit_value(moved, granularity) + part
    return Norm(norm.type, value, norm.granularity, norm.mod, True, based_on=based_on)

"""The text around an expression: its sentence, the tense of its verbs, and what they imply.

The year of a bare month or day ("July 21") and the week of a weekday follow
the tense of the nearest verb cue: past tense looks back from the anchor,
future tense forward.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from .time_values import Anchor, days_in

_FUTURE = (
    r"will|won't|'ll|shall|going\s+to|plans?\s+to|planning\s+to|expects?\s+to|expected\s+to"
    r"|scheduled|set\s+to|due\s+to|is\s+to|are\s+to|would|might|may(?!\s+have)"
    r"|hopes?\s+to|intends?\s+to|aims?\s+to|next(?!\s+to\b)|upcoming|coming|effective|payable"
    r"|expires?|starting|as\s+soon\s+as"
    # a postponement points at its new date: "postponed until Tuesday", "extended through January"
    r"|(?:postponed|delayed|deferred|adjourned|put\s+off|pushed\s+back|extended)"
    r"(?=[^.]{0,60}\b(?:until|through)\b)"
)
_PAST = (
    r"born|died|was|were|had|did|didn't|said|told|ago|last|earlier|previously|since|agreed"
    # a lower-case word in -ed is most often a past verb ("United" and "need" are not)
    r"|(?!\w*eed\b|hundred\b|sacred\b|naked\b|wicked\b)[a-z]\w{2,}ed|brought|took"
    r"|made|came|went|gave|began|became|found|got|left|lost|met|paid|ran|saw|sold|sent|spent|stood"
    r"|thought|won|wrote|held|fell|rose|led|kept|knew|heard|bought|built|caught|chose|drove|flew"
    r"|grew|meant|rode|sat|shot|slept|spoke|stole|struck|taught|threw|woke|wore|announced"
)
_PRESENT = r"is|are|has|have|says|tells|'s"
_TENSE = re.compile(rf"\b(?:(?P<future>{_FUTURE})|(?P<past>{_PAST})|(?P<present>{_PRESENT}))\b")
#: a participle after these is passive ("will be named"): the auxiliary carries the tense
_PASSIVE = re.compile(r"\b(?:be|been|being|is|are|am)\s+(?:\w+ly\s+)?$")
#: a plan that was changed ("had been due to expire", "had been scheduled to"): past
_PAST_AUXILIARY = re.compile(
    r"\bhad\s+been\s+(?:\w+ly\s+)?"
    r"(?:(?:due|scheduled|set|expected|supposed|slated)\s+to\s+(?:\w+\s+)?)?$"
)
_REPORTING = re.compile(r"said|says|say|told|tells|added|adds|announced|reported")
#: a participle after a determiner is an adjective ("a still unspecified date"), no verb
_ADJECTIVE_HEAD = re.compile(
    r"\b(?:a|an|the|its|their|his|her|our|this|that|these|those)\s+(?:\w+ly\s+|still\s+)?$"
)
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


def span_sentences(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentences from the one holding ``start`` to the one holding ``end``: the whole
    evidence of a fact whose name and value sit in two sentences ("his son, Miles, 9
    weeks old. ... (who was born prematurely on July 21)")."""
    lo, hi = sentence_bounds(text, start)
    if end - 1 > hi:  # the end lies in a later sentence
        hi = sentence_bounds(text, end - 1)[1]
    return lo, hi


class Context:
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
            distance = start - match.end() if match.end() <= start else 2 * (match.start() - end)
            kind = match.lastgroup or "present"
            head = self.text[max(0, match.start() - 40) : match.start()]
            if kind == "past" and (
                _PASSIVE.search(head)
                or (match.group().endswith("ed") and _ADJECTIVE_HEAD.search(head))
            ):
                continue  # "will be paid", "is expected": the auxiliary carries the tense
            if match.start() >= end and _REPORTING.fullmatch(match.group()):
                between = self.text[end : match.start()]
                if any(mark in between for mark in ",\"'”’)"):
                    continue  # '... will leave Thursday," he said': the quote has the tense
            if kind == "future" and _PAST_AUXILIARY.search(head):
                kind = "past"  # "had been due to expire Friday": a plan in the past
            if best is None or distance < best[0]:
                best = (distance, kind)
        return best[1] if best else None

    def event_time(self, start: int) -> bool:
        """Whether a past-tense verb right before the expression dates an event ("born on")."""
        head = self.text[max(0, start - 40) : start].casefold()
        found = re.search(
            r"\b(?:born|died|killed|married|arrested|\w+ed)(?:\s+\w+ly)?\s+(?:on|in)\s+$", head
        )
        return bool(found) and not (found and _PASSIVE.search(head[: found.start()]))

    def before(self, start: int, size: int = 24) -> str:
        return self.text[max(0, start - size) : start].casefold()


def pick_year(ctx: Context, start: int, end: int, month: int, day: int | None) -> int | None:
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
        target = date(year, month, min(day or 15, days_in(year, month)))
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


def weekday_date(ctx: Context, start: int, end: int, weekday: int, rel: str) -> date:
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

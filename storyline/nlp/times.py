"""The times stage: temporal expressions found and normalised as TIMEX3 does.

Every expression becomes a :class:`~storyline.model.TimeExpr` with a TIMEX3
``type`` (DATE, TIME, DURATION, SET), an ISO 8601 ``value`` (``2019-07-21``,
``2018-05``, ``2019-Q3``, ``P14M``, ``PT24H``, ``PRESENT_REF``) and the
``granularity`` of that value (day, month, quarter, year, week...).

How it works. A fixed table of rules (:mod:`~storyline.nlp.time_patterns`),
each a compiled regular expression plus a normaliser
(:mod:`~storyline.nlp.time_normalisers`, ``time_amounts``, ``time_holidays``,
``time_discourse``), proposes candidate spans; the longest
candidates win, and a span that looks like a date but is not one ("February
30") blocks the shorter candidates inside it. A rule only runs in short windows
around the words it cannot match without (month names for the month rules,
unit words for durations), and every pattern is a sequence of bounded pieces
without nested repetition: matching stays linear, a run of 200 characters or
more without a space (a URL, a blob) is skipped, and a 1 MB line takes
milliseconds. Calendar arithmetic lives in :mod:`~storyline.nlp.time_values`,
tense and sentence cues in :mod:`~storyline.nlp.time_context`, word tables in
:mod:`~storyline.nlp.time_lexicon`.

Expressions that count from a date the story has just told ("later that year",
"the next morning", "the following month") take the last mentioned date precise
enough for them, once all expressions are chosen (see
:mod:`~storyline.nlp.time_discourse`). Other relative expressions ("in June",
"last week", "yesterday", "Friday") are resolved against an :class:`Anchor`:
the article's publication date when it has one. An undated article is
anchored on an estimate (the latest explicit date its own text gives, or the
storyline estimate that :mod:`storyline.views.dating` computes); expressions
resolved against an estimate carry ``estimated=True``. Without any anchor their values stay
underspecified the TIMEX3 way (``XXXX-06``, ``XXXX-WXX-5``). The year of a
bare month or day ("July 21") and the week of a weekday follow the tense of the
nearest verb cue: past tense looks back from the anchor, future tense forward.

Ages ("9 weeks old", "a 14-month-old") are DURATIONs marked ``age=True``:
TimeML corpora do not annotate them, the fact extractor needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from ..model import Article, TimeExpr
from ..pipeline import BaseStage
from .time_context import Context, sentence_bounds, span_sentences
from .time_discourse import resolve_references
from .time_lexicon import parse_number
from .time_patterns import RULES, rule_windows
from .time_values import BLOCK, Anchor, Norm, interval_of

__all__ = [
    "Anchor",
    "TimeStage",
    "anchor_for",
    "find_times",
    "interval_of",
    "parse_number",
    "sentence_bounds",
    "span_sentences",
]


def find_times(text: str, anchor: Anchor | None = None) -> list[TimeExpr]:
    """Every temporal expression in ``text``, normalised against ``anchor``."""
    ctx = Context(text, anchor)
    candidates: list[tuple[int, int, int, Norm]] = []
    for priority, windows in sorted(rule_windows(text).items()):
        pattern, handler = RULES[priority]
        for lo, hi in windows:
            for match in pattern.finditer(text, lo, hi):
                if match.end() == match.start():
                    continue
                norm = handler(match, ctx)
                if norm is not None:
                    start, end = _trim(text, match.start(), match.end())
                    candidates.append((start, end, priority, norm))
    chosen: list[tuple[int, int, Norm]] = []
    taken = bytearray(len(text))
    for start, end, _priority, norm in sorted(candidates, key=lambda c: (c[0] - c[1], c[2], c[0])):
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        if norm is not BLOCK:
            chosen.append((start, end, norm))
    resolved = resolve_references(sorted(chosen, key=lambda c: (c[0], c[1])), anchor)
    return [_expr(text, start, end, norm, anchor) for start, end, norm in resolved]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in " ,\t\n":
        end -= 1
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _expr(text: str, start: int, end: int, norm: Norm, anchor: Anchor | None) -> TimeExpr:
    relative = norm.relative and anchor is not None
    if norm.based_on is not None:  # "the next day" after a date the text gave
        reference: str | None = norm.based_on
    else:
        reference = anchor.day.isoformat() if relative and anchor else None
    return TimeExpr(
        text=text[start:end],
        start=start,
        end=end,
        type=norm.type,
        value=norm.value,
        granularity=norm.granularity,
        mod=norm.mod,
        anchor=reference,
        estimated=bool(relative and anchor and anchor.estimated),
        age=norm.age,
    )


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

"""Where the sources of a storyline disagree on a fact, and where they agree.

:func:`check_facts` compares the facts of a storyline's articles (after
:func:`~storyline.views.dating.anchored` dates the undated ones). Two facts are
compared when they are about the same entity (names merged by
:func:`~storyline.views.dating.storyline_keys`; a count with no named subject
is about the event) and the same attribute, and for counts and amounts when
they describe the same moment: the same event (``Article.event``), or, without
events, the same as-of day. Figures that changed over time are therefore not
contradictions, and a figure stated as an earlier state ("had shown") is left out.

Two values contradict when they cannot both be true:

* dates as intervals (a month is its days, "about" widens by its granularity),
  a year-less date ("July 21") against any year; an age becomes the interval of
  birth dates it allows on its as-of date, so "27-year-old" and "29-year-old" on
  the same day disagree, and "6 weeks old" agrees with both "Feb. 26" and "March 2";
* counts as intervals: exact figures within 1%, "about" within 10%, "nearly" up
  to 10% below, "more than" above;
* places when the names differ and neither contains the other.

Facts are grouped precise-first into sides of mutually compatible values; a
vaguer fact compatible with several sides is listed apart, not as a side.
Copies (``Article.copy_of``) are folded into their original when counting
independent sources, so a syndicated copy never makes "2 outlets agree".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..model import Article, Fact
from ..nlp.times import interval_of
from .dating import anchored, describe, estimate_dates, storyline_keys

__all__ = ["Agreement", "Contradiction", "Evidence", "FactCheck", "Side", "check_facts"]

DATE_ATTRIBUTES = ("birth_date", "death_date")
PLACE_ATTRIBUTES = ("birth_place", "death_place")
HEDGE_RANGES = {
    None: (0.99, 1.01), "about": (0.9, 1.1), "nearly": (0.9, 1.0), "more than": (1.0, 2.0),
    "at least": (1.0, 2.0), "less than": (0.5, 1.0), "up to": (0.5, 1.0),
}  # fmt: skip


@dataclass(slots=True)
class Evidence:
    """One statement of a fact: where, by whom, and the sentence that says it."""

    article: str
    outlet: str | None
    value: str
    label: str
    sentence: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    as_of: str | None
    copy_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class Side:
    """Statements that agree with one another."""

    value: str
    label: str
    evidence: list[Evidence]
    #: independent sources (copies folded into their original) and their outlets
    sources: int
    outlets: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label,
            "sources": self.sources,
            "outlets": self.outlets,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(slots=True)
class Contradiction:
    entity: str
    attribute: str
    sides: list[Side]
    #: statements compatible with more than one side
    undecided: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "attribute": self.attribute,
            "sides": [s.to_dict() for s in self.sides],
            "undecided": [e.to_dict() for e in self.undecided],
        }


@dataclass(slots=True)
class Agreement:
    entity: str
    attribute: str
    side: Side

    def to_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "attribute": self.attribute, **self.side.to_dict()}

    def __str__(self) -> str:
        what = f"{self.entity or 'the event'} {self.attribute} = {self.side.label}"
        return (
            f"{self.side.outlets} outlets agree ({self.side.sources} independent sources): {what}"
        )


@dataclass(slots=True)
class FactCheck:
    contradictions: list[Contradiction]
    agreements: list[Agreement]

    def to_dict(self) -> dict[str, Any]:
        return {
            "contradictions": [c.to_dict() for c in self.contradictions],
            "agreements": [a.to_dict() for a in self.agreements],
        }


@dataclass(slots=True)
class _Item:
    article: Article
    fact: Fact
    entity: str
    scope: str
    low: float
    high: float
    text: str = ""
    year_free: tuple[int, int] | None = None  # (month, day) of a year-less date


def check_facts(
    articles: Sequence[Article], *, ready: Sequence[Article] | None = None
) -> FactCheck:
    """Contradictions and agreements among the facts of one storyline's articles;
    ``ready`` is :func:`anchored` of them when the caller has it."""
    ready = ready if ready is not None else anchored(articles, estimate_dates(articles))
    keys = storyline_keys(ready)
    groups: dict[tuple[str, str, str], list[_Item]] = {}
    for article in ready:
        for fact in article.facts:
            item = _item(article, fact, keys)
            if item is not None:
                counted = fact.attribute.startswith(("count", "amount"))
                groups.setdefault(
                    ("" if counted else item.entity, fact.attribute, item.scope), []
                ).append(item)
    contradictions: list[Contradiction] = []
    agreements: list[Agreement] = []
    names = _display_names(ready, keys)
    for (_key, attribute, _scope), group in sorted(groups.items()):
        for items in _by_subject(group):
            _judge(items, attribute, names, contradictions, agreements)
    return FactCheck(contradictions, agreements)


def _display_names(articles: Sequence[Article], keys: dict[str, str]) -> dict[str, str]:
    """Merged key -> the longest name written for it."""
    names: dict[str, str] = {}
    for name, key in keys.items():
        if len(name) > len(names.get(key, "")):
            names[key] = name
    return names


def _by_subject(items: list[_Item]) -> list[list[_Item]]:
    """Counts of different named subjects apart; unnamed ones join a lone named one."""
    subjects = sorted({i.entity for i in items if i.entity})
    if len(subjects) <= 1:
        return [items]
    unnamed = [i for i in items if not i.entity]
    return [[i for i in items if i.entity == s] for s in subjects] + ([unnamed] if unnamed else [])


def _judge(
    items: list[_Item],
    attribute: str,
    names: dict[str, str],
    contradictions: list[Contradiction],
    agreements: list[Agreement],
) -> None:
    sides, undecided = _sides(items)
    entity = next((i.entity for i in items if i.entity), "")
    display = names.get(entity, entity)
    if len(sides) > 1:
        named = (
            "age"
            if all(i.fact.basis and i.fact.basis.startswith("age") for i in items)
            else attribute
        )
        contradictions.append(
            Contradiction(
                display, named, [_side(s) for s in sides], [_evidence(i) for i in undecided]
            )
        )
    elif sides and len({_original(i.article) for i in items}) > 1:
        agreements.append(Agreement(display, attribute, _side(sides[0] + undecided)))


def _item(article: Article, fact: Fact, keys: dict[str, str]) -> _Item | None:
    entity = keys.get(fact.entity, fact.entity.casefold()) if fact.entity else ""
    if fact.attribute in DATE_ATTRIBUTES:
        if not entity:
            return None
        return _date_item(article, fact, entity)
    if fact.attribute in PLACE_ATTRIBUTES:
        return (
            _Item(article, fact, entity, "storyline", 0, 0, text=fact.value.casefold())
            if entity
            else None
        )
    if fact.attribute.startswith(("count", "amount")):
        if fact.as_of is None or fact.basis == "earlier state" or not _comparable(fact.attribute):
            return None
        value = float(fact.value)
        low, high = HEDGE_RANGES.get(fact.qualifier, (0.99, 1.01))
        scope = f"event {article.event}" if article.event else f"day {fact.as_of}"
        return _Item(article, fact, entity, scope, value * low, value * high)
    return None


def _comparable(attribute: str) -> bool:
    """Counts and sums say what they count ("homes destroyed"); a bare "count (people)" does not."""
    return bool(re.fullmatch(r"count \(\w+ \w+\)|amount \(\w+\)", attribute))


def _date_item(article: Article, fact: Fact, entity: str) -> _Item | None:
    if "/" in fact.value:
        first, last = (date.fromisoformat(part) for part in fact.value.split("/"))
        return _Item(article, fact, entity, "storyline", first.toordinal(), last.toordinal())
    year_free = re.fullmatch(r"XXXX-(\d\d)-(\d\d)", fact.value)
    if year_free:
        month, day = int(year_free.group(1)), int(year_free.group(2))
        return _Item(
            article, fact, entity, "storyline", float("-inf"), float("inf"), year_free=(month, day)
        )
    span = interval_of(fact.value)
    if span is None:
        return None
    widen = timedelta(days=15 if fact.qualifier else 0)
    return _Item(
        article,
        fact,
        entity,
        "storyline",
        (span[0] - widen).toordinal(),
        (span[1] + widen).toordinal(),
    )


def _compatible(a: _Item, b: _Item) -> bool:
    if a.text or b.text:
        return a.text in b.text or b.text in a.text
    if a.year_free and b.year_free:
        return a.year_free == b.year_free
    for free, other in ((a, b), (b, a)):
        if free.year_free and not other.year_free:
            month, day = free.year_free
            first, last = date.fromordinal(int(other.low)), date.fromordinal(int(other.high))
            for year in range(first.year, last.year + 1):
                try:
                    if other.low <= date(year, month, day).toordinal() <= other.high:
                        return True
                except ValueError:
                    continue
            return False
    return a.low <= b.high and b.low <= a.high


def _sides(items: list[_Item]) -> tuple[list[list[_Item]], list[_Item]]:
    """Mutually compatible groups, most precise statements first; the vague remainder apart."""
    ordered = sorted(items, key=lambda i: (i.high - i.low, i.article.id, i.fact.start))
    sides: list[list[_Item]] = []
    undecided: list[_Item] = []
    for item in ordered:
        fitting = [side for side in sides if all(_compatible(item, other) for other in side)]
        if not fitting:
            sides.append([item])
        elif len(fitting) == 1 or len(sides) == 1:
            fitting[0].append(item)
        else:
            undecided.append(item)
    return sides, undecided


def _original(article: Article) -> str:
    return article.copy_of.original if article.copy_of else article.id


def _side(items: list[_Item]) -> Side:
    evidence = [_evidence(i) for i in items]
    by_id = {i.article.id: i.article for i in items}
    originals = {_original(i.article) for i in items}
    # an original's outlet; a copy whose original is absent stands for that original
    outlets = {by_id[o].outlet or o if o in by_id else f"source of {o}" for o in originals}
    first = min(items, key=lambda i: i.high - i.low)
    return Side(first.fact.value, _label(first.fact), evidence, len(originals), len(outlets))


def _evidence(item: _Item) -> Evidence:
    fact, article = item.fact, item.article
    lo = fact.sentence_start if fact.sentence_start is not None else fact.start
    hi = fact.sentence_end if fact.sentence_end is not None else fact.end
    return Evidence(
        article.id,
        article.outlet,
        fact.value,
        _label(fact),
        article.text[lo:hi],
        fact.start,
        fact.end,
        lo,
        hi,
        fact.as_of,
        article.copy_of.original if article.copy_of else None,
    )


def _label(fact: Fact) -> str:
    """A value as a reader says it: "May 2018", "about 14 months old", "about 2,000"."""
    hedge = f"{fact.qualifier} " if fact.qualifier and fact.qualifier != "from age" else ""
    if fact.basis and fact.basis.startswith("age "):
        _, age, _, _, as_of = fact.basis.split(" ", 4)
        return f"{_age_words(age)} old on {describe(as_of)}"
    if fact.attribute == "age":
        return f"{hedge}{_age_words(fact.value)} old"
    if fact.attribute in DATE_ATTRIBUTES:
        return hedge + describe(fact.value)
    if fact.attribute.startswith(("count", "amount")):
        number = float(fact.value)
        shown = f"{number:,.0f}" if number == int(number) else f"{number:,}"
        return f"{hedge}{shown}" + (f" {fact.unit}" if fact.attribute.startswith("amount") else "")
    return fact.value


def _age_words(value: str) -> str:
    match = re.fullmatch(r"P(\d+(?:\.\d+)?)([DWMY])", value)
    if match is None:
        return value
    unit = {"D": "day", "W": "week", "M": "month", "Y": "year"}[match.group(2)]
    amount = match.group(1)
    return f"{amount} {unit}{'' if amount == '1' else 's'}"

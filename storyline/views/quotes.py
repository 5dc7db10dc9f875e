"""Who said what across outlets: the same quote carried by several articles is one quote.

:func:`group_quotes` takes the articles of a story (each with ``outlet``,
``published`` and the quote stage's ``quotes``) and returns one
:class:`QuotedStatement` per distinct quote with its carriers in publication
order, the first carrier first. Two quotes are the same when their words are:
case, punctuation, quotation marks and spacing are ignored, and a quote that
is shortened, lengthened or reworded by a few words still matches when at
least 80% of the words of the shorter one line up, in order, with the longer
one and it has at least half its length (candidates are found through shared
word trigrams). Quotes shorter than three words only match exactly.

The parts of a quote split by its attribution (``Quote.part_of``) are grouped
part by part, so an outlet that splits a quote differently from another still
shares its parts with it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from ..model import Article, Quote, format_datetime
from ..text import normalise

__all__ = ["Carrier", "QuotedStatement", "group_quotes", "quote_key"]

MIN_FUZZY_WORDS = 3
_KIND_RANK = {"entity": 0, "pronoun": 1, "descriptor": 2}


@dataclass(slots=True, frozen=True)
class Carrier:
    """One article that carries a quote: where, when, and whom it attributes it to."""

    article: str
    outlet: str | None
    published: datetime | None
    start: int
    end: int
    speaker: str | None = None
    speaker_kind: str | None = None
    #: where the words this carrier attributes end, when they run on past the quote
    content_end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "outlet": self.outlet,
            "published": format_datetime(self.published),
            "start": self.start,
            "end": self.end,
            "speaker": self.speaker,
            "speaker_kind": self.speaker_kind,
            "content_end": self.content_end,
        }


@dataclass(slots=True)
class QuotedStatement:
    """A quote as the story knows it: its words, its speaker and every carrier."""

    text: str
    speaker: str | None
    speaker_kind: str | None
    carriers: list[Carrier] = field(default_factory=list)

    @property
    def first(self) -> Carrier:
        return self.carriers[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "speaker": self.speaker,
            "speaker_kind": self.speaker_kind,
            "carriers": [c.to_dict() for c in self.carriers],
        }


def quote_key(text: str) -> tuple[str, ...]:
    """The words of a quote, as compared across outlets."""
    return tuple(re.findall(r"\w+", normalise(text).casefold()))


def _trigrams(words: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {words[i : i + 3] for i in range(len(words) - 2)}


def _same(
    a: tuple[str, ...],
    b: tuple[str, ...],
    counted: tuple[Counter[str], Counter[str]] | None = None,
) -> bool:
    """Whether two quotes' words are the same quote (see the module); ``counted`` are
    their words' counts, when the caller has them."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) < MIN_FUZZY_WORDS or 2 * len(short) < len(long):
        return False
    # the words that line up in order are at most the words the two have in common:
    # a cheap test that rules out most candidates before the alignment
    first, second = counted if counted is not None else (Counter(a), Counter(b))
    if sum((first & second).values()) < 0.8 * len(short):
        return False
    matcher = SequenceMatcher(None, short, long, autojunk=False)
    shared = sum(block.size for block in matcher.get_matching_blocks())
    return shared >= 0.8 * len(short)


@dataclass(slots=True)
class _Group:
    key: tuple[str, ...]
    items: list[tuple[int, Article, Quote]] = field(default_factory=list)
    #: the articles already among the items (a quote widely carried has hundreds)
    carried_by: set[str] = field(default_factory=set)
    #: how often each word occurs in ``key``
    counted: Counter[str] = field(default_factory=Counter)


def group_quotes(articles: Iterable[Article]) -> list[QuotedStatement]:
    """One statement per distinct quote in ``articles``, carriers in publication order.

    Articles without a date come after the dated ones, in the order given; so do
    the statements, ordered by their first carrier.
    """
    ordered = sorted(
        enumerate(articles),
        key=lambda item: (item[1].published is None, _timestamp(item[1]), item[0]),
    )
    groups: list[_Group] = []
    exact: dict[tuple[str, ...], _Group] = {}
    by_trigram: defaultdict[tuple[str, ...], list[_Group]] = defaultdict(list)
    for position, article in ordered:
        for quote in article.quotes:
            key = quote_key(quote.text)
            if not key:
                continue
            group = exact.get(key)
            if group is None:
                grams = _trigrams(key)
                group = _fuzzy_match(key, grams, by_trigram)
                if group is None:
                    group = _Group(key, counted=Counter(key))
                    groups.append(group)
                    for gram in grams:
                        by_trigram[gram].append(group)
            exact.setdefault(key, group)
            if article.id not in group.carried_by:
                group.carried_by.add(article.id)
                group.items.append((position, article, quote))
    return [_statement(group) for group in groups]


def _timestamp(article: Article) -> float:
    return article.published.timestamp() if article.published is not None else 0.0


def _fuzzy_match(
    key: tuple[str, ...],
    grams: set[tuple[str, ...]],
    by_trigram: dict[tuple[str, ...], list[_Group]],
) -> _Group | None:
    if len(key) < MIN_FUZZY_WORDS:
        return None
    seen: set[int] = set()
    counted = Counter(key)
    for gram in grams:
        for group in by_trigram.get(gram, ()):
            if id(group) not in seen:
                seen.add(id(group))
                if _same(key, group.key, (counted, group.counted)):
                    return group
    return None


def _statement(group: _Group) -> QuotedStatement:
    carriers = [
        Carrier(
            article=article.id,
            outlet=article.outlet,
            published=article.published,
            start=quote.start,
            end=quote.end,
            speaker=quote.speaker,
            speaker_kind=quote.speaker_kind,
            content_end=quote.content_end,
        )
        for _, article, quote in group.items
    ]
    speaker, kind = _best_speaker(carriers)
    return QuotedStatement(group.items[0][2].text, speaker, kind, carriers)


def _best_speaker(carriers: list[Carrier]) -> tuple[str | None, str | None]:
    """The name most carriers give (names before resolved pronouns before descriptors);
    on a tie, the earliest carrier's."""
    named = [c for c in carriers if c.speaker is not None]
    if not named:
        return None, None
    best_rank = min(_KIND_RANK.get(c.speaker_kind or "", 3) for c in named)
    candidates = [c for c in named if _KIND_RANK.get(c.speaker_kind or "", 3) == best_rank]
    votes = Counter(c.speaker for c in candidates)
    top = max(votes.values())
    winner = next(c for c in candidates if votes[c.speaker] == top)
    return winner.speaker, winner.speaker_kind

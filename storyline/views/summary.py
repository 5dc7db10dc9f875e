"""Extractive multi-document summaries: a headline and 3-5 cited sentences per story.

:func:`summarise` splits every article of a story into sentences, drops what is not
reporting (boilerplate lines, photo credits, "Read Full Article", share prompts,
captions without a full stop, the writer's own questions), and scores each remaining
sentence by the cosine of its TF-IDF vector to the story's centroid, with a small
bonus for sentences early in their article. Sentences are then picked by maximal
marginal relevance (MMR): each pick trades its score against its similarity to the
sentences already chosen, so the summary does not say the same thing twice and, all
else equal, cites another article.

Independent reports are preferred over copies: a copy (``article.copy_of``) counts
less in the centroid and its sentences score lower, so when a copy repeats its
original the original is the one cited. Every sentence comes back as
``{text, article, outlet, start, end}`` with ``text == article.text[start:end]``.

The cost grows with the number of sentences, so a story of more than
:data:`MAX_ARTICLES` articles is summarised from its :data:`MAX_ARTICLES` most
central independent reports (copies only when there are not enough of them):
those whose named entities are closest to those of the whole story, which is
what the centroid of all its sentences would favour anyway. The headline is still
chosen among all the titles.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..dedup.boilerplate import generic
from ..model import Article
from ..text import content_terms

__all__ = ["Boilerplate", "Summary", "summarise"]

#: character spans of an article's text that are boilerplate (``Engine.boilerplate``)
Boilerplate = Callable[[Article], Sequence[tuple[int, int]]]

MIN_SENTENCES, MAX_SENTENCES = 3, 5
MIN_WORDS, MAX_WORDS = 6, 60
#: MMR trade-off between relevance (1.0) and novelty (0.0)
MMR_LAMBDA = 0.7
#: a sentence this similar to one already chosen is never added
REDUNDANT = 0.6
#: score multiplier for sentences of a copy, and its weight in the centroid
COPY_WEIGHT = 0.6
#: extra relevance for a sentence from an article not yet cited
NEW_SOURCE_BONUS = 0.08
#: the most articles whose sentences are read (see the module)
MAX_ARTICLES = 50

_SENTENCE_END = re.compile(r"""(?<=[.!?])["”’')\]]*\s+(?=["“‘(\[]?[A-Z0-9])""")
#: words after which a full stop does not end a sentence
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr inc co corp ltd gov sen rep gen col lt sgt capt no vs "
    "jan feb mar apr jun jul aug sep sept oct nov dec a.m p.m u.s u.k".split()
)
_LAST_WORD = re.compile(r"([\w.]+)\.$")
_TERMINATED = re.compile(r"""[.!?]["”’')\]]*$""")
_NOT_REPORTING = re.compile(
    r"read\s+(?:the\s+)?full\s+(?:article|story)|^\W*source\s*:|"
    r"\b(?:photo|image|picture|video)s?\s*(?:credit)?\s*:|\bcredit\s*:|getty\s+images|"
    r"shutterstock|view\s+this\s+post\s+on|\bshare\s+(?:this|on|via)\b|click\s+(?:here|to)\b|"
    r"sign\s+up\s+for|subscribe\s+to|follow\s+us\b|newsletter|all\s+rights\s+reserved|©",
    re.IGNORECASE,
)
_TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,40}$")

Vector = dict[str, float]


@dataclass(slots=True)
class Summary:
    """A story's headline and its cited summary sentences, in reading order."""

    headline: str | None
    sentences: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"headline": self.headline, "sentences": list(self.sentences)}


@dataclass(slots=True)
class _Sentence:
    article: Article
    rank: int  # the article's place in the story
    index: int  # the sentence's place in its article
    start: int
    end: int
    terms: Counter[str]
    vector: Vector = field(default_factory=dict)
    score: float = 0.0

    @property
    def group(self) -> str:
        """The copy group: a copy and its original count as one source."""
        return self.article.copy_of.original if self.article.copy_of else self.article.id


def summarise(
    articles: Sequence[Article],
    *,
    boilerplate: Boilerplate | None = None,
    limit: int | None = None,
) -> Summary:
    """The headline and 3-5 cited sentences (fewer only when fewer exist) of ``articles``."""
    ordered = sorted(enumerate(articles), key=lambda pair: (_when(pair[1]), pair[0]))
    read = _central(articles, MAX_ARTICLES)
    candidates: list[_Sentence] = []
    for rank, (_, article) in enumerate(ordered):
        if read is not None and article.id not in read:
            continue
        spans = list(boilerplate(article)) if boilerplate is not None else []
        candidates.extend(_sentences(article, rank, spans))
    groups = {s.group for s in candidates}
    wanted = limit or min(MAX_SENTENCES, MIN_SENTENCES + max(0, len(groups) - 1))
    idf = _idf([s.terms for s in candidates])
    centroid: dict[str, float] = {}
    for sentence in candidates:
        sentence.vector = _unit({t: n * idf[t] for t, n in sentence.terms.items()})
        weight = COPY_WEIGHT if sentence.article.copy_of else 1.0
        for term, value in sentence.vector.items():
            centroid[term] = centroid.get(term, 0.0) + weight * value
    middle = _unit(centroid)
    for sentence in candidates:
        position = 1.0 + 0.25 / (1 + sentence.index)
        weight = COPY_WEIGHT if sentence.article.copy_of else 1.0
        sentence.score = _cosine(sentence.vector, middle) * position * weight
    chosen = _mmr(candidates, wanted)
    chosen.sort(key=lambda s: (s.rank, s.start))
    return Summary(
        headline=_headline([a for _, a in ordered], middle, idf),
        sentences=[_cite(s) for s in chosen],
    )


def _central(articles: Sequence[Article], limit: int) -> set[str] | None:
    """The ids of the ``limit`` most central articles, independent reports first (None
    when there are no more than ``limit``): by the cosine of the names an article
    mentions (with their counts) to the names of the whole story."""
    if len(articles) <= limit:
        return None
    names: list[Counter[str]] = [Counter(e.canonical for e in a.entities) for a in articles]
    whole: Counter[str] = Counter()
    for counted in names:
        whole.update(counted)
    middle = _unit({name: float(n) for name, n in whole.items()})
    ranked = sorted(
        range(len(articles)),
        key=lambda i: (
            articles[i].copy_of is not None,
            -_cosine(_unit({name: float(n) for name, n in names[i].items()}), middle),
            i,
        ),
    )
    return {articles[i].id for i in ranked[:limit]}


def _when(article: Article) -> datetime:
    return article.published or datetime.max.replace(tzinfo=UTC)


def _sentences(article: Article, rank: int, spans: list[tuple[int, int]]) -> list[_Sentence]:
    found: list[_Sentence] = []
    offset = 0
    for line in article.text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        if not line.strip() or generic(line):
            continue
        ends = (m for m in _SENTENCE_END.finditer(line) if not _abbreviated(line[: m.start()]))
        bounds = [0, *(m.end() for m in ends), len(line)]
        for left, right in itertools.pairwise(bounds):
            piece = line[left:right]
            start = line_start + left + len(piece) - len(piece.lstrip())
            end = line_start + left + len(piece.rstrip())
            text = article.text[start:end]
            if not _reporting(text) or any(s < end and start < e for s, e in spans):
                continue
            terms = Counter(content_terms(text, article.language))
            if terms:
                found.append(_Sentence(article, rank, len(found), start, end, terms))
    return found


def _abbreviated(before: str) -> bool:
    """Whether the full stop ending ``before`` belongs to an abbreviation or an initial."""
    match = _LAST_WORD.search(before.rstrip("\"”’')]"))
    if match is None:
        return False
    word = match.group(1).casefold()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _writers_question(text: str) -> bool:
    """A question the writer asks the reader ("What is it about them that ...?"): it
    reports nothing. A quoted question ("“Does this count?” she asked") may."""
    return text.rstrip("\"”’')]").endswith("?") and text[:1] not in "\"“‘'"


def _reporting(text: str) -> bool:
    """A full sentence of reporting: long enough, terminated, not a credit or prompt."""
    count = len(text.split())
    return (
        MIN_WORDS <= count <= MAX_WORDS
        and _TERMINATED.search(text) is not None
        and not _writers_question(text)
        and _NOT_REPORTING.search(text) is None
        and not generic(text)
    )


def _idf(documents: list[Counter[str]]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for terms in documents:
        df.update(terms.keys())
    total = len(documents)
    return {term: math.log((1 + total) / (1 + n)) + 1.0 for term, n in df.items()}


def _unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {t: v / norm for t, v in vector.items()} if norm else {}


def _cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(value * b.get(term, 0.0) for term, value in a.items())


def _mmr(candidates: list[_Sentence], wanted: int) -> list[_Sentence]:
    chosen: list[_Sentence] = []
    cited: set[str] = set()
    pool = list(candidates)
    # each candidate's highest similarity to a chosen sentence, updated with each pick
    # (one cosine per candidate and pick, not one per candidate and chosen sentence)
    overlaps = [0.0] * len(pool)
    while pool and len(chosen) < wanted:
        best, best_value = -1, -math.inf
        for number, sentence in enumerate(pool):
            overlap = overlaps[number]
            if overlap >= REDUNDANT:
                continue
            bonus = NEW_SOURCE_BONUS if chosen and sentence.group not in cited else 0.0
            value = MMR_LAMBDA * (sentence.score + bonus) - (1 - MMR_LAMBDA) * overlap
            if value > best_value:
                best, best_value = number, value
        if best < 0:
            break
        picked = pool.pop(best)
        overlaps.pop(best)
        chosen.append(picked)
        cited.add(picked.group)
        for number, sentence in enumerate(pool):
            if overlaps[number] < REDUNDANT:
                overlaps[number] = max(overlaps[number], _cosine(sentence.vector, picked.vector))
    return chosen


def _headline(articles: list[Article], centroid: Vector, idf: dict[str, float]) -> str | None:
    """The title of an independent report closest to the story's centroid."""
    best: tuple[float, int, str] | None = None
    for rank, article in enumerate(articles):
        title = _TITLE_SUFFIX.sub("", " ".join(article.title.split()))
        terms = Counter(content_terms(title, article.language))
        if not terms:
            continue
        vector = _unit({t: n * idf.get(t, 1.0) for t, n in terms.items()})
        score = _cosine(vector, centroid) * (COPY_WEIGHT if article.copy_of else 1.0)
        if best is None or (score, -rank) > (best[0], -best[1]):
            best = (score, rank, title)
    if best is not None:
        return best[2]
    return next((a.title.strip() for a in articles if a.title.strip()), None)


def _cite(sentence: _Sentence) -> dict[str, Any]:
    article = sentence.article
    return {
        "text": article.text[sentence.start : sentence.end],
        "article": article.id,
        "outlet": article.outlet,
        "start": sentence.start,
        "end": sentence.end,
    }

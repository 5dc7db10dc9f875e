"""Whether one body copies another, and which of an article's candidates it copies.

The pairwise decisions of the stage (:mod:`storyline.dedup.stage`), free of any
index: :func:`classify` on exact shingle sets, the costlier rewrite test
(:func:`rewrite_share`) for pairs that share enough, and :func:`best_of`, the pick
among candidates. The Spark job (:mod:`storyline.spark.dedup`) decides with the same
functions, so one candidate list gives one answer in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .boilerplate import Lines
from .index import IndexedDoc
from .settings import DedupSettings
from .sketch import U64, Overlap, aligned_sentences, compare, distinct, shingle

KIND_ORDER = {"exact": 4, "near": 3, "contained": 2, "rewrite": 1}
#: a rewrite keeps at least this share of the smaller text's word 4-grams (a cheap gate)
REWRITE_FLOOR = 0.15
#: candidates given the rewrite test per article (the ones sharing most 4-grams)
REWRITE_TRIES = 2


@dataclass(frozen=True, slots=True)
class Body:
    """What one text is compared by: its shingle set and its line fingerprints."""

    shingles: U64  # sorted, distinct
    length: int
    lines: U64
    words: U64  # token hashes of the body, in order
    text: str  # the body: the text without its boilerplate lines


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the stage derives from a new article before looking anything up."""

    lines: Lines
    body: Body
    bands: list[int]
    anchors: list[int]
    #: the outlet line keys the body was decided on: (eligible, those seen often enough)
    decided: tuple[tuple[int, ...], frozenset[int]] = ((), frozenset())

    @property
    def linkable(self) -> bool:
        return bool(self.bands)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A verified candidate: how the article copies it."""

    doc: IndexedDoc
    kind: str
    similarity: float
    overlap: Overlap | None

    def rank(self) -> tuple[int, float, int]:
        return (KIND_ORDER[self.kind], self.similarity, -self.doc.key)

    def features(self) -> dict[str, float]:
        if self.overlap is None:
            return {"exact": 1.0}
        o = self.overlap
        return {
            "jaccard": round(o.jaccard, 4),
            "contained": round(o.contained, 4),
            "cover": round(o.cover, 4),
            "shared_shingles": float(o.shared),
        }


def classify(overlap: Overlap, settings: DedupSettings) -> tuple[str, float] | None:
    """``("near", jaccard)``, ``("contained", containment)`` or None (not a copy).

    A text inside another that holds much more (the other way round, less than
    ``containment_threshold`` of it is shared) is contained even when the Jaccard
    would make it near: "teaser of" says more than "70% similar to".
    """
    inside = (
        overlap.contained >= settings.containment_threshold
        and overlap.cover >= settings.min_cover
        and overlap.shared >= settings.min_shingles
    )
    if inside and overlap.cover < settings.containment_threshold:
        return "contained", round(overlap.contained, 4)
    if overlap.jaccard >= settings.near_threshold:
        return "near", round(overlap.jaccard, 4)
    if inside:
        return "contained", round(overlap.contained, 4)
    return None


def verify(body: Body, theirs: Body, settings: DedupSettings) -> tuple[str, float, Overlap] | None:
    """How one body copies another, if it does: ``(kind, similarity, overlap)``.

    The pairwise test of the stage, without an index: :func:`classify` on the exact
    shingle sets, else the rewrite test for pairs that share enough. The Spark job
    verifies its LSH candidate pairs with it.
    """
    overlap = compare(body.shingles, theirs.shingles)
    found = classify(overlap, settings)
    if found is not None:
        return found[0], found[1], overlap
    if overlap.contained < REWRITE_FLOOR:
        return None
    share = rewrite_share(body, theirs, settings)
    return ("rewrite", share, overlap) if share is not None else None


def best_of(
    body: Body, candidates: Sequence[Body], settings: DedupSettings
) -> tuple[int, str, float, Overlap] | None:
    """The stage's pick among candidate bodies, given in arrival order (earliest first).

    Returns the chosen candidate's position with how it is copied. Every candidate
    is classified on exact shingle sets and the strongest kind, then similarity,
    then the earliest wins; if none is a copy, the ``REWRITE_TRIES`` sharing most
    of the smaller text get the costlier rewrite test. The stage and the Spark job
    both choose with it, so one candidate list gives one answer.
    """
    found: list[tuple[tuple[int, float, int], str, float, Overlap]] = []
    gray: list[tuple[float, int, Overlap]] = []
    for position, theirs in enumerate(candidates):
        overlap = compare(body.shingles, theirs.shingles)
        kind = classify(overlap, settings)
        if kind is not None:
            found.append(((KIND_ORDER[kind[0]], kind[1], -position), kind[0], kind[1], overlap))
        elif overlap.contained >= REWRITE_FLOOR:
            gray.append((overlap.contained, position, overlap))
    if not found:
        for _, position, overlap in sorted(gray, key=lambda g: (-g[0], g[1]))[:REWRITE_TRIES]:
            share = rewrite_share(body, candidates[position], settings)
            if share is not None:
                rank = (KIND_ORDER["rewrite"], share, -position)
                found.append((rank, "rewrite", share, overlap))
    if not found:
        return None
    best = max(found, key=lambda f: f[0])
    return -best[0][2], best[1], best[2], best[3]


def rewrite_share(body: Body, theirs: Body, settings: DedupSettings) -> float | None:
    """Share of sentences aligned when ``body`` is a paraphrase of ``theirs``, else None."""
    pairs = compare(distinct(shingle(body.words, 2)), distinct(shingle(theirs.words, 2)))
    if pairs.jaccard < settings.rewrite_pairs or pairs.shared < settings.min_shingles:
        return None
    share = aligned_sentences(body.text, theirs.text)
    if share < settings.rewrite_sentences:
        return None
    return round(share, 4)

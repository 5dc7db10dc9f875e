"""The dedup stage: link every copy to its original, online, in arrival order.

For each article, in order:

1. its lines are fingerprinted and boilerplate lines are set aside
   (:mod:`storyline.dedup.boilerplate`); the rest is the article's *body*;
2. candidates come from three lookups in the :class:`CopyIndex`: the same text
   hash (an exact copy), a shared LSH band of the body's MinHash signature (a near
   copy) and at least ``MIN_ANCHOR_HITS`` shared anchors (one text inside another);
3. at most ``max_candidates`` of them are verified on their exact shingle sets
   (:func:`classify`): a *contained* copy has at least ``containment_threshold`` of
   the smaller body inside the larger one, which holds notably more (a teaser, a
   truncation, paragraphs added), the shared part covering at least ``min_cover``
   of it; a *near* copy has Jaccard >= ``near_threshold``. If none verifies, the
   ``REWRITE_TRIES`` closest are tested for a *rewrite*: word pairs with Jaccard
   >= ``rewrite_pairs`` and at least ``rewrite_sentences`` of the shorter body's
   sentences with a counterpart in the other, in order
   (:func:`~storyline.dedup.sketch.aligned_sentences`);
4. the best verified candidate's group is the article's group. The group's
   original is its earliest published article; an undated article cannot prove it
   came first, so dated articles win; then the longest body; then the first to
   arrive. A newcomer that wins becomes the group's original: the group is
   re-pointed to it and the change is logged (``Assignment`` of kind ``copy``)
   for every article whose link changed.

Steps 1 and the sketch of 2 need nothing the batch's own articles change, except
the outlet line counts, so :meth:`Deduplicator.prepare` derives them for a whole
ingest batch at once (:mod:`storyline.dedup.batch`) and, on SQLite, reads the
batch's keys in one query each; the decisions stay per article, in order, with the
same results as one article at a time.

A candidate's body is the one the line counts give when it is compared (a
cached body is reused only while its outlet lines are decided the same way), so
no decision depends on what happens to be cached; the Spark job
(:mod:`storyline.spark.dedup`) relies on that to make the same decisions.

Bodies with fewer than ``min_shingles`` distinct shingles (a few words, one word
repeated) are never linked as near, contained or rewritten copies, in either
direction; identical texts are, once they hold ``shingle_words`` distinct shingles.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from rensa import RMinHash

from ..config import Config
from ..errors import ConfigError
from ..model import Article, Assignment, CopyLink
from ..pipeline import BaseStage
from ..text import text_hash
from . import boilerplate
from .batch import (
    BatchView,
    Prepared,
    anchors_batch,
    band_keys_batch,
    bodies_batch,
    fingerprint_batch,
)
from .boilerplate import Lines, Span
from .index import CopyIndex, IndexedDoc, InMemoryCopyIndex, Lookups, NewDoc
from .sketch import (
    U64,
    Overlap,
    Tokens,
    aligned_sentences,
    anchors,
    band_keys,
    compare,
    distinct,
    shingle,
    signature,
    to_signed,
    tokenise,
    tokenise_many,
)

#: an anchor-only candidate must share at least this many anchors
MIN_ANCHOR_HITS = 2
#: index rows read per band key or anchor (the oldest first, where originals are)
PER_KEY = 16
#: bump when tokenising or hashing changes: stored keys are then unusable
SCHEME = 1
KIND_ORDER = {"exact": 4, "near": 3, "contained": 2, "rewrite": 1}
#: a rewrite keeps at least this share of the smaller text's word 4-grams (a cheap gate)
REWRITE_FLOOR = 0.15
#: candidates given the rewrite test per article (the ones sharing most 4-grams)
REWRITE_TRIES = 2


@dataclass(frozen=True, slots=True)
class DedupSettings:
    """The ``dedup_*`` settings of :class:`Config`, checked."""

    shingle_words: int = 4
    num_perm: int = 64
    bands: int = 16
    near_threshold: float = 0.5
    containment_threshold: float = 0.8
    min_cover: float = 0.1
    rewrite_pairs: float = 0.2
    rewrite_sentences: float = 0.6
    min_shingles: int = 20
    anchor_rate: int = 8
    anchors: int = 16
    max_candidates: int = 8
    boilerplate_articles: int = 3
    boilerplate_max_words: int = 30
    seed: int = 1

    @classmethod
    def from_config(cls, config: Config) -> DedupSettings:
        settings = cls(
            shingle_words=config.dedup_shingle_words,
            num_perm=config.dedup_num_perm,
            bands=config.dedup_bands,
            near_threshold=config.dedup_near_threshold,
            containment_threshold=config.dedup_containment_threshold,
            min_cover=config.dedup_min_cover,
            rewrite_pairs=config.dedup_rewrite_pairs,
            rewrite_sentences=config.dedup_rewrite_sentences,
            min_shingles=config.dedup_min_shingles,
            anchor_rate=config.dedup_anchor_rate,
            anchors=config.dedup_anchors,
            max_candidates=config.dedup_max_candidates,
            boilerplate_articles=config.dedup_boilerplate_articles,
            boilerplate_max_words=config.dedup_boilerplate_max_words,
        )
        settings.check()
        return settings

    def check(self) -> None:
        if self.shingle_words < 1 or self.num_perm < 1 or self.bands < 1:
            raise ConfigError("dedup_shingle_words, dedup_num_perm, dedup_bands must be >= 1")
        if self.num_perm % self.bands:
            raise ConfigError(
                f"dedup_num_perm ({self.num_perm}) must be a multiple of dedup_bands ({self.bands})"
            )
        names = ("near_threshold", "containment_threshold", "min_cover", "rewrite_pairs")
        for name in (*names, "rewrite_sentences"):
            if not 0 < getattr(self, name) <= 1:
                raise ConfigError(f"dedup_{name} must be in (0, 1]")

    def index_params(self) -> dict[str, int | str]:
        """What stored keys depend on: a store refuses to mix two sets of these."""
        return {
            "scheme": SCHEME,
            "rensa": int(RMinHash.ALGORITHM_VERSION),
            "shingle_words": self.shingle_words,
            "num_perm": self.num_perm,
            "bands": self.bands,
            "anchor_rate": self.anchor_rate,
            "seed": self.seed,
        }


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


def rank(published: datetime | None, length: int, key: float) -> tuple[bool, float, int, float]:
    """Sort key of a group's members: the smallest is the group's original."""
    stamp = published.timestamp() if published is not None else 0.0
    return (published is None, stamp, -length, key)


class Deduplicator(BaseStage):
    """Sets ``copy_of`` on each article that copies one seen before (or re-points its group)."""

    name: ClassVar[str] = "dedup"
    requires: ClassVar[tuple[str, ...]] = ("text", "outlet", "published")
    provides: ClassVar[tuple[str, ...]] = ("copy_of",)

    def __init__(
        self,
        config: Config | None = None,
        index: CopyIndex | None = None,
        *,
        cache_size: int = 512,
    ) -> None:
        """``index`` defaults to an in-memory one; ``cache_size`` bodies of recent
        articles are kept for verification (copies tend to follow their originals)."""
        self.settings = DedupSettings.from_config(config or Config())
        self.index: CopyIndex = index if index is not None else InMemoryCopyIndex()
        self.index.bind(self.settings.index_params())
        self.assignments: list[Assignment] = []
        #: the article whose copy group the last article joined (its original, or the
        #: original it displaced), None when it copies nothing
        self.joined: str | None = None
        self._cache: OrderedDict[int, tuple[Body, tuple[tuple[int, ...], frozenset[int]]]] = (
            OrderedDict()
        )
        self._cache_size = cache_size
        self._pending: dict[int, Prepared] = {}
        #: outlet lines counted since the batch was prepared
        self._added_lines: set[int] = set()
        self._view: BatchView | None = None
        #: copies indexed before their original (:meth:`index_linked`), by original
        self._waiting: dict[str, list[tuple[int, CopyLink]]] = {}

    # -- the stage ------------------------------------------------------------

    def __call__(self, article: Article, digest: str | None = None) -> Article:
        """Link ``article`` to its original, if it copies one; ``digest`` is its text hash.

        An article of the batch last given to :meth:`prepare` uses what was derived
        and looked up for the batch; any other is analysed and looked up alone."""
        digest = digest or text_hash(article.text)
        prepared = self._take(article)
        analysis = self._confirm(prepared) if prepared is not None else None
        if analysis is not None:
            verdict = self._best_match(analysis, digest, self._view or self.index)
        else:
            tokens = prepared.tokens if prepared is not None else None
            analysis = self.analyse(article.text, article.outlet, tokens)
            verdict = self._best_match(analysis, digest, self.index)
        article.copy_of = None
        self.joined = None
        if verdict is None:
            key = self._add(article, digest, analysis, None, None)
            self._remember(key, analysis.body, analysis.decided)
            return article
        found = verdict.doc
        root = found if found.is_root else self.index.docs([found.root])[0]
        evidence = verdict if root.key == found.key else self._against(analysis, root, verdict)
        self.joined = root.id
        mine = rank(article.published, analysis.body.length, float("inf"))
        if mine < rank(root.published, root.length, root.key):
            key = self._add(article, digest, analysis, None, verdict)
            self._take_over(article, root, key, evidence)
        else:
            link = CopyLink(root.id, evidence.kind, evidence.similarity)
            article.copy_of = link
            key = self._add(article, digest, analysis, root.key, verdict)
            self.assignments.append(
                copy_assignment(article.id, link, evidence.features(), evidence.doc.id)
            )
        self._remember(key, analysis.body, analysis.decided)
        return article

    def index_linked(self, article: Article, digest: str) -> None:
        """Index an article whose copy link was decided elsewhere, keeping that link.

        ``storyline import`` loads the Spark job's output with it, so that later
        ingests find the imported articles as originals, as if they had been
        ingested. ``article.copy_of`` names its group's original; an original
        indexed after its copies (a tie in publication order) takes the group over.
        """
        analysis = self.analyse(article.text, article.outlet)
        link = article.copy_of
        root = self.index.key_of(link.original) if link is not None else None
        kind = link.kind if link is not None else None
        original = self.index.docs([root])[0] if root is not None else None
        key = self.index.add(self._new_doc(article, digest, analysis, root, kind, original))
        if link is not None and root is None:
            self._waiting.setdefault(link.original, []).append((key, link))
        for copy, copied in self._waiting.pop(article.id, []):
            self.index.repoint(copy, key, copied)
        self._remember(key, analysis.body, analysis.decided)

    def pipe(self, articles: Iterable[Article], batch_size: int = 64) -> Iterator[Article]:
        """Articles in order, each batch of ``batch_size`` analysed at once."""
        chunk: list[Article] = []
        for article in articles:
            chunk.append(article)
            if len(chunk) >= batch_size:
                yield from self._run(chunk)
                chunk = []
        if chunk:
            yield from self._run(chunk)

    def _run(self, chunk: list[Article]) -> Iterator[Article]:
        self.prepare(chunk)
        for article in chunk:
            yield self(article)

    def prepare(self, articles: Sequence[Article], digests: Sequence[str] | None = None) -> None:
        """Analyse a batch of articles at once and read what the index holds for all of
        them in one go, before they are linked one by one, in order, by calling the
        stage on each (``digests``: their text hashes, if known).

        The results are those of calling the stage on each article alone: an article
        is still compared with the batch's earlier ones (what they add to the index
        is kept beside what was read), and one whose boilerplate lines change because
        an earlier article of the batch counted them is analysed again alone.
        """
        s = self.settings
        texts = [article.text for article in articles]
        tokens = tokenise_many(texts)
        fingerprinted = fingerprint_batch(
            tokens, [a.outlet for a in articles], s.boilerplate_max_words
        )
        eligible = [
            to_signed(lines.keys[lines.short]) if lines.keys.size else [] for lines in fingerprinted
        ]
        keys = sorted({key for mine in eligible for key in mine})
        counts = self.index.line_counts(keys) if keys else {}
        needed = s.boilerplate_articles - 1
        generics = [
            boilerplate.generic_lines(t, f) for t, f in zip(texts, fingerprinted, strict=True)
        ]
        decided = [
            boilerplate.decide(text, lines, counts, needed, found)
            for text, lines, found in zip(texts, fingerprinted, generics, strict=True)
        ]
        bodies, shingled = bodies_batch(tokens, texts, decided, s.shingle_words)
        linkable = [n for n, b in enumerate(bodies) if b.shingles.size >= s.min_shingles]
        every = anchors_batch(shingled, s.anchor_rate, s.anchors)
        picked = [every[n] for n in linkable]
        bands = band_keys_batch([bodies[n].shingles for n in linkable], s.num_perm, s.bands, s.seed)
        sketches: dict[int, tuple[list[int], list[int]]] = {
            n: (to_signed(bands[row]), to_signed(picked[row])) for row, n in enumerate(linkable)
        }
        entries = []
        for number, (article, parts) in enumerate(zip(articles, bodies, strict=True)):
            lines = decided[number]
            body = Body(
                parts.shingles, int(parts.words.size), lines.hashes, parts.words, parts.text
            )
            band, anchor = sketches.get(number, ([], []))
            entries.append(
                Prepared(
                    article,
                    article.text,
                    tokens,
                    number,
                    fingerprinted[number],
                    eligible[number],
                    generics[number],
                    Analysis(
                        lines,
                        body,
                        band,
                        anchor,
                        (tuple(eligible[number]), _seen(counts, needed, eligible[number])),
                    ),
                )
            )
        self._pending = {id(entry.article): entry for entry in entries}
        self._added_lines = set()
        self._view = None
        if self.index.prefetch:
            wanted = list(digests) if digests is not None else [text_hash(t) for t in texts]
            self._view = BatchView(
                self.index,
                counts,
                keys,
                {k for entry in entries for k in entry.analysis.bands},
                {k for entry in entries for k in entry.analysis.anchors},
                wanted,
                PER_KEY,
            )

    def _take(self, article: Article) -> Prepared | None:
        """The prepared entry of ``article`` (once), or None if it has none or changed."""
        if not self._pending:
            self._view = None  # the batch is done: lookups go to the index again
            return None
        entry = self._pending.pop(id(article), None)
        if entry is None or entry.article is not article or entry.text is not article.text:
            return None
        return entry

    def _confirm(self, prepared: Prepared) -> Analysis | None:
        """The prepared analysis if its boilerplate still holds, else None (the caller
        analyses the article alone)."""
        if self._added_lines.isdisjoint(prepared.eligible):
            return prepared.analysis  # no count it was decided by has changed
        s = self.settings
        text, lines = prepared.text, prepared.lines
        lookups = self._view or self.index
        counts = lookups.line_counts(prepared.eligible)
        needed = s.boilerplate_articles - 1
        now = boilerplate.decide(text, lines, counts, needed, prepared.generic)
        if np.array_equal(now.boilerplate, prepared.analysis.lines.boilerplate):
            eligible = tuple(prepared.eligible)
            return replace(prepared.analysis, decided=(eligible, _seen(counts, needed)))
        return None

    def drain(self) -> list[Assignment]:
        """Decisions logged since the last drain, for the store to write."""
        logged, self.assignments = self.assignments, []
        return logged

    def boilerplate_spans(self, article: Article, *, indexed: bool = False) -> list[Span]:
        """Character spans of ``article.text`` that are boilerplate, as known now.

        ``indexed``: the article has been through this stage already, so its own
        lines are among the counts.
        """
        tokens = tokenise(article.text)
        lines = self._lines(article.text, tokens, article.outlet, counted=indexed)
        return boilerplate.spans(article.text, lines)

    # -- analysis -------------------------------------------------------------

    def analyse(self, text: str, outlet: str | None, tokens: Tokens | None = None) -> Analysis:
        """What the stage compares ``text`` by (``tokens``: its tokens, if known)."""
        s = self.settings
        lines, body, ordered, numeric, decided = self._body(text, outlet, tokens)
        if body.shingles.size < s.min_shingles:
            return Analysis(lines, body, [], [], decided)
        picked = anchors(ordered, body.words, numeric, s.shingle_words, s.anchor_rate, s.anchors)
        bands = band_keys(signature(body.shingles, s.num_perm, s.seed), s.bands)
        return Analysis(lines, body, to_signed(bands), to_signed(picked), decided)

    def _body(
        self, text: str, outlet: str | None, tokens: Tokens | None = None
    ) -> tuple[Lines, Body, U64, npt.NDArray[np.bool_], tuple[tuple[int, ...], frozenset[int]]]:
        """The body of ``text``, its lines, its shingles in reading order, which of its
        words are numbers and the outlet lines it was decided on: all that verifying a
        candidate needs (no sketch)."""
        if tokens is None:
            tokens = tokenise(text)
        lines, decided = self._decide(text, tokens, outlet)
        body_text, numeric = text, tokens.numeric
        if lines.boilerplate.any():
            dropped = np.zeros(tokens.lines, dtype=np.bool_)
            dropped[lines.index[lines.boilerplate]] = True
            kept = ~dropped[tokens.line]
            words, numeric = tokens.hashes[kept], tokens.numeric[kept]
            raw = text.split("\n")
            body_text = "\n".join(raw[i] for i in np.flatnonzero(~dropped[: len(raw)]).tolist())
        else:
            words = tokens.hashes
        ordered = shingle(words, self.settings.shingle_words)
        body = Body(distinct(ordered), int(words.size), lines.hashes, words, body_text)
        return lines, body, ordered, numeric, decided

    def _lines(self, text: str, tokens: Tokens, outlet: str | None, counted: bool = False) -> Lines:
        return self._decide(text, tokens, outlet, counted)[0]

    def _decide(
        self, text: str, tokens: Tokens, outlet: str | None, counted: bool = False
    ) -> tuple[Lines, tuple[tuple[int, ...], frozenset[int]]]:
        s = self.settings
        lines = boilerplate.fingerprint_lines(tokens, outlet, s.boilerplate_max_words)
        eligible = tuple(to_signed(lines.keys[lines.short])) if lines.keys.size else ()
        counts = (self._view or self.index).line_counts(eligible) if eligible else {}
        needed = s.boilerplate_articles - (0 if counted else 1)
        return boilerplate.decide(text, lines, counts, needed), (eligible, _seen(counts, needed))

    def _body_of(self, doc: IndexedDoc) -> Body:
        """The body of an indexed article as the line counts stand now.

        A cached body is reused only while its outlet lines are still decided the
        same way: a line that has since become boilerplate changes the body, and the
        verdict must not depend on whether the article was still in the cache.
        """
        cached = self._cache.get(doc.key)
        if cached is not None:
            body, (eligible, seen) = cached
            if not eligible or self._seen_now(eligible) == seen:
                self._cache.move_to_end(doc.key)
                return body
        text, outlet = self.index.source(doc.key)
        found = self._body(text, outlet)
        self._remember(doc.key, found[1], found[4])
        return found[1]

    def _seen_now(self, eligible: tuple[int, ...]) -> frozenset[int]:
        """Which of these outlet line keys are boilerplate by their counts, now."""
        counts = (self._view or self.index).line_counts(eligible)
        return _seen(counts, self.settings.boilerplate_articles - 1)

    def _remember(
        self, key: int, body: Body, decided: tuple[tuple[int, ...], frozenset[int]]
    ) -> None:
        """Cache ``body`` with the outlet lines its boilerplate was decided on."""
        self._cache[key] = (body, decided)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    # -- matching -------------------------------------------------------------

    def _best_match(self, analysis: Analysis, digest: str, lookups: Lookups) -> Verdict | None:
        s = self.settings
        if analysis.body.shingles.size >= s.shingle_words:  # a few distinct words at least
            exact = lookups.by_text_hash(digest)
            if exact:
                return Verdict(min(exact, key=lambda d: d.key), "exact", 1.0, None)
        if not analysis.linkable:
            return None
        by_band = lookups.by_bands(analysis.bands, PER_KEY)
        by_anchor = lookups.by_anchors(analysis.anchors, PER_KEY)
        scored = {
            key: by_band.get(key, 0) * 4 + by_anchor.get(key, 0)
            for key in by_band.keys() | by_anchor.keys()
            if key in by_band or by_anchor[key] >= MIN_ANCHOR_HITS
        }
        if not scored:
            return None
        chosen = sorted(sorted(scored, key=lambda k: (-scored[k], k))[: s.max_candidates])
        docs = self.index.docs(chosen)
        picked = best_of(analysis.body, [self._body_of(doc) for doc in docs], s)
        if picked is None:
            return None
        position, kind, similarity, overlap = picked
        return Verdict(docs[position], kind, similarity, overlap)

    def _verify(self, body: Body, doc: IndexedDoc) -> Verdict | None:
        """How ``body`` copies the indexed article ``doc``, if it does."""
        found = verify(body, self._body_of(doc), self.settings)
        return Verdict(doc, *found) if found is not None else None

    def _against(self, analysis: Analysis, root: IndexedDoc, via: Verdict) -> Verdict:
        """The evidence against the group's original itself, or the member's if it fails."""
        if via.kind == "exact":
            return Verdict(root, via.kind, via.similarity, via.overlap)
        return self._verify(analysis.body, root) or via

    # -- writing --------------------------------------------------------------

    def _add(
        self,
        article: Article,
        digest: str,
        analysis: Analysis,
        root: int | None,
        verdict: Verdict | None,
    ) -> int:
        kind, copied = (verdict.kind, verdict.doc) if verdict is not None else (None, None)
        doc = self._new_doc(article, digest, analysis, root, kind, copied)
        key = self.index.add(doc)
        if self._pending:
            self._added_lines.update(doc.lines)
        if self._view is not None:
            self._view.added(key, doc)
        return key

    def _new_doc(
        self,
        article: Article,
        digest: str,
        analysis: Analysis,
        root: int | None,
        kind: str | None,
        copied: IndexedDoc | None,
    ) -> NewDoc:
        """What the index keeps of ``article``, a copy of kind ``kind`` of ``copied``
        (or of nothing): the lines it shares with what it copies are that article's
        lines, not its outlet's habits, so they are not counted for the outlet."""
        lines = analysis.lines
        counted = lines.keys[lines.short] if lines.keys.size else lines.keys
        if counted.size and kind is not None:
            if kind == "exact":
                counted = counted[:0]
            elif copied is not None:
                theirs = set(self._body_of(copied).lines.tolist())
                counted = counted[[h not in theirs for h in lines.hashes[lines.short].tolist()]]
        return NewDoc(
            id=article.id,
            root=root,
            published=article.published,
            length=analysis.body.length,
            text_hash=digest,
            bands=analysis.bands,
            anchors=analysis.anchors,
            lines=to_signed(distinct(counted)),
            text=article.text,
            outlet=article.outlet,
            link=article.copy_of,
        )

    def _take_over(self, article: Article, old: IndexedDoc, key: int, evidence: Verdict) -> None:
        """``article`` was published before the group's original: it becomes the original."""
        link = CopyLink(article.id, evidence.kind, evidence.similarity)
        changed = self.index.repoint(old.root, key, link)
        when = _date(article.published)
        reason = (
            f"re-pointed to {article.id} (published {when}), which predates "
            f"the former original {old.id} (published {_date(old.published)})"
        )
        for article_id in changed:
            self.assignments.append(
                Assignment(
                    article=article_id,
                    kind="copy",
                    target=article.id,
                    created=False,
                    score=evidence.similarity if article_id == old.id else 1.0,
                    features=evidence.features() if article_id == old.id else {},
                    reason=reason,
                )
            )
        self.assignments.append(
            Assignment(
                article=article.id,
                kind="copy",
                target=article.id,
                created=True,
                score=evidence.similarity,
                features=evidence.features(),
                reason=(
                    f"original of {len(changed)} copies: {evidence.kind} match with "
                    f"{old.id}, published {when}, before it ({_date(old.published)})"
                ),
            )
        )


def copy_assignment(
    article_id: str, link: CopyLink, features: dict[str, float], matched: str | None
) -> Assignment:
    """The logged reason a copy links to its original (``matched``: the article it matched)."""
    measure = "identical text" if link.kind == "exact" else f"similarity {link.similarity:.3f}"
    via = f" (matched {matched})" if matched and matched != link.original else ""
    return Assignment(
        article=article_id,
        kind="copy",
        target=link.original,
        created=False,
        score=link.similarity,
        features=features,
        reason=f"{link.kind} copy of {link.original}: {measure}{via}",
    )


def _date(value: datetime | None) -> str:
    return value.isoformat() if value is not None else "undated"


def _seen(
    counts: Mapping[int, int], needed: int, keys: Iterable[int] | None = None
) -> frozenset[int]:
    """The outlet line keys (of ``keys``, or all counted) counted often enough to be
    boilerplate: what a body's boilerplate was decided on."""
    wanted = counts.keys() if keys is None else keys
    return frozenset(key for key in wanted if counts.get(key, 0) >= max(needed, 1))

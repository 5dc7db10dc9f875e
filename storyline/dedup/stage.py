"""The dedup stage: link every copy to its original, online, in arrival order.

For each article, in order:

1. its lines are fingerprinted and boilerplate lines are set aside
   (:mod:`storyline.dedup.boilerplate`); the rest is the article's *body*;
2. candidates come from three lookups in the :class:`CopyIndex`: the same text
   hash (an exact copy), a shared LSH band of the body's MinHash signature (a near
   copy) and at least ``MIN_ANCHOR_HITS`` shared anchors (one text inside another);
3. at most ``max_candidates`` of them are verified on their exact shingle sets
   (:func:`~storyline.dedup.matching.best_of`): a *contained* copy has at least
   ``containment_threshold`` of the smaller body inside the larger one, which holds
   notably more (a teaser, a truncation, paragraphs added), the shared part covering
   at least ``min_cover`` of it; a *near* copy has Jaccard >= ``near_threshold``. If
   none verifies, the ``REWRITE_TRIES`` closest are tested for a *rewrite*: word
   pairs with Jaccard >= ``rewrite_pairs`` and at least ``rewrite_sentences`` of the
   shorter body's sentences with a counterpart in the other, in order
   (:func:`~storyline.dedup.sketch.aligned_sentences`);
4. the best verified candidate's group is the article's group. The group's
   original is its earliest published article; an undated article cannot prove it
   came first, so dated articles win; then the longest body; then the first to
   arrive. A newcomer that wins becomes the group's original: the group is
   re-pointed to it and the change is logged (``Assignment`` of kind ``copy``)
   for every article whose link changed (:mod:`storyline.dedup.groups`).

Steps 1 and the sketch of 2 need nothing the batch's own articles change, except
the outlet line counts, so :meth:`Deduplicator.prepare` derives them for a whole
ingest batch at once (:func:`storyline.dedup.batch.prepare_batch`) and, on SQLite,
reads the batch's keys in one query each; the decisions stay per article, in order, with the
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

import bisect
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from ..config import Config
from ..model import Article, Assignment, CopyLink
from ..pipeline import BaseStage
from ..text import text_hash
from . import boilerplate
from .batch import BatchView, Prepared, prepare_batch, reconfirm
from .boilerplate import Lines, Span, seen_often
from .groups import copy_assignment, rank, take_over
from .index import CopyIndex, IndexedDoc, InMemoryCopyIndex, Lookups, NewDoc
from .matching import Analysis, Body, Verdict, best_of, verify
from .settings import DedupSettings
from .sketch import (
    U64,
    Tokens,
    anchors,
    band_keys,
    distinct,
    shingle,
    signature,
    to_signed,
    tokenise,
)

#: an anchor-only candidate must share at least this many anchors
MIN_ANCHOR_HITS = 2
#: index rows read per band key or anchor (the oldest first, where originals are)
PER_KEY = 16


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
        #: bodies by index key, each with its unsettled outlet lines (:meth:`_remember`)
        self._cache: OrderedDict[int, tuple[Body, tuple[int, ...]]] = OrderedDict()
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
            match = self._best_match(analysis, digest, self._view or self.index)
        else:
            tokens = prepared.tokens if prepared is not None else None
            analysis = self.analyse(article.text, article.outlet, tokens)
            match = self._best_match(analysis, digest, self.index)
        article.copy_of = None
        self.joined = None
        if match is None:
            key = self._add(article, digest, analysis, None, None, None)
            self._remember(key, analysis.body, analysis.decided)
            return article
        verdict, theirs = match
        found = verdict.doc
        root = found if found.is_root else self.index.docs([found.root])[0]
        evidence = verdict if root.key == found.key else self._against(analysis, root, verdict)
        self.joined = root.id
        mine = rank(article.published, analysis.body.length, float("inf"))
        if mine < rank(root.published, root.length, root.key):
            key = self._add(article, digest, analysis, None, verdict.kind, theirs)
            self.assignments.extend(take_over(self.index, article, root, key, evidence))
        else:
            link = CopyLink(root.id, evidence.kind, evidence.similarity)
            article.copy_of = link
            key = self._add(article, digest, analysis, root.key, verdict.kind, theirs)
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
        theirs = None
        if root is not None and kind not in (None, "exact") and analysis.decided[0]:
            theirs = self._body_of(self.index.docs([root])[0])
        key = self.index.add(self._new_doc(article, digest, analysis, root, kind, theirs))
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
        entries, view = prepare_batch(self.settings, self.index, articles, digests, PER_KEY)
        self._pending = {id(entry.article): entry for entry in entries}
        self._added_lines = set()
        self._view = view

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
        return reconfirm(prepared, self._view or self.index, self.settings)

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
            body_text = "\n".join([raw[i] for i in np.flatnonzero(~dropped[: len(raw)]).tolist()])
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
        return boilerplate.decide(text, lines, counts, needed), (
            eligible,
            seen_often(counts, needed),
        )

    def _body_of(self, doc: IndexedDoc) -> Body:
        """The body of an indexed article as the line counts stand now.

        A cached body is reused only while its outlet lines are still decided the
        same way: a line that has since become boilerplate changes the body, and the
        verdict must not depend on whether the article was still in the cache.
        """
        cached = self._cache.get(doc.key)
        if cached is not None:
            body, unsettled = cached
            if not unsettled or not self._now_often(unsettled):
                self._cache.move_to_end(doc.key)
                return body
        text, outlet = self.index.source(doc.key)
        found = self._body(text, outlet)
        self._remember(doc.key, found[1], found[4])
        return found[1]

    def _now_often(self, keys: tuple[int, ...]) -> bool:
        """Whether any of these outlet line keys is counted often enough to be boilerplate."""
        counts = (self._view or self.index).line_counts(keys)
        needed = max(self.settings.boilerplate_articles - 1, 1)
        return any(count >= needed for count in counts.values())

    def _remember(
        self, key: int, body: Body, decided: tuple[tuple[int, ...], frozenset[int]]
    ) -> None:
        """Cache ``body`` with the outlet lines that can still change it.

        Line counts only grow (each indexed article adds one to its lines; a store
        rolled back takes the stage with it), so a line counted often enough when the
        body was decided stays boilerplate: the body changes only when one of the
        others, its *unsettled* lines, reaches the count.
        """
        eligible, seen = decided
        unsettled = tuple(line for line in eligible if line not in seen) if seen else eligible
        self._cache[key] = (body, unsettled)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    # -- matching -------------------------------------------------------------

    def _best_match(
        self, analysis: Analysis, digest: str, lookups: Lookups
    ) -> tuple[Verdict, Body | None] | None:
        """The article's best verified candidate, with that candidate's body as compared
        (None for an exact copy, found by its text hash alone)."""
        s = self.settings
        if analysis.body.shingles.size >= s.shingle_words:  # a few distinct words at least
            exact = lookups.by_text_hash(digest)
            if exact:
                return Verdict(min(exact, key=lambda d: d.key), "exact", 1.0, None), None
        if not analysis.linkable:
            return None
        chosen = _candidates(
            lookups.by_bands(analysis.bands, PER_KEY),
            lookups.by_anchors(analysis.anchors, PER_KEY),
            s.max_candidates,
        )
        if not chosen:
            return None
        docs = self.index.docs(chosen)
        bodies = [self._body_of(doc) for doc in docs]
        picked = best_of(analysis.body, bodies, s)
        if picked is None:
            return None
        position, kind, similarity, overlap = picked
        return Verdict(docs[position], kind, similarity, overlap), bodies[position]

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
        kind: str | None,
        theirs: Body | None,
    ) -> int:
        doc = self._new_doc(article, digest, analysis, root, kind, theirs)
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
        theirs: Body | None,
    ) -> NewDoc:
        """What the index keeps of ``article``, a copy of kind ``kind`` of the article
        whose body is ``theirs`` (or of nothing; an exact copy needs no body): the lines
        it shares with what it copies are that article's lines, not its outlet's
        habits, so they are not counted for the outlet."""
        lines = analysis.lines
        counted: Sequence[int] = analysis.decided[0]  # the outlet keys of its short lines
        if counted and kind is not None:
            if kind == "exact":
                counted = ()
            elif theirs is not None:
                shared = set(theirs.lines.tolist())
                mine = lines.hashes[lines.short].tolist()  # the same lines, in the same order
                counted = [
                    key for key, line in zip(counted, mine, strict=True) if line not in shared
                ]
        return NewDoc(
            id=article.id,
            root=root,
            published=article.published,
            length=analysis.body.length,
            text_hash=digest,
            bands=analysis.bands,
            anchors=analysis.anchors,
            lines=_in_unsigned_order(counted),
            text=article.text,
            outlet=article.outlet,
            link=article.copy_of,
        )


def _candidates(by_band: dict[int, int], by_anchor: dict[int, int], limit: int) -> list[int]:
    """The keys of the ``limit`` articles scoring most (a shared band counts 4, a shared
    anchor 1; the earliest first among equals), in arrival order. An article sharing
    no band needs ``MIN_ANCHOR_HITS`` anchors."""
    scored = {key: hits * 4 + by_anchor.get(key, 0) for key, hits in by_band.items()}
    for key, hits in by_anchor.items():
        if hits >= MIN_ANCHOR_HITS and key not in by_band:
            scored[key] = hits
    if len(scored) <= limit:  # all of them: no ranking needed
        return sorted(scored)
    return sorted(sorted(scored, key=lambda key: (-scored[key], key))[:limit])


def _in_unsigned_order(keys: Sequence[int]) -> list[int]:
    """Distinct signed 64-bit keys in the order of the unsigned hashes they store: the
    non-negative ones, then the negative ones (those of 2**63 and above)."""
    ordered = sorted(set(keys))
    split = bisect.bisect_left(ordered, 0)
    return ordered[split:] + ordered[:split]

"""Analysing a batch of texts at once, with the same results as one text at a time.

Most of what copy detection derives from a text is a handful of numpy operations
over its characters, words or shingles, and for a news article the fixed cost of
each call (about a microsecond) is comparable to its work. Here every step runs
once over a whole batch: the texts are tokenised as one (joined by line breaks,
which no token spans), line fingerprints, shingles and anchors are computed over
the concatenated tokens and cut at the texts' bounds, rensa signs every body in
one call and the band keys of all of them are one matrix product. Every hash is
independent of where its tokens start, so each text gets exactly the values the
one-at-a-time functions of :mod:`storyline.dedup.sketch` give it; a test checks it.

Which lines are boilerplate depends on what the index has counted, which changes
as the batch's articles are added; :func:`prepare_batch` analyses the batch with the
counts known when it starts, :func:`reconfirm` checks an article's boilerplate again
when its turn comes, and the stage re-analyses alone one whose boilerplate changed.
:class:`BatchView` answers the batch's lookups from what was read for all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from rensa import RMinHash

from ..model import Article
from ..text import text_hash
from . import boilerplate
from .boilerplate import Lines, outlet_hash, seen_often
from .index import CopyIndex, IndexedDoc, NewDoc
from .matching import Analysis, Body
from .settings import DedupSettings
from .sketch import (
    U64,
    TokenBatch,
    Tokens,
    _band_polynomial,
    distinct,
    is_stop,
    line_hashes,
    mix,
    shingle,
    to_signed,
    tokenise_many,
)


@dataclass(frozen=True, slots=True)
class BodyParts:
    """One text's body as :meth:`Deduplicator._body` derives it."""

    words: U64  # token hashes of the body, in order
    numeric: npt.NDArray[np.bool_]
    ordered: U64  # shingles in reading order
    shingles: U64  # sorted, distinct
    text: str


def fingerprint_batch(
    batch: TokenBatch, outlets: Sequence[str | None], max_words: int
) -> list[Lines]:
    """:func:`boilerplate.fingerprint_lines` of every text of the batch, none marked."""
    index, hashes, counts = line_hashes(batch.tokens)
    bounds = np.searchsorted(index, batch.line_starts)
    owners = [outlet_hash(outlet) for outlet in outlets]
    per_line = np.repeat(
        np.array([o if o is not None else 0 for o in owners], dtype=np.uint64), np.diff(bounds)
    )
    keys = mix(hashes ^ per_line)
    short = counts <= max_words
    found = []
    for number, owner in enumerate(owners):
        low, high = int(bounds[number]), int(bounds[number + 1])
        lines = index[low:high] - batch.line_starts[number]
        mine = keys[low:high] if owner is not None else np.zeros(0, dtype=np.uint64)
        none = np.zeros(high - low, dtype=np.bool_)
        found.append(Lines(lines, hashes[low:high], counts[low:high], mine, short[low:high], none))
    return found


@dataclass(frozen=True, slots=True)
class Shingled:
    """The bodies of a batch, concatenated: their words and shingles in reading order.

    Shingles are taken over the concatenation, so those spanning two bodies are
    there too; each body's own are ``ordered[starts[i] : starts[i + 1] - size + 1]``.
    """

    words: U64
    numeric: npt.NDArray[np.bool_]
    ordered: U64
    starts: npt.NDArray[np.intp]  # first word of each body, and the total after the last
    size: int

    def window(self, number: int) -> tuple[int, int]:
        low, high = int(self.starts[number]), int(self.starts[number + 1])
        return low, max(low, high - self.size + 1)


def bodies_batch(
    batch: TokenBatch, texts: Sequence[str], lines: Sequence[Lines], size: int
) -> tuple[list[BodyParts], Shingled]:
    """The body of every text: its tokens without its boilerplate lines, shingled."""
    tokens = batch.tokens
    dropped = np.zeros(tokens.lines, dtype=np.bool_)
    for number, marked in enumerate(lines):
        if marked.boilerplate.any():
            dropped[marked.index[marked.boilerplate] + batch.line_starts[number]] = True
    if dropped.any():
        kept = ~dropped[tokens.line]
        words, numeric = tokens.hashes[kept], tokens.numeric[kept]
        running = np.zeros(kept.size + 1, dtype=np.intp)
        np.cumsum(kept, out=running[1:])
        starts = running[batch.token_starts]
    else:
        words, numeric, starts = tokens.hashes, tokens.numeric, batch.token_starts
    shingled = Shingled(words, numeric, shingle(words, size), starts, size)
    found = []
    for number, text in enumerate(texts):
        low, high = shingled.window(number)
        mine = shingled.ordered[low:high]
        marked = lines[number]
        if marked.boilerplate.any():
            raw = text.split("\n")
            gone = set((marked.index[marked.boilerplate]).tolist())
            text = "\n".join(line for at, line in enumerate(raw) if at not in gone)
        end = int(starts[number + 1])
        found.append(BodyParts(words[low:end], numeric[low:end], mine, distinct(mine), text))
    return found, shingled


def anchors_batch(shingled: Shingled, rate: int, limit: int) -> list[U64]:
    """:func:`sketch.anchors` of every body: the shingles whose hash is 0 modulo
    ``rate`` with two strong words, found once over the batch, then the first
    ``limit`` distinct of each body."""
    count = shingled.starts.size - 1
    size, ordered = shingled.size, shingled.ordered
    where = (ordered % np.uint64(max(rate, 1)) == 0).nonzero()[0]
    if where.size == 0 or limit < 1:
        return [np.zeros(0, dtype=np.uint64) for _ in range(count)]
    strong = np.zeros(shingled.words.size + 1, dtype=np.int32)
    np.cumsum(~(is_stop(shingled.words) | shingled.numeric), out=strong[1:])
    where = where[(strong[where + size] - strong[where]) >= min(2, size)]
    bounds = np.searchsorted(where, shingled.starts)
    found = []
    for number in range(count):
        high = shingled.window(number)[1]
        mine = where[int(bounds[number]) : int(bounds[number + 1])]
        mine = ordered[mine[mine < high]].tolist()
        # the first ``limit`` distinct, in order; a few more than that nearly always hold them
        picked = dict.fromkeys(mine[: 4 * limit])
        if len(picked) < limit and len(mine) > 4 * limit:
            picked = dict.fromkeys(mine)
        found.append(np.fromiter(picked, dtype=np.uint64, count=len(picked))[:limit])
    return found


def band_keys_batch(sets: Sequence[U64], num_perm: int, bands: int, seed: int) -> U64:
    """LSH band keys of every shingle set, one row per set: one rensa call and one
    matrix product for the batch (:func:`sketch.signature`, :func:`sketch.band_keys`)."""
    if not sets:
        return np.zeros((0, bands), dtype=np.uint64)
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([s.size for s in sets], out=offsets[1:])
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(
        np.concatenate(sets), offsets.tolist(), num_perm, seed
    )
    digests = np.asarray(matrix.to_rows(), dtype=np.uint64).reshape(len(sets), bands, -1)
    start, powers = _band_polynomial(bands, digests.shape[2])
    return mix(start + digests @ powers)


@dataclass(frozen=True, slots=True)
class Prepared:
    """An article of a prepared batch and what was derived from it for the batch."""

    article: Article
    text: str  # the text analysed (the article's, unless it was changed since)
    batch: TokenBatch
    number: int  # of the article in ``batch``
    lines: Lines  # fingerprints, no boilerplate marked
    eligible: list[int]  # outlet fingerprints of the short lines, signed: what decides
    generic: npt.NDArray[np.bool_]  # lines a generic pattern matches
    analysis: Analysis  # with the boilerplate known when the batch was prepared

    @property
    def tokens(self) -> Tokens:
        return self.batch.doc(self.number)


class BatchView:
    """Lookups for the articles of one batch: what the index held for all of the
    batch's keys when it was prepared (one query per kind of key), plus what the stage
    has added since, in order, as the index itself would return it.

    Keys read when the batch was prepared hold at most ``per_key`` postings, the
    oldest; everything added since is newer, so appending it keeps the oldest first.
    A key that was not read then (an article analysed again alone) is looked up in
    the index, which holds everything.
    """

    def __init__(
        self,
        index: CopyIndex,
        counts: Mapping[int, int],
        line_keys: Iterable[int],
        bands: Iterable[int],
        anchors: Iterable[int],
        digests: Iterable[str],
        per_key: int,
    ) -> None:
        self.index = index
        self.per_key = per_key
        self._lines = dict.fromkeys(line_keys, 0)
        self._lines.update(counts)
        self._band_keys = set(bands)
        self._bands = index.postings("bands", sorted(self._band_keys), per_key)
        self._anchor_keys = set(anchors)
        self._anchors = index.postings("anchors", sorted(self._anchor_keys), per_key)
        self._digests = set(digests)
        self._hashes = index.text_hash_keys(sorted(self._digests))
        self._added_bands: dict[int, list[int]] = {}
        self._added_anchors: dict[int, list[int]] = {}
        self._added_hashes: dict[str, list[int]] = {}

    def added(self, key: int, doc: NewDoc) -> None:
        """Record what the stage has just added to the index."""
        for table, values in ((self._added_bands, doc.bands), (self._added_anchors, doc.anchors)):
            for value in values:
                table.setdefault(value, []).append(key)
        self._added_hashes.setdefault(doc.text_hash, []).append(key)
        lines = self._lines
        for line in doc.lines:
            if line in lines:
                lines[line] += 1

    def by_text_hash(self, digest: str) -> list[IndexedDoc]:
        if digest not in self._digests:
            return self.index.by_text_hash(digest)
        keys = self._hashes.get(digest, []) + self._added_hashes.get(digest, [])
        return self.index.docs(sorted(keys)[:16]) if keys else []

    def by_bands(self, keys: Sequence[int], per_key: int) -> dict[int, int]:
        return self._count(keys, per_key, self._band_keys, self._bands, self._added_bands, True)

    def by_anchors(self, keys: Sequence[int], per_key: int) -> dict[int, int]:
        return self._count(
            keys, per_key, self._anchor_keys, self._anchors, self._added_anchors, False
        )

    def line_counts(self, keys: Sequence[int]) -> dict[int, int]:
        lines = self._lines
        live = [key for key in keys if key not in lines]
        found = self.index.line_counts(live) if live else {}
        found.update({key: lines[key] for key in keys if lines.get(key)})
        return found

    def _count(
        self,
        keys: Sequence[int],
        per_key: int,
        read: set[int],
        postings: dict[int, list[int]],
        added: dict[int, list[int]],
        bands: bool,
    ) -> dict[int, int]:
        if per_key > self.per_key:
            read = set()
        found: dict[int, int] = {}
        live = []
        for key in keys:
            if key not in read:
                live.append(key)
                continue
            docs = postings.get(key, [])
            more = added.get(key)
            if more:
                docs = docs + more
            for doc in docs[:per_key]:
                found[doc] = found.get(doc, 0) + 1
        if live:
            fetch = self.index.by_bands if bands else self.index.by_anchors
            for doc, hits in fetch(live, per_key).items():
                found[doc] = found.get(doc, 0) + hits
        return found


def prepare_batch(
    settings: DedupSettings,
    index: CopyIndex,
    articles: Sequence[Article],
    digests: Sequence[str] | None,
    per_key: int,
) -> tuple[list[Prepared], BatchView | None]:
    """Every article of a batch analysed as the stage analyses it alone with the line
    counts the index holds now; and, where the index reads keys in bulk
    (``index.prefetch``), a :class:`BatchView` of what it holds for all the batch's
    keys, ``per_key`` postings each (``digests``: the articles' text hashes, if known).
    """
    s = settings
    texts = [article.text for article in articles]
    tokens = tokenise_many(texts)
    fingerprinted = fingerprint_batch(tokens, [a.outlet for a in articles], s.boilerplate_max_words)
    eligible = [
        to_signed(lines.keys[lines.short]) if lines.keys.size else [] for lines in fingerprinted
    ]
    keys = sorted({key for mine in eligible for key in mine})
    counts = index.line_counts(keys) if keys else {}
    needed = s.boilerplate_articles - 1
    generics = [boilerplate.generic_lines(t, f) for t, f in zip(texts, fingerprinted, strict=True)]
    decided = [
        boilerplate.decide(text, lines, counts, needed, found)
        for text, lines, found in zip(texts, fingerprinted, generics, strict=True)
    ]
    bodies, shingled = bodies_batch(tokens, texts, decided, s.shingle_words)
    sketches = _sketches(bodies, shingled, s)
    entries = []
    for number, (article, parts) in enumerate(zip(articles, bodies, strict=True)):
        lines = decided[number]
        body = Body(parts.shingles, int(parts.words.size), lines.hashes, parts.words, parts.text)
        band, anchor = sketches.get(number, ([], []))
        seen = seen_often(counts, needed, eligible[number])
        analysis = Analysis(lines, body, band, anchor, (tuple(eligible[number]), seen))
        entries.append(
            Prepared(
                article,
                article.text,
                tokens,
                number,
                fingerprinted[number],
                eligible[number],
                generics[number],
                analysis,
            )
        )
    if not index.prefetch:
        return entries, None
    wanted = list(digests) if digests is not None else [text_hash(t) for t in texts]
    view = BatchView(
        index,
        counts,
        keys,
        {k for entry in entries for k in entry.analysis.bands},
        {k for entry in entries for k in entry.analysis.anchors},
        wanted,
        per_key,
    )
    return entries, view


def _sketches(
    bodies: Sequence[BodyParts], shingled: Shingled, settings: DedupSettings
) -> dict[int, tuple[list[int], list[int]]]:
    """Band keys and anchors (signed, as stored) of the bodies that can be linked, by
    their number in the batch: those with at least ``min_shingles`` shingles."""
    s = settings
    linkable = [n for n, b in enumerate(bodies) if b.shingles.size >= s.min_shingles]
    every = anchors_batch(shingled, s.anchor_rate, s.anchors)
    picked = [every[n] for n in linkable]
    bands = band_keys_batch([bodies[n].shingles for n in linkable], s.num_perm, s.bands, s.seed)
    return {n: (to_signed(bands[row]), to_signed(picked[row])) for row, n in enumerate(linkable)}


def reconfirm(
    prepared: Prepared, lookups: BatchView | CopyIndex, settings: DedupSettings
) -> Analysis | None:
    """The prepared analysis of an article whose outlet lines were counted since the
    batch was prepared, if its boilerplate is still decided the same way; else None
    (the stage then analyses the article alone)."""
    counts = lookups.line_counts(prepared.eligible)
    needed = settings.boilerplate_articles - 1
    now = boilerplate.decide(prepared.text, prepared.lines, counts, needed, prepared.generic)
    if np.array_equal(now.boilerplate, prepared.analysis.lines.boilerplate):
        eligible = tuple(prepared.eligible)
        return replace(prepared.analysis, decided=(eligible, seen_often(counts, needed)))
    return None

"""Analysing a batch of texts at once, with the same results as one text at a time.

Most of what copy detection derives from a text is a handful of numpy operations
over its characters, words or shingles, and for a news article the fixed cost of
each call (about a microsecond) is comparable to its work. Here every step runs
once over a whole batch, on the texts' lines, words and shingles concatenated, and
the batch is cut into its texts only at the end. The texts are tokenised as one (as
if joined by line breaks, which no token spans: the compiled tokeniser reads them
as a list in one call); line fingerprints are computed over all the tokens; each
line of the batch is found as a span of its text (one compiled scan for line breaks,
no string made for every line), and the boilerplate decisions are made over all the
lines (one lookup of the outlet line counts, the generic patterns tried on the
batch's short lines only); the bodies' words are the tokens of the lines kept,
shingled as one, and a body's text is its text's runs of kept lines; each body's
distinct shingles come from sorting its own stretch of that array in place and one
comparison of neighbours over the batch; the anchors of every body are picked in one
compiled call that stops at each body's first few (:func:`sketch.anchors_many`);
rensa signs every body in one call and the band keys of all of them are one matrix
product. Every hash is independent of where its tokens start, so each text gets
exactly the values the one-at-a-time functions of :mod:`storyline.dedup.sketch` and
:mod:`storyline.dedup.boilerplate` give it; tests check each step against them.

Which lines are boilerplate depends on what the index has counted, which changes
as the batch's articles are added; :func:`prepare_batch` analyses the batch with the
counts known when it starts, :func:`reconfirm` checks an article's boilerplate again
when its turn comes, and the stage re-analyses alone one whose boilerplate changed.
:class:`BatchView` answers the batch's lookups from what was read for all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

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
    anchors_many,
    line_ends,
    line_hashes,
    mix,
    shingle,
    to_signed,
    tokenise_many,
)

_NO_KEYS = np.zeros(0, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class BatchLines:
    """The lines holding words of every text of a batch, one text after another:
    :func:`boilerplate.fingerprint_lines` of each text, concatenated."""

    index: npt.NDArray[np.intp]  # line number in its own text (``text.split("\n")``)
    at: npt.NDArray[np.intp]  # line number in the batch: the texts' lines one after another
    hashes: U64
    words: npt.NDArray[np.intp]
    keys: U64  # fingerprints tied to the outlet; meaningless where it is unknown
    short: npt.NDArray[np.bool_]
    counted: npt.NDArray[np.bool_]  # short, the outlet known: a count can make it boilerplate
    text: npt.NDArray[np.intp]  # the text of each line, by its number in the batch
    bounds: list[int]  # first line of each text, and the total after the last
    known: list[bool]  # whether each text's outlet is known

    def of(self, number: int, marked: npt.NDArray[np.bool_]) -> Lines:
        """The lines of one text, those of ``marked`` (a flag per line of the batch)
        marked as boilerplate."""
        low, high = self.bounds[number], self.bounds[number + 1]
        keys = self.keys[low:high] if self.known[number] else _NO_KEYS
        short = self.short[low:high]
        return Lines(
            self.index[low:high],
            self.hashes[low:high],
            self.words[low:high],
            keys,
            short,
            marked[low:high],
        )


def fingerprint_batch(
    batch: TokenBatch, outlets: Sequence[str | None], max_words: int
) -> BatchLines:
    """:func:`boilerplate.fingerprint_lines` of every text of the batch."""
    at, hashes, words = line_hashes(batch.tokens)
    bounds = np.searchsorted(at, batch.line_starts)
    owners = [outlet_hash(outlet) for outlet in outlets]
    known = [owner is not None for owner in owners]
    text_of = np.repeat(np.arange(len(owners)), np.diff(bounds))
    salt = np.array([o if o is not None else 0 for o in owners], dtype=np.uint64)
    short = words <= max_words
    return BatchLines(
        at - batch.line_starts[text_of],
        at,
        hashes,
        words,
        mix(hashes ^ salt[text_of]),
        short,
        short & np.array(known, dtype=np.bool_)[text_of],
        text_of,
        bounds.tolist(),
        known,
    )


@dataclass(frozen=True, slots=True)
class LineSpans:
    """Where every line of a batch's texts (``text.split("\\n")``, the texts' lines one
    after another) starts and ends in its text; NFKC never adds or removes a line break,
    so these are the lines the tokens were numbered by."""

    starts: list[int]
    ends: list[int]

    @classmethod
    def of(cls, texts: list[str], line_starts: npt.NDArray[np.intp]) -> LineSpans:
        """The spans of ``texts`` (``line_starts``: the first line of each, and the total)."""
        ends = line_ends(texts)
        starts = np.empty_like(ends)
        starts[1:] = ends[:-1] + 1  # past the line break ending the line before
        starts[line_starts[:-1]] = 0
        return cls(starts.tolist(), ends.tolist())


def generic_batch(
    texts: Sequence[str], spans: LineSpans, lines: BatchLines
) -> npt.NDArray[np.bool_]:
    """:func:`boilerplate.generic_lines` of every text of the batch: which of its short
    lines a generic pattern matches."""
    found = np.zeros(lines.at.size, dtype=np.bool_)
    candidates = lines.short.nonzero()[0]
    if candidates.size:
        generic, starts, ends = boilerplate.generic, spans.starts, spans.ends
        owners = lines.text[candidates].tolist()
        found[candidates] = [
            generic(texts[owner][starts[at] : ends[at]])
            for owner, at in zip(owners, lines.at[candidates].tolist(), strict=True)
        ]
    return found


@dataclass(frozen=True, slots=True)
class Bodies:
    """The bodies of a batch, concatenated: their words and shingles in reading order,
    and each body's sorted distinct shingles.

    Shingles are taken over the concatenation, so those spanning two bodies are
    there too; body ``i``'s own are ``ordered[low:high]`` for ``window(i)``.
    """

    words: U64
    numeric: npt.NDArray[np.bool_]
    ordered: U64
    starts: npt.NDArray[np.intp]  # first word of each body, and the total after the last
    size: int
    sets: U64  # each body's sorted distinct shingles, one body after another
    set_starts: list[int]  # where each body's are in ``sets``, and the total after the last

    def window(self, number: int) -> tuple[int, int]:
        low, high = int(self.starts[number]), int(self.starts[number + 1])
        return low, max(low, high - self.size + 1)

    def shingles(self, number: int) -> U64:
        """The sorted distinct shingles of one body."""
        return self.sets[self.set_starts[number] : self.set_starts[number + 1]]


def bodies_batch(
    batch: TokenBatch, lines: BatchLines, marked: npt.NDArray[np.bool_], size: int
) -> Bodies:
    """The body of every text: its tokens without the lines ``marked`` (boilerplate,
    a flag per line of ``lines``), shingled, with each body's distinct shingles."""
    tokens = batch.tokens
    if marked.any():
        dropped = np.zeros(tokens.lines, dtype=np.bool_)
        dropped[lines.at[marked]] = True
        lost = dropped[tokens.line]
        kept = ~lost
        words, numeric = np.compress(kept, tokens.hashes), np.compress(kept, tokens.numeric)
        # each body starts as many tokens earlier as its text's predecessors lost
        starts = batch.token_starts - np.searchsorted(lost.nonzero()[0], batch.token_starts)
    else:
        words, numeric, starts = tokens.hashes, tokens.numeric, batch.token_starts
    ordered = shingle(words, size)
    lows = starts[:-1]
    highs = np.maximum(lows, starts[1:] - size + 1)
    sets, set_starts = _distinct_windows(ordered, lows, highs)
    return Bodies(words, numeric, ordered, starts, size, sets, set_starts)


def _distinct_windows(
    values: U64, lows: npt.NDArray[np.intp], highs: npt.NDArray[np.intp]
) -> tuple[U64, list[int]]:
    """:func:`sketch.distinct` of each ``values[lows[i]:highs[i]]`` (ascending, disjoint
    windows), one after another, and where each starts (with the total after the last).

    The windows are gathered, each is sorted in place (numpy's sort is fast and a
    call costs little next to it), then one comparison of neighbours over all of them
    keeps the first of each run of equal values and each window's first value."""
    lows = np.minimum(lows, values.size)  # a window past the last value is empty
    highs = np.minimum(highs, values.size)
    lengths = highs - lows
    # what lies around the windows (shingles across two bodies) is left out
    runs = np.empty(2 * lengths.size + 1, dtype=np.intp)  # outside, inside, ..., outside
    runs[0:-1:2] = lows - np.concatenate(([0], highs[:-1]))
    runs[1::2] = lengths
    runs[-1] = values.size - (highs[-1] if highs.size else 0)
    inside = np.zeros(runs.size, dtype=np.bool_)
    inside[1::2] = True
    ordered = values[np.repeat(inside, runs)]
    starts = np.zeros(lengths.size + 1, dtype=np.intp)
    np.cumsum(lengths, out=starts[1:])
    bounds = starts.tolist()
    for low, high in pairwise(bounds):
        if high - low > 1:
            ordered[low:high].sort()
    keep = np.empty(ordered.size, dtype=np.bool_)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    keep[starts[:-1][lengths > 0]] = True
    kept = keep.nonzero()[0]
    return ordered[kept], np.searchsorted(kept, starts).tolist()


def anchors_batch(bodies: Bodies, rate: int, limit: int) -> tuple[list[int], list[int]]:
    """:func:`sketch.anchors` of every body (signed, as stored), one body after another,
    and where each body's start (with the total after the last)."""
    picked, counts = anchors_many(
        bodies.ordered, bodies.words, bodies.numeric, bodies.starts, bodies.size, rate, limit
    )
    starts = np.zeros(counts.size + 1, dtype=np.intp)
    np.cumsum(counts, out=starts[1:])
    return to_signed(picked), starts.tolist()


def band_keys_batch(sets: U64, starts: Sequence[int], num_perm: int, bands: int, seed: int) -> U64:
    """LSH band keys of every shingle set (set ``i`` is ``sets[starts[i]:starts[i + 1]]``),
    one row per set: one rensa call and one matrix product for the batch
    (:func:`sketch.signature`, :func:`sketch.band_keys`)."""
    if len(starts) < 2:
        return np.zeros((0, bands), dtype=np.uint64)
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(sets, list(starts), num_perm, seed)
    rows = len(starts) - 1
    digests = np.asarray(matrix.to_rows(), dtype=np.uint64).reshape(rows, bands, -1)
    start, powers = _band_polynomial(bands, digests.shape[2])
    return mix(start + digests @ powers)


@dataclass(frozen=True, slots=True)
class Prepared:
    """An article of a prepared batch and what was derived from it for the batch."""

    article: Article
    text: str  # the text analysed (the article's, unless it was changed since)
    batch: TokenBatch
    number: int  # of the article in ``batch``
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
    lines = fingerprint_batch(tokens, [a.outlet for a in articles], s.boilerplate_max_words)
    spans = LineSpans.of(texts, tokens.line_starts)
    generic = generic_batch(texts, spans, lines)
    # the outlet lines a count can make boilerplate, what the index counted of them
    counted = lines.counted.nonzero()[0]
    eligible = to_signed(lines.keys[counted])
    keys = sorted(set(eligible))
    counts = index.line_counts(keys) if keys else {}
    needed = s.boilerplate_articles - 1
    marked = generic.copy()
    often: dict[int, set[int]] = {}
    if counts:
        seen = np.array([counts.get(key, 0) for key in eligible], dtype=np.intp)
        hits = (seen >= max(needed, 1)).nonzero()[0]
        marked[counted[hits]] = True
        owners = np.searchsorted(lines.bounds, counted[hits], side="right") - 1
        for owner, hit in zip(owners.tolist(), hits.tolist(), strict=True):
            often.setdefault(owner, set()).add(eligible[hit])
    bodies = bodies_batch(tokens, lines, marked, s.shingle_words)
    body_texts = _body_texts(texts, spans, tokens, lines, marked)
    bands = _band_keys(bodies, s)
    picked, anchor_starts = anchors_batch(bodies, s.anchor_rate, s.anchors)
    eligible_starts = np.searchsorted(counted, lines.bounds).tolist()
    word_starts = bodies.starts.tolist()
    entries = []
    for number, article in enumerate(articles):
        found = lines.of(number, marked)
        start, end = word_starts[number], word_starts[number + 1]
        words = bodies.words[start:end]
        body = Body(bodies.shingles(number), end - start, found.hashes, words, body_texts[number])
        mine = eligible[eligible_starts[number] : eligible_starts[number + 1]]
        band = bands.get(number)
        if band is not None:
            keys_of = picked[anchor_starts[number] : anchor_starts[number + 1]]
        else:
            band, keys_of = [], []
        decided = (tuple(mine), frozenset(often.get(number, ())))
        analysis = Analysis(found, body, band, keys_of, decided)
        low, high = lines.bounds[number], lines.bounds[number + 1]
        entries.append(
            Prepared(article, article.text, tokens, number, mine, generic[low:high], analysis)
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


def _body_texts(
    texts: Sequence[str],
    spans: LineSpans,
    tokens: TokenBatch,
    lines: BatchLines,
    marked: npt.NDArray[np.bool_],
) -> list[str]:
    """Each text without its lines ``marked`` as boilerplate: the runs of lines between
    those, each one slice of the text, joined by line breaks."""
    found = list(texts)
    where = marked.nonzero()[0]
    if where.size:
        gone: dict[int, list[int]] = {}
        for owner, at in zip(lines.text[where].tolist(), lines.at[where].tolist(), strict=True):
            gone.setdefault(owner, []).append(at)
        firsts, starts, ends = tokens.line_starts.tolist(), spans.starts, spans.ends
        for owner, dropped in gone.items():
            text, runs = texts[owner], []
            first = firsts[owner]
            for at in [*dropped, firsts[owner + 1]]:  # in order; the text's end closes the last
                if at > first:
                    runs.append(text[starts[first] : ends[at - 1]])
                first = at + 1
            found[owner] = "\n".join(runs)
    return found


def _band_keys(bodies: Bodies, settings: DedupSettings) -> dict[int, list[int]]:
    """Band keys (signed, as stored) of the bodies that can be linked, by their number
    in the batch: those with at least ``min_shingles`` shingles."""
    s = settings
    sizes = np.diff(bodies.set_starts)
    linkable = sizes >= s.min_shingles
    numbers = linkable.nonzero()[0].tolist()
    if not numbers:
        return {}
    sets = bodies.sets if linkable.all() else bodies.sets[np.repeat(linkable, sizes)]
    starts = np.zeros(len(numbers) + 1, dtype=np.intp)
    np.cumsum(sizes[linkable], out=starts[1:])
    keys = band_keys_batch(sets, starts.tolist(), s.num_perm, s.bands, s.seed)
    rows: list[list[int]] = keys.view(np.int64).tolist()
    return dict(zip(numbers, rows, strict=True))


def reconfirm(
    prepared: Prepared, lookups: BatchView | CopyIndex, settings: DedupSettings
) -> Analysis | None:
    """The prepared analysis of an article whose outlet lines were counted since the
    batch was prepared, if its boilerplate is still decided the same way; else None
    (the stage then analyses the article alone)."""
    counts = lookups.line_counts(prepared.eligible)
    needed = settings.boilerplate_articles - 1
    then = prepared.analysis
    seen = seen_often(counts, needed)
    if seen == then.decided[1]:  # the same lines counted often enough: the same lines marked
        return then
    # deciding reads the lines' fingerprints, never what was marked on them before
    now = boilerplate.decide(prepared.text, then.lines, counts, needed, prepared.generic)
    if np.array_equal(now.boilerplate, then.lines.boilerplate):
        return Analysis(then.lines, then.body, then.bands, then.anchors, (then.decided[0], seen))
    return None

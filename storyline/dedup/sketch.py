"""Pure functions that turn a text into what copy detection compares.

A text is normalised (Unicode NFKC), cut into the same words as
:func:`storyline.text.words` (letters and digits of any script, apostrophes
inside words), case-folded, and every word is hashed to 64 bits. Scripts written
without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) have no words to
cut, so each of their letters is a token of its own. Tokenising is vectorised
with numpy over the text's code points: for news-length texts it costs a few
tens of microseconds, a fraction of what a regular expression costs.

From the token hashes come word shingles (``k`` consecutive words, hashed),
a MinHash signature of the shingle set (rensa's R-MinHash), LSH band keys, and
anchors: the shingles whose hash is 0 modulo ``anchor_rate``, a sample that two
texts share wherever they share text, which is what finds a teaser inside its
full article. :func:`compare` measures two shingle sets exactly.

The tokeniser, shingles, line fingerprints, the anchors of a batch's bodies and the
overlap of two sets are also compiled (``_tokens.c``: one pass where numpy makes a
dozen calls); the compiled forms are used when built, and the numpy ones here are
the reference that tests compare them with on every kind of text.

Every hash is stable across processes and platforms (no ``hash()``), because
band keys, anchors and line fingerprints are stored.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from rensa import RMinHash

from ..text import STOPWORDS, words

try:  # the compiled tokeniser; the numpy one below gives the same tokens, more slowly
    from . import _tokens as compiled
except ImportError:  # pragma: no cover - a build without a C compiler
    compiled = None  # type: ignore[assignment]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

#: code points above this are treated as non-word characters (private use, tags)
_TABLE_SIZE = 0x323B0
_OTHER, _WORD, _UNSPACED, _APOSTROPHE, _NEWLINE = 0, 1, 2, 3, 4
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, _TABLE_SIZE - 1),  # CJK extensions B and later
)
_P1 = np.uint64(0x100000001B3)  # polynomial base over characters
_P2 = np.uint64(0x9E3779B97F4A7C15)  # polynomial base over tokens
_DIGITS = np.uint64(0xD1B54A32D192ED03)  # stands for any all-digit token in line fingerprints


@dataclass(frozen=True, slots=True)
class Tokens:
    """The words of a text: hashes, where they are, and which line holds them."""

    hashes: U64
    line: npt.NDArray[np.intp]  # index of the line (``text.split("\\n")``) of each token
    numeric: npt.NDArray[np.bool_]  # token made of digits only
    lines: int  # number of lines in the text

    def __len__(self) -> int:
        return int(self.hashes.size)


@cache
def _tables() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint32], npt.NDArray[np.bool_]]:
    """Per code point: character class, case-folded code point, is a digit.

    The tables stop at ``_TABLE_SIZE - 1``: code points above are looked up there,
    an unassigned code point of no class."""
    kind = np.zeros(_TABLE_SIZE, dtype=np.uint8)
    fold = np.arange(_TABLE_SIZE, dtype=np.uint32)
    digit = np.zeros(_TABLE_SIZE, dtype=np.bool_)
    for code in range(_TABLE_SIZE):
        char = chr(code)
        if not char.isalnum():  # exactly the [^\W_] of storyline.text.words
            continue
        kind[code] = _WORD
        digit[code] = char.isdigit()
        folded = char.casefold()
        if len(folded) != 1:
            folded = char.lower()
        if len(folded) == 1:
            fold[code] = ord(folded)
    for low, high in _UNSPACED_RANGES:
        block = kind[low : high + 1]
        block[block == _WORD] = _UNSPACED
    kind[ord("'")] = kind[ord("’")] = _APOSTROPHE
    fold[ord("’")] = ord("'")
    kind[ord("\n")] = _NEWLINE
    return kind, fold, digit


@cache
def _nfkc_matters() -> npt.NDArray[np.bool_]:
    """Per code point: whether NFKC may change the tokens of a text holding it.

    NFKC of a whole text is the NFKC of each character, concatenated, unless
    characters are reordered or composed across their boundaries, which only
    combining marks and the second halves of composition pairs (and Hangul vowels
    and final consonants) start. A character that NFKC leaves alone matters only
    if it is one of those; one that NFKC changes into characters that are neither
    word characters, apostrophes, line breaks nor such marks (no-break spaces,
    the ellipsis, dashes of other widths) moves no word boundary and no line, so it
    does not matter either. News text is full of such characters, and normalising
    costs more than tokenising.
    """
    kind = _tables()[0]
    seconds = {*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)}  # Hangul V and T
    changed = []
    for code in range(_TABLE_SIZE):
        char = chr(code)
        decomposition = unicodedata.decomposition(char)
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                seconds.add(int(parts[1], 16))
        if unicodedata.normalize("NFKC", char) != char:
            changed.append(code)
    matters = np.zeros(_TABLE_SIZE, dtype=np.bool_)
    for code in range(_TABLE_SIZE):
        if unicodedata.combining(chr(code)) or code in seconds:
            matters[code] = True

    def inert(code: int) -> bool:
        return code < _TABLE_SIZE and kind[code] == _OTHER and not matters[code]

    for code in changed:
        if not (
            inert(code) and all(inert(ord(c)) for c in unicodedata.normalize("NFKC", chr(code)))
        ):
            matters[code] = True
    matters[_TABLE_SIZE - 1] = True  # stands for every code point above the tables
    return matters


def mix(values: U64) -> U64:
    """SplitMix64's finaliser: spreads every input bit over the whole word."""
    z = values ^ (values >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))  # type: ignore[no-any-return]


def _scramble(values: U64) -> U64:
    """A cheaper finaliser for intermediate hashes (one multiply)."""
    z = (values ^ (values >> np.uint64(32))) * np.uint64(0xD6E8FEB86659FD93)
    return z ^ (z >> np.uint64(32))


def distinct(values: U64) -> U64:
    """Sorted distinct values (faster than ``np.unique`` for a few thousand hashes)."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def normalise(text: str) -> str:
    """The text tokenising sees: Unicode NFKC (full-width letters, ligatures, spaces)."""
    # ASCII is its own NFKC form, and checking that is a hundred times cheaper; otherwise
    # normalising returns the text itself when a quick check shows it is normalised
    # already, and costs the same as the full check when it cannot tell
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text)


def tokenise(text: str) -> Tokens:
    """Case-folded words of ``text`` as stable 64-bit hashes, with their line numbers.

    The words are those of the NFKC form of ``text``; the text is normalised only
    when that can change them (:func:`_nfkc_matters`)."""
    if compiled is not None:
        return _compiled_words([_normalised_where_it_matters(text)]).tokens
    codes = _code_points(text)
    if not text.isascii() and _nfkc_matters()[codes].any():
        return Tokens(*_words(normalise(text)))
    return Tokens(*_words(text, codes))


@dataclass(frozen=True, slots=True)
class TokenBatch:
    """The tokens of several texts, tokenised as one: the texts joined by line breaks.

    No token spans a line break and every hash is independent of where its token
    starts, so each text's tokens are exactly those :func:`tokenise` gives it, and
    its lines are the joined text's lines ``line_starts[i]`` onwards."""

    tokens: Tokens  # line numbers count the lines of the joined text
    line_starts: npt.NDArray[np.intp]  # first line of each text, and the total after the last
    token_starts: npt.NDArray[np.intp]  # first token of each text, and the total after the last

    def __len__(self) -> int:
        return int(self.line_starts.size - 1)

    def doc(self, number: int) -> Tokens:
        """The tokens of one text, its lines numbered from 0."""
        low, high = int(self.token_starts[number]), int(self.token_starts[number + 1])
        first = self.line_starts[number]
        t = self.tokens
        lines = int(self.line_starts[number + 1] - first)
        return Tokens(t.hashes[low:high], t.line[low:high] - first, t.numeric[low:high], lines)


#: characters tokenised in one numpy pass at most: a pass holds a dozen arrays of up to 8
#: bytes per character, and this keeps them (and the power tables) to a megabyte or two
JOINED_CHARACTERS = 1 << 16


def tokenise_many(texts: Sequence[str]) -> TokenBatch:
    """:func:`tokenise` of every text, in one pass (or, without the compiled tokeniser, a
    few for very long texts): the cost per call is paid once for the batch instead of
    once per text."""
    if compiled is not None:  # it writes only the tokens it finds: one pass for all
        return _compiled_words([_normalised_where_it_matters(text) for text in texts])
    groups: list[list[str]] = [[]]
    size = 0
    for text in texts:
        if size + len(text) > JOINED_CHARACTERS and groups[-1]:
            groups.append([])
            size = 0
        groups[-1].append(text)
        size += len(text) + 1
    if len(groups) == 1:
        return _tokenise_joined(groups[0])
    parts = [_tokenise_joined(group) for group in groups]
    lines = np.cumsum([0] + [int(part.line_starts[-1]) for part in parts])
    tokens = np.cumsum([0] + [len(part.tokens) for part in parts])
    return TokenBatch(
        Tokens(
            np.concatenate([part.tokens.hashes for part in parts]),
            np.concatenate([p.tokens.line + lines[n] for n, p in enumerate(parts)]),
            np.concatenate([part.tokens.numeric for part in parts]),
            int(lines[-1]),
        ),
        np.concatenate([[0]] + [p.line_starts[1:] + lines[n] for n, p in enumerate(parts)]),
        np.concatenate([[0]] + [p.token_starts[1:] + tokens[n] for n, p in enumerate(parts)]),
    )


def _tokenise_joined(texts: list[str]) -> TokenBatch:
    """The numpy tokeniser over the texts joined by line breaks."""
    seen = list(texts)
    joined = "\n".join(seen)
    codes = _code_points(joined)
    if not joined.isascii():
        # the texts holding a character whose normalisation can change their words
        where = _nfkc_matters()[codes].nonzero()[0]
        if where.size:
            ends = np.cumsum([len(text) + 1 for text in seen])
            for number in np.unique(np.searchsorted(ends, where, side="right")).tolist():
                seen[number] = normalise(seen[number])
            joined = "\n".join(seen)
            codes = _code_points(joined)
    hashes, line, numeric, total = _words(joined, codes)
    line_starts = np.zeros(len(seen) + 1, dtype=np.intp)
    np.cumsum([text.count("\n") + 1 for text in seen], out=line_starts[1:])
    token_starts = np.searchsorted(line, line_starts).astype(np.intp)
    return TokenBatch(Tokens(hashes, line, numeric, total), line_starts, token_starts)


def _normalised_where_it_matters(text: str) -> str:
    """``text`` with the lines whose NFKC form may change their words normalised (the
    compiled check).

    NFKC composes and reorders only between a starter and the marks after it, and a
    line break neither composes with anything nor is produced or removed, so the NFKC
    form of a text is that of its lines joined; the words of a line are those of its
    NFKC form unless it holds such a character. Normalising a long text costs as much
    as tokenising it, and only a line or two of it is ever concerned."""
    matters = _nfkc_matters()
    if text.isascii() or not compiled.marked(text, matters):
        return text
    lines = text.split("\n")
    return "\n".join(
        [normalise(line) if compiled.marked(line, matters) else line for line in lines]
    )


def _compiled_words(texts: list[str]) -> TokenBatch:
    """:func:`_words` of each text (normalised already where it matters), compiled, as
    if the texts were joined by line breaks."""
    kind, fold, digit = _tables()
    hashes, line, numeric, line_starts, token_starts = compiled.words(texts, kind, fold, digit)
    starts = np.frombuffer(line_starts, dtype=np.intp)
    tokens = Tokens(
        np.frombuffer(hashes, dtype=np.uint64),
        np.frombuffer(line, dtype=np.intp),
        np.frombuffer(numeric, dtype=np.bool_),
        int(starts[-1]),
    )
    return TokenBatch(tokens, starts, np.frombuffer(token_starts, dtype=np.intp))


def line_ends(texts: list[str]) -> npt.NDArray[np.intp]:
    """Where each line of each text (``text.split("\\n")``) ends in its text, the texts'
    lines one after another: the lines without a string made for each."""
    if compiled is not None:
        return np.frombuffer(compiled.line_ends(texts), dtype=np.intp)
    ends = []
    for text in texts:
        end = -1
        for line in text.split("\n"):
            end += len(line) + 1
            ends.append(end)
    return np.array(ends, dtype=np.intp)


def _code_points(text: str) -> npt.NDArray[np.uint32]:
    """The text's code points, those above the tables as the tables' last one."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return np.minimum(codes, np.uint32(_TABLE_SIZE - 1))


def _words(
    text: str, codes: npt.NDArray[np.uint32] | None = None
) -> tuple[U64, npt.NDArray[np.intp], npt.NDArray[np.bool_], int]:
    kind_of, fold, digit = _tables()
    if codes is None:
        codes = _code_points(text)
    kind = kind_of[codes]
    breaks = (kind == _NEWLINE).nonzero()[0]
    word = kind == _WORD
    # an apostrophe between two letters of a spaced script belongs to the word (don't)
    inner = np.zeros_like(word)
    inner[1:-1] = (kind[1:-1] == _APOSTROPHE) & word[:-2] & word[2:]
    unspaced = kind == _UNSPACED
    in_word = word | inner
    in_word |= unspaced
    positions = in_word.nonzero()[0]
    if positions.size == 0:
        none = np.zeros(0, dtype=np.bool_)
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.intp), none, breaks.size + 1
    # a token starts after a gap, and at every letter of an unspaced script
    gap = np.empty(positions.size, dtype=np.bool_)
    gap[0] = True
    gap[1:] = np.diff(positions) != 1
    if unspaced.any():
        lone = unspaced[positions]
        gap[1:] |= lone[1:] | lone[:-1]
    starts = gap.nonzero()[0]
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = positions.size
    # polynomial hash of each token from prefix sums: sum(c_i * P^i) / P^start
    powers, inverse = _powers(positions.size + 1)
    codes_in = codes[positions]
    chars = fold[codes_in].astype(np.uint64)
    prefix = np.zeros(positions.size + 1, dtype=np.uint64)
    np.cumsum(chars * powers[: positions.size], out=prefix[1:])
    sums = (prefix[ends] - prefix[starts]) * inverse[starts]
    sizes = ends - starts
    hashes = _scramble(sums ^ (sizes.astype(np.uint64) * _P2))
    numeric = np.logical_and.reduceat(digit[codes_in], starts)
    # tokens before each line break, rather than a search for each token's line
    before = np.empty(breaks.size + 2, dtype=np.intp)
    before[0], before[-1] = 0, starts.size
    before[1:-1] = np.searchsorted(positions[starts], breaks)
    line = np.repeat(np.arange(breaks.size + 1, dtype=np.intp), np.diff(before))
    return hashes, line, numeric, breaks.size + 1


def _powers(size: int) -> tuple[U64, U64]:
    """``P**i`` and ``P**-i`` modulo 2**64 for i < size (P is odd, so it has an inverse)."""
    return _power_table(max(4096, 1 << (size - 1).bit_length()))


@cache
def _power_table(size: int) -> tuple[U64, U64]:
    # running products wrap modulo 2**64, as the hashes do
    powers = np.full(size, _P1, dtype=np.uint64)
    inverse = np.full(size, pow(int(_P1), -1, 1 << 64), dtype=np.uint64)
    powers[0] = inverse[0] = 1
    np.multiply.accumulate(powers, out=powers)
    np.multiply.accumulate(inverse, out=inverse)
    return powers, inverse


@cache
def _stop_hashes() -> U64:
    """Hashes of the function words of every language in :data:`storyline.text.STOPWORDS`."""
    joined = " ".join(sorted(set().union(*STOPWORDS.values())))
    return np.unique(_words(joined)[0])


def line_hashes(tokens: Tokens) -> tuple[npt.NDArray[np.intp], U64, npt.NDArray[np.intp]]:
    """Lines that hold words: their index, a fingerprint of their words, their word count.

    Numbers are masked (``Updated 10:42`` and ``Updated 11:05`` are the same line) and
    the fingerprint ignores case, spacing and punctuation.
    """
    if compiled is not None:
        index, fingerprints, counts = compiled.line_hashes(
            tokens.hashes, tokens.line, tokens.numeric
        )
        return (
            np.frombuffer(index, dtype=np.intp),
            np.frombuffer(fingerprints, dtype=np.uint64),
            np.frombuffer(counts, dtype=np.intp),
        )
    if len(tokens) == 0:
        none = np.zeros(0, dtype=np.intp)
        return none, np.zeros(0, dtype=np.uint64), none
    size = len(tokens)
    values = np.where(tokens.numeric, _DIGITS, tokens.hashes)
    starts = np.empty(size, dtype=np.bool_)  # lines are in order: a line starts where it changes
    starts[0] = True
    np.not_equal(tokens.line[1:], tokens.line[:-1], out=starts[1:])
    first = starts.nonzero()[0]
    ends = np.empty_like(first)
    ends[:-1] = first[1:]
    ends[-1] = size
    # polynomial over the line's words from prefix sums, as for the letters of a word
    powers, inverse = _powers(size + 1)
    prefix = np.zeros(size + 1, dtype=np.uint64)
    np.cumsum(values * powers[:size], out=prefix[1:])
    sums = (prefix[ends] - prefix[first]) * inverse[first]
    counts = ends - first
    return tokens.line[first], mix(sums ^ (counts.astype(np.uint64) * _P1)), counts


def shingle(hashes: U64, size: int) -> U64:
    """Hashes of every run of ``size`` consecutive tokens, in reading order."""
    if compiled is not None:
        return np.frombuffer(compiled.shingles(hashes, size), dtype=np.uint64)
    count = hashes.size - size + 1
    if size < 1 or count < 1:
        return np.zeros(0, dtype=np.uint64)
    acc = hashes[:count].copy()
    for j in range(1, size):
        acc = acc * _P2 + hashes[j : j + count]
    return mix(acc)


def is_stop(hashes: U64) -> npt.NDArray[np.bool_]:
    """Which token hashes are function words of a language storyline knows."""
    table, probes = _stop_table()
    mask = np.uint64(table.size - 1)
    slot = hashes & mask
    found: npt.NDArray[np.bool_] = table[slot] == hashes
    for _ in range(1, probes):  # linear probing, as deep as the table was built
        slot = (slot + np.uint64(1)) & mask
        found |= table[slot] == hashes
    return found


@cache
def _stop_table() -> tuple[U64, int]:
    """An open-addressing table of the function-word hashes, and its longest probe.

    Looking a token up costs a gather and a comparison per probe: several times
    cheaper than a binary search over the sorted hashes. Hashes are already mixed,
    so their low bits index the table. An empty slot holds a value whose low bits
    are half the table away from its own, which no token probing it can equal.
    """
    stops = _stop_hashes()
    size = 1 << max(10, (stops.size * 16).bit_length())
    empty = (np.arange(size, dtype=np.uint64) + np.uint64(size // 2)) & np.uint64(size - 1)
    table = empty.copy()
    probes = 1
    for value in stops.tolist():
        slot, depth = value & (size - 1), 1
        while table[slot] != empty[slot]:
            slot, depth = (slot + 1) & (size - 1), depth + 1
        table[slot] = value
        probes = max(probes, depth)
    return table, probes


def anchors(
    shingles: U64, words: U64, numeric: npt.NDArray[np.bool_], size: int, rate: int, limit: int
) -> U64:
    """The first ``limit`` distinct shingles whose hash is 0 modulo ``rate``, in reading order.

    ``shingles`` are ``shingle(words, size)``; ``numeric`` flags the words made of
    digits. A shingle needs two words that are neither function words nor numbers
    (``one of the 2016``, ``in the first 100`` are in every other text).
    """
    where = (shingles % np.uint64(max(rate, 1)) == 0).nonzero()[0]
    if where.size == 0 or limit < 1:
        return np.zeros(0, dtype=np.uint64)
    # strong words (neither function words nor numbers) per window, from a prefix sum
    strong = np.zeros(words.size + 1, dtype=np.int32)
    np.cumsum(~(is_stop(words) | numeric), out=strong[1:])
    kept = where[(strong[where + size] - strong[where]) >= min(2, size)]
    picked = dict.fromkeys(shingles[kept].tolist())  # first occurrences, in order
    return np.fromiter(picked, dtype=np.uint64, count=len(picked))[:limit]


def anchors_many(
    shingles: U64,
    words: U64,
    numeric: npt.NDArray[np.bool_],
    starts: npt.NDArray[np.intp],
    size: int,
    rate: int,
    limit: int,
) -> tuple[U64, npt.NDArray[np.intp]]:
    """:func:`anchors` of several bodies at once: the bodies' words concatenated, body
    ``i`` holding ``words[starts[i]:starts[i + 1]]``, and ``shingles`` those of all the
    words (``shingle(words, size)``). Returns every body's anchors, one body after
    another, and how many each has."""
    if compiled is not None:
        table, probes = _stop_table()
        picked, counts = compiled.anchors(
            shingles,
            words,
            numeric,
            np.ascontiguousarray(starts, dtype=np.intp),
            size,
            rate,
            max(limit, 0),
            table,
            probes,
        )
        return np.frombuffer(picked, dtype=np.uint64), np.frombuffer(counts, dtype=np.intp)
    found = []
    bounds = starts.tolist()
    for low, end in pairwise(bounds):
        high = max(low, end - size + 1)
        found.append(
            anchors(shingles[low:high], words[low:end], numeric[low:end], size, rate, limit)
        )
    counts = np.array([mine.size for mine in found], dtype=np.intp)
    return (np.concatenate(found) if found else np.zeros(0, dtype=np.uint64)), counts


def signature(shingle_set: U64, num_perm: int, seed: int) -> U64:
    """R-MinHash signature (rensa) of a set of shingle hashes."""
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(
        shingle_set, [0, int(shingle_set.size)], num_perm, seed
    )
    return np.asarray(matrix.to_rows()[0], dtype=np.uint64)


def band_keys(digest: U64, bands: int) -> U64:
    """One key per LSH band: a hash of the band's rows and of the band's number."""
    rows = digest.reshape(bands, -1)
    start, powers = _band_polynomial(bands, rows.shape[1])
    # the polynomial acc = acc * P2 + row over the band's rows, as one product (mod 2**64)
    return mix(start + rows @ powers)


@cache
def _band_polynomial(bands: int, width: int) -> tuple[U64, U64]:
    """Each band's seed (its number) times ``P2**width``, and ``P2**(width - 1 - j)``."""
    modulus = 1 << 64
    start = [
        (band * int(_P1) * pow(int(_P2), width, modulus)) % modulus for band in range(1, bands + 1)
    ]
    powers = [pow(int(_P2), width - 1 - j, modulus) for j in range(width)]
    return np.array(start, dtype=np.uint64), np.array(powers, dtype=np.uint64)


def to_signed(values: U64) -> list[int]:
    """Unsigned hashes as the signed 64-bit integers SQLite stores."""
    signed: list[int] = values.view(np.int64).tolist()
    return signed


@dataclass(frozen=True, slots=True)
class Overlap:
    """Exact overlap of two shingle sets."""

    shared: int
    jaccard: float
    contained: float  # share of the smaller set found in the larger one
    cover: float  # share of the larger set found in the smaller one


def compare(left: U64, right: U64) -> Overlap:
    """Overlap of two sorted sets of distinct shingle hashes."""
    if left.size == 0 or right.size == 0:
        return Overlap(0, 0.0, 0.0, 0.0)
    small, large = (left, right) if left.size <= right.size else (right, left)
    if compiled is not None:
        shared = compiled.shared(small, large)
    else:
        where = np.minimum(np.searchsorted(large, small), large.size - 1)
        shared = int(np.count_nonzero(large[where] == small))
    union = left.size + right.size - shared
    return Overlap(shared, shared / union, shared / small.size, shared / large.size)


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’')\]]*\s+|\n+")
#: two sentences are counterparts when their content words have this Jaccard
SENTENCE_MATCH = 0.3


def aligned_sentences(left: str, right: str) -> float:
    """Share of the sentences of the text with fewer that have a counterpart in the
    other, in the same order.

    Sentences are compared on their content words (function words of every language
    storyline knows are left out); sentences of fewer than four content words are
    ignored. Each sentence's counterpart is the other text's sentence sharing most of
    its words (a Jaccard of at least :data:`SENTENCE_MATCH`); the counted ones are the
    longest run of counterparts in reading order. A rewrite keeps most sentences,
    with most of their words, in order; another report of the same event shares a
    quote or two; texts made from one template match everywhere but in no order.
    """
    mine, theirs = _content_sentences(left), _content_sentences(right)
    if len(mine) > len(theirs):
        mine, theirs = theirs, mine
    if len(mine) < 3:
        return 0.0
    order: list[int] = []
    for sentence in mine:
        best, where = SENTENCE_MATCH, -1
        for position, other in enumerate(theirs):
            shared = len(sentence & other)
            if shared and shared / (len(sentence) + len(other) - shared) >= best:
                best, where = shared / (len(sentence) + len(other) - shared), position
        if where >= 0:
            order.append(where)
    return _longest_non_decreasing(order) / len(mine)


def _longest_non_decreasing(values: list[int]) -> int:
    tails: list[int] = []
    for value in values:
        at = bisect.bisect_right(tails, value)
        if at == len(tails):
            tails.append(value)
        else:
            tails[at] = value
    return len(tails)


def _content_sentences(text: str) -> list[frozenset[str]]:
    stop = _all_stopwords()
    found = []
    for sentence in _SENTENCE_END.split(text):
        content = frozenset(w.casefold() for w in words(sentence)) - stop
        if len(content) >= 4:
            found.append(content)
    return found


@cache
def _all_stopwords() -> frozenset[str]:
    return frozenset().union(*STOPWORDS.values())

"""Boilerplate: lines that belong to an outlet's page, not to the report.

Two sources decide that a line of an article is boilerplate:

* a small set of generic patterns for what many sites add (``Source: Read Full
  Article``, share prompts, newsletter pitches, photo credits, ``Advertisement``,
  copyright lines, "this article first appeared on...");
* what the outlet itself repeats: every short line is fingerprinted (words only,
  case-folded, numbers masked) together with its outlet, and a fingerprint seen
  in ``boilerplate_articles`` of that outlet's articles is boilerplate from then
  on. Counts are kept by the copy index, so they persist with the store.

Only lines of at most ``boilerplate_max_words`` words can be boilerplate: a
paragraph of reporting is never dropped because it happens to recur. A line is
what ``text.split("\\n")`` gives; extraction puts one paragraph on each.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from .sketch import U64, Tokens, line_hashes, mix

#: patterns for a whole line (matched from its first letter, case-insensitive)
GENERIC_PATTERNS = (
    r"(?:source|via)\s*:.{0,60}",
    r"read\s+(?:the\s+)?(?:full|complete|original|whole|more)\b.{0,60}",
    r"(?:continue|keep)\s+reading\b.{0,40}",
    r"(?:share|tweet|pin|email|print|save)(?:\s+(?:this|on|via|to)\b.{0,40})?",
    r"(?:sign\s+up|subscribe)\b.{0,120}\b(?:newsletters?|inbox|alerts?|updates)\b.{0,80}",
    r"(?:photos?|images?|pictures?|videos?|graphics?|illustrations?|pictured)"
    r"(?:\s+credits?)?\s*[:|/©].{0,80}",
    r"\(?(?:ap|afp|reuters|getty\s+images|shutterstock|epa)(?:\s+photos?)?\s*/.{0,60}",
    r"(?:advertisement|sponsored(?:\s+content)?|ad)",
    r"(?:related(?:\s+(?:stories|articles|coverage))?|more\s+from|see\s+also|recommended(?:\s+for\s+you)?"
    r"|trending(?:\s+now)?|you\s+may\s+also\s+like)\b.{0,60}",
    r"follow\s+(?:\S+\s+){0,3}on\s+(?:twitter|facebook|instagram|tiktok|linkedin|youtube|x)\b.{0,80}",
    r"click\s+here\b.{0,100}",
    r"(?:©|\(c\)|copyright\b).{0,100}",
    r"all\s+rights\s+reserved",
    r"(?:this|the)\s+(?:article|story|post)\s+(?:was\s+|has\s+been\s+)?(?:originally|first)\s+"
    r"(?:published|appeared|posted)\b.{0,120}",
    r"(?:updated|posted|published|last\s+modified)\s*(?:on|at)?\s*:?\s*\d.{0,40}",
)
_GENERIC = re.compile(r"^\W*(?:" + "|".join(GENERIC_PATTERNS) + r")\W*$", re.IGNORECASE | re.DOTALL)

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Lines:
    """The lines of a text that hold words, and which of them are boilerplate."""

    index: npt.NDArray[np.intp]  # line numbers in ``text.split("\\n")``
    hashes: U64  # outlet-independent fingerprints
    words: npt.NDArray[np.intp]
    keys: U64  # fingerprints tied to the outlet (empty when the outlet is unknown)
    short: npt.NDArray[np.bool_]  # can be boilerplate (few enough words)
    boilerplate: npt.NDArray[np.bool_]


@lru_cache(maxsize=4096)
def outlet_hash(outlet: str | None) -> np.uint64 | None:
    """A stable number for an outlet name (case and spacing ignored); None if unknown."""
    name = " ".join((outlet or "").split()).casefold()
    if not name:
        return None
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def generic(line: str) -> bool:
    """Whether one line is boilerplate by the generic patterns alone."""
    return _GENERIC.match(line.strip()) is not None


def fingerprint_lines(tokens: Tokens, outlet: str | None, max_words: int) -> Lines:
    """The lines of a text with their fingerprints; none marked as boilerplate yet."""
    index, hashes, words = line_hashes(tokens)
    owner = outlet_hash(outlet)
    keys = mix(hashes ^ owner) if owner is not None else np.zeros(0, dtype=np.uint64)
    none = np.zeros(index.size, dtype=np.bool_)
    return Lines(index, hashes, words, keys, words <= max_words, none)


def generic_lines(text: str, lines: Lines) -> npt.NDArray[np.bool_]:
    """Which short lines of ``text`` a generic pattern matches."""
    found = np.zeros(lines.index.size, dtype=np.bool_)
    candidates = lines.short.nonzero()[0]
    if candidates.size:
        raw = text.split("\n")
        for position in candidates.tolist():
            number = int(lines.index[position])
            if number < len(raw) and generic(raw[number]):
                found[position] = True
    return found


def decide(
    text: str,
    lines: Lines,
    counts: Mapping[int, int],
    seen_in: int,
    generic_found: npt.NDArray[np.bool_] | None = None,
) -> Lines:
    """Mark the boilerplate lines of ``text``.

    ``counts`` maps outlet fingerprints (signed, as stored) to the number of the
    outlet's articles holding that line; a short line is boilerplate once seen in
    ``seen_in`` of them (at least one), or when a generic pattern matches it
    (``generic_found``: :func:`generic_lines` of these lines, when known already).
    """
    short = lines.short
    boilerplate = np.zeros(lines.index.size, dtype=np.bool_)
    if counts and lines.keys.size:
        seen = np.array([counts.get(k, 0) for k in lines.keys.view(np.int64).tolist()])
        boilerplate |= short & (seen >= max(seen_in, 1))
    if generic_found is None:
        unknown = Lines(
            lines.index, lines.hashes, lines.words, lines.keys, short & ~boilerplate, boilerplate
        )
        generic_found = generic_lines(text, unknown)
    boilerplate |= generic_found
    return Lines(lines.index, lines.hashes, lines.words, lines.keys, short, boilerplate)


def seen_often(
    counts: Mapping[int, int], seen_in: int, keys: Iterable[int] | None = None
) -> frozenset[int]:
    """The outlet line keys (of ``keys``, or all counted) counted in at least ``seen_in``
    articles (at least one): what a body's boilerplate was decided on, as :func:`decide`
    decides it."""
    needed = max(seen_in, 1)
    if keys is None:
        return frozenset(key for key, count in counts.items() if count >= needed)
    return frozenset(key for key in keys if counts.get(key, 0) >= needed)


def spans(text: str, lines: Lines) -> list[Span]:
    """Character spans of ``text`` (as ``Article.text`` holds it) that are boilerplate."""
    wanted = set(lines.index[lines.boilerplate].tolist())
    found: list[Span] = []
    start = 0
    for number, line in enumerate(text.split("\n")):
        if number in wanted and line.strip():
            left = start + len(line) - len(line.lstrip())
            found.append((left, start + len(line.rstrip())))
        start += len(line) + 1
    return found

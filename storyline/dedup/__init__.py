"""Copies and near-duplicates: link every copy of an article to its original.

``Deduplicator`` is the stage; it talks to a :class:`CopyIndex` (in memory here,
SQLite in :mod:`storyline.copyindex`). The sketch functions are pure and shared with
the benchmark; :func:`boilerplate_spans` tells other stages which parts of an
article are boilerplate. docs/dedup.md describes the method and its measured
precision and recall.
"""

from .boilerplate import GENERIC_PATTERNS, Span
from .groups import rank
from .index import CopyIndex, IndexedDoc, InMemoryCopyIndex, NewDoc
from .matching import classify
from .settings import DedupSettings
from .sketch import Overlap, Tokens, compare, normalise, shingle, signature, tokenise
from .stage import Deduplicator

__all__ = [
    "GENERIC_PATTERNS",
    "CopyIndex",
    "DedupSettings",
    "Deduplicator",
    "InMemoryCopyIndex",
    "IndexedDoc",
    "NewDoc",
    "Overlap",
    "Span",
    "Tokens",
    "classify",
    "compare",
    "normalise",
    "rank",
    "shingle",
    "signature",
    "tokenise",
]

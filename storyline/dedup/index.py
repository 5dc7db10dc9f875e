"""The copy index: what dedup remembers of every article, behind one small protocol.

The stage never touches storage itself; it asks a :class:`CopyIndex` for
articles by text hash, by LSH band key and by anchor, and tells it what to add.
:class:`InMemoryCopyIndex` keeps everything in dicts (tests, one-off runs, a
Spark partition); ``storyline.copyindex.SqliteCopyIndex`` keeps it in indexed tables
so that opening a store of a million articles reads nothing up front.

Articles are numbered by the index in arrival order (``key``); a copy group is
the set of articles sharing one ``root``, the key of the group's original.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from ..errors import StoreError
from ..model import CopyLink

Params = Mapping[str, int | str]


@dataclass(frozen=True, slots=True)
class IndexedDoc:
    """An article as the copy index knows it."""

    key: int
    id: str
    root: int
    root_id: str
    published: datetime | None
    length: int  # words once boilerplate is removed

    @property
    def is_root(self) -> bool:
        return self.key == self.root


@dataclass(slots=True)  # not frozen: made for every article, and frozen fields cost more to set
class NewDoc:
    """What the stage hands the index for one article."""

    id: str
    root: int | None  # None: the article is the original of its own group
    published: datetime | None
    length: int
    text_hash: str
    bands: Sequence[int]
    anchors: Sequence[int]
    lines: Sequence[int]  # outlet line fingerprints to count once more
    text: str
    outlet: str | None
    link: CopyLink | None


class Lookups(Protocol):
    """The lookups that find an article's candidates."""

    def by_text_hash(self, digest: str) -> list[IndexedDoc]:
        """Articles whose normalised text hashes to ``digest`` (the oldest 16)."""

    def by_bands(self, keys: Sequence[int], per_key: int) -> dict[int, int]:
        """Article keys sharing LSH band keys, with how many (at most ``per_key`` per band)."""

    def by_anchors(self, keys: Sequence[int], per_key: int) -> dict[int, int]:
        """Article keys sharing anchors, with how many (at most ``per_key`` per anchor)."""


class CopyIndex(Lookups, Protocol):
    #: whether reading a batch's keys at once (:meth:`postings`, :meth:`text_hash_keys`)
    #: pays, as it does when every lookup is a query
    prefetch: bool

    def bind(self, params: Params) -> None:
        """Record the sketch parameters, or refuse ones that differ from the recorded."""

    def postings(self, table: str, keys: Sequence[int], per_key: int) -> dict[int, list[int]]:
        """For each of ``keys`` found in ``table`` (``bands`` or ``anchors``), the article
        keys holding it, the oldest ``per_key`` in arrival order: a batch's lookups at once."""

    def text_hash_keys(self, digests: Sequence[str]) -> dict[str, list[int]]:
        """For each of ``digests`` found, the keys of the articles with that text hash,
        the oldest 16 in arrival order."""

    def docs(self, keys: Sequence[int]) -> list[IndexedDoc]: ...

    def key_of(self, article_id: str) -> int | None:
        """The index key of an article, None when it is not indexed."""

    def source(self, key: int) -> tuple[str, str | None]:
        """Text and outlet of an indexed article, to verify a candidate against."""

    def line_counts(self, keys: Sequence[int]) -> dict[int, int]:
        """How many articles hold each outlet line fingerprint (absent: none)."""

    def add(self, doc: NewDoc) -> int:
        """Index an article; returns its key."""

    def repoint(self, old_root: int, new_root: int, link: CopyLink) -> list[str]:
        """Make ``new_root`` the original of ``old_root``'s group.

        The former original becomes a copy (``link``); every other member keeps its
        kind and similarity and now points to the new original. Returns the ids of
        the articles whose link changed.
        """


def check_params(recorded: Params | None, wanted: Params, where: str) -> bool:
    """True when ``wanted`` must be recorded; raises when it contradicts what was recorded."""
    if recorded is None:
        return True
    if dict(recorded) != dict(wanted):
        changed = sorted(k for k in set(recorded) | set(wanted) if recorded.get(k) != wanted.get(k))
        raise StoreError(
            f"{where}: its copy index was built with other settings ({', '.join(changed)}: "
            f"{[recorded.get(k) for k in changed]} there, {[wanted.get(k) for k in changed]} now); "
            "use the recorded settings or ingest into a new store"
        )
    return False


@dataclass(slots=True)
class _Entry:
    doc: IndexedDoc
    text: str
    outlet: str | None


@dataclass(slots=True)
class InMemoryCopyIndex:
    """Everything in memory; ``links`` holds the current copy link of every article."""

    params: dict[str, int | str] | None = None
    links: dict[str, CopyLink] = field(default_factory=dict)
    prefetch: bool = False  # its lookups cost a few dict reads: nothing to save
    _entries: list[_Entry] = field(default_factory=list)
    _by_hash: dict[str, list[int]] = field(default_factory=dict)
    #: postings of band keys and anchors: the article's key while one article holds it
    #: (most keys), a list from the second on; a list each would double the index's size
    _bands: dict[int, int | list[int]] = field(default_factory=dict)
    _anchors: dict[int, int | list[int]] = field(default_factory=dict)
    _lines: dict[int, int] = field(default_factory=dict)
    _members: dict[int, list[int]] = field(default_factory=dict)

    def bind(self, params: Params) -> None:
        if check_params(self.params, params, "in-memory index"):
            self.params = dict(params)

    def by_text_hash(self, digest: str) -> list[IndexedDoc]:
        return self.docs(self._by_hash.get(digest, []))

    def by_bands(self, keys: Sequence[int], per_key: int) -> dict[int, int]:
        return _count(self._bands, keys, per_key)

    def by_anchors(self, keys: Sequence[int], per_key: int) -> dict[int, int]:
        return _count(self._anchors, keys, per_key)

    def postings(self, table: str, keys: Sequence[int], per_key: int) -> dict[int, list[int]]:
        found = _table(self, table)
        return {key: _docs(found[key])[:per_key] for key in keys if key in found}

    def text_hash_keys(self, digests: Sequence[str]) -> dict[str, list[int]]:
        found = self._by_hash
        return {digest: found[digest][:16] for digest in digests if digest in found}

    def docs(self, keys: Sequence[int]) -> list[IndexedDoc]:
        return [self._entries[key - 1].doc for key in keys]

    def key_of(self, article_id: str) -> int | None:
        for entry in self._entries:
            if entry.doc.id == article_id:
                return entry.doc.key
        return None

    def source(self, key: int) -> tuple[str, str | None]:
        entry = self._entries[key - 1]
        return entry.text, entry.outlet

    def line_counts(self, keys: Sequence[int]) -> dict[int, int]:
        lines = self._lines
        return {key: lines[key] for key in keys if key in lines}

    def add(self, doc: NewDoc) -> int:
        key = len(self._entries) + 1
        root = doc.root if doc.root is not None else key
        root_id = doc.id if root == key else self._entries[root - 1].doc.id
        indexed = IndexedDoc(key, doc.id, root, root_id, doc.published, doc.length)
        self._entries.append(_Entry(indexed, doc.text, doc.outlet))
        self._by_hash.setdefault(doc.text_hash, []).append(key)
        for table, keys in ((self._bands, doc.bands), (self._anchors, doc.anchors)):
            hold = table.setdefault
            for value in keys:
                held = hold(value, key)
                if held is key:  # the first to hold it: the very int just stored
                    continue
                if isinstance(held, int):
                    table[value] = [held, key]
                else:
                    held.append(key)
        lines = self._lines
        for line in doc.lines:
            lines[line] = lines.get(line, 0) + 1
        self._members.setdefault(root, []).append(key)
        if doc.link is not None:
            self.links[doc.id] = doc.link
        return key

    def repoint(self, old_root: int, new_root: int, link: CopyLink) -> list[str]:
        members = self._members.pop(old_root, [old_root])
        new_id = self._entries[new_root - 1].doc.id
        changed = []
        for key in members:
            entry = self._entries[key - 1]
            entry.doc = replace(entry.doc, root=new_root, root_id=new_id)
            current = link if key == old_root else self.links.get(entry.doc.id)
            if current is not None:
                self.links[entry.doc.id] = replace(current, original=new_id)
                changed.append(entry.doc.id)
        self._members.setdefault(new_root, []).extend(members)
        return changed

    def __len__(self) -> int:
        return len(self._entries)


def _count(table: dict[int, int | list[int]], keys: Sequence[int], per_key: int) -> dict[int, int]:
    found: dict[int, int] = {}
    for key in keys:
        held = table.get(key)
        if held is None:
            continue
        if isinstance(held, int):
            found[held] = found.get(held, 0) + 1
            continue
        for doc in held[:per_key]:
            found[doc] = found.get(doc, 0) + 1
    return found


def _docs(held: int | list[int]) -> list[int]:
    return [held] if isinstance(held, int) else held


def _table(index: InMemoryCopyIndex, name: str) -> dict[int, int | list[int]]:
    if name == "bands":
        return index._bands
    if name == "anchors":
        return index._anchors
    raise ValueError(f"no copy index table {name!r} (bands or anchors)")

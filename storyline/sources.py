"""Source readers: turn paths, directories and stdin into raw documents.

A reader never raises for a bad input; it yields an :class:`InputError` in the
input's place and goes on, so that one broken file or line costs only itself.
Formats are chosen by extension (``.jsonl``, ``.html``, ``.txt``, each optionally
``.gz``) and, where the extension says nothing, by sniffing the first bytes.
JSON Lines is streamed line by line, so a file of any size is read in bounded
memory; a single text or HTML file is one article and is refused above
``Config.max_article_bytes``.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from charset_normalizer import from_bytes

from .errors import ExtractionError, InputError, SourceError

Kind = Literal["text", "html", "record"]

RECORD_SUFFIXES = {".jsonl", ".ndjson", ".json"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
TEXT_SUFFIXES = {".txt", ".text", ".md"}
KNOWN_SUFFIXES = RECORD_SUFFIXES | HTML_SUFFIXES | TEXT_SUFFIXES
GZIP_MAGIC = b"\x1f\x8b"
LIKELY_ENCODINGS = [
    "cp1252",
    "iso8859_15",
    "cp1250",
    "iso8859_2",
    "cp1251",
    "koi8_r",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp874",
    "shift_jis",
    "euc_jp",
    "gb18030",
    "big5",
    "euc_kr",
    "utf_16",
]
STDIN = "-"


@dataclass(slots=True)
class RawDocument:
    """One input before extraction: where it came from and what it holds."""

    origin: str
    kind: Kind
    content: str | dict[str, Any]
    path: str | None


class InputReader:
    """Iterates raw documents (or errors) from many inputs, tracking bytes for progress."""

    def __init__(self, inputs: Iterable[str | os.PathLike[str]], max_article_bytes: int) -> None:
        self.inputs = [os.fspath(item) for item in inputs]
        self.max_article_bytes = max_article_bytes
        self.bytes_done = 0
        self._current: IO[bytes] | None = None

    @property
    def total_bytes(self) -> int | None:
        """Size of every input on disk, or None when stdin is among them."""
        total = 0
        for item in self.inputs:
            if item == STDIN:
                return None
            for path in _expand(Path(item)):
                try:
                    total += path.stat().st_size
                except OSError:
                    continue
        return total

    @property
    def bytes_read(self) -> int:
        current = 0
        if self._current is not None:
            try:
                current = self._current.tell()
            except (OSError, ValueError):
                current = 0
        return self.bytes_done + current

    def __iter__(self) -> Iterator[RawDocument | InputError]:
        for item in self.inputs:
            if item == STDIN:
                yield from self._read_stream(sys.stdin.buffer, "<stdin>", None, None)
                continue
            path = Path(item)
            if not path.exists():
                yield SourceError(item, "no such file or directory")
                continue
            for file in _expand(path):
                yield from self._read_file(file)

    def _read_file(self, path: Path) -> Iterator[RawDocument | InputError]:
        origin = str(path)
        try:
            raw = path.open("rb")
        except OSError as error:
            yield SourceError(origin, f"cannot read: {error.strerror or error}")
            return
        with raw:
            self._current = raw
            suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
            try:
                yield from self._read_stream(raw, origin, suffixes[-1] if suffixes else "", origin)
            except (OSError, EOFError, zlib.error) as error:
                yield SourceError(origin, f"cannot read: {error}")
            finally:
                with suppress(OSError):
                    self.bytes_done += path.stat().st_size
                self._current = None

    def _read_stream(
        self,
        stream: IO[bytes],
        origin: str,
        suffix: str | None,
        path: str | None,
        first_line: int = 0,
    ) -> Iterator[RawDocument | InputError]:
        if not hasattr(stream, "peek"):  # e.g. BytesIO: sniffing needs a buffered stream
            stream = io.BufferedReader(stream)  # type: ignore[type-var]
        head = _peek(stream)
        if head.startswith(GZIP_MAGIC):
            stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
            head = _peek(stream)
        kind = _kind_for(suffix, head)
        if kind == "record":
            yield from _read_records(stream, origin, path, self.max_article_bytes, first_line)
            return
        data = stream.read(self.max_article_bytes + 1)
        if len(data) > self.max_article_bytes:
            limit = self.max_article_bytes / 1_000_000
            yield SourceError(origin, f"larger than {limit:g} MB: too large for one article")
            return
        try:
            text = decode(data, origin)
        except InputError as error:
            yield error
            return
        if not text.strip():
            yield ExtractionError(origin, "empty file")
            return
        yield RawDocument(origin, kind, text, path)


def read_stream(
    stream: IO[bytes],
    origin: str,
    max_article_bytes: int,
    *,
    suffix: str | None = None,
    first_line: int = 0,
) -> Iterator[RawDocument | InputError]:
    """Raw documents (or errors) of one already opened input, as a file of it would give.

    For readers that get their bytes elsewhere (a Spark task reading a cluster's
    file system); ``suffix`` is the lower-case extension without ``.gz``, if known;
    ``first_line``: lines of the file before the stream (a part of a JSON Lines file).
    """
    reader = InputReader([], max_article_bytes)
    yield from reader._read_stream(stream, origin, suffix, origin, first_line)


def _peek(stream: IO[bytes]) -> bytes:
    peek = getattr(stream, "peek", None)
    return peek(512)[:512] if peek is not None else b""


def _expand(path: Path) -> Iterator[Path]:
    """A file stands for itself; a directory for its article files, recursively, sorted."""
    if not path.is_dir():
        yield path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            file = Path(root) / name
            suffixes = [s.lower() for s in file.suffixes if s.lower() != ".gz"]
            if not suffixes or suffixes[-1] in KNOWN_SUFFIXES:
                yield file


def _kind_for(suffix: str | None, head: bytes) -> Kind:
    if suffix in RECORD_SUFFIXES:
        return "record"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "text"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"{"):
        return "record"
    lowered = start[:200].lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in lowered:
        return "html"
    return "text"


def decode(data: bytes, origin: str) -> str:
    """UTF-8 when it is, else the detected encoding; binary data is an error."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(origin, "binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Left to itself the detector picks rare code pages (cp775 for French or German
    # text), so it chooses among the encodings news is published in, and between
    # equally plausible ones prefers the more common (cp1252 over cp1250 for "naïve").
    matches = list(from_bytes(data[:1_000_000], cp_isolation=LIKELY_ENCODINGS))
    if not matches:
        raise SourceError(origin, "binary file or unknown text encoding")
    best = min(
        matches,
        key=lambda m: (round(m.chaos, 3), -round(m.coherence, 3), _preference(m.encoding)),
    )
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise SourceError(origin, f"cannot decode as {best.encoding}") from None


def _preference(encoding: str) -> int:
    return (
        LIKELY_ENCODINGS.index(encoding) if encoding in LIKELY_ENCODINGS else len(LIKELY_ENCODINGS)
    )


def _read_records(
    stream: IO[bytes], origin: str, path: str | None, max_bytes: int, first_line: int = 0
) -> Iterator[RawDocument | InputError]:
    line_number = first_line
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        line_number += 1
        where = f"{origin}:{line_number}"
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(max_bytes + 1)
            yield ExtractionError(where, f"line longer than {max_bytes} bytes, skipped")
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(decode(line, where))
        except InputError as error:
            yield error
            continue
        except json.JSONDecodeError as error:
            yield ExtractionError(where, f"malformed JSON: {error.msg} at column {error.colno}")
            continue
        if not isinstance(record, dict):
            yield ExtractionError(where, f"expected a JSON object, got {type(record).__name__}")
            continue
        yield RawDocument(where, "record", record, path)

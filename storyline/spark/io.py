"""What the Spark job reads and writes: inputs as raw documents, outputs as Parquet.

Inputs are any paths Spark's file systems reach (local, HDFS, S3 with the usual
Hadoop configuration). Parquet inputs (a ``.parquet`` path, or a directory of
``.parquet`` files) are read as tables of article records. Other inputs are
WARC and WARC.gz (recognised by their first bytes), JSON Lines, HTML and text,
each optionally gzipped, read exactly as :mod:`storyline.sources` reads them on
one machine, and their records keep their line or record numbers:

* files the workers open by path (local paths, ``file:`` URIs: one machine, or a
  file system every node mounts) are cut into parts of about ``split_bytes``
  (:func:`plan_file`, one task per file, reading no more than it must): a WARC at
  record boundaries, an uncompressed JSON Lines file at line boundaries; each
  part is then one task (:func:`read_split`). A gzipped JSON Lines file cannot be
  entered in the middle and stays one part, read as a stream;
* other paths (``hdfs:``, ``s3a:``...) are read with ``binaryFiles``: each file
  is one task, held in its memory.

Every input yields :class:`Item` values: an extracted article or the error that
replaced it. Nothing here raises for a bad record.
"""

from __future__ import annotations

import glob
import gzip
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from ..config import Config
from ..errors import ExtractionError, InputError
from ..extract import Extracted
from ..model import Assignment, format_datetime
from ..sources import GZIP_MAGIC, RawDocument, _expand, _kind_for, read_stream
from ..warc import WarcReader, extract_record

#: (input number, file, record number): the order articles arrive in, as one machine reads them
Order = tuple[int, str, int]

WARC_MAGIC = (b"WARC/", b"warc/")
#: local input files are read in parts of about this size, one task each
SPLIT_BYTES = 64 << 20
ARTICLE_COLUMNS = (
    "id",
    "identity",
    "text_hash",
    "url",
    "path",
    "outlet",
    "author",
    "title",
    "published",
    "language",
    "event",
    "storyline",
    "copy_original",
    "copy_of",
    "entities",
    "quotes",
    "times",
    "facts",
    "metadata",
    "text",
)
#: article columns that hold JSON text (nested annotations, as in the export schema)
JSON_COLUMNS = frozenset({"copy_of", "entities", "quotes", "times", "facts", "metadata"})
STORY_LIST_COLUMNS = ("articles", "events")
STORY_JSON_COLUMNS = (
    "summary",
    "timeline",
    "contradictions",
    "agreements",
    "quotes",
    "estimated_dates",
    "republications",
)


@dataclass(slots=True)
class Item:
    """One input record after extraction: an article, or the error that replaced it."""

    order: Order
    extracted: Extracted | None = None
    error: InputError | None = None


def is_parquet(path: str) -> bool:
    """A ``.parquet`` file or a local directory holding Parquet files."""
    if path.rstrip("/").lower().endswith(".parquet"):
        return True
    local = Path(path)
    return local.is_dir() and any(local.rglob("*.parquet"))


def read_file(number: int, path: str, data: bytes, config: Config) -> Iterator[Item]:
    """Extract every article of one input file; bad records become error items."""
    origin = _local_name(path)
    head = data[:2]
    if head == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            yield Item((number, path, 0), error=ExtractionError(origin, f"bad gzip data: {error}"))
            return
    if data.lstrip()[:5] in WARC_MAGIC:
        yield from _warc_items(number, path, io.BytesIO(data), 0, config)
        return
    suffix = _suffix(path)
    documents = read_stream(io.BytesIO(data), origin, config.max_article_bytes, suffix=suffix)
    for record, document in enumerate(documents, 1):
        yield extract_item((number, path, record), document, config)


@dataclass(frozen=True, slots=True)
class Split:
    """A part of one input file that one task reads: bytes ``[start, end)``.

    ``kind``: ``warc`` (whole records; ``first`` records of the file come before),
    ``lines`` (whole lines of uncompressed JSON Lines; ``first`` lines before) or
    ``file`` (the whole file, read as a stream).
    """

    number: int
    path: str
    kind: str
    start: int = 0
    end: int = -1
    first: int = 0


def local_files(path: str) -> list[str]:
    """The files of a local input (a file, a directory, a glob), as absolute paths."""
    local = _local_name(path)
    # Path.glob takes no absolute patterns
    matched = sorted(glob.glob(local)) if glob.has_magic(local) else [local]  # noqa: PTH207
    found: list[str] = []
    for name in matched:
        item = Path(name)
        if item.exists():
            found.extend(str(file.resolve()) for file in _expand(item))
    return found


def is_local(path: str) -> bool:
    """A path the workers open themselves (no scheme, or ``file:``)."""
    return "://" not in path or path.startswith("file:")


def plan_file(number: int, path: str, split_bytes: int) -> list[Split]:
    """Cut one local input file into parts of about ``split_bytes``, at record boundaries."""
    local = _local_name(path)
    try:
        with Path(local).open("rb") as handle:
            head = handle.read(2)
            handle.seek(0)
            if head == GZIP_MAGIC:
                with gzip.GzipFile(fileobj=handle) as inner:
                    warc = inner.read(512).lstrip()[:5] in WARC_MAGIC
            else:
                start = handle.read(512)
                warc = start.lstrip()[:5] in WARC_MAGIC
            handle.seek(0)
            if warc:
                return _warc_splits(number, path, handle, split_bytes)
            if head != GZIP_MAGIC and _kind_for(_suffix(path), start) == "record":
                return _line_splits(number, path, handle, split_bytes)
    except (OSError, EOFError):
        pass  # the reader reports it, with the reason
    return [Split(number, path, "file")]


def _warc_splits(number: int, path: str, handle: Any, split_bytes: int) -> list[Split]:
    """Consecutive runs of whole WARC records (each gzip member is one record)."""
    from warcio.archiveiterator import ArchiveIterator

    splits: list[Split] = []
    start, first, count = 0, 0, 0
    records = ArchiveIterator(handle, arc2warc=True)
    try:
        for _ in records:
            count += 1
            end = records.get_record_offset() + records.get_record_length()
            if end - start >= split_bytes:
                splits.append(Split(number, path, "warc", start, end, first))
                start, first = end, count
    except Exception:  # a damaged tail is read, and reported, by the last part
        pass
    splits.append(Split(number, path, "warc", start, -1, first))
    return splits


def _line_splits(number: int, path: str, handle: Any, split_bytes: int) -> list[Split]:
    """Runs of whole lines: each part ends with the line that takes it to ``split_bytes``."""
    splits: list[Split] = []
    start = first = lines = position = 0
    while block := handle.read(1 << 20):
        offset = 0
        while (want := start + split_bytes - position) < len(block):
            cut = block.find(b"\n", max(want - 1, offset))
            if cut < 0:
                break
            lines += block.count(b"\n", offset, cut + 1)
            end = position + cut + 1
            splits.append(Split(number, path, "lines", start, end, first))
            start, first, offset = end, lines, cut + 1
        lines += block.count(b"\n", offset)
        position += len(block)
    splits.append(Split(number, path, "lines", start, -1, first))
    return splits


def read_split(split: Split, config: Config) -> Iterator[Item]:
    """Extract every article of one part of a local input file."""
    local = _local_name(split.path)
    try:
        handle = Path(local).open("rb")  # noqa: SIM115 - closed below, when read
    except OSError as error:
        reason = f"cannot read: {error.strerror or error}"
        yield Item((split.number, split.path, 0), error=ExtractionError(local, reason))
        return
    with handle:
        if split.kind == "file":
            documents = read_stream(handle, local, config.max_article_bytes, suffix=_suffix(local))
            for record, document in enumerate(documents, 1):
                yield extract_item((split.number, split.path, record), document, config)
            return
        handle.seek(split.start)
        size = split.end - split.start if split.end >= 0 else os.fstat(handle.fileno()).st_size
        data = io.BytesIO(handle.read(max(size, 0)))
    if split.kind == "warc":
        yield from _warc_items(split.number, split.path, data, split.first, config)
        return
    documents = read_stream(
        data, local, config.max_article_bytes, suffix=_suffix(local), first_line=split.first
    )
    for position, document in enumerate(documents, 1):
        yield extract_item((split.number, split.path, split.first + position), document, config)


def _warc_items(number: int, path: str, stream: IO[bytes], first: int, config: Config) -> Any:
    """The articles of WARC records, numbered as records of the whole file."""
    reader = WarcReader(stream, _local_name(path), config.max_article_bytes, start_record=first)
    for document in reader:
        yield extract_item((number, path, reader.records), document, config)


def extract_item(order: Order, document: RawDocument | InputError, config: Config) -> Item:
    if isinstance(document, InputError):
        return Item(order, error=document)
    try:
        return Item(order, extracted=extract_record(document, config.min_words))
    except InputError as error:
        return Item(order, error=error)
    except Exception as error:  # a record no stage foresaw must not fail the job
        return Item(order, error=ExtractionError(document.origin, f"cannot extract: {error!r}"))


def parquet_record(row: dict[str, Any]) -> dict[str, Any]:
    """A Parquet row as a JSON Lines record would hold it (dates as ISO text)."""
    return {key: _plain(value) for key, value in row.items() if value is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _suffix(path: str) -> str | None:
    suffixes = [s.lower() for s in Path(path).suffixes if s.lower() != ".gz"]
    return suffixes[-1] if suffixes else None


def _local_name(path: str) -> str:
    return path.removeprefix("file:") if path.startswith("file:/") else path


# -- output rows --------------------------------------------------------------------


def article_row(extracted: Extracted) -> dict[str, Any]:
    """One row of the articles table: the export schema, nested parts as JSON text."""
    data = extracted.article.to_dict()
    row: dict[str, Any] = {}
    for column in ARTICLE_COLUMNS:
        if column in JSON_COLUMNS:
            row[column] = json.dumps(data[column], ensure_ascii=False, default=str)
        elif column not in ("identity", "text_hash", "copy_original"):
            row[column] = data[column]
    link = extracted.article.copy_of
    row["copy_original"] = link.original if link else None
    row["identity"] = extracted.identity
    row["text_hash"] = extracted.text_hash
    return row


def row_article(row: dict[str, Any]) -> dict[str, Any]:
    """The export-schema dict of an articles row (the inverse of :func:`article_row`)."""
    data = {key: value for key, value in row.items() if key not in ("identity", "text_hash")}
    for column in JSON_COLUMNS:
        if isinstance(data.get(column), str):
            data[column] = json.loads(data[column])
    data.pop("copy_original", None)
    return data


def assignment_row(assignment: Assignment) -> dict[str, Any]:
    row = assignment.to_dict()
    row["features"] = json.dumps(row["features"])
    return row


def story_row(story: dict[str, Any]) -> dict[str, Any]:
    """One row of the stories table from a story's export dict."""
    row = dict(story)
    for column in STORY_JSON_COLUMNS:
        row[column] = json.dumps(row.get(column) or [], ensure_ascii=False, default=str)
    for column in ("first_published", "last_published"):
        value = row.get(column)
        row[column] = format_datetime(value) if isinstance(value, datetime) else value
    return row

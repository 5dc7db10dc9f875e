"""What the Spark job reads and writes: inputs as raw documents, outputs as Parquet.

Inputs are any paths Spark's file systems reach (local, HDFS, S3 with the usual
Hadoop configuration). Parquet inputs (a ``.parquet`` path, or a directory of
``.parquet`` files) are read as tables of article records; every other path is
read file by file with ``binaryFiles``, so each file is one task and its records
keep their line numbers: WARC and WARC.gz (recognised by their first bytes),
JSON Lines, HTML and text, each optionally gzipped, exactly as
:mod:`storyline.sources` reads them on one machine.

Every input yields :class:`Item` values: an extracted article or the error that
replaced it. Nothing here raises for a bad record.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import ExtractionError, InputError
from ..extract import Extracted
from ..model import Assignment, format_datetime
from ..sources import RawDocument, read_stream
from ..warc import extract_record, warc_documents

#: (input number, file, record number): the order articles arrive in, as one machine reads them
Order = tuple[int, str, int]

WARC_MAGIC = (b"WARC/", b"warc/")
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
    if head == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            yield Item((number, path, 0), error=ExtractionError(origin, f"bad gzip data: {error}"))
            return
    if data.lstrip()[:5] in WARC_MAGIC:
        documents = warc_documents(io.BytesIO(data), origin, config.max_article_bytes)
    else:
        suffix = _suffix(path)
        documents = read_stream(io.BytesIO(data), origin, config.max_article_bytes, suffix=suffix)
    for record, document in enumerate(documents, 1):
        yield extract_item((number, path, record), document, config)


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

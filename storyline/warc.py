"""WARC input: web crawls (WARC or WARC.gz, such as CC-NEWS) as raw documents.

A WARC file is a sequence of records; only ``response`` records holding an HTML
page with status 200 can be articles. Everything else (requests, metadata,
redirects, images, feeds, empty bodies) is counted as skipped, by reason, and
never reported as an error: a crawl is mostly such records. The article's URL and
crawl date come from the WARC headers; the crawl date stands in for the
publication date when the page itself names none.

:func:`warc_documents` is the reusable part (the Spark job calls it on each
file); :func:`ingest_warc` is the resumable ingest used by ``storyline ingest``:
after each batch commits, the offset of the next record is recorded in the same
transaction, so an interrupted run continues from there and re-extracts nothing
that is already in the store.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from .errors import ExtractionError, InputError, SourceError
from .extract import Extracted, extract
from .model import parse_datetime
from .sources import RawDocument, decode
from .store import WarcProgress

if TYPE_CHECKING:
    from .engine import Engine, IngestReport

__all__ = [
    "WARC_SUFFIXES",
    "WarcReader",
    "extract_record",
    "ingest_warc",
    "is_warc",
    "warc_documents",
]

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
HTML_TYPES = ("text/html", "application/xhtml+xml")
#: bytes of the file hashed to tell one WARC file from another at the same path
FINGERPRINT_BYTES = 65_536


def is_warc(path: str | os.PathLike[str]) -> bool:
    """Whether a path names a WARC (or ARC) file, compressed or not."""
    return os.fspath(path).lower().endswith(WARC_SUFFIXES)


class WarcReader:
    """Iterates a WARC stream's article pages as raw documents, counting what it skips.

    ``next_offset`` is the byte offset (in the file as stored, compressed or not)
    of the first record not yet yielded or skipped: where a later run can resume.
    """

    def __init__(
        self, stream: IO[bytes], origin: str, max_bytes: int = 5_000_000, start_record: int = 0
    ) -> None:
        self.stream = stream
        self.origin = origin
        self.max_bytes = max_bytes
        #: records read so far, counting from the start of the file
        self.records = start_record
        self.next_offset = _tell(stream)
        self.skipped: Counter[str] = Counter()

    def __iter__(self) -> Iterator[RawDocument | InputError]:
        base = self.next_offset
        records = ArchiveIterator(self.stream, arc2warc=True)
        try:
            for record in records:
                self.records += 1
                item = self._document(record)
                self.next_offset = base + records.get_record_offset() + records.get_record_length()
                if isinstance(item, str):
                    self.skipped[item] += 1
                    continue
                yield item
        # warcio fails in many ways on damaged records (a response without a target URI
        # raises AttributeError); each ends the readable part of the file the same way
        except (
            ArchiveLoadFailed,
            OSError,
            EOFError,
            zlib.error,
            ValueError,
            AttributeError,
        ) as error:
            where = f"{self.origin} record {self.records + 1}"
            yield SourceError(where, f"cannot read the WARC file past this point: {error}")

    def _document(self, record: Any) -> RawDocument | InputError | str:
        """The record as a raw document, an error, or the reason it is not an article."""
        if record.rec_type != "response":
            return f"{record.rec_type} record"
        uri = record.rec_headers.get_header("WARC-Target-URI") or ""
        where = f"{self.origin} record {self.records} ({uri})"
        if record.http_headers is None or not uri.lower().startswith(("http:", "https:")):
            return "not an HTTP response"
        status = record.http_headers.get_statuscode()
        if status != "200":
            return f"HTTP status {status}"
        content_type = (record.http_headers.get_header("Content-Type") or "").lower()
        mime = content_type.split(";")[0].strip()
        if mime and mime not in HTML_TYPES:
            return "not HTML"
        body = record.content_stream().read(self.max_bytes + 1)
        if len(body) > self.max_bytes:
            return "page too large"
        if not body.strip():
            return "empty body"
        try:
            html = _decode(body, content_type, where)
        except InputError as error:
            return error
        content: dict[str, Any] = {"url": uri, "html": html}
        crawled = record.rec_headers.get_header("WARC-Date")
        if crawled:
            content["crawled"] = crawled
        return RawDocument(where, "record", content, self.origin)


def warc_documents(
    stream: IO[bytes], origin: str, max_bytes: int = 5_000_000
) -> Iterator[RawDocument | InputError]:
    """The HTML pages of a WARC stream as raw documents (``kind`` "record").

    Each document's content holds ``url``, ``html`` and ``crawled`` (the WARC date);
    :func:`extract_record` turns it into an article. Records that are not article
    pages are passed over; an unreadable stream ends with one :class:`SourceError`.
    """
    return iter(WarcReader(stream, origin, max_bytes))


def extract_record(raw: RawDocument, min_words: int = 5) -> Extracted:
    """Extract a WARC page; the crawl date stands in when the page names no date."""
    extracted = extract(raw, min_words)
    article = extracted.article
    crawled = article.metadata.get("crawled")
    if article.published is None and isinstance(crawled, str):
        with suppress(ValueError):
            article.published = parse_datetime(crawled)
    return extracted


def ingest_warc(
    engine: Engine,
    path: str | os.PathLike[str],
    *,
    on_error: Callable[[InputError], None] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    refresh: bool = True,
) -> IngestReport:
    """Ingest one WARC file, resuming where an earlier run on the same file stopped
    (``refresh``: as for :meth:`Engine.ingest_extracted`)."""
    from .engine import IngestReport

    file = Path(path)
    key = str(file.resolve())
    try:
        handle = file.open("rb")
        total = file.stat().st_size
    except OSError as error:
        report = IngestReport()
        report.failed += 1
        report.errors.append(SourceError(str(path), f"cannot read: {error.strerror or error}"))
        if on_error is not None:
            on_error(report.errors[-1])
        return report
    with handle:
        fingerprint = hashlib.sha1(handle.read(FINGERPRINT_BYTES)).hexdigest()
        done = engine.store.warc_progress(key)
        if done is None or done.fingerprint != fingerprint or done.next_offset > total:
            done = WarcProgress(key, fingerprint, 0, 0, finished=False)
        handle.seek(done.next_offset)
        earlier = done.records
        reader = WarcReader(handle, str(path), engine.config.max_article_bytes, done.records)
        report = _ingest(engine, reader, done, total, on_error, progress, refresh)
    if earlier:
        report.skipped["read by an earlier run"] = earlier
    return report


def _ingest(
    engine: Engine,
    reader: WarcReader,
    done: WarcProgress,
    total: int,
    on_error: Callable[[InputError], None] | None,
    progress: Callable[[int, int | None], None] | None,
    refresh: bool,
) -> IngestReport:
    broken = False

    def extracted() -> Iterator[Extracted | InputError]:
        nonlocal broken
        for item in reader:
            if progress is not None:
                progress(reader.next_offset, total)
            if isinstance(item, InputError):
                broken = True
                yield item
                continue
            try:
                yield extract_record(item, engine.config.min_words)
            except ExtractionError:
                # a crawl is full of index pages, galleries and broken markup
                reader.skipped["no article text"] += 1

    def checkpoint() -> None:
        done.next_offset, done.records = reader.next_offset, reader.records
        engine.store.save_warc_progress(done)

    report = engine.ingest_extracted(
        extracted(), on_error=on_error, after_batch=checkpoint, refresh=refresh
    )
    if not broken:
        done.finished = True
        with engine.store.atomic():
            engine.store.save_warc_progress(done)
    for reason, count in reader.skipped.items():
        report.skipped[reason] = report.skipped.get(reason, 0) + count
    if progress is not None:
        progress(total, total)
    return report


def _decode(body: bytes, content_type: str, where: str) -> str:
    """The charset the server declared when it works, else detection."""
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip() == "charset" and value.strip():
            try:
                return body.decode(value.strip().strip("\"'"))
            except (LookupError, UnicodeDecodeError):
                break
    return decode(body, where)


def _tell(stream: IO[bytes]) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0

"""WARC ingest throughput, by stage, against the same articles fed as JSON Lines.

    python bench/warc_bench.py [--data ../shared/data/polnear] [--articles 300]

PolNeAR articles (real news text, with title, outlet and date from its
metadata.tsv) are rendered as news pages (navigation, headline, paragraphs,
footer) and written to a WARC.gz the way a crawler writes one: a request, a
response and a metadata record per page. *Ours* is ``Engine.ingest_warc`` on
that file; the *baseline* is ``Engine.ingest`` of the same articles as JSON
Lines with their plain text, which skips the WARC reading and the HTML
extraction, so the ratio is the cost of those two alone. Both runs ingest into
a fresh store with the default pipeline, one after the other on the same
machine (2 cores, shared), and report records and articles per second with the
time spent in each stage:

- reading: WARC records (or JSON lines) parsed and decoded, progress recorded;
- extraction: trafilatura on each page (none for JSON Lines, whose text is given);
- NLP: the language stages (``Pipeline.pipe``: spaCy parse, entities, quotes,
  times, facts);
- copies+clustering+store: the rest of each batch, inside its transaction.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from polnear import polnear_files
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storyline import warc
from storyline.config import Config
from storyline.engine import Engine, IngestReport
from storyline.model import Article

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear"


def load_articles(data: Path, count: int) -> list[dict[str, str]]:
    """PolNeAR articles with their metadata, as JSON Lines records."""
    articles = []
    for row, raw in polnear_files(data):
        text = raw.strip()
        title, _, body = text.partition("\n")
        outlet = row["publisher"]
        articles.append(
            {
                "url": f"https://www.{outlet}.example/{row['publication_date']}/{row['filename']}",
                "outlet": outlet,
                "title": row["title"] or title.strip(),
                "published": f"{row['publication_date']}T12:00:00Z",
                "author": row["author"],
                "text": body.strip(),
            }
        )
        if len(articles) == count:
            break
    return articles


def page(article: dict[str, str]) -> bytes:
    paragraphs = "".join(
        f"<p>{escape(p.strip())}</p>\n" for p in article["text"].split("\n") if p.strip()
    )
    title = escape(article["title"])
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f'<meta property="article:published_time" content="{article["published"]}">'
        f'<meta name="author" content="{escape(article["author"])}"></head><body>'
        "<header><nav><a href='/'>Home</a> <a href='/politics'>Politics</a> "
        "<a href='/world'>World</a> <a href='/subscribe'>Subscribe</a></nav></header>"
        f"<main><article><h1>{title}</h1><p class='byline'>By {escape(article['author'])}</p>"
        f"{paragraphs}</article><aside><h2>Most read</h2><ul><li><a href='/a'>Another story"
        "</a></li><li><a href='/b'>And one more</a></li></ul></aside></main>"
        "<footer>Copyright the publisher. All rights reserved. Privacy. Terms.</footer>"
        "</body></html>"
    ).encode()


def write_warc(articles: list[dict[str, str]], path: Path) -> int:
    """Request, response and metadata record per page; returns the number of records."""
    records = 0
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for article in articles:
            url = article["url"]
            request = writer.create_warc_record(
                url, "request", payload=io.BytesIO(f"GET {url} HTTP/1.1\r\n\r\n".encode())
            )
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(page(article)), http_headers=headers
            )
            metadata = writer.create_warc_record(
                url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 120\r\n")
            )
            for record in (request, response, metadata):
                writer.write_record(record)
                records += 1
    return records


class Timer:
    """Wraps a callable and adds up the time spent in it (generators: while iterating)."""

    def __init__(self, function: Callable[..., Any], generator: bool = False) -> None:
        self.function, self.generator, self.seconds = function, generator, 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.generator:
            return self._iterate(*args, **kwargs)
        started = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started

    def _iterate(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        started = time.perf_counter()
        iterator = iter(self.function(*args, **kwargs))
        self.seconds += time.perf_counter() - started
        while True:
            started = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                self.seconds += time.perf_counter() - started
                return
            self.seconds += time.perf_counter() - started
            yield item


def timed_run(db: Path, ingest: Callable[[Engine], IngestReport]) -> dict[str, Any]:
    with Engine(db, config=Config()) as engine:
        # load the language model before the clock starts
        warm = Article(id="warm", text="Officials in Washington said on Monday that talks went on.")
        for article in engine.pipeline.pipe([warm], 1):
            article.doc = None
        nlp = Timer(engine.pipeline.pipe, generator=True)
        engine.pipeline.pipe = nlp  # type: ignore[method-assign]
        batches = Timer(engine._write_batch)
        engine._write_batch = batches  # type: ignore[method-assign]
        extraction = Timer(warc.extract_record)
        original = warc.extract_record
        warc.extract_record = extraction  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            report = ingest(engine)
            total = time.perf_counter() - started
        finally:
            warc.extract_record = original  # type: ignore[assignment]
    return {
        "report": report,
        "total": total,
        "extraction": extraction.seconds,
        "nlp": nlp.seconds,
        "store": batches.seconds - nlp.seconds,
        "reading": total - extraction.seconds - batches.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    articles = load_articles(args.data, args.articles)
    with tempfile.TemporaryDirectory() as folder:
        crawl = Path(folder) / "crawl.warc.gz"
        records = write_warc(articles, crawl)
        lines = Path(folder) / "articles.jsonl"
        lines.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
        print(
            f"{len(articles)} PolNeAR articles: {crawl.stat().st_size / 1e6:.1f} MB WARC.gz "
            f"({records} records), {lines.stat().st_size / 1e6:.1f} MB JSON Lines"
        )
        ours = timed_run(Path(folder) / "warc.db", lambda e: e.ingest_warc(crawl))
        baseline = timed_run(Path(folder) / "jsonl.db", lambda e: e.ingest(lines))
    rows = [("WARC.gz (ours)", ours, records), ("JSON Lines (baseline)", baseline, len(articles))]
    print(
        f"{'input':<22}{'records/s':>10}{'articles/s':>11}{'new':>5}"
        f"{'reading':>9}{'extract':>9}{'NLP':>8}{'copies+clust+store':>20}{'total':>8}"
    )
    for name, run, count in rows:
        report = run["report"]
        print(
            f"{name:<22}{count / run['total']:>10.1f}{report.new / run['total']:>11.2f}"
            f"{report.new:>5}{run['reading']:>8.1f}s{run['extraction']:>8.1f}s"
            f"{run['nlp']:>7.1f}s{run['store']:>19.1f}s{run['total']:>7.1f}s"
        )
    ratio = (ours["report"].new / ours["total"]) / (baseline["report"].new / baseline["total"])
    extra = ours["reading"] + ours["extraction"] - baseline["reading"]
    print(
        f"articles/s WARC / JSON Lines: {ratio:.2f}; reading and extraction add "
        f"{1000 * extra / max(1, ours['report'].new):.1f} ms per article"
    )


if __name__ == "__main__":
    main()

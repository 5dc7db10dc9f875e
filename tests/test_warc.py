"""WARC input: article pages from a crawl, skips counted, resumable without duplicates."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import NEWS, Cli
from loopback import article_page
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storyline import warc
from storyline.config import Config
from storyline.engine import Engine
from storyline.errors import InputError
from storyline.sources import RawDocument
from storyline.warc import is_warc, warc_documents

CRAWLED = "2024-03-11T08:00:00Z"


def response(
    writer: WARCWriter,
    url: str,
    body: bytes,
    status: str = "200 OK",
    ctype: str = "text/html; charset=utf-8",
) -> None:
    headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        http_headers=headers,
        warc_headers_dict={"WARC-Date": CRAWLED},
    )
    writer.write_record(record)


def crawl(path: Path, keys: list[str], *, extras: bool = True, compress: bool = True) -> Path:
    """A WARC file of corpus articles as pages, with records that are not articles between."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=compress)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for number, key in enumerate(keys):
            news = NEWS[key]
            if extras:
                request = writer.create_warc_record(
                    news["url"], "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")
                )
                writer.write_record(request)
            page = article_page(news["title"], news["text"], news["published"] if number else None)
            response(writer, news["url"], page.encode("utf-8"))
            if extras:
                response(writer, news["url"] + ".png", b"\x89PNG....", ctype="image/png")
        if extras:
            response(writer, "https://example.org/gone", b"<html></html>", status="404 Not Found")
            broken = b"<html><body><div><p>\xff\xfe<<<</div>>> <script>unclosed"
            response(writer, "https://example.org/broken", broken)
    return path


KEYS = ["bridge", "bridge_other_outlet", "rates", "election"]


@pytest.fixture
def small_batches(db_path: Path) -> Callable[[], Engine]:
    def opened() -> Engine:
        return Engine(db_path, config=Config(batch_size=1))

    return opened


def test_warc_is_recognised_by_name() -> None:
    assert is_warc("crawl.warc.gz") and is_warc("CC-NEWS-2024.warc") and is_warc("old.arc.gz")
    assert not is_warc("articles.jsonl.gz") and not is_warc("page.html")


def test_warc_documents_carry_url_and_crawl_date_from_the_headers(tmp_path: Path) -> None:
    path = crawl(tmp_path / "c.warc.gz", ["bridge", "rates"])
    with path.open("rb") as stream:
        items = list(warc_documents(stream, str(path)))
    documents = [item for item in items if isinstance(item, RawDocument)]
    assert [doc.content["url"] for doc in documents] == [  # type: ignore[index]
        NEWS["bridge"]["url"],
        NEWS["rates"]["url"],
        "https://example.org/broken",
    ]
    first = documents[0]
    assert first.kind == "record" and first.content["crawled"] == CRAWLED  # type: ignore[index]
    assert "record 3" in first.origin and NEWS["bridge"]["url"] in first.origin


def test_warc_ingest_takes_articles_and_counts_the_rest(engine: Engine, tmp_path: Path) -> None:
    path = crawl(tmp_path / "c.warc.gz", KEYS)
    report = engine.ingest_warc(path)
    assert report.ok and report.new == 4
    assert report.skipped == {
        "warcinfo record": 1,
        "request record": 4,
        "not HTML": 4,
        "HTTP status 404": 1,
        "no article text": 1,
    }
    articles = {article.url: article for article in engine.articles()}
    assert set(articles) == {NEWS[key]["url"] for key in KEYS}
    bridge = articles[NEWS["bridge"]["url"]]
    # no date in the page: the crawl date stands in; a dated page keeps its own
    assert bridge.published is not None and bridge.published.isoformat().startswith("2024-03-11T08")
    rates = articles[NEWS["rates"]["url"]]
    assert (
        rates.published is not None
        and rates.published.isoformat()[:10] == NEWS["rates"]["published"][:10]
    )
    assert "Harbour Bridge" in bridge.text


def test_warc_uncompressed_files_are_read_too(engine: Engine, tmp_path: Path) -> None:
    path = crawl(tmp_path / "c.warc", ["bridge"], compress=False)
    assert engine.ingest_warc(path).new == 1


def test_warc_run_again_reads_nothing_twice(engine: Engine, tmp_path: Path) -> None:
    path = crawl(tmp_path / "c.warc.gz", KEYS)
    engine.ingest_warc(path)
    again = engine.ingest_warc(path)
    assert again.read == 0 and again.new == 0
    assert again.skipped == {"read by an earlier run": 15}
    assert engine.store.count_articles() == 4


def test_warc_interrupted_ingest_resumes_without_duplicates_or_extracting_again(
    small_batches: Callable[[], Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = crawl(tmp_path / "c.warc.gz", KEYS)
    extracted: list[str] = []
    real_extract = warc.extract_record

    def counting(raw: RawDocument, min_words: int = 5) -> Any:
        extracted.append(str(raw.content["url"]))  # type: ignore[index]
        return real_extract(raw, min_words)

    monkeypatch.setattr(warc, "extract_record", counting)
    engine = small_batches()
    real_write = engine._write_batch
    calls = 0

    def interrupted(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        real_write(*args, **kwargs)

    monkeypatch.setattr(engine, "_write_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        engine.ingest_warc(path)
    engine.close()
    assert extracted[:3] == [NEWS[key]["url"] for key in KEYS[:3]]

    extracted.clear()
    with small_batches() as resumed:
        assert resumed.store.count_articles() == 2
        report = resumed.ingest_warc(path)
        assert report.new == 2 and report.known == 0
        assert extracted[:2] == [NEWS[key]["url"] for key in KEYS[2:]]
        urls = [article.url for article in resumed.articles()]
    assert sorted(urls) == sorted(NEWS[key]["url"] for key in KEYS)


def test_warc_another_file_at_the_same_path_starts_over(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "c.warc.gz"
    crawl(path, ["bridge"])
    assert engine.ingest_warc(path).new == 1
    crawl(path, ["rates", "election"])
    assert engine.ingest_warc(path).new == 2


def test_warc_damaged_file_keeps_what_came_before(engine: Engine, tmp_path: Path) -> None:
    path = crawl(tmp_path / "c.warc.gz", KEYS, extras=False)
    path.write_bytes(path.read_bytes() + b"\x1f\x8b\x08\x00garbage-garbage-garbage")
    errors: list[InputError] = []
    report = engine.ingest_warc(path, on_error=errors.append)
    assert report.new == 4 and not report.ok
    assert len(errors) == 1 and "cannot read the WARC file past this point" in str(errors[0])
    assert str(errors[0]).startswith(f"{path} record 6:")


def test_warc_response_without_a_target_uri_is_an_error_not_a_crash(
    engine: Engine, tmp_path: Path
) -> None:
    path = crawl(tmp_path / "c.warc", ["bridge"], extras=False, compress=False)
    headless = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 500\r\n\r\nxx"
    path.write_bytes(path.read_bytes() + headless)
    errors: list[InputError] = []
    report = engine.ingest_warc(path, on_error=errors.append)
    assert report.new == 1 and not report.ok
    assert len(errors) == 1 and "cannot read the WARC file past this point" in str(errors[0])


def test_warc_missing_file_is_an_input_error(engine: Engine, tmp_path: Path) -> None:
    report = engine.ingest_warc(tmp_path / "nope.warc.gz")
    assert report.failed == 1 and "nope.warc.gz" in str(report.errors[0])


def test_warc_cli_ingests_a_crawl_with_files(
    cli: Cli, tmp_path: Path, write: Any, text_file: Any
) -> None:
    path = crawl(tmp_path / "crawl.warc.gz", ["bridge", "rates"])
    page = write("extra.txt", text_file("election"))
    result = cli("ingest", str(path), str(page))
    assert result.exit_code == 0, result.output
    assert "new 3" in result.output and "skipped" in result.output and "not HTML" in result.output

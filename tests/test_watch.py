"""Watching feeds and ingesting URLs, against feeds and pages served on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from conftest import NEWS, Cli
from loopback import LoopbackServer, Reply, article_page, serving

from storyline.config import Config
from storyline.engine import Engine
from storyline.errors import ConfigError, InputError
from storyline.net import FeedSpec, Fetcher, Watcher, load_feeds, parse_feed
from storyline.net.watch import parse_interval

FAST = Config(
    fetch_backoff=0.01,
    fetch_retries=1,
    host_interval=0.0,
    fetch_timeout=2.0,
    feed_full_text_words=60,
)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serving() as running:
        yield running


def rss(server: LoopbackServer, keys: list[str], *, full: bool) -> str:
    """An RSS feed of corpus articles; links point at pages on the server."""
    items = []
    for key in keys:
        news = NEWS[key]
        link = server.url(f"/articles/{key}")
        body = news["text"] if full else news["text"].split(". ")[0] + "."
        content = f"<content:encoded>{escape(body)}</content:encoded>" if full else ""
        items.append(
            f"<item><title>{escape(news['title'])}</title><link>{link}</link>"
            f"<guid>{link}</guid><pubDate>Sun, 10 Mar 2024 07:45:00 GMT</pubDate>"
            f"<description>{escape(body[:200])}</description>{content}</item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Test</title><link>{server.url('/')}</link>{''.join(items)}</channel></rss>"
    )


def atom(server: LoopbackServer, keys: list[str]) -> str:
    entries = "".join(
        f"<entry><id>urn:test:{key}</id><title>{escape(NEWS[key]['title'])}</title>"
        f'<link href="{server.url(f"/articles/{key}")}"/><updated>2024-03-10T07:45:00Z</updated>'
        f"<summary>{escape(NEWS[key]['text'][:120])}</summary></entry>"
        for key in keys
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Test</title><id>urn:test</id><updated>2024-03-10T07:45:00Z</updated>{entries}</feed>"
    )


def serve_pages(server: LoopbackServer, keys: list[str]) -> None:
    for key in keys:
        news = NEWS[key]
        page = article_page(news["title"], news["text"], news["published"])
        server.routes[f"/articles/{key}"] = Reply(body=page)


def watcher(
    engine: Engine, feeds: list[FeedSpec], errors: list[InputError] | None = None
) -> Watcher:
    fetcher = Fetcher(engine.config, allow_private=True)
    return Watcher(engine, fetcher, feeds, on_error=None if errors is None else errors.append)


@pytest.fixture
def fast_engine(db_path: Path) -> Iterator[Engine]:
    with Engine(db_path, config=FAST) as opened:
        yield opened


def test_watch_rss_with_full_content_is_ingested_without_fetching_pages(
    server: LoopbackServer, fast_engine: Engine
) -> None:
    server.routes["/rss"] = Reply(
        body=rss(server, ["bridge", "rates"], full=True), content_type="application/rss+xml"
    )
    report = watcher(fast_engine, [FeedSpec(server.url("/rss"), "Feed Outlet")]).poll()
    assert [(f.status, f.new_items, f.new_articles) for f in report.feeds] == [("changed", 2, 2)]
    assert server.hits("/articles/bridge") == []
    articles = list(fast_engine.articles())
    assert {a.outlet for a in articles} == {"Feed Outlet"}
    assert {a.url for a in articles} == {
        server.url("/articles/bridge"),
        server.url("/articles/rates"),
    }
    bridge = next(a for a in articles if a.url and a.url.endswith("bridge"))
    assert "Harbour Bridge" in bridge.text and bridge.metadata["feed"] == server.url("/rss")


def test_watch_summary_only_items_have_their_page_fetched(
    server: LoopbackServer, fast_engine: Engine
) -> None:
    server.routes["/atom"] = Reply(
        body=atom(server, ["bridge", "election"]), content_type="application/atom+xml"
    )
    serve_pages(server, ["bridge", "election"])
    report = watcher(fast_engine, [FeedSpec(server.url("/atom"))]).poll()
    assert report.feeds[0].new_articles == 2
    assert len(server.hits("/articles/bridge")) == 1
    texts = {a.url: a.text for a in fast_engine.articles()}
    assert (
        "forty minutes" in texts[server.url("/articles/bridge")]
    )  # from the page, not the summary


def test_watch_json_feed(server: LoopbackServer, fast_engine: Engine) -> None:
    items = [
        {
            "id": key,
            "url": server.url(f"/articles/{key}"),
            "title": NEWS[key]["title"],
            "content_text": NEWS[key]["text"],
            "date_published": NEWS[key]["published"],
            "authors": [{"name": "A. Writer"}],
        }
        for key in ["rates", "election"]
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items}
    server.routes["/feed.json"] = Reply(body=json.dumps(feed), content_type="application/feed+json")
    report = watcher(fast_engine, [FeedSpec(server.url("/feed.json"))]).poll()
    assert report.feeds[0].new_articles == 2
    assert {a.author for a in fast_engine.articles()} == {"A. Writer"}


def test_watch_takes_each_item_once_and_asks_conditionally(
    server: LoopbackServer, fast_engine: Engine
) -> None:
    feeds = {"keys": ["bridge"]}

    def feed(seen: Any) -> Reply:
        tag = '"' + "-".join(feeds["keys"]) + '"'
        if seen.headers.get("if-none-match") == tag:
            return Reply(304)
        return Reply(
            body=rss(server, feeds["keys"], full=True),
            headers={"ETag": tag},
            content_type="application/rss+xml",
        )

    server.routes["/rss"] = feed
    watching = watcher(fast_engine, [FeedSpec(server.url("/rss"))])
    assert watching.poll().feeds[0].new_articles == 1
    assert watching.poll().feeds[0].status == "not modified"
    feeds["keys"] = ["bridge", "rates"]
    second = watching.poll().feeds[0]
    assert (second.new_items, second.new_articles) == (1, 1)
    assert fast_engine.store.count_articles() == 2
    assert server.hits("/rss")[-1].headers["if-none-match"] == '"bridge"'


def test_watch_survives_down_malformed_and_slow_feeds(
    server: LoopbackServer, fast_engine: Engine
) -> None:
    server.routes["/down"] = Reply(503)
    server.routes["/broken"] = Reply(
        body="<?xml version='1.0'?><rss><channel><<<&&& not XML", content_type="application/rss+xml"
    )
    server.routes["/slow"] = Reply(body=rss(server, ["rates"], full=True), delay=3.0)
    server.routes["/good"] = Reply(
        body=rss(server, ["bridge"], full=True), content_type="application/rss+xml"
    )
    errors: list[InputError] = []
    names = ["/down", "/broken", "/slow", "/good"]
    report = watcher(fast_engine, [FeedSpec(server.url(n)) for n in names], errors).poll()
    outcome = {f.feed.rsplit("/", 1)[1]: (f.status, f.error) for f in report.feeds}
    assert outcome["good"] == ("changed", None)
    assert outcome["down"][0] == "failed" and "HTTP 503" in str(outcome["down"][1])
    assert outcome["broken"][0] == "failed" and "malformed feed" in str(outcome["broken"][1])
    assert outcome["slow"][0] == "failed" and "timed out" in str(outcome["slow"][1])
    assert fast_engine.store.count_articles() == 1
    state = fast_engine.store.feed_state(server.url("/down"))
    assert state.failures == 1 and "503" in str(state.last_error) and state.last_poll
    assert len(errors) == 3


def test_watch_restart_and_kill_mid_poll_take_every_item_exactly_once(
    server: LoopbackServer, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = ["bridge", "bridge_other_outlet", "rates", "election"]
    for number, key in enumerate(keys):
        server.routes[f"/f{number}"] = Reply(
            body=rss(server, [key], full=True), content_type="application/rss+xml"
        )
    specs = [FeedSpec(server.url(f"/f{number}")) for number in range(len(keys))]
    engine = Engine(db_path, config=FAST)
    calls = 0
    real = engine.store.mark_feed_items_seen

    def killed(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:  # dies while committing the third feed
            raise KeyboardInterrupt
        real(*args)

    monkeypatch.setattr(engine.store, "mark_feed_items_seen", killed)
    with pytest.raises(KeyboardInterrupt):
        watcher(engine, specs).poll()
    engine.close()
    with Engine(db_path, config=FAST) as restarted:
        assert restarted.store.count_articles() == 2
        report = watcher(restarted, specs).poll()
        assert sum(f.new_articles for f in report.feeds) == 2
        assert (
            watcher(restarted, specs)
            .poll()
            .summary()
            .endswith("0 new items, 0 new articles, 0 already known, 0 failed")
        )
        assert sorted(a.url or "" for a in restarted.articles()) == sorted(
            server.url(f"/articles/{key}") for key in keys
        )


def test_watch_retries_an_item_whose_page_failed_for_now(
    server: LoopbackServer, fast_engine: Engine
) -> None:
    server.routes["/atom"] = Reply(
        body=atom(server, ["bridge"]), headers={"ETag": '"1"'}, content_type="application/atom+xml"
    )
    server.routes["/articles/bridge"] = Reply(502)
    watching = watcher(fast_engine, [FeedSpec(server.url("/atom"))])
    first = watching.poll().feeds[0]
    assert first.new_articles == 0 and "HTTP 502" in str(first.error)
    serve_pages(server, ["bridge"])
    assert watching.poll().feeds[0].new_articles == 1
    # the validators were not kept while an item was pending, so the feed was read in full
    assert "if-none-match" not in server.hits("/atom")[1].headers


def test_watch_uses_the_feed_text_when_the_page_is_off_limits(
    server: LoopbackServer, fast_engine: Engine
) -> None:
    server.routes["/robots.txt"] = Reply(
        body="User-agent: *\nDisallow: /articles/\n", content_type="text/plain"
    )
    server.routes["/atom"] = Reply(
        body=atom(server, ["bridge"]), content_type="application/atom+xml"
    )
    report = watcher(fast_engine, [FeedSpec(server.url("/atom"))]).poll()
    assert report.feeds[0].new_articles == 1
    article = next(iter(fast_engine.articles()))
    assert article.metadata.get("summary_only") is True
    assert server.hits("/articles/bridge") == []


def test_watch_feeds_file_names_outlets(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[[feed]]\nurl = "https://a.example/rss"\noutlet = "A Daily"\n\n[[feed]]\nurl = "https://b.example/atom"\n'
    )
    assert load_feeds(path) == [
        FeedSpec("https://a.example/rss", "A Daily"),
        FeedSpec("https://b.example/atom"),
    ]
    path.write_text("[[feed]]\noutlet = 'no url'\n")
    with pytest.raises(ConfigError, match="feed 1 has no url"):
        load_feeds(path)


def test_watch_interval_parsing() -> None:
    assert (
        parse_interval("10m") == 600
        and parse_interval("90") == 90
        and parse_interval("1.5h") == 5400
    )
    for bad in ("soon", "0s", "-5m"):
        with pytest.raises(ValueError):
            parse_interval(bad)


def test_watch_parse_feed_refuses_what_is_not_a_feed() -> None:
    with pytest.raises(InputError, match=r"not an RSS, Atom or JSON feed|malformed"):
        parse_feed(b"<html><body>hello</body></html>", "https://x.example/", "text/html")
    with pytest.raises(InputError, match="malformed JSON feed"):
        parse_feed(b"{not json", "https://x.example/", "application/feed+json")


def test_watch_cli_polls_once_with_a_feeds_file(
    cli: Cli, server: LoopbackServer, tmp_path: Path
) -> None:
    server.routes["/rss"] = Reply(
        body=rss(server, ["bridge", "rates"], full=True), content_type="application/rss+xml"
    )
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(f'[[feed]]\nurl = "{server.url("/rss")}"\noutlet = "Loopback News"\n')
    refused = cli("watch", "--once", "--feeds", str(feeds))
    assert refused.exit_code == 1 and "not a public address" in refused.output
    result = cli("watch", "--once", "--allow-private", "--feeds", str(feeds))
    assert result.exit_code == 0, result.output
    assert "2 new articles" in result.output
    with cli.engine() as engine:
        assert {a.outlet for a in engine.articles()} == {"Loopback News"}
        assert engine.store.feed_state(server.url("/rss")).last_poll is not None


def test_ingest_url_fetches_extracts_and_ingests(cli: Cli, server: LoopbackServer) -> None:
    serve_pages(server, ["bridge"])
    server.routes["/doc.pdf"] = Reply(body=b"%PDF", content_type="application/pdf")
    result = cli(
        "ingest", "--allow-private", server.url("/articles/bridge"), server.url("/doc.pdf")
    )
    assert result.exit_code == 1
    assert "new 1" in result.output and "not HTML (application/pdf)" in result.output
    with cli.engine() as engine:
        article = next(iter(engine.articles()))
    assert article.url == server.url("/articles/bridge") and "Harbour Bridge" in article.text
    again = cli("ingest", "--allow-private", server.url("/articles/bridge"))
    assert again.exit_code == 0 and "already known 1" in again.output
    assert len(server.hits("/articles/bridge")) == 1  # a known URL is not fetched again


def test_watch_polls_a_feed_that_keeps_failing_less_often(
    server: LoopbackServer, fast_engine: Engine
) -> None:
    server.routes["/down"] = Reply(500)
    spec = FeedSpec(server.url("/down"))
    patient = watcher(fast_engine, [spec])
    patient.every = 3600.0
    assert [patient.poll().feeds[0].status for _ in range(2)] == ["failed", "failed"]
    rested = patient.poll().feeds[0]
    assert rested.status == "resting" and "500" in str(rested.error)
    assert len(server.hits("/down")) == 4  # two polls, one retry each; none while resting
    server.routes["/down"] = Reply(body=rss(server, ["rates"], full=True))
    patient.every = 0.001  # its rest is over in a few milliseconds
    time.sleep(0.05)
    assert patient.poll().feeds[0].status == "changed"
    assert fast_engine.store.feed_state(spec.url).failures == 0

"""Watch over many feeds on loopback servers, killed mid-poll and restarted.

    python bench/watch_bench.py [--feeds 50] [--servers 5] [--items 4] [--kills 3]

Feeds are served from ``--servers`` HTTP servers on 127.0.0.1 (so the per-host
rate limit and concurrency cap apply per server): RSS with the full text, Atom
with a summary only (the article page is fetched) and JSON Feed, in turn. Their
items are PolNeAR articles (first paragraphs, real news text). Each feed starts
with one item; ``storyline watch`` runs in its own process and is killed
(SIGKILL, no chance to tidy up) a few seconds in, while it polls; then every
feed gains an item and watch starts again; ``--kills`` times. A last
``watch --once`` finishes. Exactly once means: every item published is in the
store, as one article, and nothing else is.

Then a poll with nothing new is timed twice: as watch does it, with ETag and
Last-Modified (the servers answer 304), and as the baseline, a poller that
downloads every feed in full each time.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from loopback import LoopbackServer, Reply, Seen, article_page  # noqa: E402
from polnear import polnear_files  # noqa: E402

from storyline.config import Config  # noqa: E402
from storyline.engine import Engine  # noqa: E402
from storyline.net import FeedSpec, Fetcher, Watcher  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "polnear"
KINDS = ("rss", "atom", "json")


def load_texts(data: Path, count: int) -> list[tuple[str, str]]:
    """(title, first paragraphs) of PolNeAR articles, about 150 words each."""
    texts = []
    for row, raw in polnear_files(data):
        paragraphs = [p.strip() for p in raw.split("\n") if p.strip()]
        body, words = [], 0
        for paragraph in paragraphs[1:]:
            body.append(paragraph)
            words += len(paragraph.split())
            if words >= 150:
                break
        if words >= 60:
            texts.append((row["title"] or paragraphs[0], "\n\n".join(body)))
        if len(texts) == count:
            break
    return texts


class FeedSite:
    """Feeds whose items appear over time, with ETags; counts bytes sent."""

    def __init__(
        self, server: LoopbackServer, feeds: list[str], texts: list[tuple[str, str]]
    ) -> None:
        self.server, self.feeds, self.texts = server, feeds, texts
        self.visible = 1
        self.conditional = True
        self.bytes_sent = 0
        self.lock = threading.Lock()
        for number, name in enumerate(feeds):
            server.routes[f"/{name}"] = lambda seen, n=number, k=name: self.feed(seen, n, k)

    def items(self, number: int) -> list[tuple[str, str, str, str]]:
        """(id, url, title, text) of the items a feed shows now, newest first."""
        shown = []
        for index in range(self.visible):
            title, text = self.texts[(number * 100 + index) % len(self.texts)]
            key = f"{self.feeds[number]}-{index}"
            url = self.server.url(f"/articles/{key}")
            shown.append((key, url, f"{title} ({key})", f"{text}\n\nReported for {key}."))
        return shown[::-1]

    def feed(self, seen: Seen, number: int, name: str) -> Reply:
        tag = f'"{self.visible}"'
        if self.conditional and seen.headers.get("if-none-match") == tag:
            return Reply(304)
        items = self.items(number)
        kind = KINDS[number % len(KINDS)]
        for key, _, title, text in items:
            self.server.routes[f"/articles/{key}"] = Reply(body=article_page(title, text))
        body = render(kind, items)
        with self.lock:
            self.bytes_sent += len(body)
        ctype = {"rss": "application/rss+xml", "atom": "application/atom+xml"}.get(
            kind, "application/feed+json"
        )
        return Reply(body=body, headers={"ETag": tag}, content_type=ctype)


def render(kind: str, items: list[tuple[str, str, str, str]]) -> str:
    if kind == "json":
        entries = [
            {"id": key, "url": url, "title": title, "content_text": text}
            for key, url, title, text in items
        ]
        return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": entries})
    if kind == "atom":
        body = "".join(
            f"<entry><id>urn:{key}</id><title>{escape(title)}</title><link href='{url}'/>"
            f"<updated>2016-10-01T12:00:00Z</updated><summary>{escape(text[:140])}</summary></entry>"
            for key, url, title, text in items
        )
        return f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>f</title>{body}</feed>"
    body = "".join(
        f"<item><guid>{url}</guid><title>{escape(title)}</title><link>{url}</link>"
        f"<description>{escape(text[:140])}</description>"
        f"<content:encoded>{escape(text)}</content:encoded></item>"
        for key, url, title, text in items
    )
    return (
        "<?xml version='1.0'?><rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/"
        f"content/'><channel><title>f</title>{body}</channel></rss>"
    )


def specs_now(sites: list[FeedSite]) -> list[str]:
    """The feeds' newest items: what one poll after a change has to take."""
    return [site.items(n)[0][0] for site in sites for n in range(len(site.feeds))]


def count_articles(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        try:
            return int(connection.execute("SELECT count(*) FROM articles").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--servers", type=int, default=5)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument(
        "--kill-within", type=float, default=120.0, help="seconds to wait for a poll to store"
    )
    args = parser.parse_args()
    texts = load_texts(args.data, 400)
    servers = [LoopbackServer() for _ in range(args.servers)]
    for server in servers:
        server.start()
    sites = []
    for number, server in enumerate(servers):
        names = [f"feed{i}" for i in range(args.feeds) if i % args.servers == number]
        sites.append(FeedSite(server, names, texts))
    with tempfile.TemporaryDirectory() as folder:
        settings = Path(folder) / "storyline.toml"
        settings.write_text(
            "[storyline]\nhost_interval = 0.02\nhost_concurrency = 4\nfetch_backoff = 0.1\n"
            'contact_url = "https://storyline.invalid/bench"\n'
        )
        feeds_file = Path(folder) / "feeds.toml"
        feeds_file.write_text(
            "".join(
                f'[[feed]]\nurl = "{site.server.url("/" + name)}"\noutlet = "Outlet {name}"\n\n'
                for site in sites
                for name in site.feeds
            )
        )
        db = Path(folder) / "watch.db"
        command = [sys.executable, "-m", "storyline", "--db", str(db), "--config", str(settings)]
        watch = [*command, "watch", "--feeds", str(feeds_file), "--allow-private"]
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        for kill in range(args.kills):
            process = subprocess.Popen(
                [*watch, "--every", "1s"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=environment,
            )
            before = count_articles(db)
            # killed as soon as the poll has stored its first feed: the rest is in flight
            deadline = time.monotonic() + args.kill_within
            while count_articles(db) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
            print(
                f"kill {kill + 1}: {count_articles(db) - before} of {len(specs_now(sites))} "
                "new items stored when killed"
            )
            for site in sites:
                site.visible += 1
        for _ in range(2):  # the last items, then a poll that must find nothing new
            subprocess.run([*watch, "--once"], check=False, env=environment, capture_output=True)
        elapsed = time.perf_counter() - started
        published = {
            url for site in sites for n in range(len(site.feeds)) for _, url, _, _ in site.items(n)
        }
        with sqlite3.connect(db) as connection:
            urls = [row[0] for row in connection.execute("SELECT url FROM articles")]
        missing, extra = published - set(urls), set(urls) - published
        duplicates = len(urls) - len(set(urls))
        verdict = "exactly once" if not (missing or extra or duplicates) else "NOT exactly once"
        print(
            f"{args.feeds} feeds on {args.servers} servers, {args.kills} kills: {len(published)} "
            f"items published, {len(urls)} articles stored, {len(missing)} missing, "
            f"{len(extra)} unexpected, {duplicates} duplicated: {verdict} "
            f"({elapsed:.1f} s in all, model loading included)"
        )
        quiet_poll(db, sites)
    for server in servers:
        server.stop()


def quiet_poll(db: Path, sites: list[FeedSite]) -> None:
    """A poll with nothing new: conditional (ours) against full downloads (baseline)."""
    config = Config(host_interval=0.02, host_concurrency=4)
    specs = [FeedSpec(site.server.url("/" + name)) for site in sites for name in site.feeds]
    results: dict[str, tuple[float, int, int]] = {}
    with Engine(db, config=config) as engine, Fetcher(config, allow_private=True) as fetcher:
        for label, conditional in (
            ("conditional (ours)", True),
            ("full download (baseline)", False),
        ):
            for site in sites:
                site.conditional, site.bytes_sent = conditional, 0
            begun = time.perf_counter()
            report = Watcher(engine, fetcher, specs).poll()
            seconds = time.perf_counter() - begun
            new = sum(f.new_items for f in report.feeds)
            results[label] = (seconds, sum(site.bytes_sent for site in sites), new)
    print(f"{'poll with nothing new':<26}{'seconds':>9}{'feed bytes':>12}{'new items':>10}")
    for label, (seconds, sent, new) in results.items():
        print(f"{label:<26}{seconds:>9.2f}{sent:>12}{new:>10}")
    ours, base = results["conditional (ours)"], results["full download (baseline)"]
    print(f"time ours / baseline: {ours[0] / base[0]:.2f}; bytes: {ours[1]} vs {base[1]}")


if __name__ == "__main__":
    main()

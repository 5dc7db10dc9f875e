"""Web latency with 100k articles in the store, against Datasette on the same file.

    python bench/web_latency.py                       # 100k articles, build cached in bench-work/
    python bench/web_latency.py --articles 3000 --requests 600   # a quick look

The store is built from real text. The PolNeAR articles (real news, 7 outlets) go
through the real NLP pipeline once (cached as ``enriched.jsonl``); the stream is then
made from those enriched articles: bursts of articles on one subject (a run of the
subject article's paragraphs plus three of other articles, a lightly varied
title) at random points of one year, with exact and trimmed copies by other outlets.
Annotations move with their paragraphs, so the NLP results are reused and the stream
goes only through the engine's stateful part: copies, clustering, the store. The built
store is kept in ``--workdir`` and re-runs skip the build.

Then storyline's web app is served by ``storyline serve --workers N`` on 127.0.0.1,
and a load generator (asyncio + httpx, at most ``--clients`` concurrent clients)
sends a warm-up (not counted) then ``--requests`` requests, twice:

- paced (the latency goal): requests arrive at exponentially spaced times, ``--rate``
  per second in all (50 clients each asking for a page a second), each taken by the
  next free client; a latency counts from the request's arrival, so waiting for a
  free client counts too (no coordinated omission);
- closed loop (capacity): each client sends its next request as soon as the last one
  was answered, so latency is mostly queueing and requests/s is the server's limit.

Stories are drawn with Zipf weights (1/rank) over storylines and events ranked by
article count; queries are drawn uniformly from the 300 entity names that
occur in most articles, a quarter of them as a two-name OR query. Datasette then
serves the same SQLite file (one process, facet suggestions off) and gets the same
load on its table page (``/db/articles?_size=20``) and row page; the ratio of the
latencies is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from polnear import polnear_files

from storyline.config import Config
from storyline.engine import Engine
from storyline.extract import prepare
from storyline.model import Article, Entity, Fact, Quote, TimeExpr
from storyline.pipeline import Pipeline, default_stages
from storyline.store import Store

ROOT = Path(__file__).resolve().parents[1]
YEAR_START = datetime(2016, 1, 1, tzinfo=UTC)
PREFIXES = ("", "", "", "Update: ", "Analysis: ", "Live: ", "Watch: ", "Explainer: ")
SUFFIXES = ("", "", "", " — report", " (video)", ", sources say")
#: shares of the stream that are exact copies and trimmed copies (last paragraph dropped)
EXACT_COPIES, TRIMMED_COPIES = 0.06, 0.04


# -- the store ------------------------------------------------------------------------


def polnear_articles() -> list[Article]:
    """Every PolNeAR article with its outlet, author, title and date."""
    found = []
    for row, raw in polnear_files():
        published = datetime.fromisoformat(row["publication_date"]).replace(tzinfo=UTC)
        found.append(
            Article(
                id=row["filename"],
                # the file's first paragraph repeats the title
                text=raw.strip().split("\n\n", 1)[-1],
                title=row["title"],
                outlet=row["publisher"],
                author=row["author"] if row["author"] != "None" else None,
                published=published,
            )
        )
    return found


def enriched_articles(workdir: Path) -> list[Article]:
    """The PolNeAR articles through the real pipeline, computed once and cached."""
    cache = workdir / "enriched.jsonl"
    if not cache.is_file():
        config = Config()
        prepared = [prepare(a, a.id, config.min_words).article for a in polnear_articles()]
        print(f"running the NLP pipeline on {len(prepared):,} PolNeAR articles (once)")
        started = time.perf_counter()
        pipeline = Pipeline(default_stages(config))
        partial = cache.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as out:
            for article in pipeline.pipe(prepared, config.batch_size):
                article.doc = None
                out.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
        partial.rename(cache)
        print(f"  {time.perf_counter() - started:,.0f} s")
    with cache.open(encoding="utf-8") as handle:
        return [Article.from_dict(json.loads(line)) for line in handle]


@dataclass(slots=True)
class Paragraph:
    """One paragraph of an enriched article, its annotations relative to its start."""

    text: str
    entities: list[Entity] = field(default_factory=list)
    quotes: list[tuple[int, Quote]] = field(default_factory=list)
    times: list[TimeExpr] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)


def paragraphs_of(article: Article) -> list[Paragraph]:
    """An article cut into paragraphs; annotations that cross a paragraph are left out."""
    found, offset = [], 0
    for text in article.text.split("\n\n"):
        start, end = offset, offset + len(text)
        offset = end + 2

        def inside(a: int, b: int, start: int = start, end: int = end) -> bool:
            return start <= a and b <= end

        def shift(value: int | None, start: int = start, end: int = end) -> int | None:
            return value - start if value is not None and start <= value <= end else None

        paragraph = Paragraph(text)
        for e in article.entities:
            if inside(e.start, e.end):
                paragraph.entities.append(replace(e, start=e.start - start, end=e.end - start))
        for index, q in enumerate(article.quotes):
            if inside(q.start, q.end):
                moved = replace(
                    q,
                    start=q.start - start,
                    end=q.end - start,
                    speaker_start=shift(q.speaker_start),
                    speaker_end=shift(q.speaker_end),
                )
                if moved.speaker_start is None or moved.speaker_end is None:
                    moved.speaker_start = moved.speaker_end = None
                paragraph.quotes.append((index, moved))
        for t in article.times:
            if inside(t.start, t.end):
                paragraph.times.append(replace(t, start=t.start - start, end=t.end - start))
        for f in article.facts:
            if inside(f.start, f.end):
                moved_fact = replace(
                    f,
                    start=f.start - start,
                    end=f.end - start,
                    sentence_start=shift(f.sentence_start),
                    sentence_end=shift(f.sentence_end),
                )
                if moved_fact.sentence_start is None or moved_fact.sentence_end is None:
                    moved_fact.sentence_start = moved_fact.sentence_end = None
                paragraph.facts.append(moved_fact)
        found.append(paragraph)
    return found


def compose(article_id: str, parts: Sequence[Paragraph]) -> Article:
    """An article whose text is ``parts`` in order, with their annotations moved along."""
    article = Article(id=article_id, text="\n\n".join(p.text for p in parts), language="en")
    offset = 0
    quote_index: dict[tuple[int, int], int] = {}
    for number, part in enumerate(parts):
        for e in part.entities:
            article.entities.append(replace(e, start=e.start + offset, end=e.end + offset))
        for old, q in part.quotes:
            quote_index[(number, old)] = len(article.quotes)
            article.quotes.append(
                replace(
                    q,
                    start=q.start + offset,
                    end=q.end + offset,
                    speaker_start=None if q.speaker_start is None else q.speaker_start + offset,
                    speaker_end=None if q.speaker_end is None else q.speaker_end + offset,
                    part_of=None if q.part_of is None else quote_index.get((number, q.part_of)),
                )
            )
        for t in part.times:
            article.times.append(replace(t, start=t.start + offset, end=t.end + offset))
        for f in part.facts:
            article.facts.append(
                replace(
                    f,
                    start=f.start + offset,
                    end=f.end + offset,
                    sentence_start=None if f.sentence_start is None else f.sentence_start + offset,
                    sentence_end=None if f.sentence_end is None else f.sentence_end + offset,
                )
            )
        offset += len(part.text) + 2
    return article


def stream(enriched: list[Article], count: int, seed: int) -> Iterator[Article]:
    """``count`` articles in publication order, made from the enriched ones (see the top)."""
    rng = random.Random(seed)
    pool = [(a, paragraphs_of(a)) for a in enriched]
    pool = [(a, parts) for a, parts in pool if len(parts) >= 10]
    outlets = sorted({a.outlet or "unknown" for a, _ in pool})
    plan: list[tuple[float, int]] = []  # (seconds into the year, subject)
    while len(plan) < count:
        subject = rng.randrange(len(pool))
        start = rng.uniform(0, 365 * 86400)
        size = min(int(rng.expovariate(1 / 10)) + 1, 60)
        plan.extend((start + rng.uniform(0, 2 * 86400), subject) for _ in range(size))
    plan = sorted(plan[:count])
    previous: Article | None = None
    for number, (seconds, subject) in enumerate(plan):
        article_id = f"w{number:06d}"
        published = YEAR_START + timedelta(seconds=seconds)
        source, parts = pool[subject]
        roll = rng.random()
        if previous is not None and roll < EXACT_COPIES + TRIMMED_COPIES:
            kept = paragraphs_of(previous)
            if roll >= EXACT_COPIES and len(kept) > 3:
                kept = kept[:-1]
            article = compose(article_id, kept)
            article.title = previous.title
        else:
            # few paragraphs in common between two articles on one subject, so that
            # they read as separate reports rather than copies of one another
            chosen = sorted(rng.sample(range(len(parts)), rng.randint(2, 3)))
            body = [parts[index] for index in chosen]
            for _ in range(3):
                other = pool[rng.randrange(len(pool))][1]
                body.insert(rng.randrange(len(body) + 1), rng.choice(other))
            article = compose(article_id, body)
            article.title = rng.choice(PREFIXES) + source.title + rng.choice(SUFFIXES)
        article.outlet = rng.choice(outlets)
        article.author = source.author
        article.published = published
        article.url = f"https://{article.outlet}.invalid/{article_id}"
        previous = article
        yield article


def build_store(workdir: Path, count: int, seed: int) -> Path:
    """The store of ``count`` articles, built once (into a temporary file, then renamed)."""
    db = workdir / f"web-{count}-{seed}.db"
    if db.is_file():
        print(f"store {db} already built")
        return db
    enriched = enriched_articles(workdir)
    partial = workdir / "building.db"
    for leftover in workdir.glob("building.db*"):
        leftover.unlink()
    print(f"building a store of {count:,} articles from {len(enriched):,} enriched ones")
    started = time.perf_counter()
    articles = stream(enriched, count, seed)
    with Engine(partial, config=Config(), stages=[]) as engine:
        done = 0
        while done < count:
            chunk = [next(articles) for _ in range(min(5000, count - done))]
            report = engine.add(chunk)
            if not report.ok:
                sys.exit(f"building the store failed: {report.errors[:3]}")
            done += len(chunk)
            rate = done / (time.perf_counter() - started)
            print(f"  {done:,} articles, {rate:,.0f}/s", flush=True)
        engine.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(db)
    print(f"  built in {time.perf_counter() - started:,.0f} s")
    return db


# -- the load -------------------------------------------------------------------------


def workload(db: Path, seed: int) -> tuple[list[str], list[str], list[int]]:
    """Stories by article count, the queries to search for, and article row numbers."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    stories = [
        row[0]
        for row in connection.execute("SELECT id FROM clusters ORDER BY size DESC, seq").fetchall()
    ]
    names: Counter[str] = Counter()
    sample = connection.execute("SELECT annotations FROM articles WHERE seq % 20 = 0").fetchall()
    for (stored,) in sample:
        entities = json.loads(stored)["entities"]
        names.update({e["canonical"] for e in entities if e["label"] in ("PERSON", "ORG", "GPE")})
    rows = [row[0] for row in connection.execute("SELECT seq FROM articles").fetchall()]
    connection.close()
    rng = random.Random(seed)
    common = [name for name, _ in names.most_common(300)]
    queries = []
    for _ in range(2000):
        words = [f'"{rng.choice(common)}"']
        if rng.random() < 0.25:
            words.append(f'"{rng.choice(common)}"')
        queries.append(" OR ".join(words))
    return stories, queries, rows


def zipf(rng: random.Random, items: Sequence[str], count: int) -> list[str]:
    weights = [1 / rank for rank in range(1, len(items) + 1)]
    return rng.choices(items, weights=weights, k=count)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server for {url} exited with status {process.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    sys.exit(f"{url} did not come up within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(slots=True)
class Result:
    latencies: dict[str, list[float]]
    seconds: float
    errors: Counter[str]

    @property
    def count(self) -> int:
        return sum(len(values) for values in self.latencies.values())


async def drive(
    base: str,
    requests: list[tuple[str, str]],
    warmup: int,
    clients: int,
    rate: float | None = None,
    seed: int = 0,
) -> Result:
    """Send ``requests`` (kind, path) through at most ``clients`` connections at a time;
    the first ``warmup`` are not counted.

    With ``rate`` None every client sends its next request as soon as the last one was
    answered (closed loop: the server's capacity, latency mostly queueing). With a
    ``rate``, requests arrive at exponentially spaced times at ``rate`` per second
    (open loop), each taken by the next free client, and a latency counts from the
    request's arrival, so time spent waiting for a free client counts too.
    """
    latencies: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    measuring = asyncio.Event()
    done_warmup = 0
    started = 0.0
    # a story whose views are not stored is computed on its first view, which for the
    # largest took seconds before they were stored
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=900) as http:

        async def send(number: int, kind: str, path: str, arrived: float | None) -> None:
            nonlocal done_warmup, started
            began = time.perf_counter() if arrived is None else arrived
            try:
                response = await http.get(path)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # a kept-alive connection the server closed as it was reused (the
                # clients pause at the end of the warm-up): sent again, counted
                errors[f"{kind} connection closed, sent again"] += 1
                response = await http.get(path)
            elapsed = time.perf_counter() - began
            if response.status_code != 200:
                errors[f"{kind} {response.status_code}"] += 1
            if number < warmup:
                done_warmup += 1
                if done_warmup == warmup:
                    started = time.perf_counter()
                    measuring.set()
            else:
                latencies.setdefault(kind, []).append(elapsed)

        if warmup == 0:
            started = time.perf_counter()
            measuring.set()
        if rate is None:
            pending = list(enumerate(requests))
            pending.reverse()

            async def client() -> None:
                while pending:
                    number, (kind, path) = pending.pop()
                    if number >= warmup and not measuring.is_set():
                        await measuring.wait()
                    await send(number, kind, path, None)

            await asyncio.gather(*(client() for _ in range(clients)))
        else:
            rng = random.Random(seed)
            free = asyncio.Semaphore(clients)

            async def paced(number: int, kind: str, path: str, arrived: float) -> None:
                async with free:
                    await send(number, kind, path, arrived)

            tasks = []
            due = time.perf_counter()
            for number, (kind, path) in enumerate(requests):
                if number == warmup and warmup:
                    await measuring.wait()  # the warm-up's last answers, then the clock
                    due = time.perf_counter()
                due += rng.expovariate(rate)
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                tasks.append(asyncio.create_task(paced(number, kind, path, due)))
            await asyncio.gather(*tasks)
    return Result(latencies, time.perf_counter() - started, errors)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, result: Result) -> dict[str, float]:
    everything = [v for values in result.latencies.values() for v in values]
    print(
        f"{name}: {result.count:,} requests in {result.seconds:.1f} s, "
        f"{result.count / result.seconds:,.0f} requests/s"
    )
    print(f"  {'target':<22} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rows = [*sorted(result.latencies.items()), ("all", everything)]
    for kind, values in rows:
        print(
            f"  {kind:<22} {len(values):>6} {percentile(values, 0.5) * 1000:>8.1f} "
            f"{percentile(values, 0.95) * 1000:>8.1f} {percentile(values, 0.99) * 1000:>8.1f} "
            f"{max(values) * 1000:>8.1f}"
        )
    if result.errors:
        print(f"  non-200 answers: {dict(result.errors)}")
    return {
        "p50": percentile(everything, 0.5),
        "p95": percentile(everything, 0.95),
        "p99": percentile(everything, 0.99),
        "rps": result.count / result.seconds,
    }


def cold_views(base: str, db: Path, stories: list[str]) -> None:
    """The first view of the largest stories: their stored views read and rendered by
    one worker (before they were stored, this computed them)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        for story in stories:
            size = connection.execute("SELECT size FROM clusters WHERE id = ?", (story,))
            began = time.perf_counter()
            status = httpx.get(f"{base}/stories/{quote(story, safe='')}", timeout=900).status_code
            print(
                f"first view of {story} ({size.fetchone()[0]:,} articles): "
                f"{time.perf_counter() - began:.1f} s (status {status})"
            )


def refresh_progress(done: int, total: int) -> None:
    if done == 1 or done % 1000 == 0 or done == total:
        print(f"  views of {done:,} of {total:,} stories", flush=True)


def serve_ours(db: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """``storyline serve``, as a user runs it."""
    executable = shutil.which("storyline", path=str(Path(sys.executable).parent))
    command = [executable] if executable else [sys.executable, "-m", "storyline"]
    command += ["--db", str(db), "serve", "--port", str(port), "--workers", str(workers)]
    quiet = subprocess.DEVNULL
    return subprocess.Popen(command, cwd=ROOT, stdout=quiet, stderr=subprocess.STDOUT)


def serve_datasette(db: Path, port: int) -> subprocess.Popen[bytes]:
    executable = shutil.which("datasette", path=str(Path(sys.executable).parent))
    if executable is None:
        sys.exit("datasette is not installed: make bench-web installs the bench extra")
    # facet suggestions (on by default) cost more than the page itself: off, so the
    # reference does what ours does, a table page
    command = [
        executable, "serve", str(db), "--host", "127.0.0.1", "--port", str(port),
        "--setting", "suggest_facets", "off",
    ]  # fmt: skip
    quiet = subprocess.DEVNULL
    return subprocess.Popen(command, cwd=ROOT, stdout=quiet, stderr=quiet)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench-work")
    parser.add_argument("--requests", type=int, default=3000, help="counted, per server")
    parser.add_argument("--warmup", type=int, default=500, help="sent first, not counted")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes, and refresh processes"
    )
    parser.add_argument("--seed", type=int, default=20161108)
    parser.add_argument(
        "--rate",
        type=float,
        default=50.0,
        help="requests per second arriving in the paced run (50 clients, one a second each)",
    )
    parser.add_argument(
        "--paced-only", action="store_true", help="skip the closed-loop run (capacity)"
    )
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = build_store(args.workdir, args.articles, args.seed)
    if args.build_only:
        return
    # what a user upgrading does: the pending migrations, then `storyline refresh`
    # computes the stored views of every story (a store built by this version of
    # storyline has them already)
    started = time.perf_counter()
    Store(db).close()
    print(f"store opened (migrated) in {time.perf_counter() - started:.1f} s")
    with Engine(db, config=Config(), stages=[]) as engine:
        refreshed = engine.refresh_views(progress=refresh_progress, workers=args.workers)
    print(f"  {refreshed.summary()}")
    stories, queries, rows = workload(db, args.seed)
    rng = random.Random(args.seed)
    total = args.warmup + args.requests
    ours: list[tuple[str, str]] = []
    for story in zipf(rng, stories, total):
        kind = rng.choice(("story page", "search page", "api story", "api stories"))
        if kind == "story page":
            ours.append((kind, f"/stories/{quote(story, safe='')}"))
        elif kind == "api story":
            ours.append((kind, f"/api/stories/{quote(story, safe='')}"))
        elif kind == "search page":
            ours.append((kind, f"/search?q={quote(rng.choice(queries), safe='')}"))
        else:
            ours.append((kind, f"/api/stories?limit=20&offset={20 * rng.randrange(10)}"))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        counts = connection.execute(
            "SELECT (SELECT count(*) FROM articles), "
            "(SELECT count(*) FROM clusters WHERE kind = 'event'), "
            "(SELECT count(*) FROM clusters WHERE kind = 'storyline')"
        ).fetchone()
    print(
        f"store: {counts[0]:,} articles, {counts[1]:,} events, {counts[2]:,} storylines; "
        f"{args.clients} clients, {args.warmup:,} warm-up + {args.requests:,} counted requests "
        f"per server; ours with storyline serve --workers {args.workers}"
    )
    modes: list[tuple[str, float | None]] = [(f"paced, {args.rate:g} requests/s", args.rate)]
    if not args.paced_only:
        modes.append(("closed loop", None))

    def load(base: str, requests: list[tuple[str, str]]) -> dict[str, Result]:
        return {
            mode: asyncio.run(
                drive(base, requests, args.warmup, args.clients, rate, seed=args.seed)
            )
            for mode, rate in modes
        }

    port = free_port()
    server = serve_ours(db, port, args.workers)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/stories?limit=1", server)
        cold_views(f"http://127.0.0.1:{port}", db, stories[:3])
        ours_results = load(f"http://127.0.0.1:{port}", ours)
    finally:
        stop(server)

    name = db.stem
    theirs = [
        (kind, f"/{name}/articles?_size=20" if kind == "table page" else f"/{name}/articles/{row}")
        for kind, row in (
            (rng.choice(("table page", "row page")), rng.choice(rows)) for _ in range(total)
        )
    ]
    port = free_port()
    server = serve_datasette(db, port)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/{name}.json", server)
        their_results = load(f"http://127.0.0.1:{port}", theirs)
    finally:
        stop(server)

    for mode, _ in modes:
        print(f"\n== {mode}, {args.clients} clients at most ==")
        mine = report("storyline", ours_results[mode])
        reference = report("Datasette (one process)", their_results[mode])
        print(
            "storyline / Datasette: "
            + ", ".join(f"{key} {mine[key] / reference[key]:.2f}" for key in ("p50", "p95", "p99"))
            + f", requests/s {mine['rps'] / reference['rps']:.2f}"
        )
        goal = mine["p95"] < 0.050 and mine["p99"] < 0.150
        print(
            f"goal p95 < 50 ms and p99 < 150 ms ({mode}): {'met' if goal else 'not met'} "
            f"(p95 {mine['p95'] * 1000:.1f} ms, p99 {mine['p99'] * 1000:.1f} ms)"
        )


if __name__ == "__main__":
    main()
